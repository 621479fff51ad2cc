#!/usr/bin/env bash
# Start the smtpcheck Exim lab (root, Debian/Ubuntu).
#
#   bash test/lab/exim/start.sh       # from any directory
#   SMTPCHECK_LAB_DIR=/tmp/x SMTPCHECK_LAB_PORT_OFFSET=100 bash test/lab/exim/start.sh
#
# Runs one private Exim daemon per lab service, all on 127.0.0.1, from the
# Exim binary that setup.sh extracts under $SMTPCHECK_LAB_DIR/exim (default
# lab directory /tmp/smtpcheck-lab, shared with the Postfix lab: same CA,
# separate everything else). Waits until every service greets, then writes
# $SMTPCHECK_LAB_DIR/exim/lab.json for the tests. Idempotent: a running,
# healthy lab built by the same scripts is left alone (fast path); anything
# else is stopped and rebuilt.
#
# Mail never leaves the machine: loopback listeners only, no DNS, no ident,
# no smtp transport; mail for any domain but example.org is :blackhole:d.
# See docs/lab-exim.md for the services and their flaws.
set -euo pipefail
umask 022

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
export PATH="$PATH:/usr/sbin:/sbin"

say() { printf 'smtpcheck-exim-lab: %s\n' "$*" >&2; }
fail() {
  rm -f "${EXIM_DIR:-/nonexistent}/lab.json" 2>/dev/null || true
  printf 'smtpcheck-exim-lab: FAILED: %s\n' "$*" >&2
  exit 1
}

