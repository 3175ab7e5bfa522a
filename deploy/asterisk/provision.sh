#!/usr/bin/env bash
# Build (once) a Debian sid root holding Asterisk, outside the checkout so that
# every clone and CI run on this machine shares it. Idempotent: a finished root
# is detected by its stamp file and reused in well under a second.
set -euo pipefail

ROOT="${HOTLINE_ASTERISK_ROOT:-/var/lib/hotline/asterisk-root}"
MIRROR="${HOTLINE_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
STAMP="$ROOT/.hotline-provisioned"
PACKAGES="asterisk,asterisk-core-sounds-en-gsm,asterisk-modules"

die() { echo "provision: $*" >&2; exit 1; }

if [ -f "$STAMP" ]; then
    echo "provision: Asterisk root already at $ROOT (remove $STAMP to rebuild)"
    exit 0
fi

[ "$(id -u)" = 0 ] || die "must run as root (debootstrap and chroot need it). Re-run with sudo, or point HOTLINE_ASTERISK_ROOT at a root someone else built."

parent="$(dirname "$ROOT")"
mkdir -p "$parent" || die "cannot create $parent; set HOTLINE_ASTERISK_ROOT to a writable folder."
avail_kb=$(df -Pk "$parent" | awk 'NR==2 {print $4}')
if [ "${avail_kb:-0}" -lt 800000 ]; then
    die "only $((avail_kb / 1024)) MB free under $parent; about 600 MB are needed. Free some space or set HOTLINE_ASTERISK_ROOT elsewhere."
fi

if ! command -v debootstrap >/dev/null 2>&1; then
    echo "provision: installing debootstrap with apt"
    apt-get update -qq || die "apt-get update failed; check the network to the Debian mirror."
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null \
        || die "cannot install debootstrap with apt."
fi

if [ -d "$ROOT" ] && [ ! -f "$STAMP" ]; then
    echo "provision: removing an unfinished root at $ROOT"
    for m in proc dev; do umount -l "$ROOT/$m" 2>/dev/null || true; done
    rm -rf --one-file-system "$ROOT"
fi

echo "provision: debootstrap sid into $ROOT (about a minute)"
log="$(mktemp)"
if ! debootstrap --variant=minbase --include="$PACKAGES" sid "$ROOT" "$MIRROR" >"$log" 2>&1; then
    tail -20 "$log" >&2
    if grep -qiE "could not resolve|failed to connect|unable to fetch|Couldn't download" "$log"; then
        die "cannot reach the Debian mirror $MIRROR. Check the network, or set HOTLINE_DEBIAN_MIRROR to a reachable mirror."
    fi
    die "debootstrap failed (log above, full log in $log)."
fi
rm -f "$log"

chroot "$ROOT" asterisk -V >/dev/null 2>&1 || die "Asterisk did not install into $ROOT."
# The chroot's asterisk user must own its state folders so it can run unprivileged.
chroot "$ROOT" chown -R asterisk:asterisk /var/lib/asterisk /var/log/asterisk /var/spool/asterisk /var/run/asterisk 2>/dev/null || true
date -u +%FT%TZ >"$STAMP"
echo "provision: done: $(chroot "$ROOT" asterisk -V)"
