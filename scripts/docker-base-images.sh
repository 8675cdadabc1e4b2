#!/usr/bin/env bash
# Makes local stand-ins for the base images the Dockerfile and the compose
# file name, for machines that reach Debian's package mirror but no container
# registry. Each image is built the way the official Debian images are: a
# minbase debootstrap of the release, slimmed like the "-slim" variant (no
# documentation, manual pages or locales), then `docker import`. Nothing is
# pulled or pushed.
#
#   scripts/docker-base-images.sh [IMAGE...]
#
# Without arguments it makes the Dockerfile's pinned default (ARG
# DEBIAN_IMAGE). An image that already exists locally is left alone, so the
# script is safe to run again. The packages debootstrap fetched and the
# finished root filesystem are kept in the cache directory, so a second
# machine user or a removed image is rebuilt without downloading again.
#
# Environment:
#   DEBIAN_MIRROR           (http://deb.debian.org/debian)
#   DEBIAN_SECURITY_MIRROR  (http://deb.debian.org/debian-security)
#   FOOBAR_CACHE_DIR        (${XDG_CACHE_HOME:-$HOME/.cache}/foobar/base-images)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
readonly ROOT
readonly MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
readonly SECURITY_MIRROR=${DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
readonly CACHE_DIR=${FOOBAR_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/foobar/base-images}

# The rootfs is made of root-owned files and device nodes: as a normal
# user every step that touches it goes through sudo.
SUDO=()
if [ "$(id -u)" -ne 0 ]; then
    SUDO=(sudo)
fi

say() {
    printf 'docker-base-images: %s\n' "$*" >&2
}

die() {
    say "$*"
    exit 1
}

# The Dockerfile is the one place the pinned tag is written down: the FROM
# line of its debian-base stage.
default_images() {
    sed -n 's/^FROM[[:space:]]\{1,\}\([^[:space:]]*\)[[:space:]]\{1,\}AS[[:space:]]\{1,\}debian-base[[:space:]]*$/\1/p' \
        "$ROOT/Dockerfile" | sort -u
}

# Which Debian suite a tag stands for. Only tags whose content we can make
# faithfully are accepted; anything else is a mistake, not a guess.
suite_of() {
    case "$1" in
    debian:12 | debian:12-slim | debian:12.*-slim | debian:12.* | debian:bookworm | \
        debian:bookworm-slim | debian:bookworm-*-slim)
        echo bookworm
        ;;
    *) return 1 ;;
    esac
}

ensure_debootstrap() {
    if command -v debootstrap >/dev/null 2>&1 &&
        [ -e /usr/share/keyrings/debian-archive-keyring.gpg ]; then
        return
    fi
    command -v apt-get >/dev/null 2>&1 ||
        die "debootstrap is missing and there is no apt-get to install it"
    say "installing debootstrap"
    "${SUDO[@]}" apt-get update -qq
    # The keyring is separate on Ubuntu (GitHub's runners) and needed to
    # check Debian's Release files.
    "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
        --no-install-recommends debootstrap debian-archive-keyring
}

