#!/usr/bin/env bash
# Streaming one large message (default 1 GiB) to smtp-sink on loopback: a raw TCP
# copy of the whole SMTP conversation with socat (the reference: no parsing, no
# dot-stuffing), `smtpcheck send --body @file` (the file streamed from disk), and
# `smtpcheck bench -m 1 --size` (the message generated). For each: wall time, MB/s,
# the ratio to the raw copy, and the peak resident memory (/usr/bin/time's maximum
# RSS, i.e. VmHWM) against the 150 MB budget.
#
#   bash bench/streaming.sh
#   SIZE_MB=1024 RUNS=3 BODY_FILE=/tmp/smtpcheck-1g.txt bash bench/streaming.sh
#
# The body file is made of 114-octet CRLF lines (none starting with "."), so it
# needs no dot-stuffing and every tool sends the same octets. Medians of RUNS
# runs. Measures, never asserts: exit 0.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SIZE_MB=${SIZE_MB:-1024}
RUNS=${RUNS:-3}
BODY_FILE=${BODY_FILE:-${TMPDIR:-/tmp}/smtpcheck-bench-${SIZE_MB}m.txt}
BYTES=$((SIZE_MB * 1024 * 1024))
BUDGET_MB=150

bench_need socat smtp-sink /usr/bin/time
bench_build
start_sink

if [ ! -f "$BODY_FILE" ] || [ "$(stat -c %s "$BODY_FILE")" != "$BYTES" ]; then
  node -e '
    const fs = require("fs");
    const [path, bytes] = [process.argv[1], Number(process.argv[2])];
    const line = "The quick brown fox jumps over the lazy dog; smtpcheck streaming test line 0123456789 abcdefghijklmnopqrstuvwxyz\r\n";
    const block = Buffer.from(line.repeat(Math.floor(1048576 / line.length)));
    const fd = fs.openSync(path, "w");
    for (let written = 0; written < bytes; ) { const piece = block.subarray(0, Math.min(block.length, bytes - written)); fs.writeSync(fd, piece); written += piece.length; }
    fs.closeSync(fd);' "$BODY_FILE" "$BYTES"
fi

ENVELOPE="EHLO bench.example\r\nMAIL FROM:<load@example.org>\r\nRCPT TO:<sink@example.org>\r\nDATA\r\n"

# Each run prints "seconds max-rss-kB" (/usr/bin/time's maximum resident set size).
timed() {
  local start end log
  log=$(mktemp)
  start=$(now_ns)
  /usr/bin/time -o "$log" -f '%M' "$@" >/dev/null 2>&1 || true
  end=$(now_ns)
  echo "$(seconds_between "$start" "$end") $(tail -1 "$log")"
  rm -f "$log"
}

raw_copy() {
  timed sh -c "{ printf '$ENVELOPE'; cat '$BODY_FILE'; printf '\r\n.\r\nQUIT\r\n'; } | socat - TCP:127.0.0.1:$SINK_PORT"
}

smtpcheck_send() {
  timed "${SMTPCHECK[@]}" send --server "127.0.0.1:$SINK_PORT" --from load@example.org --to sink@example.org --body "@$BODY_FILE" --quiet
}

smtpcheck_bench() {
  timed "${SMTPCHECK[@]}" bench --server "127.0.0.1:$SINK_PORT" --from load@example.org --to sink@example.org -m 1 --size "$BYTES" --quiet
}

measure() { # function → "median-seconds max-rss-MB"
  local seconds=() rss=() run result
  for run in $(seq "$RUNS"); do
    result=$("$1")
    seconds+=("${result% *}")
    rss+=("${result#* }")
  done
  echo "$(median "${seconds[@]}") $(printf '%s\n' "${rss[@]}" | sort -g | tail -1 | awk '{ printf "%.0f", $1 / 1024 }')"
}

bench_machine
printf 'smtp-sink on 127.0.0.1:%s; one message of %s MiB (%s); median of %s runs; RSS = peak over the runs\n\n' "$SINK_PORT" "$SIZE_MB" "$BODY_FILE" "$RUNS"
reference=$(measure raw_copy)
send=$(measure smtpcheck_send)
bench=$(measure smtpcheck_bench)

row() { # label "seconds rss" reference-seconds
  local seconds=${2% *} rss=${2#* }
  printf '%-40s %8.2f s %8.1f MB/s %6s %8s MB %s\n' "$1" "$seconds" "$(awk -v b="$BYTES" -v s="$seconds" 'BEGIN { print b / 1e6 / s }')" "$(ratio "${3}" "$seconds")" "$rss" \
    "$([ "$4" = budget ] && awk -v r="$rss" -v b="$BUDGET_MB" 'BEGIN { printf "(%.2f of the %d MB budget)", r / b, b }')"
}
printf '%-40s %10s %13s %6s %11s\n' "" "time" "throughput" "ratio" "peak RSS"
row "socat raw copy (reference)" "$reference" "${reference% *}" -
row "smtpcheck send --body @file" "$send" "${reference% *}" budget
row "smtpcheck bench -m 1 --size $BYTES" "$bench" "${reference% *}" budget
printf '\nratio = smtpcheck MB/s ÷ raw copy MB/s (goal: at least 0.5); budget: peak RSS under %s MB\n' "$BUDGET_MB"
exit 0
