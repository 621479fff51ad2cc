#!/usr/bin/env bash
# Check-suite latency against the real Postfix lab (test/lab), next to its references:
#   1. the full check suite against the secure MX (mta, 10025) vs the 3 s budget;
#   2. relay-test with every address form vs nmap --script +smtp-open-relay, on the
#      secure MX and on the open relay, with both verdicts side by side, and the queue
#      files a relay-test run makes Postfix open (each takes an in-flow token);
#   3. a suite config of TARGETS targets (the lab's services without a front,
#      repeated under different names) run concurrently vs the same targets one
#      after another (estimated from one run of each distinct service);
#   4. the full check suite (logged in, every check applicable) on each service of the
#      real Exim lab (test/lab/exim), with its verdict counts;
#   5. the check suite behind each front (postscreen, postgrey, address
#      verification, anvil, error limits, a client defer: docs/lab-postfix.md#fronts),
#      as a user facing it would run it, with its verdict counts.
#
#   bash bench/checks.sh
#   RUNS=3 TARGETS=50 MAX_CONNECTIONS=32 FRONT_RUNS=1 bash bench/checks.sh
#
# Starts the labs if $SMTPCHECK_LAB_DIR/lab.json or exim/lab.json is missing. Medians
# of RUNS runs (nmap: one run, it takes ~20 s; fronts: FRONT_RUNS). Measures, never
# asserts: exit 0.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

RUNS=${RUNS:-3}
TARGETS=${TARGETS:-50}
MAX_CONNECTIONS=${MAX_CONNECTIONS:-32}
LAB_DIR=${SMTPCHECK_LAB_DIR:-/tmp/smtpcheck-lab}
BUDGET_S=3

bench_need nmap
bench_build
[ -f "$LAB_DIR/lab.json" ] || bash "$BENCH_ROOT/test/lab/start.sh" >&2 || bench_fail "the Postfix lab did not start (bash test/lab/start.sh)"
lab() { node -e 'const lab = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")); console.log(eval(process.argv[2]))' "$LAB_DIR/lab.json" "$1"; }
CA=$(lab lab.caFile)
POSTFIX_LOG=$(lab lab.postfixLog)
MTA=$(lab lab.services.mta.port)
OPEN_RELAY=$(lab "lab.services['open-relay'].port")
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"; kill "${SINK_PID:-}" 2>/dev/null || true' EXIT

# Run smtpcheck with --json; prints "seconds exit-code", keeps the JSON in $WORK/last.json.
timed_smtpcheck() {
  local start end code=0
  start=$(now_ns)
  "${SMTPCHECK[@]}" "$@" --json >"$WORK/last.json" 2>"$WORK/last.err" || code=$?
  end=$(now_ns)
  echo "$(seconds_between "$start" "$end") $code"
}

bench_machine
printf 'Postfix lab in %s; medians of %s runs\n\n' "$LAB_DIR" "$RUNS"

# --- 1. full check suite ------------------------------------------------------
seconds=()
for run in $(seq "$RUNS"); do
  result=$(timed_smtpcheck check --server "127.0.0.1:$MTA" --tls-ca "$CA" --local-recipient john@example.org)
  seconds+=("${result% *}")
done
verdicts=$(node -e 'const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).result; const s = r.summary; console.log(`${s.total} checks: ${Object.entries(s).filter(([k]) => !["total", "durationMs"].includes(k)).map(([k, v]) => `${v} ${k}`).join(", ")}; slowest ${r.checks.sort((a, b) => b.durationMs - a.durationMs).slice(0, 2).map((c) => `${c.id} ${c.durationMs} ms`).join(", ")}`)' "$WORK/last.json")
suite=$(median "${seconds[@]}")
printf '1. check suite, mta 127.0.0.1:%s\n   smtpcheck check: %s s (runs: %s)   budget %s s   ratio to budget %s\n   %s\n\n' "$MTA" "$suite" "${seconds[*]}" "$BUDGET_S" "$(ratio "$suite" "$BUDGET_S")" "$verdicts"

