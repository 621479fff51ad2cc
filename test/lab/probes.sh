# Health probes of a real-server lab, shared by the Postfix lab (start.sh) and the
# Exim lab (exim/start.sh). Sourced, not run; the caller defines HOSTNAME_FQDN.
# Each probe talks to 127.0.0.1 with bash's /dev/tcp or openssl s_client, one
# command at a time: Postfix (smtpd_forbid_unauth_pipelining) and Exim
# (smtp_enforce_sync) drop a client that talks out of turn.

# Plain SMTP: connect (writing a PROXY protocol header first, if given), wait
# for the last line of the greeting ("220 "; a server may send "220-" lines
# first, and pause: postscreen does), say QUIT. With a second argument 421, a
# "421 " greeting counts too (a rate limit at work).
smtp_greets() { # port [421] [proxy-header]
  local line fd
  # (the braces keep the redirection of bash's "connection refused" message
  # from applying to the rest of the script)
  { exec {fd}<>"/dev/tcp/127.0.0.1/$1"; } 2>/dev/null || return 1
  [[ -z ${3:-} ]] || printf '%s\r\n' "$3" 1>&"$fd" 2>/dev/null || true
  while IFS= read -r -t 3 -u "$fd" line && [[ $line == 220-* ]]; do :; done
  if [[ $line == 220\ * || (${2:-} == 421 && $line == 421\ *) ]]; then
    printf 'QUIT\r\n' 1>&"$fd" 2>/dev/null || true
    exec {fd}>&-
    return 0
  fi
  exec {fd}>&-
  return 1
}

# Implicit TLS: handshake, certificate verified with the given openssl verify
# options, then "220 " inside TLS, then QUIT (only after the greeting).
tls_greets() { # port openssl-verify-option...
  local port=$1 line ok=1
  shift
  coproc TLSPROBE {
    exec 9>&-
    exec timeout 10 openssl s_client -connect "127.0.0.1:$port" -servername "$HOSTNAME_FQDN" \
      "$@" -verify_return_error -quiet 2>/dev/null
  }
  if IFS= read -r -t 5 -u "${TLSPROBE[0]}" line && [[ $line == 220\ * ]]; then
    printf 'QUIT\r\n' 1>&"${TLSPROBE[1]}" 2>/dev/null || true
    ok=0
  fi
  kill "$TLSPROBE_PID" 2>/dev/null || true
  wait "$TLSPROBE_PID" 2>/dev/null || true
  return "$ok"
}

# End-to-end AUTH: john logs in with PLAIN on a port that allows AUTH without
# TLS. The blob: printf '\0john@example.org\0summersun' | base64
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
  { exec {fd}<>"/dev/tcp/127.0.0.1/$1"; } 2>/dev/null || return 1
  exec {fd}>&-
  return 0
}
