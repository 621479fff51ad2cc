#!/usr/bin/env bash
# Stop the smtpcheck lab's private Postfix, Dovecot and postgrey instances (and its HAProxy and
# dante, test/lab/proxy/) and make sure no process of the lab is left. Exit 0 when nothing was
# running.
#
#   bash test/lab/stop.sh        # same SMTPCHECK_LAB_DIR as start.sh
#
# Leaves the lab directory in place (CA, Maildirs, logs) but removes lab.json,
# whose presence means "the lab is up".
set -euo pipefail

export PATH="$PATH:/usr/sbin:/sbin"
say() { printf 'smtpcheck-lab: %s\n' "$*" >&2; }
fail() { printf 'smtpcheck-lab: FAILED: %s\n' "$*" >&2; exit 1; }

LAB_DIR="${SMTPCHECK_LAB_DIR:-/tmp/smtpcheck-lab}"
[[ $LAB_DIR == /* ]] || fail "SMTPCHECK_LAB_DIR must be an absolute path (got '$LAB_DIR')"
LAB_DIR="${LAB_DIR%/}"
QUEUE_DIR="$LAB_DIR/queue"
DC_RUN="$LAB_DIR/dovecot/run"

[[ $(id -u) -eq 0 ]] || fail "must run as root: sudo bash $0"

# start.sh holds the lock itself when it calls us. (No directory: nothing to
# lock, but a lab whose directory was deleted may still be running.)
if [[ -z ${SMTPCHECK_LAB_LOCKED:-} && -d $LAB_DIR ]] && command -v flock >/dev/null 2>&1; then
  exec 9>"$LAB_DIR/.lock"
  flock -w 120 9 || fail "timed out waiting for another start.sh/stop.sh on $LAB_DIR ($LAB_DIR/.lock)"
fi
rm -f "$LAB_DIR/lab.json" 2>/dev/null || true

# Pid from a pid file if alive and its working directory is in the lab.
live_pid() { # pidfile cwd-prefix
  local pid cwd
  [[ -r $1 ]] || return 1
  pid="$(tr -dc '0-9' <"$1")"
  [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null || return 1
  cwd="$(readlink "/proc/$pid/cwd" 2>/dev/null || true)"
  [[ $cwd == "$2"* ]] || return 1
  echo "$pid"
}

# Every live (non-zombie) Postfix or Dovecot process of THIS lab: its binary
# is Postfix's or Dovecot's, and it runs in the lab directory (Postfix daemons
# chdir to queue_directory), names the lab on its command line (dovecot -c
# .../dovecot.conf), or belongs to a lab master's session (both masters call
# setsid()). Other Postfix/Dovecot instances on the host are never matched.
lab_pids() {
  local sids=" $* " p pid exe cwd st state sid cmd
  for p in /proc/[0-9]*; do
    pid="${p#/proc/}"
    exe="$(readlink "$p/exe" 2>/dev/null)" || continue
    case "$exe" in
      /usr/lib/postfix/* | /usr/sbin/post* | /usr/sbin/dovecot | /usr/lib/dovecot/* | /usr/bin/doveadm) ;;
      *) continue ;;
    esac
    st="$(cat "$p/stat" 2>/dev/null)" || continue
    # Fields after "(comm)": state ppid pgrp session ...
    read -r state _ _ sid _ <<<"${st##*) }"
    [[ $state == Z ]] && continue # exited, only waiting to be reaped
    cwd="$(readlink "$p/cwd" 2>/dev/null || true)"
    cmd="$(tr '\0' ' ' <"$p/cmdline" 2>/dev/null || true)"
    if [[ $cwd == "$LAB_DIR"/* || $cmd == *"$LAB_DIR/"* || $sids == *" $sid "* ]]; then
      echo "$pid"
    fi
  done
}

# The lab's postgrey instances (start.sh, POSTGREYS): perl processes whose
# command line names a db directory of this lab.
postgrey_pids() {
  local p cmd
  for p in /proc/[0-9]*; do
    cmd="$(tr '\0' ' ' 2>/dev/null <"$p/cmdline")" || continue
    [[ $cmd == *postgrey*"--dbdir=$LAB_DIR/postgrey/"* ]] && echo "${p#/proc/}"
  done
  return 0
}
mapfile -t greys < <(postgrey_pids)
if ((${#greys[@]})); then kill -TERM "${greys[@]}" 2>/dev/null || true; fi

masters=()
if pf="$(live_pid "$QUEUE_DIR/pid/master.pid" "$QUEUE_DIR")"; then
  masters+=("$pf")
  # Orderly stop, as "postfix stop" does it: master(8) passes SIGTERM on to
  # its children and exits. (postfix-script then always sleeps a full second
  # before it looks again; we poll below instead, for both daemons at once.)
  kill -TERM "$pf" 2>/dev/null || true
fi
if dc="$(live_pid "$DC_RUN/master.pid" "$DC_RUN")"; then
  masters+=("$dc")
  # SIGTERM is Dovecot's documented shutdown; the master stops its children.
  kill -TERM "$dc" 2>/dev/null || true
fi

# Wait (up to 5 s) for everything to go, then kill what is left. Processes
# found without a master pid file (e.g. the lab directory was deleted) get
# their SIGTERM here.
mapfile -t left < <(lab_pids "${masters[@]}")
if ((${#masters[@]} == 0 && ${#left[@]} > 0)); then
  say "stopping lab processes without pid files: ${left[*]}"
  kill -TERM "${left[@]}" 2>/dev/null || true
fi
for ((i = 0; i < 50 && ${#left[@]} > 0; i++)); do
  sleep 0.1
  mapfile -t left < <(lab_pids "${masters[@]}")
done
if ((${#left[@]})); then
  say "killing leftover lab processes: ${left[*]}"
  kill -KILL "${left[@]}" 2>/dev/null || true
  sleep 0.2
  mapfile -t left < <(lab_pids "${masters[@]}")
  if ((${#left[@]})); then
    fail "lab processes still running: $(ps -o pid=,args= -p "$(
      IFS=,
      echo "${left[*]}"
    )" | tr '\n' ';')"
  fi
fi
for ((i = 0; i < 50; i++)); do
  mapfile -t greys < <(postgrey_pids)
  ((${#greys[@]})) || break
  ((i < 49)) || kill -KILL "${greys[@]}" 2>/dev/null || true
  sleep 0.1
done
mapfile -t greys < <(postgrey_pids)
((${#greys[@]} == 0)) || fail "lab postgrey still running: ${greys[*]}"
rm -f "$QUEUE_DIR/pid/master.pid" "$DC_RUN/master.pid" "$LAB_DIR"/postgrey/*.pid
# The lab's HAProxy and dante (test/lab/proxy/) serve this lab alone: they go with it,
# except on start.sh's rebuild, after which they still front the same ports. dante's
# system account stays (docs/lab-postfix.md#socks5-dante).
if [[ -z ${SMTPCHECK_LAB_LOCKED:-} ]]; then
  for proxy in haproxy dante; do
    SMTPCHECK_LAB_DIR="$LAB_DIR" bash "$(dirname "${BASH_SOURCE[0]}")/proxy/$proxy.sh" stop || fail "stopping the lab's $proxy failed"
  done
fi
if ((${#masters[@]})); then say "stopped the lab in $LAB_DIR"; fi
exit 0