# Rules that keep what the slim images leave out from coming back with every
# later `apt-get install` (dpkg reads them), and that the build uses below
# to delete what debootstrap already unpacked.
write_slim_config() {
    local rootfs=$1

    "${SUDO[@]}" tee "$rootfs/etc/dpkg/dpkg.cfg.d/foobar-slim" >/dev/null <<'EOF'
# Local stand-in for the official -slim image: no documentation, manual
# pages, info pages or translations. Licences stay.
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/locale/*
EOF
    # Images are rebuilt, never upgraded in place: apt's caches and
    # translated descriptions would only make every layer bigger.
    "${SUDO[@]}" tee "$rootfs/etc/apt/apt.conf.d/foobar-slim" >/dev/null <<'EOF'
Acquire::Languages "none";
APT::Install-Recommends "false";
DPkg::Post-Invoke { "rm -f /var/cache/apt/*.bin /var/cache/apt/archives/*.deb || true"; };
EOF
    # No init runs in a container; package scripts must not try to start
    # the daemons they install (lighttpd, redis-server).
    printf '#!/bin/sh\nexit 101\n' | "${SUDO[@]}" tee "$rootfs/usr/sbin/policy-rc.d" >/dev/null
    "${SUDO[@]}" chmod 0755 "$rootfs/usr/sbin/policy-rc.d"
}

write_sources() {
    local rootfs=$1 suite=$2

    "${SUDO[@]}" rm -f "$rootfs/etc/apt/sources.list"
    "${SUDO[@]}" tee "$rootfs/etc/apt/sources.list.d/debian.sources" >/dev/null <<EOF
Types: deb
URIs: $MIRROR
Suites: $suite $suite-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: $SECURITY_MIRROR
Suites: $suite-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
}

# Deletes what the dpkg rules above would have kept out, and the traces of
# the build machine (its resolv.conf and hostname, logs, apt lists).
slim_rootfs() {
    local rootfs=$1

    "${SUDO[@]}" find "$rootfs/usr/share/doc" -mindepth 1 -not -name copyright \
        -not -type d -delete
    "${SUDO[@]}" find "$rootfs/usr/share/doc" -mindepth 1 -type d -empty -delete
    for dir in man info groff lintian linda locale; do
        "${SUDO[@]}" rm -rf "${rootfs:?}/usr/share/$dir"
    done
    "${SUDO[@]}" rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/* \
        "$rootfs"/var/log/* "$rootfs"/tmp/* "$rootfs"/var/tmp/* "$rootfs"/dev/* \
        "$rootfs/etc/resolv.conf" "$rootfs/etc/hostname" "$rootfs/debootstrap"
    "${SUDO[@]}" mkdir -p "$rootfs/var/lib/apt/lists/partial" \
        "$rootfs/var/cache/apt/archives/partial"
}

# The build's scratch directory; global so the EXIT trap still sees it.
WORK=

cleanup() {
    [ -n "$WORK" ] || return 0
    # A failed debootstrap can leave /proc and /sys mounted in the rootfs;
    # --one-file-system keeps rm from walking into them regardless.
    "${SUDO[@]}" umount -R "$WORK/rootfs/proc" "$WORK/rootfs/sys" 2>/dev/null || true
    "${SUDO[@]}" rm -rf --one-file-system "$WORK"
    WORK=
}

# Builds the rootfs tarball for one suite into the cache, once.
make_tarball() {
    local suite=$1 tarball=$2 keyring=()

    ensure_debootstrap
    mkdir -p "$CACHE_DIR/debs-$suite"
    WORK=$(mktemp -d "$CACHE_DIR/rootfs.XXXXXX")
    trap cleanup EXIT
    if [ -e /usr/share/keyrings/debian-archive-keyring.gpg ]; then
        keyring=(--keyring=/usr/share/keyrings/debian-archive-keyring.gpg)
    fi

    say "debootstrap $suite from $MIRROR (a few minutes)"
    "${SUDO[@]}" debootstrap --variant=minbase --components=main "${keyring[@]}" \
        --cache-dir="$CACHE_DIR/debs-$suite" "$suite" "$WORK/rootfs" "$MIRROR" \
        >"$WORK/debootstrap.log" 2>&1 || {
        tail -n 30 "$WORK/debootstrap.log" >&2
        die "debootstrap failed"
    }
    write_slim_config "$WORK/rootfs"
    write_sources "$WORK/rootfs" "$suite"
    # debootstrap takes the release alone; the official images also carry
    # the point-release and security updates published since, and so must
    # the stand-in, or every later apt-get install upgrades half the base.
    say "applying $suite-updates and $suite-security"
    if ! { "${SUDO[@]}" chroot "$WORK/rootfs" apt-get update -qq &&
        "${SUDO[@]}" chroot "$WORK/rootfs" env DEBIAN_FRONTEND=noninteractive \
            apt-get -y -qq dist-upgrade; } >>"$WORK/debootstrap.log" 2>&1; then
        tail -n 30 "$WORK/debootstrap.log" >&2
        die "apt-get dist-upgrade in the new rootfs failed"
    fi
    slim_rootfs "$WORK/rootfs"

    # Owners by number: the rootfs's users are not the build machine's.
    "${SUDO[@]}" tar --numeric-owner --xattrs -C "$WORK/rootfs" -cf "$WORK/rootfs.tar" .
    "${SUDO[@]}" chown "$(id -u):$(id -g)" "$WORK/rootfs.tar"
    mv "$WORK/rootfs.tar" "$tarball"
    cleanup
}

make_image() {
    local image=$1 suite tarball

    if docker image inspect "$image" >/dev/null 2>&1; then
        say "$image exists, skipped"
        return
    fi
    suite=$(suite_of "$image") || die "no recipe for $image (only Debian 12 tags)"
    # The version in the name invalidates caches made by older recipes.
    tarball="$CACHE_DIR/debian-$suite-minbase-slim-v2.tar"
    if [ -s "$tarball" ]; then
        say "using the cached $tarball"
    else
        make_tarball "$suite" "$tarball"
    fi

    local description="local stand-in for $image: debootstrap --variant=minbase $suite, slimmed"
    docker import \
        --change 'CMD ["bash"]' \
        --change "LABEL org.opencontainers.image.description=\"$description\"" \
        --message "foobar stand-in for $image" \
        "$tarball" "$image" >/dev/null
    say "$image imported, $(docker image inspect -f '{{.Size}}' "$image" | numfmt --to=iec)B"
}

main() {
    local images=("$@")

    docker info >/dev/null 2>&1 || die "no Docker engine answers (scripts/docker-engine.sh start)"
    if [ ${#images[@]} -eq 0 ]; then
        mapfile -t images < <(default_images)
        [ ${#images[@]} -gt 0 ] || die "no FROM ... AS debian-base stage in $ROOT/Dockerfile"
    fi
    mkdir -p "$CACHE_DIR"
    for image in "${images[@]}"; do
        make_image "$image"
    done
}

main "$@"
