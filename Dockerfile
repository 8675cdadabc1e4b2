# One image per service, all from this file:
#
#   docker build --target foo .        (likewise bar, factorial, redis)
#
# The compose file builds all four (make build). Written for the classic
# builder as well as BuildKit: no RUN --mount, no COPY --chmod.
#
# The base is pinned to a point release so that a rebuild gets the same
# one; the build and every final image use it, so the libraries the programs
# were linked against are the ones they run with. The pin is the FROM line
# of the debian-base stage, the one place it is written: Dependabot reads
# that line (it cannot read a FROM behind an ARG) and proposes new point
# releases. DEBIAN_IMAGE overrides it: --build-arg DEBIAN_IMAGE=other:tag.
# Where no registry answers, scripts/docker-base-images.sh makes a local
# stand-in under the pinned tag.
ARG DEBIAN_IMAGE=debian-base
FROM debian:12.12-slim AS debian-base

# ---------------------------------------------------------------------------
# build: compiles every program once; the final stages only copy from it.
FROM ${DEBIAN_IMAGE} AS build

# The toolchain changes least, so it comes first: editing a source file
# reuses this layer.
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        build-essential pkg-config protobuf-c-compiler \
        libprotobuf-c-dev libgrpc-dev libfcgi-dev libjson-c-dev libhiredis-dev libgmp-dev \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /src
# Then the build rules and the protocol: the generated code is rebuilt only
# when one of them changes.
COPY Makefile ./
COPY proto/ proto/
RUN make proto

