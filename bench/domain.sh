#!/usr/bin/env bash
# `smtpcheck domain good.test` on the DNS lab: two MX, three addresses (one IPv6),
# DNSSEC, DANE, MTA-STS, TLS-RPT and every MTA check on each address, against the lab's
# real NSD + validating Unbound and the small MX and MTA-STS servers of
# test/domain-lab/lab-servers.ts (started here). Prints the median of RUNS runs, and
# the same run with only the domain checks, beside the 2 s budget (docs/domain.md).
#
#   bash bench/domain.sh                   # RUNS=5
#   SMTPCHECK_LAB_DIR=/tmp/x SMTPCHECK_LAB_PORT_OFFSET=30000 bash bench/domain.sh
#
# Starts the DNS lab if $SMTPCHECK_LAB_DIR/dns/dns-lab.json is missing (root).
# Measures, never asserts: exit 0.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

RUNS=${RUNS:-5}
LAB_DIR=${SMTPCHECK_LAB_DIR:-/tmp/smtpcheck-lab}
bench_build
[ -f "$LAB_DIR/dns/dns-lab.json" ] || bash "$BENCH_ROOT/test/lab/dns/start.sh" >&2 || bench_fail "the DNS lab did not start (bash test/lab/dns/start.sh)"
lab() { node -e 'const lab = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")); console.log(eval(process.argv[2]))' "$LAB_DIR/dns/dns-lab.json" "$1"; }
RESOLVER=$(lab lab.resolver)
CA=$(lab lab.certs.ca)

# The lab's MX and MTA-STS servers, for as long as this script runs.
SMTPCHECK_LAB_DIR="$LAB_DIR" node --input-type=module -e "
  const { dnsLab } = await import('$BENCH_ROOT/dist/test/domain-lab/dns-lab.js');
  const { startLabServers } = await import('$BENCH_ROOT/dist/test/domain-lab/lab-servers.js');
  await startLabServers(dnsLab());
  console.log('up');
  setInterval(() => undefined, 1 << 30);
" >"$LAB_DIR/dns/bench-servers.log" 2>&1 &
SERVERS=$!
trap 'kill "$SERVERS" 2>/dev/null || true' EXIT
for _ in $(seq 50); do grep -q up "$LAB_DIR/dns/bench-servers.log" 2>/dev/null && break; sleep 0.1; done
grep -q up "$LAB_DIR/dns/bench-servers.log" || bench_fail "the lab servers did not start (see $LAB_DIR/dns/bench-servers.log)"

DOMAIN_IDS=mx-records,mx-addresses,dnssec-signed,mta-sts-record,mta-sts-policy,tls-rpt-record,mx-reachable,dane-tlsa,mta-sts-mx-match
run() { # label, extra args...
  local label=$1 times=() start end i; shift
  for i in $(seq "$RUNS"); do
    start=$(now_ns)
    node "$BENCH_ROOT/bin/smtpcheck" domain good.test --resolver "$RESOLVER" --tls-ca "$CA" --only-addresses 127.0.0.0/8,::1/128 --quiet "$@" >/dev/null || bench_fail "smtpcheck domain good.test failed (run it by hand to see why)"
    end=$(now_ns)
    times+=("$(seconds_between "$start" "$end")")
  done
  printf '%-40s %6s s   (budget 2 s: %s)\n' "$label" "$(median "${times[@]}")" "$(ratio "$(median "${times[@]}")" 2)"
}

bench_machine
printf 'DNS lab in %s (resolver %s); medians of %s runs, process start included\n\n' "$LAB_DIR" "$RESOLVER" "$RUNS"
run 'domain good.test, every check'
run 'domain good.test, domain checks only' --checks "$DOMAIN_IDS"
