# lab.json, the description a real-server lab gives its tests (its shape:
# src/lab/lab-description.ts), shared by the Postfix lab (start.sh) and the Exim
# lab (exim/start.sh). Sourced, not run; the caller defines HOSTNAME_FQDN,
# TLS_DIR and DOMAIN. Every value comes from a fixed safe set (no JSON escaping).

# Write FILE atomically: the lab's users and alias, the given "key=value"
# strings, and one service per "name|port|role|tls|flaw[|front]" line on stdin.
write_lab_json() { # file dir maildir key=value...
  local file=$1 dir=$2 maildir=$3 pair name port role tls flaw front sep=''
  shift 3
  {
    printf '{\n'
    printf '  "dir": "%s",\n' "$dir"
    printf '  "host": "127.0.0.1",\n'
    printf '  "hostname": "%s",\n' "$HOSTNAME_FQDN"
    printf '  "caFile": "%s",\n' "$TLS_DIR/ca.pem"
    printf '  "certFile": "%s",\n' "$TLS_DIR/server.pem"
    printf '  "chain": "leaf",\n'
    printf '  "domain": "%s",\n' "$DOMAIN"
    printf '  "foreignDomain": "example.net",\n'
    printf '  "users": [{"user": "john@example.org", "password": "summersun"}, {"user": "lisa@example.org", "password": "winterrain"}],\n'
    printf '  "alias": {"address": "sales@example.org", "owner": "john@example.org"},\n'
    printf '  "maildir": "%s",\n' "$maildir"
    for pair in "$@"; do printf '  "%s": "%s",\n' "${pair%%=*}" "${pair#*=}"; done
    printf '  "services": {'
    while IFS='|' read -r name port role tls flaw front; do
      if [[ -z $flaw ]]; then flaw=null; else flaw="\"$flaw\""; fi
      if [[ -z $front ]]; then front=null; else front="\"$front\""; fi
      printf '%s\n    "%s": {"port": %d, "role": "%s", "tls": "%s", "flaw": %s, "front": %s}' "$sep" "$name" "$port" "$role" "$tls" "$flaw" "$front"
      sep=','
    done
    printf '\n  }\n}\n'
  } >"$file.tmp"
  mv "$file.tmp" "$file"
}
