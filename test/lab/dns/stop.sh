#!/usr/bin/env bash
# Stop the smtpcheck DNS lab's private NSD and Unbound (same SMTPCHECK_LAB_DIR as
# start.sh). Exit 0 when nothing was running. Leaves the directory in place but
# removes dns-lab.json, whose presence means "the DNS lab is up".
set -euo pipefail
LAB_DIR="${SMTPCHECK_LAB_DIR:-/tmp/smtpcheck-lab}"
[[ $LAB_DIR == /* ]] || { echo "dns-lab: SMTPCHECK_LAB_DIR must be an absolute path" >&2; exit 1; }
DNS_DIR="${LAB_DIR%/}/dns"
rm -f "$DNS_DIR/dns-lab.json" 2>/dev/null || true

# Only a pid whose command line names this lab's own config file is ours.
stop_daemon() { # pidfile config-file
  local pid i
  [[ -r $1 ]] || return 0
  pid="$(tr -dc '0-9' <"$1")"
  [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null || return 0
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$2" || return 0
  kill "$pid"
  for i in $(seq 50); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null || true
}
stop_daemon "$DNS_DIR/unbound.pid" "$DNS_DIR/unbound.conf"
stop_daemon "$DNS_DIR/nsd.pid" "$DNS_DIR/nsd.conf"