# --- Parameters ------------------------------------------------------------
LAB_DIR="${SMTPCHECK_LAB_DIR:-/tmp/smtpcheck-lab}"
# The value ends up unquoted in exim.conf, so keep it to a safe character set.
[[ $LAB_DIR =~ ^/[A-Za-z0-9._/-]+$ ]] || fail "SMTPCHECK_LAB_DIR must be an absolute path of A-Z a-z 0-9 . _ - / (got '$LAB_DIR')"
LAB_DIR="${LAB_DIR%/}"
[[ $LAB_DIR != / && $LAB_DIR != /tmp && $LAB_DIR != /var ]] || fail "refusing to use $LAB_DIR as the lab directory"
OFFSET="${SMTPCHECK_LAB_PORT_OFFSET:-0}"
[[ $OFFSET =~ ^[0-9]{1,5}$ ]] || fail "SMTPCHECK_LAB_PORT_OFFSET must be a non-negative integer (got '$OFFSET')"
OFFSET=$((10#$OFFSET))

# name|base port|role|tls|macro|flaw (empty = secure). The macro switches the
# flaw on in templates/exim.conf.in; tls: starttls, implicit or none. The
# names never clash with the Postfix lab's.
SERVICES=(
  "exim-mta|21025|mta|starttls||"
  "exim-submission|21587|submission|starttls||"
  "exim-submissions|21465|submissions|implicit||"
  "exim-open-relay|21125|mta|starttls|FLAW_OPEN_RELAY|open relay: relay_from_hosts = 127.0.0.0/8"
  "exim-plaintext-auth|21225|mta|starttls|FLAW_AUTH_BEFORE_TLS|AUTH before TLS: auth_advertise_hosts = *"
  "exim-submission-no-tls|21687|submission|starttls|FLAW_AUTH_BEFORE_TLS|TLS not required on submission: auth_advertise_hosts = *"
  "exim-spoofable|21787|submission|starttls|FLAW_SPOOFABLE|sender spoofing: no \$authenticated_id check in acl_smtp_mail"
  "exim-vrfy|21325|mta|starttls|FLAW_VRFY|user enumeration: acl_smtp_vrfy = accept"
  "exim-expn|21425|mta|starttls|FLAW_EXPN|alias expansion: acl_smtp_expn = accept"
  "exim-no-starttls|21525|mta|none|FLAW_NO_STARTTLS|no STARTTLS: tls_advertise_hosts = (empty)"
  "exim-verify-sender|21825|mta|starttls|VERIFYSENDER|"
  "exim-verify-sender-relay|21925|mta|starttls|RELAYVS|open relay behind sender verification: relay_from_hosts = 127.0.0.0/8, require verify = sender"
)

EXIM_DIR="$LAB_DIR/exim"
EXIM="$EXIM_DIR/pkg/usr/sbin/exim4"
CONF_DIR="$EXIM_DIR/conf"
RUN_DIR="$EXIM_DIR/run"
LOG_DIR="$EXIM_DIR/log"
MAIN_LOG="$LOG_DIR/mainlog"
PANIC_LOG="$LOG_DIR/paniclog"
MAIL_DIR="$EXIM_DIR/mail"
TLS_DIR="$LAB_DIR/tls" # shared with the Postfix lab (../tls.sh)
HOSTNAME_FQDN=mail.example.org
WRONG_NAME=other.example.net # tls.sh makes the Postfix lab's certificates too
DOMAIN=example.org
EXIM_USER=Debian-exim

[[ $(id -u) -eq 0 ]] || fail "must run as root (each Exim daemon starts as root and runs sessions as $EXIM_USER): sudo bash $0"

# --- Packages ----------------------------------------------------------------
bash "$HERE/setup.sh" || fail "package setup failed (see the output of test/lab/exim/setup.sh above)"
[[ -x $EXIM ]] || fail "no Exim binary at $EXIM after test/lab/exim/setup.sh"
EXIM_VERSION="$(cat "$EXIM_DIR/pkg/VERSION")"

port_of() { echo $(($1 + OFFSET)); } # base -> port
field() { # name index -> that field of the service's entry
  local entry
  for entry in "${SERVICES[@]}"; do
    if [[ ${entry%%|*} == "$1" ]]; then cut -d'|' -f"$2" <<<"$entry"; return 0; fi
  done
  return 1
}
service_port() { port_of "$(field "$1" 2)"; }
for entry in "${SERVICES[@]}"; do
  IFS='|' read -r _name base _rest <<<"$entry"
  (($(port_of "$base") <= 65535)) || fail "SMTPCHECK_LAB_PORT_OFFSET=$OFFSET pushes port $base past 65535"
done

fingerprint() {
  {
    cat "$HERE"/*.sh "$HERE"/../{tls,probes,lab-json}.sh "$HERE"/templates/*.in
    printf '%s\n' "$LAB_DIR" "$OFFSET" "$EXIM_VERSION"
  } | sha256sum | cut -d' ' -f1
}
FINGERPRINT="$(fingerprint)"

# --- Serialise concurrent start/stop runs -------------------------------------
mkdir -p "$EXIM_DIR"
chmod 755 "$LAB_DIR" "$EXIM_DIR"
if command -v flock >/dev/null 2>&1; then
  exec 9>"$EXIM_DIR/.lock"
  flock -w 120 9 || fail "timed out waiting for another exim/start.sh or stop.sh on $EXIM_DIR ($EXIM_DIR/.lock)"
fi
export SMTPCHECK_EXIM_LAB_LOCKED=1 # stop.sh, called below, must not wait for our lock

# --- Probes -------------------------------------------------------------------
# pid from a pid file, if that process is alive and runs this lab's binary.
daemon_pid() { # name
  local pid exe
  [[ -r $RUN_DIR/$1.pid ]] || return 1
  pid="$(tr -dc '0-9' <"$RUN_DIR/$1.pid")"
  [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null || return 1
  exe="$(readlink "/proc/$pid/exe" 2>/dev/null || true)"
  [[ $exe == "$EXIM" ]] || return 1
  echo "$pid"
}
all_daemons_alive() {
  local entry
  for entry in "${SERVICES[@]}"; do daemon_pid "${entry%%|*}" >/dev/null || return 1; done
}

# shellcheck source=../probes.sh
source "$HERE/../probes.sh"

# The names of the services that do not greet (none: all up).
services_not_greeting() {
  local entry name base role tls i pids=() names=()
  for entry in "${SERVICES[@]}"; do
    IFS='|' read -r name base role tls _ <<<"$entry"
    if [[ $tls == implicit ]]; then
      tls_greets "$(port_of "$base")" -CAfile "$TLS_DIR/ca.pem" -verify_hostname "$HOSTNAME_FQDN" &
      pids+=("$!")
      names+=("$name")
    else
      smtp_greets "$(port_of "$base")" || echo "$name"
    fi
  done
  for i in "${!pids[@]}"; do
    wait "${pids[$i]}" || echo "${names[$i]}"
  done
}

# End-to-end AUTH check (plaintext authenticator -> passwd lookup -> crypteq):
# john logs in (smtp_auth_ok) on the one MTA that offers AUTH without TLS.
AUTH_PORT_SERVICE=exim-plaintext-auth

healthy() {
  [[ -s $EXIM_DIR/lab.json && -r $EXIM_DIR/.fingerprint ]] || return 1
  [[ "$(cat "$EXIM_DIR/.fingerprint")" == "$FINGERPRINT" ]] || return 1
  all_daemons_alive || return 1
  [[ -z "$(services_not_greeting)" ]] || return 1
  smtp_auth_ok "$(service_port "$AUTH_PORT_SERVICE")"
}

if healthy; then
  say "already running and healthy: $EXIM_DIR/lab.json"
  exit 0
fi

# --- (Re)build ---------------------------------------------------------------
if [[ -e $EXIM_DIR/lab.json ]]; then
  say "stale or outdated Exim lab in $EXIM_DIR: stopping it and rebuilding"
fi
bash "$HERE/stop.sh" >/dev/null || fail "could not stop the old Exim lab (bash $HERE/stop.sh)"
rm -f "$EXIM_DIR/lab.json" "$EXIM_DIR/.fingerprint"

for entry in "${SERVICES[@]}"; do
  IFS='|' read -r name base _ <<<"$entry"
  port="$(port_of "$base")"
  if port_busy "$port"; then
    fail "port $port (Exim lab service '$name') is already in use by another program; see: ss -ltnp 'sport = :$port' (or set SMTPCHECK_LAB_PORT_OFFSET)"
  fi
done

# Exim checks that its configuration is owned by root and writable by nobody
# else; the session processes (Debian-exim) write the spool, the logs and the
# Maildirs, and read the lookup files and the server key.
# The spool starts empty: no queue runner would ever deliver what a previous run left.
rm -rf "$CONF_DIR" "$RUN_DIR" "$EXIM_DIR/tls" "$EXIM_DIR/spool"
mkdir -p "$CONF_DIR" "$RUN_DIR" "$LOG_DIR" "$EXIM_DIR/spool" "$EXIM_DIR/tls" "$TLS_DIR"
for user in john lisa; do
  for sub in cur new tmp; do mkdir -p "$MAIL_DIR/$DOMAIN/$user/$sub"; done
done
chown -R "$EXIM_USER:$EXIM_USER" "$LOG_DIR" "$EXIM_DIR/spool" "$MAIL_DIR" "$EXIM_DIR/tls"
chmod 755 "$CONF_DIR" "$MAIL_DIR"
chmod 750 "$EXIM_DIR/spool" "$EXIM_DIR/tls"
if command -v runuser >/dev/null 2>&1; then
  runuser -u "$EXIM_USER" -- test -x "$EXIM_DIR/spool" ||
    fail "user '$EXIM_USER' cannot enter $EXIM_DIR/spool; make the parent directories of $LAB_DIR world-searchable or choose another SMTPCHECK_LAB_DIR"
fi

# --- TLS: the lab CA and server certificate, shared with the Postfix lab -------
# The Postfix lab may be building the same files right now: take its lock.
if command -v flock >/dev/null 2>&1 && [[ -z ${SMTPCHECK_LAB_LOCKED:-} ]]; then
  exec 8>"$LAB_DIR/.lock"
  flock -w 120 8 || fail "timed out waiting for the Postfix lab's start.sh/stop.sh on $LAB_DIR ($LAB_DIR/.lock)"
fi
chmod 700 "$TLS_DIR" # while keys are made; ensure_tls opens it again for the CA
# shellcheck source=../tls.sh
source "$HERE/../tls.sh"
ensure_tls
exec 8>&-
# A copy the session processes can read (the shared key is root's only).
install -m 600 -o "$EXIM_USER" -g "$EXIM_USER" "$TLS_DIR/server.key" "$EXIM_DIR/tls/server.key"
install -m 644 -o "$EXIM_USER" -g "$EXIM_USER" "$TLS_DIR/server.pem" "$EXIM_DIR/tls/server.pem"

# --- Lookup files (the Postfix lab's users, alias and sender ownership) ------------
# passwd: "login: {crypt}hash" for crypteq in the authenticators.
{
  printf 'john@example.org: {crypt}%s\n' "$(openssl passwd -6 summersun)"
  printf 'lisa@example.org: {crypt}%s\n' "$(openssl passwd -6 winterrain)"
} >"$EXIM_DIR/passwd.tmp"
chown "root:$EXIM_USER" "$EXIM_DIR/passwd.tmp"
chmod 640 "$EXIM_DIR/passwd.tmp"
mv "$EXIM_DIR/passwd.tmp" "$EXIM_DIR/passwd"
# Local parts with a Maildir (the mailboxes router): local part -> Maildir name.
printf 'john: john\nlisa: lisa\n' >"$EXIM_DIR/mailboxes"
# Aliases of example.org: postmaster@ and abuse@ (RFC 5321 4.5.1, RFC 2142), and sales@.
cat >"$EXIM_DIR/aliases" <<'EOF'
sales:       john@example.org
postmaster:  john@example.org
abuse:       john@example.org
EOF
# MAIL FROM address -> the login that owns it (besides its own address).
cat >"$EXIM_DIR/sender_login" <<'EOF'
sales@example.org:  john@example.org
EOF

# --- Exim configuration: one file per service --------------------------------------
for entry in "${SERVICES[@]}"; do
  IFS='|' read -r name base role tls macro _flaw <<<"$entry"
  conf="$CONF_DIR/$name.conf"
  {
    printf '# service %s (%s)\n' "$name" "$role"
    if [[ $role == submission* ]]; then printf 'ROLE_SUBMISSION = yes\n'; fi
    if [[ $tls == implicit ]]; then printf 'TLS_ON_CONNECT = yes\n'; fi
    if [[ -n $macro ]]; then printf '%s = yes\n' "$macro"; fi
    sed -e "s|@EXIM_DIR@|$EXIM_DIR|g" -e "s|@TLS_DIR@|$EXIM_DIR/tls|g" -e "s|@MAIL_DIR@|$MAIL_DIR|g" \
      -e "s|@PORT@|$(port_of "$base")|g" -e "s|@SERVICE@|$name|g" -e "s|@EXIM@|$EXIM|g" "$HERE/templates/exim.conf.in"
  } >"$conf.tmp"
  if grep -q '@[A-Z_]*@' "$conf.tmp"; then
    fail "unreplaced placeholder in $conf: $(grep -o '@[A-Z_]*@' "$conf.tmp" | head -1)"
  fi
  chmod 644 "$conf.tmp"
  mv "$conf.tmp" "$conf"
  # -bV reads the whole file and reports the first error: fail before starting.
  if ! out="$("$EXIM" -C "$conf" -bV 2>&1 </dev/null)"; then
    fail "Exim rejects $conf: $(grep -m1 -iE 'error|fail' <<<"$out" || head -1 <<<"$out")"
  fi
done

# --- Start ---------------------------------------------------------------------------
lines_of() { if [[ -r $1 ]]; then wc -l <"$1"; else echo 0; fi; }
# The first panic, else the first error-like line a log gained since line $2.
problem_since() { # log-file start-line
  local new
  new="$(tail -n +"$(($2 + 1))" "$1" 2>/dev/null || true)"
  grep -m1 -iE 'panic|failed|error|refused|cannot' <<<"$new" || echo "no error logged"
}
main_mark="$(lines_of "$MAIN_LOG")"
panic_mark="$(lines_of "$PANIC_LOG")"

for entry in "${SERVICES[@]}"; do
  IFS='|' read -r name _ <<<"$entry"
  # -bd: daemon (it detaches itself); -oP: its pid file. fd 9 (our lock) is
  # closed so the daemon does not hold the lock after we exit.
  if ! "$EXIM" -C "$CONF_DIR/$name.conf" -bd -oP "$RUN_DIR/$name.pid" </dev/null >/dev/null 2>"$RUN_DIR/$name.err" 9>&-; then
    fail "Exim daemon for '$name' did not start: $(grep -m1 . "$RUN_DIR/$name.err" 2>/dev/null || problem_since "$PANIC_LOG" "$panic_mark") (log: $MAIN_LOG)"
  fi
done

deadline=$((SECONDS + 10))
until down="$(services_not_greeting)"; [[ -z $down ]]; do
  if ((SECONDS >= deadline)); then
    name="${down%%$'\n'*}"
    why="$(problem_since "$PANIC_LOG" "$panic_mark")"
    [[ $why != "no error logged" ]] || why="$(problem_since "$MAIN_LOG" "$main_mark")"
    if [[ $(field "$name" 4) == implicit ]]; then
      fail "Exim service '$name' on 127.0.0.1:$(service_port "$name") gives no TLS handshake + 220 (verified against $TLS_DIR/ca.pem): $why (log: $MAIN_LOG)"
    fi
    fail "Exim service '$name' on 127.0.0.1:$(service_port "$name") does not answer 220: $why (log: $MAIN_LOG)"
  fi
  sleep 0.1
done
all_daemons_alive || fail "an Exim daemon exited after it started: $(problem_since "$PANIC_LOG" "$panic_mark") (log: $MAIN_LOG)"

until smtp_auth_ok "$(service_port "$AUTH_PORT_SERVICE")"; do
  if ((SECONDS >= deadline)); then
    fail "SMTP AUTH does not work (john@example.org on the $AUTH_PORT_SERVICE service): $(problem_since "$MAIN_LOG" "$main_mark") (log: $MAIN_LOG)"
  fi
  sleep 0.1
done

# --- lab.json ---------------------------------------------------------------------------
# Written last, atomically: its presence means "the Exim lab is up". Same
# shape as the Postfix lab's (src/lab/lab-description.ts).
# shellcheck source=../lab-json.sh
source "$HERE/../lab-json.sh"
for entry in "${SERVICES[@]}"; do
  IFS='|' read -r name base role tls _macro flaw <<<"$entry"
  printf '%s|%s|%s|%s|%s\n' "$name" "$(port_of "$base")" "$role" "$tls" "$flaw"
done | write_lab_json "$EXIM_DIR/lab.json" "$EXIM_DIR" "$MAIL_DIR/$DOMAIN" "eximVersion=$EXIM_VERSION" "eximLog=$MAIN_LOG"
echo "$FINGERPRINT" >"$EXIM_DIR/.fingerprint"

say "running: Exim $EXIM_VERSION, ${#SERVICES[@]} daemons; $EXIM_DIR/lab.json"
