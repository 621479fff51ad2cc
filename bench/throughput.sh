#!/usr/bin/env bash
# Throughput of `smtpcheck bench` next to Postfix's smtp-source, both against one
# smtp-sink on a loopback port, with the same parameters: SESSIONS parallel
# sessions sending MESSAGES messages of LENGTH payload octets, reusing sessions
# (smtp-source -d, smtpcheck --reuse) and one connection per message. smtp-source
# has no pipelining; the --pipeline rows are compared with its figure for the same
# reuse mode.
# A third column, bench/node-floor.mjs, is the least a Node client can do (plain
# sockets, no parsing): the floor that shows what Node itself costs.
#
#   bash bench/throughput.sh                                  # 10 sessions, 20000 messages of 1 KB
#   SESSIONS=10 MESSAGES=20000 LENGTH=1024 RUNS=3 bash bench/throughput.sh
#   BASELINE=/tmp/old-checkout bash bench/throughput.sh       # also an older build, for before/after in one run
#
# BASELINE, when set, is another checkout of smtpcheck, already built (its
# bin/smtpcheck and dist/): its bench runs in the same loop, and a last column gives
# this checkout's msg/s over the baseline's.
#
# Each figure is the median of RUNS runs of the whole process (start-up included),
# wall clock. Prints the figures and the ratios smtpcheck / smtp-source and
# smtpcheck / plain Node (messages per second; above 1 means smtpcheck is faster).
# Measures, never asserts: exit 0.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SESSIONS=${SESSIONS:-10}
MESSAGES=${MESSAGES:-20000}
LENGTH=${LENGTH:-1024}
RUNS=${RUNS:-3}
FROM=load@example.org
TO=sink@example.org

bench_need smtp-source smtp-sink
bench_build
start_sink

