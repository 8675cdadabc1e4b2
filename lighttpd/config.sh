#!/bin/sh
# Prints the lighttpd variables one service's configuration needs, from the
# environment with defaults. lighttpd runs it through include_shell from this
# directory (see foo.conf and factorial.conf); it is also safe to run by hand:
#   sh lighttpd/config.sh foo
#
#   <SERVICE>_LISTEN   host:port to listen on   (foo 0.0.0.0:8080, factorial 0.0.0.0:8081)
#   <SERVICE>_PROCS    FastCGI worker processes (4)
#   FOOBAR_BIN_DIR     where the foo and factorial programs are (../build/bin), absolute
#   FOOBAR_RUN_DIR     sockets and lighttpd's temporary files   (${TMPDIR:-/tmp}), absolute
#   HTTP_DRAIN_S       longest graceful drain on stop, seconds  (5)
set -eu

fail() {
    printf 'lighttpd/config.sh: %s\n' "$1" >&2
    exit 1
}

# in_range VALUE MIN MAX: VALUE is a whole number from MIN to MAX.
in_range() {
    case "$1" in
    '' | *[!0-9]*) return 1 ;;
    esac
    [ "$1" -ge "$2" ] && [ "$1" -le "$3" ]
}

service=${1:-}
case "$service" in
foo) listen=${FOO_LISTEN:-0.0.0.0:8080} procs=${FOO_PROCS:-4} ;;
factorial) listen=${FACTORIAL_LISTEN:-0.0.0.0:8081} procs=${FACTORIAL_PROCS:-4} ;;
*) fail "usage: config.sh foo|factorial" ;;
esac

conf_dir=$(pwd)
root=$(cd .. && pwd)
bin_dir=${FOOBAR_BIN_DIR:-$root/build/bin}
run_dir=${FOOBAR_RUN_DIR:-${TMPDIR:-/tmp}}
drain=${HTTP_DRAIN_S:-5}

host=${listen%:*}
port=${listen##*:}
[ "$host" != "$listen" ] || fail "listen address '$listen' is not host:port"
in_range "$port" 1 65535 || fail "listen port '$port' is not a number from 1 to 65535"
in_range "$procs" 1 64 || fail "worker count '$procs' is not a number from 1 to 64"
in_range "$drain" 0 600 || fail "HTTP_DRAIN_S '$drain' is not a number from 0 to 600"
# lighttpd runs this from its configuration's directory: a relative path
# would not mean what it meant where lighttpd was started.
for value in "$bin_dir" "$run_dir"; do
    case "$value" in
    /*) ;;
    *) fail "'$value' is not an absolute path (FOOBAR_BIN_DIR, FOOBAR_RUN_DIR)" ;;
    esac
done
for value in "$host" "$bin_dir" "$run_dir"; do
    case "$value" in
    *[\"\\]*) fail "'$value' contains a quote or backslash" ;;
    esac
done
[ -d "$run_dir" ] || fail "FOOBAR_RUN_DIR '$run_dir' is not a directory"
[ -x "$bin_dir/$service" ] || fail "no program $bin_dir/$service (run make all, or set FOOBAR_BIN_DIR)"

# The program checks its own environment (and says what is wrong on stderr,
# as a JSON line); a bad setting stops lighttpd here, before it would spawn
# workers that refuse to run.
"$bin_dir/$service" --check-config >&2 </dev/null || exit 1

printf 'var.conf_dir = "%s"\n' "$conf_dir"
printf 'var.bin_dir = "%s"\n' "$bin_dir"
printf 'var.run_dir = "%s"\n' "$run_dir"
printf 'var.socket = "%s/foobar-%s-%s.sock"\n' "$run_dir" "$service" "$port"
printf 'var.listen_host = "%s"\n' "$host"
printf 'var.listen_port = %s\n' "$port"
printf 'var.procs = %s\n' "$procs"
printf 'var.drain_s = %s\n' "$drain"