# --- 2. relay-test vs nmap ------------------------------------------------------
# Queue files Postfix has opened so far: smtpd logs "QUEUEID: client=…" for each.
queue_files() { grep -cE 'smtpd\[[0-9]+\]: [0-9A-F]+: client=' "$POSTFIX_LOG" || true; }
relay_row() { # port label
  local port=$1 label=$2 times=() result nmap_start nmap_end nmap_seconds nmap_verdict ours_verdict files_before files_after
  files_before=$(queue_files)
  for run in $(seq "$RUNS"); do
    result=$(timed_smtpcheck relay-test --server "127.0.0.1:$port" --tls-ca "$CA" --local-recipient john@example.org)
    times+=("${result% *}")
  done
  sleep 1 # the log is written by postlogd, a moment later
  files_after=$(queue_files)
  ours_verdict=$(node -e 'const j = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")); const probes = j.result.checks.flatMap((c) => Array.isArray(c.details) ? c.details : []); const relayed = probes.filter((p) => p.outcome === "relayed").length; console.log(relayed > 0 ? `open relay (${relayed} of ${probes.length} forms relayed)` : `not an open relay (0 of ${probes.length} forms relayed)`)' "$WORK/last.json")
  nmap_start=$(now_ns)
  nmap -Pn -p "$port" --script +smtp-open-relay 127.0.0.1 >"$WORK/nmap.txt" 2>&1 || true
  nmap_end=$(now_ns)
  nmap_seconds=$(seconds_between "$nmap_start" "$nmap_end")
  nmap_verdict=$(grep -o 'smtp-open-relay: .*' "$WORK/nmap.txt" | head -1 | sed 's/^smtp-open-relay: //')
  printf '   %-22s nmap %6.2f s  smtpcheck %6.2f s (runs: %s)  ratio %s\n' "$label:$port" "$nmap_seconds" "$(median "${times[@]}")" "${times[*]}" "$(ratio "$nmap_seconds" "$(median "${times[@]}")")"
  printf '   %-22s nmap says: %s\n   %-22s smtpcheck says: %s\n' "" "${nmap_verdict:-?}" "" "$ours_verdict"
  printf '   %-22s queue files per smtpcheck run: %s\n' "" "$(awk -v a="$files_before" -v b="$files_after" -v n="$RUNS" 'BEGIN { printf "%.1f", (b - a) / n }')"
}
printf '2. relay-test (every address form) vs nmap --script +smtp-open-relay; ratio = nmap time / smtpcheck time (goal: 10 on the MX)\n'
relay_row "$MTA" mta
relay_row "$OPEN_RELAY" open-relay
printf '\n'

# --- 3. a suite of TARGETS targets ----------------------------------------------
node -e '
  const [labFile, count, maxConnections, out] = process.argv.slice(1);
  const lab = JSON.parse(require("fs").readFileSync(labFile, "utf8"));
  const names = Object.keys(lab.services).filter((name) => !lab.services[name].front);
  let yaml = `max-connections: ${maxConnections}\ntargets:\n`;
  for (let index = 0; index < Number(count); index += 1) {
    const name = names[index % names.length];
    const service = lab.services[name];
    yaml += `  - name: ${name}-${index}\n    server: 127.0.0.1:${service.port}\n    role: ${service.role}\n    tls-ca: ${lab.caFile}\n`;
    yaml += service.role === "mta" ? "    local-recipient: john@example.org\n" : "    local-domain: example.org\n";
  }
  require("fs").writeFileSync(out, yaml);
  // One target per distinct service, for the one-after-another estimate.
  require("fs").writeFileSync(out + ".services", names.slice(0, Math.min(names.length, Number(count))).map((name) => `${name} ${lab.services[name].port} ${lab.services[name].role}`).join("\n") + "\n");' \
  "$LAB_DIR/lab.json" "$TARGETS" "$MAX_CONNECTIONS" "$WORK/suite.yml"
seconds=()
for run in $(seq "$RUNS"); do
  result=$(timed_smtpcheck check --config "$WORK/suite.yml")
  seconds+=("${result% *}")