# smtp-source -l counts the payload only; smtpcheck --size counts the whole message.
# Measure what smtp-source really sends (its headers, the payload in 80-octet lines,
# CRLF line ends) from one message dumped by a second sink.
wire_size_of_smtp_source() {
  local dir port privileges=() pid size
  dir=$(mktemp -d)
  chmod 777 "$dir"
  port=$(free_port)
  [ "$(id -u)" = 0 ] && privileges=(-u nobody)
  smtp-sink "${privileges[@]}" -d "$dir/%H%M%S." "127.0.0.1:$port" 16 &
  pid=$!
  sleep 0.3
  smtp-source -m 1 -l "$LENGTH" -f "$FROM" -t "$TO" "127.0.0.1:$port"
  sleep 0.3
  kill "$pid" 2>/dev/null || true
  # The dump: smtp-sink's own headers up to the 3-line Received:, the message with LF
  # line ends, then one empty line of its own.
  size=$(cat "$dir"/* | awk 'body { total += length($0) + 2; next } /^Received: / { received = 1; next } received && /^\t/ { if (++continuation == 2) body = 1 } END { print total - 2 }')
  rm -rf "$dir"
  echo "$size"
}
SIZE=$(wire_size_of_smtp_source)
[ -n "$SIZE" ] && [ "$SIZE" -gt "$LENGTH" ] || bench_fail "could not measure smtp-source's message size"

run_smtp_source() { # flags...
  local start end
  start=$(now_ns)
  smtp-source -s "$SESSIONS" -m "$MESSAGES" -l "$LENGTH" -f "$FROM" -t "$TO" "$@" "127.0.0.1:$SINK_PORT"
  end=$(now_ns)
  seconds_between "$start" "$end"
}

run_node_floor() { # flags...
  local start end
  start=$(now_ns)
  node "$BENCH_ROOT/bench/node-floor.mjs" "$SINK_PORT" "$SESSIONS" "$MESSAGES" "$SIZE" "$@" >/dev/null
  end=$(now_ns)
  seconds_between "$start" "$end"
}

run_smtpcheck() { # flags...
  run_bench_of "$BENCH_ROOT" "$@"
}

run_bench_of() { # checkout, flags...
  local root=$1
  shift
  timed_bench node "$root/bin/smtpcheck" bench --server "127.0.0.1:$SINK_PORT" --from "$FROM" --to "$TO" -c "$SESSIONS" -m "$MESSAGES" --size "$SIZE" --json "$@"
}

bench_machine
printf 'smtp-sink on 127.0.0.1:%s; %s sessions, %s messages, smtp-source -l %s = %s octets on the wire = smtpcheck --size %s; median of %s runs\n\n' \
  "$SINK_PORT" "$SESSIONS" "$MESSAGES" "$LENGTH" "$SIZE" "$SIZE" "$RUNS"
figure() { # seconds → "1.23 s  12345 msg/s"
  printf '%5.2f s %6.0f msg/s' "$1" "$(awk -v s="$1" -v m="$MESSAGES" 'BEGIN { print m / s }')"
}
[ -z "${BASELINE:-}" ] || [ -f "$BASELINE/bin/smtpcheck" ] || bench_fail "BASELINE=$BASELINE has no bin/smtpcheck"
printf '%-31s %-20s %-20s %-20s %-13s %-15s%s\n' "mode" "smtp-source" "plain Node (floor)" "smtpcheck bench" "vs smtp-src" "vs plain Node" "${BASELINE:+  baseline bench       vs baseline}"
row() { # label, smtp-source seconds, node floor seconds, smtpcheck seconds[, baseline seconds]
  local baseline=""
  [ -z "${5:-}" ] || baseline=$(printf '  %-20s %s' "$(figure "$5")" "$(ratio "$5" "$4")")
  printf '%-31s %-20s %-20s %-20s %-13s %-15s%s\n' "$1" "$(figure "$2")" "$(figure "$3")" "$(figure "$4")" "$(ratio "$2" "$4")" "$(ratio "$3" "$4")" "$baseline"
}
run_baseline() { # flags...: nothing without BASELINE
  [ -z "${BASELINE:-}" ] || run_bench_of "$BASELINE" "$@"
}
median_or_none() { [ $# -eq 0 ] || median "$@"; }

declare -a source_reuse=() source_single=() floor_reuse=() floor_pipeline=() floor_single=() floor_single_pipeline=() ours_reuse=() ours_pipeline=() ours_single=() ours_single_pipeline=()
declare -a base_reuse=() base_pipeline=() base_single=() base_single_pipeline=()
for run in $(seq "$RUNS"); do
  source_reuse+=("$(run_smtp_source -d)")
  floor_reuse+=("$(run_node_floor --reuse)")
  ours_reuse+=("$(run_smtpcheck --reuse)")
  base_reuse+=($(run_baseline --reuse))
  floor_pipeline+=("$(run_node_floor --reuse --pipeline)")
  ours_pipeline+=("$(run_smtpcheck --reuse --pipeline)")
  base_pipeline+=($(run_baseline --reuse --pipeline))
  source_single+=("$(run_smtp_source)")
  floor_single+=("$(run_node_floor)")
  ours_single+=("$(run_smtpcheck)")
  base_single+=($(run_baseline))
  floor_single_pipeline+=("$(run_node_floor --pipeline)")
  ours_single_pipeline+=("$(run_smtpcheck --pipeline)")
  base_single_pipeline+=($(run_baseline --pipeline))
done
reuse_reference=$(median "${source_reuse[@]}")
row "reuse (-d / --reuse)" "$reuse_reference" "$(median "${floor_reuse[@]}")" "$(median "${ours_reuse[@]}")" "$(median_or_none "${base_reuse[@]}")"
row "reuse, pipelined (--pipeline)" "$reuse_reference" "$(median "${floor_pipeline[@]}")" "$(median "${ours_pipeline[@]}")" "$(median_or_none "${base_pipeline[@]}")"
single_reference=$(median "${source_single[@]}")
row "one connection per message" "$single_reference" "$(median "${floor_single[@]}")" "$(median "${ours_single[@]}")" "$(median_or_none "${base_single[@]}")"
row "one connection, pipelined" "$single_reference" "$(median "${floor_single_pipeline[@]}")" "$(median "${ours_single_pipeline[@]}")" "$(median_or_none "${base_single_pipeline[@]}")"
printf '\nvs smtp-src = smtpcheck msg/s ÷ smtp-source msg/s (goal: at least 1); vs plain Node = smtpcheck msg/s ÷ node-floor msg/s (goal: at least 0.9 in each mode, issue 16)\n'
[ -z "${BASELINE:-}" ] || printf 'vs baseline = this checkout msg/s ÷ the BASELINE checkout msg/s (%s)\n' "$BASELINE"
printf 'load average at the end: %s\n' "$(cut -d' ' -f1-3 /proc/loadavg)"
exit 0
