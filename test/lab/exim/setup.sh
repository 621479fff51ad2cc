#!/usr/bin/env bash
# Install what the smtpcheck Exim lab needs (Debian/Ubuntu, root).
#
#   bash test/lab/exim/setup.sh      # same SMTPCHECK_LAB_DIR as start.sh
#
# Idempotent and fast when everything is there. Debian's Exim packages cannot
# be installed beside Postfix (both provide mail-transport-agent, so
# "apt-get install exim4-daemon-light" would remove the Postfix lab's server).
# So the Exim binary is downloaded with "apt-get download" and extracted with
# dpkg-deb under $SMTPCHECK_LAB_DIR/exim/pkg, and only its shared-library
# dependencies are installed with apt-get. No system Exim service, spool or
# configuration is ever created. Two things are system-wide: the libraries,
# and the Debian-exim system user, which the binary is compiled to run as
# (exim4-base's postinst would create the same user).
set -euo pipefail

log() { printf 'exim-lab-setup: %s\n' "$*" >&2; }
die() { printf 'exim-lab-setup: ERROR: %s\n' "$*" >&2; exit 1; }

LAB_DIR="${SMTPCHECK_LAB_DIR:-/tmp/smtpcheck-lab}"
[[ $LAB_DIR =~ ^/[A-Za-z0-9._/-]+$ ]] || die "SMTPCHECK_LAB_DIR must be an absolute path of A-Z a-z 0-9 . _ - / (got '$LAB_DIR')"
LAB_DIR="${LAB_DIR%/}"
PKG_DIR="$LAB_DIR/exim/pkg"
EXIM="$PKG_DIR/usr/sbin/exim4"
# -light: TLS (GnuTLS), plaintext AUTH, lsearch, Maildir: all the lab needs.
PACKAGE=exim4-daemon-light
EXIM_USER=Debian-exim

export PATH="$PATH:/usr/sbin:/sbin"

exim_works() { [[ -x $EXIM ]] && ! ldd "$EXIM" 2>/dev/null | grep -q 'not found' && id "$EXIM_USER" >/dev/null 2>&1 && command -v openssl >/dev/null 2>&1; }
if exim_works; then
  exit 0 # fast path: extracted, libraries present
fi

[[ $(id -u) -eq 0 ]] || die "need root to set up the Exim lab (run: sudo bash $0)"
command -v apt-get >/dev/null 2>&1 || die "apt-get not found; the Exim lab needs Debian's $PACKAGE"

export DEBIAN_FRONTEND=noninteractive
APT=(-q -o DPkg::Lock::Timeout=300)
apt_update() { apt-get update "${APT[@]}" >&2 || die "apt-get update failed"; }
if ! compgen -G '/var/lib/apt/lists/*_Packages*' >/dev/null; then
  log "apt package lists are empty; running apt-get update"
  apt_update
fi

if ! id "$EXIM_USER" >/dev/null 2>&1; then
  log "creating the system user $EXIM_USER (Exim's compiled-in exim_user)"
  useradd --system --user-group --home-dir /nonexistent --no-create-home --shell /usr/sbin/nologin "$EXIM_USER" ||
    die "useradd $EXIM_USER failed"
fi

# (Re)extract: cheap (a 600 kB package), and it also repairs a half-done set-up.
deb_dir="$LAB_DIR/exim/deb"
rm -rf "$deb_dir" "$PKG_DIR.tmp"
mkdir -p "$deb_dir"
# apt-get download drops to the _apt user when it can write the directory;
# let it, so it does not warn about an unsandboxed download.
if id _apt >/dev/null 2>&1; then chown _apt "$deb_dir"; fi
log "downloading $PACKAGE"
if ! (cd "$deb_dir" && apt-get download "${APT[@]}" "$PACKAGE" >&2); then
  log "download failed; retrying after apt-get update"
  apt_update
  (cd "$deb_dir" && apt-get download "${APT[@]}" "$PACKAGE" >&2) || die "apt-get download $PACKAGE failed"
fi
deb="$(compgen -G "$deb_dir/${PACKAGE}_*.deb" | head -1)" || die "apt-get download left no $PACKAGE .deb in $deb_dir"
dpkg-deb -x "$deb" "$PKG_DIR.tmp" || die "dpkg-deb -x $deb failed"
# The packaged binary is setuid root; the lab runs it as root already, and a
# setuid-root copy must not be left lying in a temporary directory.
chmod 755 "$PKG_DIR.tmp/usr/sbin/exim4"
# Its shared-library dependencies (libgnutls, libidn12, ...), and only those:
# exim4-base and exim4-config would install the system service.
mapfile -t libs < <(dpkg-deb -f "$deb" Depends | tr ',' '\n' | sed -e 's/|.*//' -e 's/(.*)//' -e 's/[[:space:]]//g' | grep '^lib')
dpkg-deb -f "$deb" Version >"$PKG_DIR.tmp/VERSION"
rm -rf "$PKG_DIR"
mv "$PKG_DIR.tmp" "$PKG_DIR"
missing=()
for lib in "${libs[@]}"; do
  dpkg-query -W -f='${Status}' "$lib" 2>/dev/null | grep -q 'ok installed' || missing+=("$lib")
done
if ((${#missing[@]})); then
  log "installing Exim's libraries: ${missing[*]}"
  apt-get install -y --no-install-recommends "${APT[@]}" "${missing[@]}" >&2 ||
    { apt_update && apt-get install -y --no-install-recommends "${APT[@]}" "${missing[@]}" >&2; } ||
    die "apt-get install ${missing[*]} failed"
fi

if ! command -v openssl >/dev/null 2>&1; then
  apt-get install -y --no-install-recommends "${APT[@]}" openssl >&2 || die "apt-get install openssl failed"
fi

if ! exim_works; then
  die "the extracted Exim does not run: $(ldd "$EXIM" 2>&1 | grep -m1 'not found' || echo "see $EXIM -bV")"
fi
log "done: Exim $(cat "$PKG_DIR/VERSION") in $PKG_DIR"
