#!/usr/bin/env bash
# Install what the smtpcheck Postfix + Dovecot lab needs (Debian/Ubuntu, root).
#
#   bash test/lab/setup.sh
#
# Idempotent and fast (a few `command -v` look-ups) when everything is there.
# Installs postfix, dovecot-core, postgrey and openssl with apt-get,
# non-interactively, and makes sure the *system* Postfix, Dovecot and postgrey
# services are not left running: the lab runs its own private instances (see start.sh) and nothing
# may listen on port 25 because of us.
#
# texthash: maps (used by the lab so no postmap run is needed) are built into
# Postfix >= 3.0; nothing extra to install for them.
set -euo pipefail

log() { printf 'lab-setup: %s\n' "$*" >&2; }
die() { printf 'lab-setup: ERROR: %s\n' "$*" >&2; exit 1; }

# Binaries the lab uses, and the Debian package that provides each.
# postfix, postconf -> postfix; dovecot, doveadm -> dovecot-core; openssl -> openssl;
# postgrey (the greylisting policy server in front of the greylist-* services,
# with Debian's whitelists in /etc/postgrey) -> postgrey.
missing_packages() {
  local -a pkgs=()
  local bin
  for bin in postfix postconf; do
    if ! PATH="$PATH:/usr/sbin:/sbin" command -v "$bin" >/dev/null 2>&1; then pkgs+=(postfix); break; fi
  done
  for bin in dovecot doveadm; do
    if ! PATH="$PATH:/usr/sbin:/sbin" command -v "$bin" >/dev/null 2>&1; then pkgs+=(dovecot-core); break; fi
  done
  if ! command -v openssl >/dev/null 2>&1; then pkgs+=(openssl); fi
  if ! PATH="$PATH:/usr/sbin:/sbin" command -v postgrey >/dev/null 2>&1; then pkgs+=(postgrey); fi
  if ((${#pkgs[@]})); then printf '%s\n' "${pkgs[@]}"; fi
}

mapfile -t MISSING < <(missing_packages)
if ((${#MISSING[@]} == 0)); then
  exit 0 # fast path: everything installed
fi

[[ $(id -u) -eq 0 ]] || die "need root to install: ${MISSING[*]} (run: sudo bash $0)"
command -v apt-get >/dev/null 2>&1 || die "apt-get not found; install by hand: ${MISSING[*]}"

export DEBIAN_FRONTEND=noninteractive
# "No configuration": the postinst then writes no /etc/postfix/main.cf and
# does not configure a system mailer; the lab brings its own configuration.
echo 'postfix postfix/main_mailer_type select No configuration' | debconf-set-selections

# Keep maintainer scripts from starting the system daemons while installing
# (invoke-rc.d(8): a policy-rc.d exiting 101 forbids the action). Only add
# one if the machine has none (Docker images already ship one), and remove it
# again afterwards.
POLICY=/usr/sbin/policy-rc.d
OWN_POLICY=0
cleanup() { if ((OWN_POLICY)); then rm -f "$POLICY"; fi; }
trap cleanup EXIT
if [[ ! -e $POLICY ]]; then
  printf '#!/bin/sh\n# temporary, written by smtpcheck test/lab/setup.sh\nexit 101\n' >"$POLICY"
  chmod 755 "$POLICY"
  OWN_POLICY=1
fi

# DPkg::Lock::Timeout: wait for a concurrent apt/dpkg run instead of failing.
APT_INSTALL=(apt-get install -y -q --no-install-recommends -o DPkg::Lock::Timeout=300
  -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold)

lists_empty() {
  ! compgen -G '/var/lib/apt/lists/*_Packages*' >/dev/null
}

log "installing: ${MISSING[*]}"
if lists_empty; then
  log "apt package lists are empty; running apt-get update"
  apt-get update -q -o DPkg::Lock::Timeout=300 >&2 || die "apt-get update failed"
fi
if ! "${APT_INSTALL[@]}" "${MISSING[@]}" >&2; then
  log "install failed; retrying after apt-get update"
  apt-get update -q -o DPkg::Lock::Timeout=300 >&2 || die "apt-get update failed"
  "${APT_INSTALL[@]}" "${MISSING[@]}" >&2 || die "apt-get install ${MISSING[*]} failed"
fi

# If something started the system daemons anyway (a permissive policy-rc.d,
# or systemd), stop them and keep them from starting at boot: the lab uses
# private instances only, and a system Postfix would sit on port 25.
if [[ -d /run/systemd/system ]]; then
  systemctl disable --now postfix.service dovecot.service dovecot.socket postgrey.service >/dev/null 2>&1 || true
fi
if [[ -f /etc/postfix/main.cf ]] && postfix -c /etc/postfix status >/dev/null 2>&1; then
  log "stopping the system Postfix started by the package"
  postfix -c /etc/postfix stop >/dev/null 2>&1 || true
fi
if [[ -f /run/dovecot/master.pid ]] && kill -0 "$(cat /run/dovecot/master.pid)" 2>/dev/null; then
  log "stopping the system Dovecot started by the package"
  doveadm stop >/dev/null 2>&1 || kill "$(cat /run/dovecot/master.pid)" 2>/dev/null || true
fi

if [[ -f /run/postgrey.pid ]] && kill -0 "$(cat /run/postgrey.pid)" 2>/dev/null; then
  log "stopping the system postgrey started by the package"
  kill "$(cat /run/postgrey.pid)" 2>/dev/null || true
fi

mapfile -t STILL < <(missing_packages)
((${#STILL[@]} == 0)) || die "still missing after install: ${STILL[*]}"
log "done: Postfix $(postconf -d -h mail_version 2>/dev/null || echo "?"), Dovecot $(dovecot --version 2>/dev/null || echo "?")"
