# Shared by the bench/*.sh scripts (sourced, not run). They measure and print; they
# never assert, and exit 0 once the figures are out (setup failures exit 1).

BENCH_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SMTPCHECK=(node "$BENCH_ROOT/bin/smtpcheck")
export PATH="$PATH:/usr/sbin:/sbin"
export NO_COLOR=1

bench_fail() {
  printf 'bench: %s\n' "$*" >&2
  exit 1
}

bench_need() {
  local tool
  for tool in "$@"; do
    command -v "$tool" >/dev/null 2>&1 || bench_fail "$tool is missing (apt-get install ${BENCH_PACKAGE[$tool]:-$tool})"
  done
}
declare -A BENCH_PACKAGE=([smtp-sink]=postfix [smtp-source]=postfix [nc]=netcat-openbsd [hyperfine]=hyperfine [nmap]=nmap [socat]=socat [/usr/bin/time]=time)

# Build once, so every run measures the current sources.
bench_build() {
  (cd "$BENCH_ROOT" && npm run --silent build >/dev/null 2>&1) || bench_fail "the TypeScript build failed (npm run build)"
}

bench_machine() {
  printf 'machine: %s CPUs, %s RAM, node %s, %s, %s\n' "$(nproc)" "$(free -h | awk '/^Mem:/ {print $2}')" "$(node --version)" \
    "Postfix $(dpkg-query -W -f '${Version}' postfix 2>/dev/null || echo '?')" "$(uname -sr)"
}

now_ns() { date +%s%N; }

# Seconds (3 decimals) between two now_ns values.
seconds_between() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", (b - a) / 1e9 }'; }

# Median of the numbers given as arguments.
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# a / b to two decimals.
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b == 0) print "n/a"; else printf "%.2f", a / b }'; }

# Run a command line that prints a `smtpcheck bench --json` report, and print its wall
# time in seconds; fail unless the report says every message was accepted.
timed_bench() { # command...
  local start end out
  out=$(mktemp)
  start=$(now_ns)
  "$@" >"$out" || true
  end=$(now_ns)
  node -e 'const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).result; if (r.messages.accepted !== r.parameters.messages) { console.error(`smtpcheck: only ${r.messages.accepted} of ${r.parameters.messages} accepted`); process.exit(1); }' "$out" || bench_fail "smtpcheck bench did not deliver every message (see above)"
  rm -f "$out"
  seconds_between "$start" "$end"
}

free_port() { node -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); })'; }

# Start smtp-sink on a free loopback port: sets SINK_PORT and SINK_PID; stopped on exit.
start_sink() {
  bench_need smtp-sink
  SINK_PORT=$(free_port)
  local privileges=()
  [ "$(id -u)" = 0 ] && privileges=(-u nobody)
  smtp-sink "${privileges[@]}" "$@" "127.0.0.1:$SINK_PORT" 1024 &
  SINK_PID=$!
  trap 'kill "$SINK_PID" 2>/dev/null' EXIT
  local attempt
  for attempt in $(seq 50); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$SINK_PORT") 2>/dev/null; then return 0; fi
    sleep 0.05
  done
  bench_fail "smtp-sink did not start on 127.0.0.1:$SINK_PORT"
}
