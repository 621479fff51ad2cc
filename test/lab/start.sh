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

# name|base port|role|tls|flaw (empty = secure). tls: starttls, implicit (TLS
# from the first byte) or none. Keep in step with templates/master.cf.in
# (start.sh checks that every port is configured).
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
  IFS='|' read -r _name base _role _tls _flaw <<<"$entry"
  (($(port_of "$_name" "$base") <= 65535)) || fail "SMTPCHECK_LAB_PORT_OFFSET=$OFFSET pushes port $base past 65535"
done

# A fingerprint of everything that shapes the lab: a healthy lab built from a
# different version of these scripts is rebuilt, not reused.
fingerprint() {
  {
    cat "$HERE/start.sh" "$HERE/setup.sh" "$HERE"/templates/*.in
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
dovecot_pid() { live_pid "$DC_DIR/run/master.pid" "$DC_DIR/run"; }

# Plain SMTP: connect (writing the PROXY header first, if given), expect "220 ", say QUIT.
smtp_greets() { # port [proxy-header]
  local line fd
  # (the braces keep the redirection of bash's "connection refused" message
  # from applying to the rest of the script)
  { exec {fd}<>"/dev/tcp/127.0.0.1/$1"; } 2>/dev/null || return 1
  [[ -z ${2:-} ]] || printf '%s\r\n' "$2" 1>&"$fd" 2>/dev/null || true
  if IFS= read -r -t 3 -u "$fd" line && [[ $line == 220\ * ]]; then
    printf 'QUIT\r\n' 1>&"$fd" 2>/dev/null || true
    exec {fd}>&-
    return 0
  fi
  exec {fd}>&-
  return 1
}

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

# Implicit TLS: handshake (certificate verified as above), then "220 " inside
# TLS, then QUIT. QUIT is sent only after the greeting, so the probe does not
# trip smtpd_forbid_unauth_pipelining.
tls_greets() { # name port
  local line ok=1 verify
  read -r -a verify <<<"$(tls_verify_args "$1")"
  coproc TLSPROBE {
    exec 9>&-
    exec timeout 10 openssl s_client -connect "127.0.0.1:$2" -servername "$HOSTNAME_FQDN" \
      "${verify[@]}" -verify_return_error -quiet 2>/dev/null
  }
  if IFS= read -r -t 5 -u "${TLSPROBE[0]}" line && [[ $line == 220\ * ]]; then
    printf 'QUIT\r\n' 1>&"${TLSPROBE[1]}" 2>/dev/null || true
    ok=0
  fi
  kill "$TLSPROBE_PID" 2>/dev/null || true
  wait "$TLSPROBE_PID" 2>/dev/null || true
  return "$ok"
}

# Probe every service; print the names of those that do not greet (none:
# all up). The TLS probes (~50 ms each, mostly openssl's start-up and the RSA
# handshake) run in parallel.
services_not_greeting() {
  local entry name base role tls flaw i pids=() names=()
  for entry in "${SERVICES[@]}"; do
    IFS='|' read -r name base role tls flaw <<<"$entry"
    if [[ $tls == implicit ]]; then
      tls_greets "$name" "$(port_of "$name" "$base")" &
      pids+=("$!")
      names+=("$name")
    else
      smtp_greets "$(port_of "$name" "$base")" "$(proxy_prefix "$name" "$(port_of "$name" "$base")")" || echo "$name"
    fi
  done
  for i in "${!pids[@]}"; do
    wait "${pids[$i]}" || echo "${names[$i]}"
  done
}

# End-to-end SASL check (smtpd -> Dovecot auth socket -> passwd-file): log in
# as john on the plaintext-auth service, the one port that allows AUTH without
# TLS. The blob is the guide's: printf '\0john@example.org\0summersun' | base64
AUTH_PORT_SERVICE=plaintext-auth
JOHN_PLAIN=AGpvaG5AZXhhbXBsZS5vcmcAc3VtbWVyc3Vu
smtp_auth_ok() { # port
  local line fd ok=1
  { exec {fd}<>"/dev/tcp/127.0.0.1/$1"; } 2>/dev/null || return 1
  if IFS= read -r -t 3 -u "$fd" line && [[ $line == 220\ * ]]; then
    printf 'EHLO lab-health.invalid\r\n' 1>&"$fd"
    while IFS= read -r -t 3 -u "$fd" line && [[ $line == 250-* ]]; do :; done
    if [[ $line == 250\ * ]]; then
      printf 'AUTH PLAIN %s\r\n' "$JOHN_PLAIN" 1>&"$fd"
      if IFS= read -r -t 5 -u "$fd" line && [[ $line == 235\ * ]]; then ok=0; fi
    fi
    printf 'QUIT\r\n' 1>&"$fd" 2>/dev/null || true
  fi
  exec {fd}>&-
  return "$ok"
}

port_busy() { # port -> 0 if something accepts connections there
  local fd
  # (the braces keep the redirection of bash's "connection refused" message
  # from applying to the rest of the script)
  { exec {fd}<>"/dev/tcp/127.0.0.1/$1"; } 2>/dev/null || return 1
  exec {fd}>&-
  return 0
}

healthy() {
  [[ -s $LAB_DIR/lab.json && -r $LAB_DIR/.fingerprint ]] || return 1
  [[ "$(cat "$LAB_DIR/.fingerprint")" == "$FINGERPRINT" ]] || return 1
  postfix_pid >/dev/null && dovecot_pid >/dev/null || return 1
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
  IFS='|' read -r name base role tls flaw <<<"$entry"
  port="$(port_of "$name" "$base")"
  if port_busy "$port"; then
    fail "port $port (lab service '$name') is already in use by another program; see: ss -ltnp 'sport = :$port' (or set SMTPCHECK_LAB_PORT_OFFSET)"
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

# --- TLS: lab CA + server certificate + the broken ones ---------------------------
# Reused when present and still what they should be; made once otherwise
# (RSA 2048, SHA-256). Files in $TLS_DIR: ca.{pem,key} (lab CA),
# server.{pem,key} (the good certificate), and for the certificate-flaw
# services untrusted.* (self-signed), wrong-name.* (lab CA, other name),
# expired.* (lab CA, expired 2021-01-01). Each NAME.cnf is the openssl config
# NAME.pem was made from.
LAB_SANS="DNS:$HOSTNAME_FQDN, DNS:localhost, IP:127.0.0.1"

# openssl config for a server (leaf) certificate. [v3_server] is for the
# lab-CA-signed ones, [v3_self] for the self-signed one; [lab_ca] is the
# throwaway "openssl ca" set-up that issues the backdated one.
write_leaf_cnf() { # file CN subjectAltName
  cat >"$1" <<EOF
[req]
distinguished_name = dn
prompt = no
[dn]
CN = $2
[v3_server]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = $3
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[v3_self]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = $3
subjectKeyIdentifier = hash
[ca]
default_ca = lab_ca
[lab_ca]
database = $TLS_DIR/ca-db/index.txt
new_certs_dir = $TLS_DIR/ca-db
serial = $TLS_DIR/ca-db/serial
unique_subject = no
default_md = sha256
policy = policy_any
[policy_any]
commonName = supplied
EOF
}

# Make TLS_DIR/NAME.{key,pem}. how: ca (lab CA, 730 days), self (self-signed,
# 10 years) or expired (lab CA, 2020-01-01 to 2021-01-01: "openssl x509 -req"
# of OpenSSL 3.0 cannot backdate, "openssl ca -startdate/-enddate" can; it
# needs a CA database, made and removed here).
make_leaf() { # NAME CN subjectAltName how
  local name=$1 how=$4 cnf="$TLS_DIR/$1.cnf" key="$TLS_DIR/$1.key" crt="$TLS_DIR/$1.pem"
  local ca="$TLS_DIR/ca.pem" cakey="$TLS_DIR/ca.key" err="$TLS_DIR/openssl.err" csr="$TLS_DIR/$1.csr"
  say "creating the $name certificate for $2 ($crt)"
  write_leaf_cnf "$cnf" "$2" "$3"
  rm -f "$key" "$crt" "$csr"
  case $how in
    self)
      openssl req -x509 -new -newkey rsa:2048 -nodes -sha256 -days 3650 -config "$cnf" \
        -extensions v3_self -keyout "$key" -out "$crt" 2>"$err"
      ;;
    ca)
      openssl req -new -newkey rsa:2048 -nodes -sha256 -config "$cnf" -keyout "$key" -out "$csr" 2>"$err" &&
        openssl x509 -req -in "$csr" -CA "$ca" -CAkey "$cakey" \
          -set_serial "0x$(openssl rand -hex 16)" -days 730 -sha256 \
          -extfile "$cnf" -extensions v3_server -out "$crt" 2>>"$err"
      ;;
    expired)
      rm -rf "$TLS_DIR/ca-db"
      mkdir "$TLS_DIR/ca-db"
      : >"$TLS_DIR/ca-db/index.txt"
      openssl rand -hex 16 >"$TLS_DIR/ca-db/serial"
      openssl req -new -newkey rsa:2048 -nodes -sha256 -config "$cnf" -keyout "$key" -out "$csr" 2>"$err" &&
        openssl ca -batch -config "$cnf" -cert "$ca" -keyfile "$cakey" -in "$csr" -out "$crt" -notext \
          -startdate 20200101000000Z -enddate 20210101000000Z \
          -extfile "$cnf" -extensions v3_server >/dev/null 2>>"$err"
      ;;
  esac || fail "openssl could not create the $name certificate (see $err)"
  rm -rf "$csr" "$TLS_DIR/ca-db"
}

# Is TLS_DIR/NAME.pem still what it should be? (Key and certificate present,
# right issuer and names, and valid for 60 more days -- cert-validity warns at
# 30 -- or, for "expired", expired.)
leaf_ok() { # NAME
  local ca="$TLS_DIR/ca.pem" crt="$TLS_DIR/$1.pem"
  [[ -s $crt && -s $TLS_DIR/$1.key ]] || return 1
  case $1 in
    server)
      openssl verify -CAfile "$ca" -verify_hostname "$HOSTNAME_FQDN" -verify_ip 127.0.0.1 "$crt" &&
        openssl x509 -in "$crt" -noout -checkend $((60 * 86400))
      ;;
    untrusted) # trusted as its own anchor, and not by the lab CA
      openssl verify -CAfile "$crt" -verify_hostname "$HOSTNAME_FQDN" -verify_ip 127.0.0.1 "$crt" &&
        ! openssl verify -CAfile "$ca" "$crt" &&
        openssl x509 -in "$crt" -noout -checkend $((60 * 86400))
      ;;
    wrong-name)
      openssl verify -CAfile "$ca" -verify_hostname "$WRONG_NAME" "$crt" &&
        ! openssl verify -CAfile "$ca" -verify_hostname "$HOSTNAME_FQDN" "$crt" &&
        openssl x509 -in "$crt" -noout -checkend $((60 * 86400))
      ;;
    expired) # fine but for the dates, and expired
      openssl verify -no_check_time -CAfile "$ca" -verify_hostname "$HOSTNAME_FQDN" -verify_ip 127.0.0.1 "$crt" &&
        ! openssl x509 -in "$crt" -noout -checkend 0
      ;;
    *) return 1 ;;
  esac >/dev/null 2>&1
}

ensure_tls() {
  local ca="$TLS_DIR/ca.pem" cakey="$TLS_DIR/ca.key"
  if [[ ! -s $ca || ! -s $cakey ]] || ! openssl x509 -in "$ca" -noout -checkend $((90 * 86400)) >/dev/null 2>&1; then
    say "creating the lab CA ($ca)"
    cat >"$TLS_DIR/ca.cnf" <<'EOF'
[req]
distinguished_name = dn
prompt = no
x509_extensions = v3_ca
[dn]
O = smtpcheck lab
CN = smtpcheck lab CA
[v3_ca]
basicConstraints = critical, CA:TRUE, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
EOF
    openssl req -x509 -new -newkey rsa:2048 -nodes -sha256 -days 3650 \
      -config "$TLS_DIR/ca.cnf" -keyout "$cakey" -out "$ca" 2>"$TLS_DIR/openssl.err" ||
      fail "openssl could not create the lab CA (see $TLS_DIR/openssl.err)"
    rm -f "$TLS_DIR"/{server,wrong-name,expired}.{pem,key}
  fi
  leaf_ok server || make_leaf server "$HOSTNAME_FQDN" "$LAB_SANS" ca
  leaf_ok untrusted || make_leaf untrusted "$HOSTNAME_FQDN" "$LAB_SANS" self
  leaf_ok wrong-name || make_leaf wrong-name "$WRONG_NAME" "DNS:$WRONG_NAME" ca
  leaf_ok expired || make_leaf expired "$HOSTNAME_FQDN" "$LAB_SANS" expired
  chmod 600 "$cakey" "$TLS_DIR"/*.key
  chmod 644 "$ca" "$TLS_DIR"/*.pem
  # The CA certificate is what clients need; let non-root test runs read it.
  chmod 755 "$TLS_DIR"
}
ensure_tls

# --- Postfix configuration -----------------------------------------------------
render() { # template output
  local port_args=() entry name base role tls flaw var
  for entry in "${SERVICES[@]}"; do
    IFS='|' read -r name base role tls flaw <<<"$entry"
    var="PORT_$(tr 'a-z-' 'A-Z_' <<<"$name")"
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
  IFS='|' read -r name base role tls flaw <<<"$entry"
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
json_str() { # no escaping needed: all values come from a fixed safe set
  if [[ -z $1 ]]; then printf 'null'; else printf '"%s"' "$1"; fi
}
{
  printf '{\n'
  printf '  "dir": "%s",\n' "$LAB_DIR"
  printf '  "host": "127.0.0.1",\n'
  printf '  "hostname": "%s",\n' "$HOSTNAME_FQDN"
  printf '  "caFile": "%s",\n' "$TLS_DIR/ca.pem"
  printf '  "certFile": "%s",\n' "$TLS_DIR/server.pem"
  printf '  "chain": "leaf",\n'
  printf '  "domain": "%s",\n' "$DOMAIN"
  printf '  "foreignDomain": "example.net",\n'
  printf '  "users": [{"user": "john@example.org", "password": "summersun"}, {"user": "lisa@example.org", "password": "winterrain"}],\n'
  printf '  "alias": {"address": "sales@example.org", "owner": "john@example.org"},\n'
  printf '  "maildir": "%s",\n' "$MAIL_DIR/$DOMAIN"
  printf '  "postfixVersion": "%s",\n' "$POSTFIX_VERSION"
  printf '  "postfixLog": "%s",\n' "$PF_LOG"
  printf '  "services": {\n'
  n=${#SERVICES[@]}
  i=0
  for entry in "${SERVICES[@]}"; do
    IFS='|' read -r name base role tls flaw <<<"$entry"
    i=$((i + 1))
    sep=','
    ((i < n)) || sep=''
    printf '    "%s": {"port": %d, "role": "%s", "tls": "%s", "flaw": %s}%s\n' \
      "$name" "$(port_of "$name" "$base")" "$role" "$tls" "$(json_str "$flaw")" "$sep"
  done
  printf '  }\n'
  printf '}\n'
} >"$LAB_DIR/lab.json.tmp"
mv "$LAB_DIR/lab.json.tmp" "$LAB_DIR/lab.json"
echo "$FINGERPRINT" >"$LAB_DIR/.fingerprint"

say "running: Postfix $POSTFIX_VERSION (pid $(postfix_pid)), Dovecot (pid $(dovecot_pid)); $LAB_DIR/lab.json"
