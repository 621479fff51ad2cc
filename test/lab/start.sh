#!/usr/bin/env bash
# Start the smtpcheck Postfix + Dovecot lab (root, Debian/Ubuntu).
#
#   bash test/lab/start.sh            # from any directory
#   SMTPCHECK_LAB_DIR=/tmp/x SMTPCHECK_LAB_PORT_OFFSET=100 bash test/lab/start.sh
#
# Builds a private Postfix instance (one smtpd per lab service, all on
# 127.0.0.1) and a private Dovecot (SASL auth only) under $SMTPCHECK_LAB_DIR
# (default /tmp/smtpcheck-lab), starts them, waits until every service greets,
# and writes $SMTPCHECK_LAB_DIR/lab.json for the tests. Idempotent: a running,
# healthy lab built by the same scripts is left alone (fast path); anything
# else is stopped and rebuilt. The lab CA and certificate are reused.
#
# Mail never leaves the machine: loopback listeners only, no DNS, no SMTP
# client in master.cf, and every non-local destination is discard(8).
# See docs/lab-postfix.md for the services and their flaws.
set -euo pipefail
umask 022

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
export PATH="$PATH:/usr/sbin:/sbin"

say() { printf 'smtpcheck-lab: %s\n' "$*" >&2; }
fail() {
  rm -f "${LAB_DIR:-/nonexistent}/lab.json" 2>/dev/null || true
  printf 'smtpcheck-lab: FAILED: %s\n' "$*" >&2
  exit 1
}

