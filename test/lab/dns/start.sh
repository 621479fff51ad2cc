#!/usr/bin/env bash
# Start the smtpcheck DNS lab (root, Debian/Ubuntu): a private NSD serving the lab
# zones under the private TLD .test, signed with ldns-signzone at every start, and
# a private Unbound that validates them against the lab's own trust anchors and
# knows nothing else: it never recurses to the Internet (every name outside .test
# is refused locally, and .test goes to the lab NSD as a stub zone).
#
#   SMTPCHECK_LAB_DIR=/tmp/x SMTPCHECK_LAB_PORT_OFFSET=30000 bash test/lab/dns/start.sh
#
# Each lab gets its own loopback network 127.53.K.0/24 (K from the port offset),
# so NSD and Unbound use port 53, the MX targets port 25 and the MTA-STS server
# port 443 as in real life, without colliding with another lab. The tests start
# the SMTP and HTTPS servers themselves (test/domain/dns-lab.ts) with the
# certificates made here, and read $SMTPCHECK_LAB_DIR/dns/dns-lab.json.
# docs/domain.md#the-dns-lab lists the zones and what each proves.
set -euo pipefail
umask 022
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
export PATH="$PATH:/usr/sbin:/sbin"
say() { printf 'dns-lab: %s\n' "$*" >&2; }
fail() { rm -f "${DNS_DIR:-/nonexistent}/dns-lab.json"; printf 'dns-lab: FAILED: %s\n' "$*" >&2; exit 1; }

LAB_DIR="${SMTPCHECK_LAB_DIR:-/tmp/smtpcheck-lab}"
[[ $LAB_DIR =~ ^/[A-Za-z0-9._/-]+$ ]] || fail "SMTPCHECK_LAB_DIR must be an absolute path of A-Z a-z 0-9 . _ - / (got '$LAB_DIR')"
DNS_DIR="${LAB_DIR%/}/dns"
OFFSET="${SMTPCHECK_LAB_PORT_OFFSET:-0}"
[[ $OFFSET =~ ^[0-9]{1,5}$ ]] || fail "SMTPCHECK_LAB_PORT_OFFSET must be a non-negative integer (got '$OFFSET')"
NET="127.53.$(((10#$OFFSET / 1000) % 256))"
NSD_ADDR="$NET.1"
RESOLVER_ADDR="$NET.2"

[[ $(id -u) -eq 0 ]] || fail "must run as root (NSD and Unbound bind port 53): sudo bash $0"
bash "$HERE/setup.sh" || fail "setup failed (bash $HERE/setup.sh)"
bash "$HERE/stop.sh" || fail "could not stop the old DNS lab"
mkdir -p "$DNS_DIR/certs" "$DNS_DIR/zones" "$DNS_DIR/keys"
cd "$DNS_DIR"

# --- Certificates: a lab CA, one MX certificate for every MX name, one for the
# MTA-STS web names, and one for a wrong name. Kept across restarts.
MX_NAMES=(mx1.good.test mx2.good.test mx.tlsa-mismatch.test mx.tlsa-bogus.test mx.tlsa-unsigned.test mx.tlsa-rollover.test
  mx.tlsa-nostarttls.test mx.sts-enforce-mismatch.test mx.sts-testing-mismatch.test mail.sts-wildcard.test mx.sts-missing.test
  mx.sts-badcert.test mx.sts-malformed.test implicit.test alias.mx-cname.test real.mx-cname.test backup.dead-primary.test
  dead.dead-primary.test mx.tlsrpt-malformed.test mx.bogus-mx.test mx.tlsa-ta-unsent.test real.dane-cname.test mx.dane-cname.test
  real2.dane-cname.test mx2.dane-cname.test)
WEB_NAMES=(mta-sts.good.test mta-sts.sts-enforce-mismatch.test mta-sts.sts-testing-mismatch.test mta-sts.sts-wildcard.test mta-sts.sts-missing.test
  mta-sts.sts-mxcert.test)
