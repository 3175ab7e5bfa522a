#!/usr/bin/env bash
# Debian packages Hotline needs beside Python: Chromium for the browser tests,
# ffmpeg for recording conversion (pydub) and the IVR prompts, espeak-ng to speak
# the prompts, debootstrap for the Asterisk root, and ghostscript to turn an
# uploaded PDF into a fax (recordings/fax_out.py); nginx's binary for the test of the
# proxy configuration.
# Installs only what is missing, so a second run costs nothing.
set -euo pipefail

missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v ffmpeg >/dev/null 2>&1 || missing+=(ffmpeg)
# The IVR's Mandarin prompts are spoken at Asterisk start (ivr/prompts.py).
command -v espeak-ng >/dev/null 2>&1 || missing+=(espeak-ng)
command -v debootstrap >/dev/null 2>&1 || missing+=(debootstrap)
command -v gs >/dev/null 2>&1 || missing+=(ghostscript)
# A CJK font, so the Chinese console renders in the browser tests' screenshots
# and Chinese text can be written into a fax page. Asked of dpkg, not through a
# pipe into grep -q: under pipefail the writer's SIGPIPE failed the test, and the
# font was installed again (apt-get update and all) on every run.
[ "$(dpkg-query -W -f='${Status}' fonts-wqy-microhei 2>/dev/null)" = "install ok installed" ] \
    || missing+=(fonts-wqy-microhei)

# nginx for tests/hotline/test_deploy.py, which runs the console behind
# deploy/nginx/hotline.conf: the binary only, unpacked from Debian's package into
# /var/lib/hotline/nginx (installing the package would start a web server on port 80).
NGINX_ROOT=/var/lib/hotline/nginx
if [ ! -x "$NGINX_ROOT/usr/sbin/nginx" ]; then
    if [ "$(id -u)" != 0 ]; then
        echo "system-deps: nginx missing from $NGINX_ROOT; run as root." >&2
        exit 1
    fi
    unpack=$(mktemp -d)
    chmod 755 "$unpack"  # apt downloads as the _apt user
    if ! (cd "$unpack" && apt-get download -qq nginx >/dev/null 2>&1); then
        apt-get update -qq
        (cd "$unpack" && apt-get download -qq nginx >/dev/null)
    fi
    mkdir -p "$NGINX_ROOT"
    dpkg-deb -x "$unpack"/nginx_*.deb "$NGINX_ROOT"
    rm -rf "$unpack"
    echo "system-deps: nginx unpacked into $NGINX_ROOT"
fi

if [ ${#missing[@]} -eq 0 ]; then
    exit 0
fi
if [ "$(id -u)" != 0 ]; then
    echo "system-deps: missing ${missing[*]}; run as root or install them with apt." >&2
    exit 1
fi
echo "system-deps: installing ${missing[*]}"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
