#!/usr/bin/env bash
# Makes sure a Docker engine answers, for the container targets and tests on
# a machine that may have none (CI's fresh machines, a developer's new one).
#
#   scripts/docker-engine.sh start   install Debian's docker.io (and a
#                                    compose) when missing; start dockerd
#                                    when no engine answers
#   scripts/docker-engine.sh stop    stop the dockerd that `start` started,
#                                    and nothing else
#
# dockerd runs with --iptables=false: machines like ours may not let it
# program iptables. Containers then reach each other on their networks and
# published ports work on 127.0.0.1 (through docker-proxy), but a bridge
# network has no route out: image builds use the host's network for apt.
#
# Environment:
#   FOOBAR_ENGINE_DIR     where the log and the pid file go (/var/tmp/foobar-docker-engine)
#   FOOBAR_DOCKERD_ARGS   more dockerd options, split on blanks (-H, --data-root,
#                         --exec-root for an engine beside another, with DOCKER_HOST;
#                         not --bridge none there: it deletes the host's docker0,
#                         which the other engine's default network uses)
#   DOCKER_START_TIMEOUT  seconds to wait for the engine to answer (60)
set -euo pipefail

readonly STATE_DIR=${FOOBAR_ENGINE_DIR:-/var/tmp/foobar-docker-engine}
readonly PIDFILE=$STATE_DIR/dockerd.pid
readonly LOG=$STATE_DIR/dockerd.log
readonly START_TIMEOUT=${DOCKER_START_TIMEOUT:-60}
read -r -a EXTRA_ARGS <<<"${FOOBAR_DOCKERD_ARGS:-}"
readonly EXTRA_ARGS

SUDO=()
if [ "$(id -u)" -ne 0 ]; then
    SUDO=(sudo)
fi

say() {
    printf 'docker-engine: %s\n' "$*" >&2
}

die() {
    say "$*"
    exit 1
}

engine_answers() {
    "${SUDO[@]}" docker info >/dev/null 2>&1
}

has_compose() {
    docker compose version >/dev/null 2>&1 || command -v docker-compose >/dev/null 2>&1
}

# The pid of the dockerd this script started, if it is still running.
started_pid() {
    local pid

    [ -s "$PIDFILE" ] || return 1
    pid=$(cat "$PIDFILE")
    # A pid file can outlive its process (a reboot, a kill -9); only a
    # live dockerd under that pid counts.
    [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = dockerd ] || return 1
    echo "$pid"
}

install_packages() {
    local packages=() added_policy=false

    command -v dockerd >/dev/null 2>&1 && command -v docker >/dev/null 2>&1 ||
        packages+=(docker.io)
    has_compose || packages+=(docker-compose)
    [ ${#packages[@]} -gt 0 ] || return 0
    command -v apt-get >/dev/null 2>&1 || die "no dockerd here, and no apt-get to install it"

    say "installing ${packages[*]}"
    # docker.io's maintainer script would start the engine with its
    # defaults (iptables on); this script starts it itself, below.
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        printf '#!/bin/sh\nexit 101\n' | "${SUDO[@]}" tee /usr/sbin/policy-rc.d >/dev/null
        "${SUDO[@]}" chmod 0755 /usr/sbin/policy-rc.d
        added_policy=true
    fi
    "${SUDO[@]}" apt-get update -qq
    "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
        --no-install-recommends "${packages[@]}" || {
        [ "$added_policy" = false ] || "${SUDO[@]}" rm -f /usr/sbin/policy-rc.d
        die "apt-get install ${packages[*]} failed"
    }
    [ "$added_policy" = false ] || "${SUDO[@]}" rm -f /usr/sbin/policy-rc.d
}

start() {
    local waited=0

    install_packages
    if engine_answers; then
        say "an engine already answers; nothing started"
        return
    fi

    "${SUDO[@]}" mkdir -p "$STATE_DIR"
    say "starting dockerd (log: $LOG)"
    # setsid: the engine must outlive the shell that started it, and a ^C
    # there must not reach it. dockerd writes its own pid file, which is how
    # `stop` knows this engine is ours.
    "${SUDO[@]}" setsid dockerd --storage-driver=overlay2 --iptables=false \
        --pidfile "$PIDFILE" "${EXTRA_ARGS[@]}" </dev/null >>"$LOG" 2>&1 &

    until engine_answers; do
        if [ "$waited" -ge "$START_TIMEOUT" ]; then
            tail -n 30 "$LOG" >&2 || true
            die "dockerd did not answer within $START_TIMEOUT s"
        fi
        # A dockerd that has already died (bad storage driver, no cgroups)
        # will not answer; say so now rather than at the timeout.
        if [ "$waited" -ge 3 ] && ! started_pid >/dev/null; then
            tail -n 30 "$LOG" >&2 || true
            die "dockerd exited at start"
        fi
        sleep 1
        waited=$((waited + 1))
    done
    say "engine answers after ${waited} s: $(docker version -f '{{.Server.Version}}' 2>/dev/null)"
}

stop() {
    local pid waited=0

    if ! pid=$(started_pid); then
        say "no dockerd started by this script is running; nothing stopped"
        "${SUDO[@]}" rm -f "$PIDFILE"
        return
    fi
    say "stopping dockerd $pid"
    # On SIGTERM dockerd stops its containers (their stop signal, then a
    # grace period) and its containerd before exiting.
    "${SUDO[@]}" kill -TERM "$pid"
    while [ -d "/proc/$pid" ]; do
        if [ "$waited" -ge 60 ]; then
            die "dockerd $pid still running after 60 s"
        fi
        sleep 1
        waited=$((waited + 1))
    done
    "${SUDO[@]}" rm -f "$PIDFILE"
    say "dockerd stopped"
}

case "${1:-}" in
start) start ;;
stop) stop ;;
*) die "usage: $0 start|stop" ;;
esac
