/*
 * foo.c - the foo service: GET /foo answers "foo" followed by what bar says.
 *
 * Spawned by lighttpd (lighttpd/foo.conf) as several worker processes; each
 * opens one gRPC channel to BAR_ADDR at start and reuses it for every call.
 */
#include "bar_client.h"
#include "config.h"
#include "grpc_util.h"
#include "http.h"
#include "log.h"
#include "monotime.h"
#include "worker.h"

#include <stdio.h>
#include <string.h>

static void serve_foo(struct http_exchange *ex, struct bar_client *bar)
{
    struct timespec start = monotime_now();
    struct bar_result res;
    struct log_line line;
    int status;

    bar_client_get(bar, ex->request_id, &res);
    status = bar_status_to_http(res.status, res.connected);
    if (status == 200 && res.value[0] == '\0') {
        status = 502;
        snprintf(res.details, sizeof(res.details), "empty answer from bar");
    }

    if (status == 200) {
        char body[32];
        int n = snprintf(body, sizeof(body), "foo%s", res.value);

        http_send(ex, 200, "text/plain; charset=utf-8", body, (size_t)n);
    } else {
        http_send_error(ex, status,
                        status == 503   ? "bar is unavailable"
                        : status == 504 ? "bar did not answer in time"
                                        : "bar failed");
    }

    http_log_begin(ex, &line);
    log_str(&line, "upstream", "bar");
    log_str(&line, "grpc_status", grpc_status_name(res.status));
    log_ms(&line, "upstream_ms", monotime_since_ms(start));
    if (status != 200) {
        log_bool(&line, "upstream_connected", res.connected);
        log_str(&line, "error", res.details);
    }
    log_end(&line);
}

static void serve_ready(struct http_exchange *ex, struct bar_client *bar)
{
    enum health_status health = HEALTH_UNKNOWN;
    grpc_status_code code = bar_client_health(bar, ex->request_id, &health);
    bool ready = code == GRPC_STATUS_OK && health == HEALTH_SERVING;
    const char *what = code == GRPC_STATUS_OK ? health_status_name(health) : grpc_status_name(code);
    struct log_line line;
    char body[96];
    int n;

    n = snprintf(body, sizeof(body), "{\"ready\":%s,\"bar\":\"%s\"}\n", ready ? "true" : "false",
                 what);
    http_send(ex, ready ? 200 : 503, "application/json", body, (size_t)n);

    http_log_begin(ex, &line);
    log_str(&line, "upstream", "bar");
    log_str(&line, "grpc_status", grpc_status_name(code));
    log_str(&line, "health", health_status_name(health));
    log_end(&line);
}

static void serve_simple(struct http_exchange *ex, int status, const char *error)
{
    static const char ok[] = "{\"status\":\"ok\"}\n";
    struct log_line line;

    if (error == NULL)
        http_send(ex, status, "application/json", ok, sizeof(ok) - 1);
    else
        http_send_error(ex, status, error);
    http_log_begin(ex, &line);
    log_end(&line);
}

static void handle(struct http_exchange *ex, void *arg)
{
    struct bar_client *bar = arg;
    bool known = strcmp(ex->path, "/foo") == 0 || strcmp(ex->path, "/healthz") == 0 ||
                 strcmp(ex->path, "/readyz") == 0;

    if (!known) {
        serve_simple(ex, 404, "not found");
    } else if (!http_method_is_get(ex)) {
        struct log_line line;

        http_send_method_not_allowed(ex, "GET, HEAD");
        http_log_begin(ex, &line);
        log_end(&line);
    } else if (strcmp(ex->path, "/foo") == 0) {
        serve_foo(ex, bar);
    } else if (strcmp(ex->path, "/readyz") == 0) {
        serve_ready(ex, bar);
    } else {
        serve_simple(ex, 200, NULL);
    }
}

/*
 * host:port, or a target URI of a gRPC resolver this gRPC has: dns (with
 * host:port after its optional authority), ipv4, ipv6, unix, unix-abstract.
 * Any other scheme would fail each call at run time ("DNS resolution
 * failed"), so it is refused at start.
 */
static bool target_valid(const char *target)
{
    static const char *const schemes[] = {"ipv4:", "ipv6:", "unix:", "unix-abstract:", NULL};
    struct config_hostport hp;

    if (strncmp(target, "dns:", 4) == 0) {
        const char *rest = target + 4;

        if (strncmp(rest, "//", 2) == 0) {
            rest = strchr(rest + 2, '/');
            if (rest == NULL)
                return false;
            rest++;
        }
        return config_parse_dest(rest, &hp);
    }
    for (const char *const *scheme = schemes; *scheme != NULL; scheme++) {
        size_t n = strlen(*scheme);

        if (strncmp(target, *scheme, n) == 0)
            return target[n] != '\0';
    }
    return config_parse_dest(target, &hp);
}

struct foo_config {
    const char *target;
    long timeout_ms;
};

static bool read_config(struct foo_config *cfg)
{
    struct log_line line;

    cfg->target = config_require("BAR_ADDR");
    if (cfg->target == NULL)
        return false;
    if (!target_valid(cfg->target)) {
        log_begin(&line, LOG_LEVEL_ERROR, "invalid configuration");
        log_str(&line, "variable", "BAR_ADDR");
        log_str(&line, "value", cfg->target);
        log_str(&line, "expected", "host:port or a gRPC target URI");
        log_end(&line);
        return false;
    }
    return config_long("BAR_TIMEOUT_MS", 1000, 1, 60000, &cfg->timeout_ms);
}

/*
 * foo --check-config validates the environment and exits: lighttpd's
 * configuration runs it first, so a bad setting stops lighttpd at start
 * instead of leaving it respawning workers that refuse to run.
 */
int main(int argc, char **argv)
{
    struct foo_config cfg;
    struct bar_client bar;
    struct log_line line;
    int rc;

    if (!worker_setup("foo") || !read_config(&cfg))
        return 1;
    if (argc > 1 && strcmp(argv[1], "--check-config") == 0)
        return 0;

    bar_client_tune_environment();
    grpc_log_bridge_install();
    grpc_init();
    if (!bar_client_open(&bar, cfg.target, cfg.timeout_ms)) {
        log_msg(LOG_LEVEL_ERROR, "cannot create gRPC channel");
        grpc_shutdown();
        return 1;
    }
    log_begin(&line, LOG_LEVEL_INFO, "bar channel created");
    log_str(&line, "target", cfg.target);
    log_int(&line, "timeout_ms", cfg.timeout_ms);
    log_end(&line);

    rc = worker_run(handle, &bar);
    bar_client_close(&bar);
    grpc_shutdown();
    return rc;
}
