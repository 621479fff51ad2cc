#!/usr/bin/env bash
# What `smtpcheck bench --workers N` gains (issue 16): one smtp-sink on a loopback
# port, smtpcheck bench with 1 and with 2 worker threads, first with the sink pinned
# to CPU 0 and smtpcheck to CPU 1 (taskset), so the server is not on the client's
# cores, then with neither pinned. On a machine with two CPUs the pinned client has
# one core for all its threads, so the pinned rows show what worker threads cost when
# they cannot spread; with more CPUs, give the client more (CLIENT_CPUS=1-3).
#
#   bash bench/workers.sh                                     # 10 sessions, 20000 messages of 1156 octets, --reuse
#   SESSIONS=10 MESSAGES=20000 SIZE=1156 RUNS=3 FLAGS="--reuse --pipeline" SINK_CPUS=0 CLIENT_CPUS=1 bash bench/workers.sh
#
# Each figure is the median of RUNS runs of the whole process (start-up included),
# wall clock; the ratio is 2 workers' msg/s over 1 worker's in the same placement.
# Measures, never asserts: exit 0.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SESSIONS=${SESSIONS:-10}
MESSAGES=${MESSAGES:-20000}
SIZE=${SIZE:-1156}
RUNS=${RUNS:-3}
FLAGS=${FLAGS:---reuse}
SINK_CPUS=${SINK_CPUS:-0}
CLIENT_CPUS=${CLIENT_CPUS:-1}
ALL_CPUS="0-$(($(nproc) - 1))"

bench_need smtp-sink taskset
bench_build
start_sink

run_bench() { # cpus ("" for any), workers
  local pin=()
  [ -z "$1" ] || pin=(taskset -c "$1")
  # shellcheck disable=SC2086 # FLAGS is a list of flags
  timed_bench "${pin[@]}" "${SMTPCHECK[@]}" bench --server "127.0.0.1:$SINK_PORT" --from load@example.org --to sink@example.org -c "$SESSIONS" -m "$MESSAGES" --size "$SIZE" --workers "$2" $FLAGS --json
}

bench_machine
printf 'smtp-sink on 127.0.0.1:%s; %s sessions, %s messages of %s octets, bench %s; median of %s runs; load average at the start: %s\n\n' \
  "$SINK_PORT" "$SESSIONS" "$MESSAGES" "$SIZE" "$FLAGS" "$RUNS" "$(cut -d' ' -f1-3 /proc/loadavg)"

declare -a pinned_1=() pinned_2=() free_1=() free_2=()
for run in $(seq "$RUNS"); do
  taskset -cp "$SINK_CPUS" "$SINK_PID" >/dev/null
  pinned_1+=("$(run_bench "$CLIENT_CPUS" 1)")
  pinned_2+=("$(run_bench "$CLIENT_CPUS" 2)")
  taskset -cp "$ALL_CPUS" "$SINK_PID" >/dev/null
  free_1+=("$(run_bench "" 1)")
  free_2+=("$(run_bench "" 2)")
done
figure() { # seconds → "1.23 s  12345 msg/s"
  printf '%5.2f s %6.0f msg/s' "$1" "$(awk -v s="$1" -v m="$MESSAGES" 'BEGIN { print m / s }')"
}
printf '%-44s %-20s %-20s %s\n' "placement" "--workers 1" "--workers 2" "2 ÷ 1"
row() { # label, 1-worker seconds, 2-worker seconds
  printf '%-44s %-20s %-20s %s\n' "$1" "$(figure "$2")" "$(figure "$3")" "$(ratio "$2" "$3")"
}
row "sink on CPU $SINK_CPUS, smtpcheck on CPU $CLIENT_CPUS" "$(median "${pinned_1[@]}")" "$(median "${pinned_2[@]}")"
row "neither pinned (CPUs $ALL_CPUS)" "$(median "${free_1[@]}")" "$(median "${free_2[@]}")"
printf '\n2 ÷ 1 = msg/s with 2 workers ÷ msg/s with 1 (above 1: the second worker helps); load average at the end: %s\n' "$(cut -d' ' -f1-3 /proc/loadavg)"
exit 0
