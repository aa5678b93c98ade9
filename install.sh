#!/bin/sh
# Install or update signage-player on a Debian 12 box from this source folder.
# Safe to re-run: an update keeps the config, the content and the report spool.
#
#   sudo ./install.sh              install (or update), enable and (re)start the service
#   sudo ./install.sh --no-start   install and enable, do not start now
#   sudo ./install.sh --no-apt     skip apt-get (the packages are already there)
#
# What it does: Debian packages (Python, fonts, ALSA tools), the `signage` system user in the
# video/audio/render/input groups, a virtualenv in /opt/signage-player/venv with the player,
# /usr/local/bin/signage-player, a config skeleton in /etc/signage-player (never overwritten),
# a journald size cap, and the systemd unit, enabled.
# INSTALL_ROOT=/some/dir installs the files into that folder instead of / (to test the script;
# no apt, user, virtualenv or systemd steps then).
set -eu

ROOT="${INSTALL_ROOT:-}"
PREFIX="$ROOT/opt/signage-player"
CONFIG_DIR="$ROOT/etc/signage-player"
UNIT_DIR="$ROOT/etc/systemd/system"
SOURCE="$(cd "$(dirname "$0")" && pwd)"
APT=yes
START=yes
PACKAGES="python3 python3-venv python3-pip fonts-noto-core fonts-noto-cjk fonts-dejavu-core \
alsa-utils ca-certificates"

for arg in "$@"; do
    case "$arg" in
        --no-apt) APT=no ;;
        --no-start) START=no ;;
        -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
        *) echo "install.sh: unknown option $arg (try --help)" >&2; exit 2 ;;
    esac
done

say() { printf '==> %s\n' "$*"; }

if [ -z "$ROOT" ] && [ "$(id -u)" -ne 0 ]; then
    echo "install.sh: run it as root (sudo ./install.sh)" >&2
    exit 3
fi
if [ ! -f "$SOURCE/pyproject.toml" ] || [ ! -d "$SOURCE/player" ]; then
    echo "install.sh: run it from the signage-player source folder" >&2
    exit 2
fi

if [ -z "$ROOT" ] && [ "$APT" = yes ]; then
    say "Debian packages: $PACKAGES"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    # shellcheck disable=SC2086  # the list is meant to split into words
    apt-get install -y -q --no-install-recommends $PACKAGES
fi

if [ -z "$ROOT" ]; then
    say "system user signage (groups video audio render input)"
    install -D -m 0644 "$SOURCE/systemd/signage-player.sysusers" \
        /usr/lib/sysusers.d/signage-player.conf
    for group in video audio render input; do
        getent group "$group" >/dev/null || groupadd --system "$group"
    done
    if command -v systemd-sysusers >/dev/null; then
        systemd-sysusers /usr/lib/sysusers.d/signage-player.conf
    elif ! id signage >/dev/null 2>&1; then
        useradd --system --home-dir /var/lib/signage-player --no-create-home \
            --shell /usr/sbin/nologin --user-group signage
    fi
    usermod -a -G video,audio,render,input signage
fi

mkdir -p "$PREFIX"
# The player runs from its own copy of the source (with the bundled fonts and the demo), so the
# folder it was installed from can go away.
say "program in $PREFIX/src"
rm -rf "$PREFIX/src.new"
mkdir -p "$PREFIX/src.new"
cp -r "$SOURCE/player" "$SOURCE/assets" "$SOURCE/playlists" "$SOURCE/pyproject.toml" \
    "$SOURCE/README.md" "$PREFIX/src.new/"
find "$PREFIX/src.new" -name __pycache__ -prune -exec rm -rf {} +
rm -rf "$PREFIX/src"
mv "$PREFIX/src.new" "$PREFIX/src"
if [ -z "$ROOT" ]; then
    say "virtualenv in $PREFIX/venv"
    [ -x "$PREFIX/venv/bin/python" ] || python3 -m venv "$PREFIX/venv"
    "$PREFIX/venv/bin/pip" install --quiet --upgrade pip
    "$PREFIX/venv/bin/pip" install --quiet --upgrade -e "$PREFIX/src"
    ln -sf "$PREFIX/venv/bin/signage-player" /usr/local/bin/signage-player
fi
rm -rf "$PREFIX/docs"
cp -r "$SOURCE/docs" "$PREFIX/docs"

say "config in $CONFIG_DIR"
install -d -m 0755 "$CONFIG_DIR"
if [ -e "$CONFIG_DIR/player.yaml" ]; then
    say "  keeping the existing $CONFIG_DIR/player.yaml"
else
    CLUSTER="$(hostname | tr -c 'A-Za-z0-9._\n-' '-' | cut -c1-64)"
    cat > "$CONFIG_DIR/player.yaml" <<EOF
# signage-player device config: docs in $PREFIX/docs/config.md
# Check it after every edit:  signage-player check --config /etc/signage-player/player.yaml
# The running player applies a valid change at the next item (display changes restart it).
cluster: $CLUSTER
# playlist: /etc/signage-player/local/playlist.yaml   # played when nothing is synced
# sync:
#   sources: [https://hub.example.vn/channels/ban-gioc/]
#   public_keys: ["ed25519:..."]
# health:
#   report_url: https://hub.example.vn/api/v1/heartbeats
#   token: "..."
#   sensors:
#     - {name: cabinet, kind: humidity, scale: 0.001,
#        path: /sys/bus/iio/devices/iio:device0/in_humidityrelative_input}
# power:
#   off_hours: ["23:00-05:30"]
#   off_command: vcgencmd display_power 0
#   on_command: vcgencmd display_power 1
EOF
    chmod 0644 "$CONFIG_DIR/player.yaml"
fi

say "journald: logs capped at 200 MB"
install -d "$ROOT/etc/systemd/journald.conf.d"
cat > "$ROOT/etc/systemd/journald.conf.d/signage-player.conf" <<EOF
# installed by signage-player's install.sh: bounded logs on a small SD card
[Journal]
SystemMaxUse=200M
MaxRetentionSec=2month
EOF

say "systemd unit"
install -D -m 0644 "$SOURCE/systemd/signage-player.service" "$UNIT_DIR/signage-player.service"
if [ -z "$ROOT" ]; then
    systemctl daemon-reload
    systemctl try-restart systemd-journald.service || true
    systemctl enable signage-player.service
    if [ "$START" = yes ]; then
        # restart, not start: an update must replace the running code
        systemctl restart signage-player.service
        say "started; see: signage-player status   and   journalctl -u signage-player -f"
    else
        say "enabled; it starts at the next boot (or: systemctl start signage-player)"
    fi
fi
say "done"