COPY common/ common/
COPY bar/ bar/
COPY fcgi/ fcgi/
COPY supervisor/ supervisor/
# Debug sections go (they are most of each binary's size); the symbol table
# stays, so a backtrace from a container still names functions.
RUN make -j"$(nproc)" all \
    && mkdir /out \
    && install -m 0755 build/bin/* /out/ \
    && strip --strip-debug /out/*

# ---------------------------------------------------------------------------
# Runtime stages. Each installs only the shared libraries its programs link
# (found with ldd and dpkg -S), creates the fixed unprivileged user, and
# copies its programs. The uid is numeric in USER so that orchestrators that
# refuse root (Kubernetes' runAsNonRoot) can verify it without a passwd
# lookup.

# bar: the gRPC server. libgrpc29 brings abseil, c-ares, re2 and OpenSSL.
FROM ${DEBIAN_IMAGE} AS bar
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        libgrpc29 libprotobuf-c1 \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --gid 10001 app \
    && useradd --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent \
        --shell /usr/sbin/nologin app
COPY --from=build /out/supervisor /out/bar /out/bar-healthcheck /usr/local/bin/
USER 10001:10001
EXPOSE 50051
# bar drains on SIGTERM itself (NOT_SERVING, finish calls, exit 0), so the
# supervisor forwards the default stop signal unchanged.
ENTRYPOINT ["supervisor", "--service", "bar", "--", "bar"]
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
    CMD ["bar-healthcheck", "127.0.0.1:50051"]
ARG OCI_SOURCE=https://github.com/foobar-stack/foobar
ARG OCI_REVISION=unknown
ARG OCI_LICENSES=MIT
LABEL org.opencontainers.image.title="foobar bar" \
      org.opencontainers.image.description="bar: gRPC server (gRPC C core) that answers bar" \
      org.opencontainers.image.source="${OCI_SOURCE}" \
      org.opencontainers.image.revision="${OCI_REVISION}" \
      org.opencontainers.image.licenses="${OCI_LICENSES}"

# foo: lighttpd with the foo FastCGI program, a gRPC client of bar.
FROM ${DEBIAN_IMAGE} AS foo
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        lighttpd libfcgi0ldbl libgrpc29 libprotobuf-c1 \
    && rm -rf /var/lib/apt/lists/* /var/www/html \
    && groupadd --gid 10001 app \
    && useradd --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent \
        --shell /usr/sbin/nologin app
COPY lighttpd/config.sh lighttpd/common.conf lighttpd/foo.conf /etc/foobar/lighttpd/
COPY lighttpd/errors/ /etc/foobar/lighttpd/errors/
COPY --from=build /out/supervisor /out/foo /out/http-healthcheck /usr/local/bin/
# lighttpd/config.sh reads these: where the FastCGI program is, and where
# its sockets and spooled bodies go (/tmp: a tmpfs under a read-only root).
ENV FOOBAR_BIN_DIR=/usr/local/bin \
    FOOBAR_RUN_DIR=/tmp
USER 10001:10001
EXPOSE 8080
# lighttpd drains requests in flight only on SIGINT; SIGTERM drops them.
ENTRYPOINT ["supervisor", "--service", "foo", "--stop-signal", "INT", "--", \
            "lighttpd", "-D", "-f", "/etc/foobar/lighttpd/foo.conf"]
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
    CMD ["http-healthcheck", "127.0.0.1:8080", "/healthz"]
ARG OCI_SOURCE=https://github.com/foobar-stack/foobar
ARG OCI_REVISION=unknown
ARG OCI_LICENSES=MIT
LABEL org.opencontainers.image.title="foobar foo" \
      org.opencontainers.image.description="foo: GET /foo (lighttpd, FastCGI), asks bar over gRPC" \
      org.opencontainers.image.source="${OCI_SOURCE}" \
      org.opencontainers.image.revision="${OCI_REVISION}" \
      org.opencontainers.image.licenses="${OCI_LICENSES}"

# factorial: lighttpd with the factorial FastCGI program, caching in Redis.
# (libgmp10 is part of the base image already; it is named so that it stays.)
FROM ${DEBIAN_IMAGE} AS factorial
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        lighttpd libfcgi0ldbl libjson-c5 libhiredis0.14 libgmp10 \
    && rm -rf /var/lib/apt/lists/* /var/www/html \
    && groupadd --gid 10001 app \
    && useradd --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent \
        --shell /usr/sbin/nologin app
COPY lighttpd/config.sh lighttpd/common.conf lighttpd/factorial.conf /etc/foobar/lighttpd/
COPY lighttpd/errors/ /etc/foobar/lighttpd/errors/
COPY --from=build /out/supervisor /out/factorial /out/http-healthcheck /usr/local/bin/
ENV FOOBAR_BIN_DIR=/usr/local/bin \
    FOOBAR_RUN_DIR=/tmp
USER 10001:10001
EXPOSE 8081
ENTRYPOINT ["supervisor", "--service", "factorial", "--stop-signal", "INT", "--", \
            "lighttpd", "-D", "-f", "/etc/foobar/lighttpd/factorial.conf"]
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
    CMD ["http-healthcheck", "127.0.0.1:8081", "/healthz"]
ARG OCI_SOURCE=https://github.com/foobar-stack/foobar
ARG OCI_REVISION=unknown
ARG OCI_LICENSES=MIT
LABEL org.opencontainers.image.title="foobar factorial" \
      org.opencontainers.image.description="factorial: POST /factorial (lighttpd, FastCGI, Redis)" \
      org.opencontainers.image.source="${OCI_SOURCE}" \
      org.opencontainers.image.revision="${OCI_REVISION}" \
      org.opencontainers.image.licenses="${OCI_LICENSES}"

# redis: Debian's redis-server under our supervisor, so that its log lines
# come out in the shared JSON schema. Built locally by compose, not
# published. It runs as the same fixed uid as the other images rather than
# Debian's redis user, whose uid depends on package install order.
FROM ${DEBIAN_IMAGE} AS redis
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        redis-server \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --gid 10001 app \
    && useradd --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent \
        --shell /usr/sbin/nologin app
COPY --from=build /out/supervisor /usr/local/bin/
USER 10001:10001
WORKDIR /tmp
EXPOSE 6379
# A cache, never a store: no snapshots, no append-only file, and nothing
# written outside /tmp. It listens on every address of its container and
# relies on not being published (protected mode would refuse the other
# containers, since no password is set).
ENTRYPOINT ["supervisor", "--service", "redis", "--", \
            "redis-server", "--bind", "0.0.0.0", "--protected-mode", "no", \
            "--save", "", "--appendonly", "no", "--dir", "/tmp"]
# Memory bound and eviction; compose passes its own (later options win).
CMD ["--maxmemory", "64mb", "--maxmemory-policy", "allkeys-lru"]
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s --retries=3 \
    CMD ["sh", "-c", "[ \"$(redis-cli -h 127.0.0.1 ping)\" = PONG ]"]
ARG OCI_SOURCE=https://github.com/foobar-stack/foobar
ARG OCI_REVISION=unknown
ARG OCI_LICENSES=MIT
LABEL org.opencontainers.image.title="foobar redis" \
      org.opencontainers.image.description="Debian's redis-server, the factorial cache, JSON logs" \
      org.opencontainers.image.source="${OCI_SOURCE}" \
      org.opencontainers.image.revision="${OCI_REVISION}" \
      org.opencontainers.image.licenses="${OCI_LICENSES}"
