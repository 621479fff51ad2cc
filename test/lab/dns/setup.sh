#!/usr/bin/env bash
# Install what the smtpcheck DNS lab needs (Debian/Ubuntu, root): NSD (the
# authoritative server), Unbound (the validating resolver), ldnsutils (keys and
# zone signing) and openssl. Idempotent; the system services are never started:
# the lab runs private instances under its own directory (start.sh).
set -euo pipefail
export PATH="$PATH:/usr/sbin:/sbin"
die() { printf 'dns-lab-setup: ERROR: %s\n' "$*" >&2; exit 1; }

missing=()
command -v nsd >/dev/null 2>&1 || missing+=(nsd)
command -v unbound >/dev/null 2>&1 || missing+=(unbound)
command -v ldns-signzone >/dev/null 2>&1 || missing+=(ldnsutils)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
((${#missing[@]})) || exit 0

[[ $(id -u) -eq 0 ]] || die "need root to install: ${missing[*]} (run: sudo bash $0)"
command -v apt-get >/dev/null 2>&1 || die "apt-get not found; install by hand: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# A policy-rc.d that exits 101 keeps the packages' maintainer scripts from
# starting the system nsd and unbound (invoke-rc.d(8)); added only if absent.
POLICY=/usr/sbin/policy-rc.d
OWN_POLICY=0
trap '((OWN_POLICY)) && rm -f "$POLICY"' EXIT
if [[ ! -e $POLICY ]]; then
  printf '#!/bin/sh\n# temporary, written by smtpcheck test/lab/dns/setup.sh\nexit 101\n' >"$POLICY"
  chmod 755 "$POLICY"
  OWN_POLICY=1
fi
apt-get install -y -q -o DPkg::Lock::Timeout=300 "${missing[@]}" >/dev/null ||
  { apt-get update -q -o DPkg::Lock::Timeout=300 >/dev/null && apt-get install -y -q -o DPkg::Lock::Timeout=300 "${missing[@]}" >/dev/null; } ||
  die "apt-get install ${missing[*]} failed"
