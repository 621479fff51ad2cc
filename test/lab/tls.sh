# The lab CA and the server certificates, shared by the Postfix lab (start.sh)
# and the Exim lab (exim/start.sh): one CA for every real-server lab, so a test
# trusts one caFile whichever server it talks to.
#
# Sourced, not run. The caller defines TLS_DIR, HOSTNAME_FQDN, WRONG_NAME and
# the functions say and fail, creates TLS_DIR, and calls ensure_tls.

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