# --- Parameters ------------------------------------------------------------
LAB_DIR="${SMTPCHECK_LAB_DIR:-/tmp/smtpcheck-lab}"
# Postfix needs absolute paths everywhere (postfix -c with a relative
# directory fails without a message). The value also ends up unquoted in
# main.cf and dovecot.conf, so keep it to a safe character set.
[[ $LAB_DIR == /* ]] || fail "SMTPCHECK_LAB_DIR must be an absolute path (got '$LAB_DIR')"
[[ $LAB_DIR =~ ^/[A-Za-z0-9._/-]+$ ]] || fail "SMTPCHECK_LAB_DIR may only contain A-Z a-z 0-9 . _ - / (got '$LAB_DIR')"
LAB_DIR="${LAB_DIR%/}"
[[ $LAB_DIR != / && $LAB_DIR != /tmp && $LAB_DIR != /var ]] || fail "refusing to use $LAB_DIR as the lab directory"
OFFSET="${SMTPCHECK_LAB_PORT_OFFSET:-0}"
[[ $OFFSET =~ ^[0-9]{1,5}$ ]] || fail "SMTPCHECK_LAB_PORT_OFFSET must be a non-negative integer (got '$OFFSET')"
OFFSET=$((10#$OFFSET)) # "08" is not octal here

# name|base port|role|tls|flaw (empty = secure)|front (empty = none). tls:
# starttls, implicit (TLS from the first byte) or none. front: what stands
# before smtpd (postscreen, a policy server, a limit); each front has a secure
# twin and an open-relay twin (docs/lab-postfix.md, "Fronts"). Keep in step
# with templates/master.cf.in (start.sh checks that every port is configured).
SERVICES=(
  "mta|10025|mta|starttls|"
  "submission|10587|submission|starttls|"
  "submissions|10465|submissions|implicit|"
  "open-relay|11025|mta|starttls|open relay: mynetworks=127.0.0.0/8"
  "plaintext-auth|12025|mta|starttls|AUTH before TLS: smtpd_tls_auth_only=no"
  "submission-no-tls|12587|submission|starttls|TLS not required on submission: smtpd_tls_security_level=may, smtpd_tls_auth_only=no"
  "spoofable|13587|submission|starttls|sender spoofing: no reject_sender_login_mismatch in smtpd_sender_restrictions"
  "vrfy|14025|mta|starttls|user enumeration: disable_vrfy_command=no"
  "smuggling|15025|mta|starttls|SMTP smuggling: smtpd_forbid_bare_newline=no, smtpd_forbid_unauth_pipelining=no"
  "no-starttls|16025|mta|none|no STARTTLS: smtpd_tls_security_level= (empty)"
  "submission-weak-tls|17587|submission|starttls|weak TLS: TLSv1/TLSv1.1 and aNULL accepted (Postfix defaults)"
  "submissions-untrusted|18465|submissions|implicit|certificate not trusted: self-signed"
  "submissions-wrong-name|19465|submissions|implicit|certificate name mismatch"
  "submissions-expired|20465|submissions|implicit|certificate expired"
  "postscreen-deep|22025|mta|starttls||postscreen: pregreet and deep protocol tests"
  "postscreen-deep-relay|22125|mta|starttls|open relay: mynetworks=127.0.0.0/8|postscreen: pregreet and deep protocol tests"
  "postscreen-greet|22225|mta|starttls||postscreen: multi-line pregreet banner only"
  "postscreen-greet-relay|22325|mta|starttls|open relay: mynetworks=127.0.0.0/8|postscreen: multi-line pregreet banner only"
  "greylist|22425|mta|starttls||postgrey as Debian ships it (whitelists, 300 s delay)"
  "greylist-relay|22525|mta|starttls|open relay: mynetworks=127.0.0.0/8|postgrey as Debian ships it (whitelists, 300 s delay)"
  "greylist-strict|22625|mta|starttls||postgrey (delay 3 s), no whitelists"
  "greylist-strict-relay|22725|mta|starttls|open relay: mynetworks=127.0.0.0/8|postgrey (delay 3 s), no whitelists"
  "addr-verify|22825|mta|starttls||reject_unverified_recipient"
  "addr-verify-relay|22925|mta|starttls|open relay: mynetworks=127.0.0.0/8|reject_unverified_recipient"
  "conn-limit|23025|mta|starttls||anvil: 2 connections at a time per client"
  "conn-limit-relay|23125|mta|starttls|open relay: mynetworks=127.0.0.0/8|anvil: 2 connections at a time per client"
  "error-limit|23225|mta|starttls||error limits: soft 1, hard 3"
  "error-limit-relay|23325|mta|starttls|open relay: mynetworks=127.0.0.0/8|error limits: soft 1, hard 3"
  "client-defer|23425|mta|starttls||check_client_access: 450 to every RCPT from 127.0.0.1"
  "client-defer-relay|23525|mta|starttls|open relay: mynetworks=127.0.0.0/8|check_client_access: 450 to every RCPT from 127.0.0.1"
  "rate-limit|23625|mta|starttls||anvil: 3 connections per client per hour"
  "rate-limit-relay|23725|mta|starttls|open relay: mynetworks=127.0.0.0/8|anvil: 3 connections per client per hour"
  # --- PROXY protocol (issue 15; ports 24000-24999). Both take only connections
  # that start with a PROXY header (smtpd_upstream_proxy_protocol=haproxy);
  # test/lab/proxy/haproxy.sh puts a real HAProxy in front of "proxied".
  "proxied|24125|mta|starttls|PROXY header taken from any client that reaches it (production: only HAProxy may)"
  "proxy-open|24625|mta|starttls|PROXY header taken from anyone, and Postfix's default mynetworks (127.0.0.0/8)"
  # XCLIENT (issue 15): "xclient" trusts only 127.0.0.2 (tests connect from
  # 127.0.0.1, or from 127.0.0.2 with --local-address to be the trusted proxy).
  "xclient|24725|mta|starttls|"
  "xclient-open|24825|mta|starttls|XCLIENT for anyone: smtpd_authorized_xclient_hosts=0.0.0.0/0"
)
# The lab's own postgrey instances (greylist*): name|base port|delay in
# seconds|extra options. Never the system service: each has its db under the
# lab directory, listens on loopback, and never auto-allowlists a client
# (--auto-whitelist-clients=0), so every run meets the same greylisting.
# "debian" is Debian's postgrey as installed: its /etc/postgrey whitelists
# (they exempt postmaster@ and abuse@ recipients) and its 300 s delay, which no
# test waits out. "strict" has no whitelists and a 3 s delay, which the tests
# wait out with --retry-deferred.
POSTGREYS=(
  "debian|23900|300|"
  "strict|23901|3|--whitelist-clients=@EMPTY@ --whitelist-recipients=@EMPTY@"
)
# Services whose clients must send a PROXY header first; the health probe claims
# an outside client (192.0.2.99, RFC 5737) as the matrix does.
PROXY_SERVICES=(proxied proxy-open)
proxy_prefix() { # name port -> the PROXY v1 line (without CRLF) to send first, or nothing
  local proxied
  for proxied in "${PROXY_SERVICES[@]}"; do
    if [[ $proxied == "$1" ]]; then printf 'PROXY TCP4 192.0.2.99 127.0.0.1 40000 %s' "$2"; return 0; fi
  done
}

PF_DIR="$LAB_DIR/postfix"
QUEUE_DIR="$LAB_DIR/queue"
DC_DIR="$LAB_DIR/dovecot"
TLS_DIR="$LAB_DIR/tls"
MAIL_DIR="$LAB_DIR/mail"
PF_LOG="$LAB_DIR/postfix.log"
PG_DIR="$LAB_DIR/postgrey"
DC_LOG="$LAB_DIR/dovecot.log"
HOSTNAME_FQDN=mail.example.org
DOMAIN=example.org
WRONG_NAME=other.example.net # the only name on submissions-wrong-name's certificate

[[ $(id -u) -eq 0 ]] || fail "must run as root (Postfix and Dovecot master processes need it): sudo bash $0"

# --- Packages ----------------------------------------------------------------
bash "$HERE/setup.sh" || fail "package setup failed (see the output of test/lab/setup.sh above)"
for bin in postfix postconf dovecot openssl; do
  command -v "$bin" >/dev/null 2>&1 || fail "missing program '$bin' after test/lab/setup.sh"
done
id postfix >/dev/null 2>&1 || fail "user 'postfix' does not exist (broken postfix package?)"
id dovecot >/dev/null 2>&1 || fail "user 'dovecot' does not exist (broken dovecot-core package?)"
POSTFIX_VERSION="$(postconf -d -h mail_version)"

# virtual(8) delivers as this uid/gid. "nobody" exists everywhere, so no
# user has to be created on the host.
VMAIL_UID="$(id -u nobody)"
VMAIL_GID="$(id -g nobody)"

port_of() { echo $(($2 + OFFSET)); } # name base -> port
service_port() { # name -> port
  local entry name base rest
  for entry in "${SERVICES[@]}"; do
    IFS='|' read -r name base rest <<<"$entry"
    if [[ $name == "$1" ]]; then port_of "$name" "$base"; return 0; fi
  done
  return 1
}
service_tls() { # name -> starttls, implicit or none
  local entry name base role tls rest
  for entry in "${SERVICES[@]}"; do
    IFS='|' read -r name base role tls rest <<<"$entry"
    if [[ $name == "$1" ]]; then echo "$tls"; return 0; fi
  done
  return 1
}
for entry in "${SERVICES[@]}"; do
  IFS='|' read -r _name base _role _tls _flaw _front <<<"$entry"
  (($(port_of "$_name" "$base") <= 65535)) || fail "SMTPCHECK_LAB_PORT_OFFSET=$OFFSET pushes port $base past 65535"
done

# A fingerprint of everything that shapes the lab: a healthy lab built from a
# different version of these scripts is rebuilt, not reused.
fingerprint() {
  {
    cat "$HERE"/*.sh "$HERE"/templates/*.in
    printf '%s\n' "$LAB_DIR" "$OFFSET" "$POSTFIX_VERSION" "$VMAIL_UID" "$VMAIL_GID"
  } | sha256sum | cut -d' ' -f1
}
FINGERPRINT="$(fingerprint)"

# --- Serialise concurrent start/stop runs (parallel test workers) -------------
mkdir -p "$LAB_DIR"
chmod 755 "$LAB_DIR"
if command -v flock >/dev/null 2>&1; then
  exec 9>"$LAB_DIR/.lock"
  flock -w 120 9 || fail "timed out waiting for another start.sh/stop.sh on $LAB_DIR ($LAB_DIR/.lock)"
fi
export SMTPCHECK_LAB_LOCKED=1 # stop.sh, called below, must not wait for our lock

# --- Probes -------------------------------------------------------------------
# pid from a pid file, if that process is alive and really belongs to this lab
# (its working directory is inside the lab; pids get reused).
live_pid() { # pidfile expected-cwd-prefix
  local pid cwd
  [[ -r $1 ]] || return 1
  pid="$(tr -dc '0-9' <"$1")"
  [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null || return 1
  cwd="$(readlink "/proc/$pid/cwd" 2>/dev/null || true)"
  [[ $cwd == "$2"* ]] || return 1
  echo "$pid"
}
postfix_pid() { live_pid "$QUEUE_DIR/pid/master.pid" "$QUEUE_DIR"; }
# A lab postgrey: alive, and its command line names this lab's db directory.
postgrey_pid() { # name
  local pid
  [[ -r $PG_DIR/$1.pid ]] || return 1
  pid="$(tr -dc '0-9' <"$PG_DIR/$1.pid")"
  [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null || return 1
  [[ "$(tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline")" == *"--dbdir=$PG_DIR/$1-db"* ]] || return 1
  echo "$pid"
}
dovecot_pid() { live_pid "$DC_DIR/run/master.pid" "$DC_DIR/run"; }

# shellcheck source=probes.sh
source "$HERE/probes.sh"

# What the certificate of an implicit-TLS service must verify as, as
# openssl verify options: the secure one against the lab CA for the lab name;
# the broken ones each only with its one flaw taken out, so the probe also
# proves that every port serves the certificate it should.
tls_verify_args() { # name
  case $1 in
    submissions-untrusted) echo "-CAfile $TLS_DIR/untrusted.pem -verify_hostname $HOSTNAME_FQDN" ;;
    submissions-wrong-name) echo "-CAfile $TLS_DIR/ca.pem -verify_hostname $WRONG_NAME" ;;
    submissions-expired) echo "-CAfile $TLS_DIR/ca.pem -verify_hostname $HOSTNAME_FQDN -no_check_time" ;;
    *) echo "-CAfile $TLS_DIR/ca.pem -verify_hostname $HOSTNAME_FQDN" ;;
  esac
}

# Probe every service; print the names of those that do not greet (none:
# all up). The probes run in parallel: the TLS ones take ~50 ms each (mostly
# openssl's start-up and the RSA handshake), a postscreen's greeting 1 s.
services_not_greeting() {
  local entry name base role tls flaw i pids=() names=()
  for entry in "${SERVICES[@]}"; do
    IFS='|' read -r name base role tls flaw front <<<"$entry"
    if [[ $tls == implicit ]]; then
      # shellcheck disable=SC2046 # the options are words without blanks
      tls_greets "$(port_of "$name" "$base")" $(tls_verify_args "$name") &
    else
      # The rate-limit services answer "421 " once their connections are used up:
      # that is them working. The PROXY services want their header first.
      smtp_greets "$(port_of "$name" "$base")" "$([[ $name == rate-limit* ]] && echo 421)" "$(proxy_prefix "$name" "$(port_of "$name" "$base")")" &
    fi
    pids+=("$!")
    names+=("$name")
  done
  for i in "${!pids[@]}"; do
    wait "${pids[$i]}" || echo "${names[$i]}"
  done
}

# End-to-end SASL check (smtpd -> Dovecot auth socket -> passwd-file): log in
# as john (smtp_auth_ok) on the plaintext-auth service, the one port that
# allows AUTH without TLS.
AUTH_PORT_SERVICE=plaintext-auth
healthy() {
  [[ -s $LAB_DIR/lab.json && -r $LAB_DIR/.fingerprint ]] || return 1
  [[ "$(cat "$LAB_DIR/.fingerprint")" == "$FINGERPRINT" ]] || return 1
  postfix_pid >/dev/null && dovecot_pid >/dev/null || return 1
  local entry pg rest
  for entry in "${POSTGREYS[@]}"; do
    IFS='|' read -r pg rest <<<"$entry"
    postgrey_pid "$pg" >/dev/null || return 1
  done
  [[ -S $QUEUE_DIR/private/auth ]] || return 1
  [[ -z "$(services_not_greeting)" ]] || return 1
  smtp_auth_ok "$(service_port "$AUTH_PORT_SERVICE")"
}

if healthy; then
  say "already running and healthy: $LAB_DIR/lab.json"
  exit 0
fi

# --- (Re)build ---------------------------------------------------------------
if postfix_pid >/dev/null || dovecot_pid >/dev/null || [[ -e $LAB_DIR/lab.json ]]; then
  say "stale or outdated lab in $LAB_DIR: stopping it and rebuilding"
fi
bash "$HERE/stop.sh" >/dev/null || fail "could not stop the old lab (bash $HERE/stop.sh)"
rm -f "$LAB_DIR/lab.json" "$LAB_DIR/.fingerprint"

for entry in "${SERVICES[@]}"; do
  IFS='|' read -r name base role tls flaw front <<<"$entry"
  port="$(port_of "$name" "$base")"
  if port_busy "$port"; then
    fail "port $port (lab service '$name') is already in use by another program; see: ss -ltnp 'sport = :$port' (or set SMTPCHECK_LAB_PORT_OFFSET)"
  fi
done
for entry in "${POSTGREYS[@]}"; do
  IFS='|' read -r name base rest <<<"$entry"
  port="$(port_of "$name" "$base")"
  if port_busy "$port"; then
    fail "port $port (the lab's postgrey '$name') is already in use by another program; see: ss -ltnp 'sport = :$port' (or set SMTPCHECK_LAB_PORT_OFFSET)"
  fi
done

mkdir -p "$PF_DIR" "$QUEUE_DIR" "$DC_DIR/run" "$DC_DIR/state" "$TLS_DIR" "$MAIL_DIR/$DOMAIN"
chmod 755 "$PF_DIR" "$QUEUE_DIR" "$DC_DIR" "$MAIL_DIR"
chmod 700 "$TLS_DIR"

# The unprivileged daemons must be able to reach the lab (e.g. not under a
# 0700 home directory).
if command -v runuser >/dev/null 2>&1; then
  runuser -u postfix -- test -x "$QUEUE_DIR" ||
    fail "user 'postfix' cannot enter $QUEUE_DIR; make the parent directories of $LAB_DIR world-searchable or choose another SMTPCHECK_LAB_DIR"
fi

# --- TLS: lab CA + server certificate + the broken ones (tls.sh) -------------------
# shellcheck source=tls.sh
source "$HERE/tls.sh"
ensure_tls

# --- Postfix configuration -----------------------------------------------------
render() { # template output
  local port_args=() entry name base role tls flaw var
  for entry in "${SERVICES[@]}"; do
    IFS='|' read -r name base role tls flaw front <<<"$entry"
    var="PORT_$(tr 'a-z-' 'A-Z_' <<<"$name")"
    port_args+=(-e "s|@${var}@|$(port_of "$name" "$base")|g")
  done
  for entry in "${POSTGREYS[@]}"; do
    IFS='|' read -r name base rest <<<"$entry"
    var="PORT_POSTGREY_$(tr 'a-z-' 'A-Z_' <<<"$name")"
    port_args+=(-e "s|@${var}@|$(port_of "$name" "$base")|g")
  done
  sed -e "s|@LAB_DIR@|$LAB_DIR|g" -e "s|@VMAIL_UID@|$VMAIL_UID|g" -e "s|@VMAIL_GID@|$VMAIL_GID|g" \
    "${port_args[@]}" "$1" >"$2.tmp"
  if grep -q '@[A-Z_]*@' "$2.tmp"; then
    fail "unreplaced placeholder in $2: $(grep -o '@[A-Z_]*@' "$2.tmp" | head -1)"
  fi
  mv "$2.tmp" "$2"
}
render "$HERE/templates/main.cf.in" "$PF_DIR/main.cf"
render "$HERE/templates/master.cf.in" "$PF_DIR/master.cf"

# Mailboxes (virtual_mailbox_maps): "address  path/" (trailing / = Maildir).
cat >"$PF_DIR/vmailbox" <<'EOF'
john@example.org    example.org/john/
lisa@example.org    example.org/lisa/
EOF
# Aliases (virtual_alias_maps). postmaster@ and abuse@ for every hosted domain
# (RFC 5321 4.5.1, RFC 2142); Postfix does not create them for virtual domains.
cat >"$PF_DIR/virtual" <<'EOF'
sales@example.org       john@example.org
postmaster@example.org  john@example.org
abuse@example.org       john@example.org
EOF
# smtpd_sender_login_maps: MAIL FROM address -> SASL login that owns it.
# email2email as in the guide, plus john's alias sales@.
cat >"$PF_DIR/sender_login" <<'EOF'
john@example.org    john@example.org
lisa@example.org    lisa@example.org
sales@example.org   john@example.org
EOF

# Backdate the files Postfix reads as text (main.cf, texthash: maps). Its
# file loader (dict_load_file) distrusts a file modified in the current
# second -- it may still be being written -- and re-reads it every 300 ms
# until the clock moves on: up to a second per command and per daemon start.
backdate="@$(($(date +%s) - 2))"
touch -d "$backdate" "$PF_DIR/main.cf" "$PF_DIR/master.cf" "$PF_DIR/vmailbox" "$PF_DIR/virtual" "$PF_DIR/sender_login"

# Every service in the table must be in master.cf, on the table's port.
configured="$(postconf -c "$PF_DIR" -M 2>&1)" || fail "postconf cannot read $PF_DIR/master.cf: $configured"
for entry in "${SERVICES[@]}"; do
  IFS='|' read -r name base role tls flaw front <<<"$entry"
  port="$(port_of "$name" "$base")"
  grep -q "^127\.0\.0\.1:${port}[[:space:]].*syslog_name=postfix/${name}\b" <<<"$configured" ||
    fail "service '$name' (port $port) is missing from $PF_DIR/master.cf (templates/master.cf.in out of step with start.sh)"
done

# Maildirs exist from the start so tests can list them before any delivery.
for user in john lisa; do
  for sub in cur new tmp; do mkdir -p "$MAIL_DIR/$DOMAIN/$user/$sub"; done
done
chown -R "$VMAIL_UID:$VMAIL_GID" "$MAIL_DIR"

# --- Dovecot configuration -------------------------------------------------------
render "$HERE/templates/dovecot.conf.in" "$DC_DIR/dovecot.conf"
# passwd-file: "user:{SCHEME}hash". SHA512-CRYPT made with openssl (same $6$
# crypt format as "doveadm pw -s SHA512-CRYPT"), readable by the auth process
# (user dovecot) only.
{
  printf 'john@example.org:{SHA512-CRYPT}%s\n' "$(openssl passwd -6 summersun)"
  printf 'lisa@example.org:{SHA512-CRYPT}%s\n' "$(openssl passwd -6 winterrain)"
} >"$DC_DIR/users.tmp"
chown root:dovecot "$DC_DIR/users.tmp"
chmod 640 "$DC_DIR/users.tmp"
mv "$DC_DIR/users.tmp" "$DC_DIR/users"

# --- Start ---------------------------------------------------------------------------
# The most telling line a log gained since line $2: the first fatal/panic,
# else the first error/warning (later ones are usually consequences).
problem_since() { # log-file start-line
  local new
  new="$(tail -n +"$(($2 + 1))" "$1" 2>/dev/null || true)"
  grep -m1 -E '(fatal|panic|Fatal|Panic):' <<<"$new" ||
    grep -m1 -E '(error|warning|Error|Warning):' <<<"$new" ||
    echo "no error logged"
}
lines_of() { if [[ -r $1 ]]; then wc -l <"$1"; else echo 0; fi; }

# Front state from an earlier run (postscreen's allowlist, the address
# verification cache, postgrey's triplets) would let this run skip the fronts.
rm -f "$LAB_DIR"/data/postscreen-*-cache.db "$LAB_DIR"/data/verify_cache.db
rm -rf "$PG_DIR"
mkdir -p "$PG_DIR"
chmod 755 "$PG_DIR"
: >"$PG_DIR/empty" # the "no whitelists" file

# postgrey runs in the foreground of its own session (logging to a file; with
# --daemonize it would want syslog), as user postgrey, db in the lab.
start_postgrey() { # name base delay extra-options
  local db="$PG_DIR/$1-db" port extra
  port="$(port_of "$1" "$2")"
  read -r -a extra <<<"${4//@EMPTY@/$PG_DIR/empty}"
  mkdir -p "$db"
  chown postgrey:postgrey "$db"
  chmod 700 "$db"
  setsid postgrey --inet="127.0.0.1:$port" --dbdir="$db" --delay="$3" \
    --auto-whitelist-clients=0 "${extra[@]}" </dev/null >>"$PG_DIR/$1.log" 2>&1 9>&- &
  echo "$!" >"$PG_DIR/$1.pid"
}
for entry in "${POSTGREYS[@]}"; do
  IFS='|' read -r name base delay options <<<"$entry"
  start_postgrey "$name" "$base" "$delay" "$options"
done

pf_mark="$(lines_of "$PF_LOG")"
dc_mark="$(lines_of "$DC_LOG")"

if ! postfix -c "$PF_DIR" start </dev/null >/dev/null 2>&1 9>&- || ! postfix_pid >/dev/null; then
  why="$(problem_since "$PF_LOG" "$pf_mark")"
  # postfix(1) reports errors found while reading main.cf (before it knows
  # maillog_file) only to syslog or a terminal: replay under script(1).
  if [[ $why == "no error logged" ]] && command -v script >/dev/null 2>&1; then
    why="$(script -qec "postfix -c $PF_DIR check" /dev/null 2>&1 </dev/null | tr -d '\r' |
      grep -m1 -E 'fatal|panic|error|warning' || true)"
    why="${why:-no error logged}"
  fi
  fail "Postfix did not start: $why (log: $PF_LOG)"
fi

# Dovecot's master keeps the stderr it was started with, so give it a file,
# not a pipe (a $(...) capture would wait forever), and close the lock fd so
# the daemon does not hold the lab lock after we exit.
if ! dovecot -c "$DC_DIR/dovecot.conf" </dev/null >/dev/null 2>"$DC_DIR/start.err" 9>&-; then
  why="$(grep -m1 . "$DC_DIR/start.err" 2>/dev/null || problem_since "$DC_LOG" "$dc_mark")"
  fail "Dovecot did not start: $why (log: $DC_LOG)"
fi

deadline=$((SECONDS + 10))
until dovecot_pid >/dev/null && [[ -S $QUEUE_DIR/private/auth ]]; do
  ((SECONDS < deadline)) || fail "Dovecot auth socket $QUEUE_DIR/private/auth did not appear: $(problem_since "$DC_LOG" "$dc_mark") (log: $DC_LOG)"
  sleep 0.05
done

for entry in "${POSTGREYS[@]}"; do
  IFS='|' read -r name base rest <<<"$entry"
  until port_busy "$(port_of "$name" "$base")"; do
    if ((SECONDS >= deadline)) || ! postgrey_pid "$name" >/dev/null; then
      fail "the lab's postgrey '$name' does not listen on 127.0.0.1:$(port_of "$name" "$base"): $(tail -n 1 "$PG_DIR/$name.log" 2>/dev/null) (log: $PG_DIR/$name.log)"
    fi
    sleep 0.1
  done
done

until down="$(services_not_greeting)"; [[ -z $down ]]; do
  if ((SECONDS >= deadline)); then
    name="${down%%$'\n'*}"
    port="$(service_port "$name")"
    if [[ $(service_tls "$name") == implicit ]]; then
      fail "service '$name' on 127.0.0.1:$port gives no TLS handshake + 220 (openssl s_client $(tls_verify_args "$name")): $(problem_since "$PF_LOG" "$pf_mark") (log: $PF_LOG)"
    fi
    fail "service '$name' on 127.0.0.1:$port does not answer 220: $(problem_since "$PF_LOG" "$pf_mark") (log: $PF_LOG)"
  fi
  sleep 0.1
done

until smtp_auth_ok "$(service_port "$AUTH_PORT_SERVICE")"; do
  if ((SECONDS >= deadline)); then
    fail "SMTP AUTH via Dovecot does not work (john@example.org on the $AUTH_PORT_SERVICE service): $(problem_since "$DC_LOG" "$dc_mark") / $(problem_since "$PF_LOG" "$pf_mark") (logs: $DC_LOG, $PF_LOG)"
  fi
  sleep 0.1
done

# --- lab.json ---------------------------------------------------------------------------
# Written last, atomically: its presence means "the lab is up".
# shellcheck source=lab-json.sh
source "$HERE/lab-json.sh"
for entry in "${SERVICES[@]}"; do
  IFS='|' read -r name base role tls flaw front <<<"$entry"
  printf '%s|%s|%s|%s|%s|%s\n' "$name" "$(port_of "$name" "$base")" "$role" "$tls" "$flaw" "$front"
done | write_lab_json "$LAB_DIR/lab.json" "$LAB_DIR" "$MAIL_DIR/$DOMAIN" "postfixVersion=$POSTFIX_VERSION" "postfixLog=$PF_LOG"
echo "$FINGERPRINT" >"$LAB_DIR/.fingerprint"

say "running: Postfix $POSTFIX_VERSION (pid $(postfix_pid)), Dovecot (pid $(dovecot_pid)); $LAB_DIR/lab.json"
