#!/usr/bin/env bash
# Installs the Debian packages that building, testing and linting need, when
# any is missing. Uses sudo when not root. Safe to run again: it only calls
# apt-get when something is missing.
#
#   scripts/install-deps.sh            build + test + lint packages
#   scripts/install-deps.sh --check    exit 1 and list what is missing
set -euo pipefail

packages=(
    # build
    build-essential pkg-config protobuf-c-compiler libprotobuf-c-dev libgrpc-dev
    libfcgi-dev libjson-c-dev libhiredis-dev libgmp-dev libcmocka-dev
    # the real parts the end-to-end tests run
    lighttpd redis-server redis-tools curl iproute2 util-linux
    python3 python3-jsonschema python3-pytest python3-yaml python3-grpcio
    # lint
    clang-format clang-tidy cppcheck shellcheck pyflakes3
)

# The k6 and Kubernetes checks run on Node.js with npm. A Node.js from
# elsewhere (NodeSource, nodejs.org, CI's setup-node) is used as it is;
# without one, Debian's nodejs (18) and npm do for `make test`. `make lint`'s
# workflow linter needs Node.js 20 or later (mk/ci.mk says so when it is older).
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    packages+=(nodejs npm)
fi

missing=()
for pkg in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'ok installed'; then
        missing+=("$pkg")
    fi
done

if [[ ${#missing[@]} -eq 0 ]]; then
    echo "install-deps: every package is installed"
    exit 0
fi
if [[ "${1:-}" == "--check" ]]; then
    printf 'missing Debian packages: %s\n' "${missing[*]}" >&2
    exit 1
fi

sudo=()
if [[ $(id -u) -ne 0 ]]; then
    sudo=(sudo)
fi
echo "installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
# The tests start their own redis-server on free ports; one that the package
# may start on 6379 does not get in their way.
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