done
concurrent=$(median "${seconds[@]}")
sequential=0
while read -r name port role; do
  flags=(--role "$role")
  [ "$role" = mta ] && flags+=(--local-recipient john@example.org) || flags+=(--local-domain example.org)
  result=$(timed_smtpcheck check --server "127.0.0.1:$port" --tls-ca "$CA" "${flags[@]}")
  per_service=$(awk -v s="${result% *}" -v n="$(wc -l <"$WORK/suite.yml.services")" -v t="$TARGETS" 'BEGIN { print s * t / n }')
  sequential=$(awk -v a="$sequential" -v b="$per_service" 'BEGIN { printf "%.3f", a + b }')
done <"$WORK/suite.yml.services"
printf '3. check --config with %s targets (lab services repeated), max-connections %s\n' "$TARGETS" "$MAX_CONNECTIONS"
printf '   concurrently: %s s (runs: %s)   one after another (estimated): %s s   ratio %s\n' "$concurrent" "${seconds[*]}" "$sequential" "$(ratio "$sequential" "$concurrent")"

# --- 4. the check suite on each Exim service ---------------------------------------
EXIM_JSON="$LAB_DIR/exim/lab.json"
[ -f "$EXIM_JSON" ] || bash "$BENCH_ROOT/test/lab/exim/start.sh" >&2 || bench_fail "the Exim lab did not start (bash test/lab/exim/start.sh)"
printf '\n4. check suite per Exim lab service (Exim %s), logged in as john; medians of %s runs\n' \
  "$(node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).eximVersion)' "$EXIM_JSON")" "$RUNS"
node -e 'const lab = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")); for (const [name, s] of Object.entries(lab.services)) console.log(name, s.port, s.role)' "$EXIM_JSON" >"$WORK/exim.services"
while read -r name port role; do
  seconds=()
  for run in $(seq "$RUNS"); do
    result=$(SMTPCHECK_PASSWORD=summersun timed_smtpcheck check --server "127.0.0.1:$port" --role "$role" --tls-ca "$CA" \
      --local-recipient john@example.org --auth-user john@example.org --alias sales@example.org --other-sender lisa@example.org)
    seconds+=("${result% *}")
  done
  verdicts=$(node -e 'const s = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).result.summary; console.log(Object.entries(s).filter(([k, v]) => !["total", "durationMs"].includes(k) && v > 0).map(([k, v]) => `${v} ${k}`).join(", "))' "$WORK/last.json")
  printf '   %-24s %-12s %6s s (runs: %s)   %s\n' "$name" "$role" "$(median "${seconds[@]}")" "${seconds[*]}" "$verdicts"
done <"$WORK/exim.services"

# --- 5. behind each front ----------------------------------------------------------
# As a user facing the front would run it: the default control postmaster@ behind
# Debian's postgrey (its whitelist exempts it), --retry-deferred 4 behind the 3 s
# postgrey. The rate-limit pair has usually used up its hour (the health probe,
# earlier runs): then every check is inconclusive at once. postgrey remembers a
# sender/recipient pair, so only a first run after a rebuild waits for greylisting.
FRONT_RUNS=${FRONT_RUNS:-1}
printf '\n5. check suite behind each front (median of %s), verdict counts\n' "$FRONT_RUNS"
node -e 'const lab = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")); for (const [name, s] of Object.entries(lab.services)) if (s.front) console.log(`${name} ${s.port}`)' "$LAB_DIR/lab.json" >"$WORK/fronts"
while read -r name port; do
  flags=(--local-recipient john@example.org)
  case $name in
    greylist | greylist-relay) flags=(--local-domain example.org) ;;
    greylist-strict*) flags+=(--retry-deferred 4) ;;
  esac
  seconds=()
  for run in $(seq "$FRONT_RUNS"); do
    result=$(timed_smtpcheck check --server "127.0.0.1:$port" --tls-ca "$CA" "${flags[@]}")
    seconds+=("${result% *}")
  done
  counts=$(node -e 'const s = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).result.summary; console.log(Object.entries(s).filter(([k, v]) => !["total", "durationMs"].includes(k) && v > 0).map(([k, v]) => `${v} ${k}`).join(", "))' "$WORK/last.json")
  printf '   %-28s %6.2f s (runs: %s)  %s\n' "$name:$port" "$(median "${seconds[@]}")" "${seconds[*]}" "$counts"
done <"$WORK/fronts"
exit 0
