#!/usr/bin/env bash
# The one command that runs every test: unit, scripted fake servers, the embedded lab,
# and end-to-end tests against the real-server labs that this script starts (installing
# the Debian packages if they are missing) and stops again afterwards: Postfix + Dovecot
# (test/lab) and Exim (test/lab/exim).
#
# SMTPCHECK_SKIP_POSTFIX_LAB=1 leaves both real-server labs out (for machines without
# root or apt). It is the only way to skip those tests, and the run says so loudly.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

npm run --silent build || { echo "run-all: TypeScript build failed" >&2; exit 1; }
# Every `smtpcheck domain` run of the tests contacts loopback only, whatever a zone
# says (docs/domain.md#address-guard); a test that needs no guard clears it itself.
export SMTPCHECK_ONLY_ADDRESSES=127.0.0.0/8,::1/128

test_dirs=(dist/test/core dist/test/fuzz dist/test/architecture dist/test/options dist/test/cli dist/test/outcome dist/test/lab dist/test/checks dist/test/render dist/test/domain)
lab_started=0
if [ "${SMTPCHECK_SKIP_POSTFIX_LAB:-}" = "1" ]; then
  printf '\n!!! SMTPCHECK_SKIP_POSTFIX_LAB=1: the real Postfix and Exim lab tests are NOT run. Verdicts are unproven on a real server. !!!\n\n' >&2
else
  if ! bash test/lab/start.sh; then
    echo "run-all: the Postfix lab did not start (see the line above); set SMTPCHECK_SKIP_POSTFIX_LAB=1 to run without it" >&2
    exit 1
  fi
  lab_started=1
  if ! bash test/lab/exim/start.sh; then
    echo "run-all: the Exim lab did not start (see the line above); set SMTPCHECK_SKIP_POSTFIX_LAB=1 to run without the real-server labs" >&2
    bash test/lab/stop.sh >/dev/null 2>&1 || true
    exit 1
  fi
  # A real HAProxy in front of the lab's PROXY protocol service, and dante SOCKS5 servers (issue 15).
  if ! bash test/lab/proxy/haproxy.sh start || ! bash test/lab/proxy/dante.sh start; then
    echo "run-all: the lab's HAProxy or dante did not start (see the line above)" >&2
    bash test/lab/proxy/haproxy.sh stop
    bash test/lab/proxy/dante.sh stop
    bash test/lab/exim/stop.sh >/dev/null 2>&1 || true
    bash test/lab/stop.sh >/dev/null 2>&1 || true
    exit 1
  fi
  # The REPL tests drive a real pseudo-terminal through tmux, against the lab.
  if ! command -v tmux >/dev/null 2>&1; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q tmux >/dev/null 2>&1 ||
      { apt-get update -q >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q tmux >/dev/null 2>&1; } ||
      { echo "run-all: tmux is missing and could not be installed (apt-get install tmux)" >&2; exit 1; }
  fi
  # smtp-sink, for the bench tests, comes with the postfix package the lab installs.
  test_dirs+=(dist/test/e2e dist/test/repl dist/test/bench)
fi

# The DNS lab (NSD + validating Unbound, test/lab/dns/) for `smtpcheck domain`.
dns_lab_started=0
if [ "${SMTPCHECK_SKIP_DNS_LAB:-}" = "1" ]; then
  printf '\n!!! SMTPCHECK_SKIP_DNS_LAB=1: the real DNS lab tests (smtpcheck domain) are NOT run. !!!\n\n' >&2
else
  if ! bash test/lab/dns/start.sh; then
    echo "run-all: the DNS lab did not start (see the line above); set SMTPCHECK_SKIP_DNS_LAB=1 to run without it" >&2
    [ "$lab_started" = 1 ] && [ "${SMTPCHECK_KEEP_LAB:-}" != "1" ] && bash test/lab/stop.sh >/dev/null 2>&1
    exit 1
  fi
  dns_lab_started=1
  test_dirs+=(dist/test/domain-lab)
fi

existing=()
for dir in "${test_dirs[@]}"; do [ -d "$dir" ] && existing+=("$dir"); done
node --test --test-concurrency=2 "${existing[@]}"
status=$?

if [ "$lab_started" = 1 ] && [ "${SMTPCHECK_KEEP_LAB:-}" != "1" ]; then
  bash test/lab/exim/stop.sh >/dev/null 2>&1 || echo "run-all: stopping the Exim lab failed" >&2
  bash test/lab/proxy/haproxy.sh stop || echo "run-all: stopping the lab's HAProxy failed" >&2
  bash test/lab/proxy/dante.sh stop || echo "run-all: stopping the lab's dante failed" >&2
  bash test/lab/stop.sh >/dev/null 2>&1 || echo "run-all: stopping the Postfix lab failed" >&2
fi
if [ "$dns_lab_started" = 1 ] && [ "${SMTPCHECK_KEEP_LAB:-}" != "1" ]; then
  bash test/lab/dns/stop.sh >/dev/null 2>&1 || echo "run-all: stopping the DNS lab failed" >&2
fi
exit "$status"