sans() { local IFS=,; local -a out=(); local n; for n in "$@"; do out+=("DNS:$n"); done; echo "${out[*]}"; }
issue() { # name common-name names...
  local name=$1 cn=$2; shift 2
  # Reissued when the list of names changed (a new lab zone), kept otherwise.
  [[ -s certs/$name.pem && "$(cat "certs/$name.names" 2>/dev/null)" == "$*" ]] && return 0
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "certs/$name.key" -out "certs/$name.csr" -subj "/CN=$cn" 2>/dev/null
  openssl x509 -req -in "certs/$name.csr" -CA certs/ca.pem -CAkey certs/ca.key -CAcreateserial -days 825 -out "certs/$name.pem" \
    -extfile <(printf 'subjectAltName=%s\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n' "$(sans "$@")") 2>/dev/null &&
    printf '%s' "$*" >"certs/$name.names"
}
if [[ ! -s certs/ca.pem ]]; then
  rm -f certs/*
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout certs/ca.key -out certs/ca.pem -days 3650 \
    -subj "/CN=smtpcheck DNS lab CA" -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null ||
    fail "openssl could not make the lab CA"
fi
issue mx "${MX_NAMES[0]}" "${MX_NAMES[@]}" || fail "openssl could not issue the MX certificate"
issue web "${WEB_NAMES[0]}" "${WEB_NAMES[@]}" || fail "openssl could not issue the MTA-STS certificate"
issue wrong wrong-name.test wrong-name.test || fail "openssl could not issue the wrong-name certificate"
# An MX certificate from the lab CA that expired in 2021: DANE-TA must refuse it,
# DANE-EE must not care (RFC 7672 §3.1.1, §3.1.2). `openssl ca`, because `x509 -req`
# in OpenSSL 3.0 can only start "now".
EXPIRED_NAMES=(mx.tlsa-ta-expired.test mx.tlsa-ee-expired.test)
if [[ ! -s certs/expired.pem || "$(cat certs/expired.names 2>/dev/null)" != "${EXPIRED_NAMES[*]}" ]]; then
  mkdir -p certs/issued
  printf '[ca]\ndefault_ca = lab\n[lab]\ndatabase = index.txt\nnew_certs_dir = issued\nserial = serial\ndefault_md = sha256\npolicy = any\ncopy_extensions = copy\nunique_subject = no\n[any]\ncommonName = supplied\n' >certs/ca.cnf
  : >certs/index.txt
  echo 1000 >certs/serial
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout certs/expired.key -out certs/expired.csr -subj "/CN=${EXPIRED_NAMES[0]}" \
    -addext "subjectAltName=$(sans "${EXPIRED_NAMES[@]}")" -addext basicConstraints=CA:FALSE -addext extendedKeyUsage=serverAuth 2>/dev/null &&
    (cd certs && openssl ca -batch -config ca.cnf -cert ca.pem -keyfile ca.key -startdate 20200101000000Z -enddate 20210101000000Z -in expired.csr -out expired.pem -notext 2>/dev/null) &&
    printf '%s' "${EXPIRED_NAMES[*]}" >certs/expired.names || fail "openssl could not issue the expired certificate"
fi

# SHA-256 of a certificate's SubjectPublicKeyInfo: TLSA selector 1, matching type 1.
spki_sha256() { openssl x509 -in "$1" -noout -pubkey | openssl pkey -pubin -outform DER | openssl dgst -sha256 -r | cut -d' ' -f1; }
MX_SPKI="$(spki_sha256 certs/mx.pem)"
CA_SPKI="$(spki_sha256 certs/ca.pem)"
WRONG_SPKI="$(spki_sha256 certs/wrong.pem)"
EXPIRED_SPKI="$(spki_sha256 certs/expired.pem)"
STS_ID=20261208

# --- Zones. Each: a name, how it is served (signed, unsigned, or signed and then
# broken on purpose), and its records after the SOA and NS.
SIGNED=() UNSIGNED=()
zone() { # name signed|unsigned records
  local name=$1 how=$2 body=$3
  printf '$ORIGIN %s.\n$TTL 300\n@ IN SOA ns.%s. hostmaster.%s. 1 3600 600 86400 300\n@ IN NS ns.%s.\nns IN A %s\n%s\n' \
    "$name" "$name" "$name" "$name" "$NSD_ADDR" "$body" >"zones/$name.zone"
  if [[ $how == signed ]]; then SIGNED+=("$name"); else UNSIGNED+=("$name"); fi
}
sts() { printf '_mta-sts IN TXT "v=STSv1; id=%s"\nmta-sts IN A %s.10\n' "$STS_ID" "$NET"; }

zone good.test signed "@ IN MX 10 mx1
@ IN MX 20 mx2
mx1 IN A $NET.11
mx1 IN AAAA ::1
mx2 IN A $NET.12
_25._tcp.mx1 IN TLSA 3 1 1 $MX_SPKI
_25._tcp.mx2 IN TLSA 2 1 1 $CA_SPKI
$(sts)
_smtp._tls IN TXT \"v=TLSRPTv1; rua=mailto:tlsrpt@good.test\""
zone tlsa-mismatch.test signed "@ IN MX 10 mx
mx IN A $NET.21
_25._tcp.mx IN TLSA 3 1 1 $WRONG_SPKI"
# Signed over a TLSA that does not match; start.sh then swaps in the matching one,
# so only a client that ignores the broken signature would call it a match.
zone tlsa-bogus.test signed "@ IN MX 10 mx
mx IN A $NET.22
_25._tcp.mx IN TLSA 3 1 1 $WRONG_SPKI"
zone tlsa-unsigned.test unsigned "@ IN MX 10 mx
mx IN A $NET.23
_25._tcp.mx IN TLSA 3 1 1 $MX_SPKI"
zone tlsa-rollover.test signed "@ IN MX 10 mx
mx IN A $NET.24
_25._tcp.mx IN TLSA 3 1 1 $WRONG_SPKI
_25._tcp.mx IN TLSA 3 1 1 $MX_SPKI"
zone tlsa-nostarttls.test signed "@ IN MX 10 mx
mx IN A $NET.25
_25._tcp.mx IN TLSA 3 1 1 $MX_SPKI"
zone sts-enforce-mismatch.test signed "@ IN MX 10 mx
mx IN A $NET.26
$(sts)"
zone sts-testing-mismatch.test signed "@ IN MX 10 mx
mx IN A $NET.27
$(sts)"
zone sts-wildcard.test signed "@ IN MX 10 mail
mail IN A $NET.28
$(sts)"
zone sts-missing.test signed "@ IN MX 10 mx
mx IN A $NET.29
$(sts)"
zone sts-badcert.test signed "@ IN MX 10 mx
mx IN A $NET.30
$(sts)"
# The policy lists the MX, but the MX presents a certificate for another name (RFC 8461 §4.2).
zone sts-mxcert.test signed "@ IN MX 10 mx
mx IN A $NET.43
$(sts)"
zone sts-malformed.test signed "@ IN MX 10 mx
mx IN A $NET.31
_mta-sts IN TXT \"v=STSv1; policy=none\""
zone nullmx.test signed "@ IN MX 0 ."
# implicit.test has no MX but an address; nothing.implicit.test has neither.
zone implicit.test signed "@ IN A $NET.32
nothing IN TXT \"no MX, no address\""
# An MX that names an IP address (an A-record-looking name), beside a proper one.
zone mx-literal.test signed "@ IN MX 10 $NET.50.
@ IN MX 20 mx
mx IN A $NET.35"
zone mx-cname.test signed "@ IN MX 10 alias
alias IN CNAME real
real IN A $NET.33"
# The dead primary publishes TLSA: with nothing listening, dane-tlsa is inconclusive, never a pass.
zone dead-primary.test signed "@ IN MX 10 dead
@ IN MX 20 backup
dead IN A $NET.34
_25._tcp.dead IN TLSA 3 1 1 $MX_SPKI
backup IN A $NET.35"
# An MX host whose name is a CNAME loop: the validating resolver answers SERVFAIL.
zone mx-loop.test signed "@ IN MX 10 loop1
loop1 IN CNAME loop2
loop2 IN CNAME loop1"
zone mx-noaddr.test signed "@ IN MX 10 nowhere
nowhere IN TXT \"this name has no address\""
zone tlsrpt-malformed.test signed "@ IN MX 10 mx
mx IN A $NET.36
_smtp._tls IN TXT \"v=TLSRPTv1; rua=ftp://reports.tlsrpt-malformed.test\""
# DANE-TA for the lab CA, but this MX sends its leaf alone (RFC 7671 §5.2.2).
zone tlsa-ta-unsent.test signed "@ IN MX 10 mx
mx IN A $NET.38
_25._tcp.mx IN TLSA 2 1 1 $CA_SPKI"
# One MX on NET.40 with the expired certificate (and the lab CA) behind two zones:
# DANE-TA for the CA fails on the leaf's dates, DANE-EE for its key passes.
zone tlsa-ta-expired.test signed "@ IN MX 10 mx
mx IN A $NET.40
_25._tcp.mx IN TLSA 2 1 1 $CA_SPKI"
zone tlsa-ee-expired.test signed "@ IN MX 10 mx
mx IN A $NET.40
_25._tcp.mx IN TLSA 3 1 1 $EXPIRED_SPKI"
# 30 TLSA records (29 stale, 1 matching) with their signature do not fit the 1232
# bytes of EDNS over UDP: Unbound answers truncated and smtpcheck asks again over TCP.
zone tlsa-big.test signed "@ IN MX 10 mx
mx IN A $NET.24
$(for i in $(seq 29); do printf '_25._tcp.mx IN TLSA 3 1 1 %s\n' "$(printf 'stale key %s' "$i" | openssl dgst -sha256 -r | cut -d' ' -f1)"; done)
_25._tcp.mx IN TLSA 3 1 1 $MX_SPKI"
# MX host names that are aliases (RFC 7672 §2.2.2). mx: the expanded name's TLSA is
# tried first and matches, the stale one at the MX name is never used; mx2: nothing
# at the expanded name, so the MX name's TLSA is used; mx3: the alias leads into an
# unsigned zone, so its (matching, unsigned) TLSA there must not count.
zone dane-cname.test signed "@ IN MX 10 mx
@ IN MX 20 mx2
@ IN MX 30 mx3
mx IN CNAME real
real IN A $NET.41
_25._tcp.real IN TLSA 3 1 1 $MX_SPKI
_25._tcp.mx IN TLSA 3 1 1 $WRONG_SPKI
mx2 IN CNAME real2
real2 IN A $NET.42
_25._tcp.mx2 IN TLSA 3 1 1 $MX_SPKI
mx3 IN CNAME mx.tlsa-unsigned.test."
# MX and MTA-STS hosts on documentation addresses (RFC 5737, RFC 3849), beside a
# loopback backup MX: the tests run with --only-addresses and prove that none of
# them, the loopback one included, is ever dialled (docs/domain.md#address-guard).
zone public-mx.test signed "@ IN MX 10 mx
@ IN MX 20 backup
mx IN A 192.0.2.25
mx IN AAAA 2001:db8::25
backup IN A $NET.39
_mta-sts IN TXT \"v=STSv1; id=$STS_ID\"
mta-sts IN A 192.0.2.26"
# Signed with MX 10, then changed to MX 20: the MX answer is bogus.
zone bogus-mx.test signed "@ IN MX 10 mx
mx IN A $NET.37"

: >anchors.ds
for name in "${SIGNED[@]}"; do
  rm -f "keys/K$name".*
  key="$(cd keys && ldns-keygen -a ECDSAP256SHA256 -k "$name")" || fail "ldns-keygen failed for $name"
  ldns-signzone -o "$name" -f "zones/$name.zone.signed" "zones/$name.zone" "keys/$key" || fail "ldns-signzone failed for $name"
  cat "keys/$key.ds" >>anchors.ds
done
for name in "${UNSIGNED[@]}"; do cp "zones/$name.zone" "zones/$name.zone.signed"; done
# Break signatures on purpose: the records change after signing, the RRSIGs stay.
sed -i -E "s/(TLSA\s+3 1 1 )$WRONG_SPKI/\1$MX_SPKI/" zones/tlsa-bogus.test.zone.signed
sed -i -E 's/(IN\s+MX\s+)10 /\120 /' zones/bogus-mx.test.zone.signed
grep -q "$MX_SPKI" zones/tlsa-bogus.test.zone.signed && grep -qE 'MX\s+20 ' zones/bogus-mx.test.zone.signed || fail "could not break the bogus zones"

{
  printf 'server:\n  ip-address: %s@53\n  do-ip6: no\n  username: ""\n  chroot: ""\n  zonesdir: "%s/zones"\n' "$NSD_ADDR" "$DNS_DIR"
  printf '  database: ""\n  zonelistfile: "%s/zonelist"\n  xfrdfile: "%s/xfrd.state"\n  xfrdir: "%s"\n' "$DNS_DIR" "$DNS_DIR" "$DNS_DIR"
  printf '  pidfile: "%s/nsd.pid"\n  logfile: "%s/nsd.log"\n  server-count: 1\n  verbosity: 1\n' "$DNS_DIR" "$DNS_DIR"
  printf 'remote-control:\n  control-enable: no\n'
  for name in "${SIGNED[@]}" "${UNSIGNED[@]}"; do printf 'zone:\n  name: %s\n  zonefile: %s.zone.signed\n' "$name" "$name"; done
} >nsd.conf
nsd-checkconf nsd.conf || fail "nsd.conf does not check (nsd-checkconf $DNS_DIR/nsd.conf)"

cat >unbound.conf <<CONF
server:
  interface: $RESOLVER_ADDR@53
  do-ip6: no
  username: ""
  chroot: ""
  directory: "$DNS_DIR"
  pidfile: "$DNS_DIR/unbound.pid"
  logfile: "$DNS_DIR/unbound.log"
  use-syslog: no
  verbosity: 1
  val-log-level: 2
  num-threads: 1
  access-control: 127.0.0.0/8 allow
  # The lab NSD is on loopback, which Unbound would otherwise never ask.
  do-not-query-localhost: no
  qname-minimisation: no
  module-config: "validator iterator"
  # The lab's only trust anchors: one DS per signed lab zone; no root anchor.
  trust-anchor-file: "$DNS_DIR/anchors.ds"
  # Refuse everything but the lab TLD: no query ever leaves for the root servers.
  local-zone: "." refuse
  local-zone: "test." transparent
stub-zone:
  name: "test."
  stub-addr: $NSD_ADDR@53
CONF
unbound-checkconf unbound.conf >/dev/null || fail "unbound.conf does not check (unbound-checkconf $DNS_DIR/unbound.conf)"

nsd -c "$DNS_DIR/nsd.conf" || fail "nsd did not start (see $DNS_DIR/nsd.log)"
unbound -c "$DNS_DIR/unbound.conf" || fail "unbound did not start (see $DNS_DIR/unbound.log)"

# Ready when Unbound returns a validated answer for the good domain.
for _ in $(seq 50); do
  if command -v drill >/dev/null && drill -D -p 53 @"$RESOLVER_ADDR" MX good.test 2>/dev/null | grep -q 'flags:.* ad'; then ready=1; break; fi
  sleep 0.2
done
[[ ${ready:-0} == 1 ]] || fail "Unbound at $RESOLVER_ADDR gives no validated answer for good.test (see $DNS_DIR/unbound.log, $DNS_DIR/nsd.log)"

cat >dns-lab.json <<JSON
{
  "net": "$NET",
  "nameserver": "$NSD_ADDR",
  "resolver": "$RESOLVER_ADDR",
  "ipv6": "::1",
  "smtpPort": 25,
  "httpsPort": 443,
  "stsId": "$STS_ID",
  "certs": {
    "ca": "$DNS_DIR/certs/ca.pem",
    "mxCert": "$DNS_DIR/certs/mx.pem",
    "mxKey": "$DNS_DIR/certs/mx.key",
    "webCert": "$DNS_DIR/certs/web.pem",
    "webKey": "$DNS_DIR/certs/web.key",
    "wrongCert": "$DNS_DIR/certs/wrong.pem",
    "wrongKey": "$DNS_DIR/certs/wrong.key",
    "expiredCert": "$DNS_DIR/certs/expired.pem",
    "expiredKey": "$DNS_DIR/certs/expired.key"
  }
}
JSON
say "up: NSD on $NSD_ADDR:53, validating Unbound on $RESOLVER_ADDR:53 ($DNS_DIR/dns-lab.json)"
