/*
 * healthcheck.c - http-healthcheck: exits 0 when GET <path> on host:port
 * answers 200 within the timeout, 1 otherwise. The foo and factorial images
 * have no curl or wget, so Docker's healthcheck runs this.
 *
 * Usage: http-healthcheck [host:port] [path]
 *        (defaults 127.0.0.1:8080 and /healthz; HTTP_HEALTHCHECK_TIMEOUT_MS, default 1000,
 *        bounds the whole check: the name lookup, every connect attempt, every read)
 */
#include "config.h"
#include "deadline.h"
#include "log.h"
#include "resolve.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* Waits for fd to become ready for events; false once the deadline passed. */
static bool wait_for(int fd, short events, const struct deadline *dl)
{
    return (deadline_poll(fd, events, dl) & events) != 0;
}

static int connect_before_deadline(const struct config_hostport *addr, const struct deadline *dl)
{
    struct addrinfo *res = NULL;
    int fd = -1;

    if (resolve_tcp(addr->host, addr->port, deadline_left_ms(dl), &res) != 0)
        return -1;
    for (struct addrinfo *ai = res; ai != NULL && fd < 0; ai = ai->ai_next) {
        int err = 0;
        socklen_t len = sizeof(err);

        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
        if (fd < 0)
            continue;
        if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
            break;
        if (errno != EINPROGRESS || !wait_for(fd, POLLOUT, dl) ||
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err != 0) {
            close(fd);
            fd = -1;
        }
    }
    freeaddrinfo(res);
    return fd;
}

/* The status code of "HTTP/1.x NNN reason", or 0. */
static int parse_status_line(const char *line)
{
    const char *space = strchr(line, ' ');
    long status;
    char *end;

    if (strncmp(line, "HTTP/", 5) != 0 || space == NULL)
        return 0;
    status = strtol(space + 1, &end, 10);
    if (end != space + 4 || status < 100 || status > 599)
        return 0;
    return (int)status;
}

/* The whole check, lookup to status line, within one deadline. */
static int probe(const struct config_hostport *addr, const char *path, long timeout_ms)
{
    struct deadline dl = deadline_in(timeout_ms);
    /* An IPv6 address goes in brackets in Host, as in a URL. */
    bool v6 = strchr(addr->host, ':') != NULL;
    char request[512];
    int status = 0;
    int fd = connect_before_deadline(addr, &dl);
    int n;

    if (fd < 0)
        return 0;
    n = snprintf(request, sizeof(request), "GET %s HTTP/1.0\r\nHost: %s%s%s\r\n\r\n", path,
                 v6 ? "[" : "", addr->host, v6 ? "]" : "");
    if (n > 0 && (size_t)n < sizeof(request) && send(fd, request, (size_t)n, MSG_NOSIGNAL) == n) {
        char response[64];
        size_t got = 0;

        /* Only the status line matters: "HTTP/1.0 200 OK". */
        while (got < sizeof(response) - 1 && wait_for(fd, POLLIN, &dl)) {
            ssize_t r = recv(fd, response + got, sizeof(response) - 1 - got, 0);

            if (r <= 0)
                break;
            got += (size_t)r;
            if (memchr(response, '\n', got) != NULL)
                break;
        }
        response[got] = '\0';
        status = parse_status_line(response);
    }
    close(fd);
    return status;
}

int main(int argc, char **argv)
{
    const char *target = argc > 1 ? argv[1] : "127.0.0.1:8080";
    const char *path = argc > 2 ? argv[2] : "/healthz";
    struct config_hostport addr;
    struct log_line line;
    long timeout_ms;
    int status;

    log_setup("http-healthcheck", 1);
    if (argc > 3 || !config_parse_dest(target, &addr) || path[0] != '/' ||
        strpbrk(path, " \r\n") != NULL) {
        log_msg(LOG_LEVEL_ERROR, "usage: http-healthcheck [host:port] [/path]");
        return 2;
    }
    if (!config_long("HTTP_HEALTHCHECK_TIMEOUT_MS", 1000, 1, 60000, &timeout_ms))
        return 2;

    status = probe(&addr, path, timeout_ms);

    log_begin(&line, status == 200 ? LOG_LEVEL_INFO : LOG_LEVEL_ERROR, "health check");
    log_str(&line, "target", target);
    log_str(&line, "path", path);
    log_int(&line, "status", status);
    log_end(&line);
    return status == 200 ? 0 : 1;
}
