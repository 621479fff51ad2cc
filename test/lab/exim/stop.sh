#!/usr/bin/env bash
# Stop the smtpcheck Exim lab's daemons and make sure no process of the lab is
# left. Exit 0 when nothing was running.
#
#   bash test/lab/exim/stop.sh       # same SMTPCHECK_LAB_DIR as start.sh
#
# Leaves the lab directory in place (binary, spool, Maildirs, logs) but
# removes exim/lab.json, whose presence means "the Exim lab is up".
set -euo pipefail

say() { printf 'smtpcheck-exim-lab: %s\n' "$*" >&2; }
fail() { printf 'smtpcheck-exim-lab: FAILED: %s\n' "$*" >&2; exit 1; }

LAB_DIR="${SMTPCHECK_LAB_DIR:-/tmp/smtpcheck-lab}"
[[ $LAB_DIR == /* ]] || fail "SMTPCHECK_LAB_DIR must be an absolute path (got '$LAB_DIR')"
LAB_DIR="${LAB_DIR%/}"
EXIM_DIR="$LAB_DIR/exim"
EXIM="$EXIM_DIR/pkg/usr/sbin/exim4"

[[ $(id -u) -eq 0 ]] || fail "must run as root: sudo bash $0"

# start.sh holds the lock itself when it calls us.
if [[ -z ${SMTPCHECK_EXIM_LAB_LOCKED:-} && -d $EXIM_DIR ]] && command -v flock >/dev/null 2>&1; then
  exec 9>"$EXIM_DIR/.lock"
  flock -w 120 9 || fail "timed out waiting for another exim/start.sh or stop.sh on $EXIM_DIR ($EXIM_DIR/.lock)"
fi
rm -f "$EXIM_DIR/lab.json" 2>/dev/null || true

# Every live (non-zombie) process of THIS lab: its executable is this lab's
# own extracted binary (daemons, sessions, deliveries alike). Exim run from
# anywhere else -- another lab, a system exim4 -- is never matched.
# One find(1) over /proc, not a readlink per process: stop.sh polls this.
lab_pids() {
  local exe p st state
  while IFS= read -r exe; do
    p="${exe%/exe}"
    st="$(<"$p/stat")" 2>/dev/null || continue
    read -r state _ <<<"${st##*) }"
    [[ $state == Z ]] && continue
    echo "${p#/proc/}"
  done < <(find /proc/[0-9]*/exe -maxdepth 0 \( -lname "$EXIM" -o -lname "$EXIM (deleted)" \) 2>/dev/null)
}

mapfile -t left < <(lab_pids)
stopped=${#left[@]}
# SIGTERM is how an Exim daemon is stopped; sessions in progress get it too.
if ((${#left[@]})); then kill -TERM "${left[@]}" 2>/dev/null || true; fi
for ((i = 0; i < 50 && ${#left[@]} > 0; i++)); do
  sleep 0.1
  mapfile -t left < <(lab_pids)
done
if ((${#left[@]})); then
  say "killing leftover Exim lab processes: ${left[*]}"
  kill -KILL "${left[@]}" 2>/dev/null || true
  sleep 0.2
  mapfile -t left < <(lab_pids)
  if ((${#left[@]})); then
    fail "Exim lab processes still running: $(ps -o pid=,args= -p "$(
      IFS=,
      echo "${left[*]}"
    )" | tr '\n' ';')"
  fi
fi
rm -f "$EXIM_DIR"/run/*.pid 2>/dev/null || true
if ((stopped)); then say "stopped the Exim lab in $EXIM_DIR"; fi
exit 0
