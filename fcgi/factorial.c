/*
 * factorial.c - the factorial service: POST /factorial {"number": N} answers
 * N! exactly, as a decimal string, cached in Redis.
 *
 * Spawned by lighttpd (lighttpd/factorial.conf) as several worker processes;
 * each keeps its own Redis connection.
 */
#include "cache.h"
#include "config.h"
#include "factorial_math.h"
#include "factorial_request.h"
#include "http.h"
#include "log.h"
#include "monotime.h"
#include "worker.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct factorial_service {
    struct cache cache;
    long max_number;
    long max_body;
    long wait_ms; /* longest wait for a value another request is computing */
};

/* What the request line reports about the cache. */
static const char *const outcome_names[] = {"hit", "miss", "forced", "unavailable"};
enum outcome { OUT_HIT, OUT_MISS, OUT_FORCED, OUT_UNAVAILABLE };

static void log_rejected(struct http_exchange *ex, const char *error)
{
    struct log_line line;

    http_log_begin(ex, &line);
    log_str(&line, "error", error);
    log_end(&line);
}

static void reject(struct http_exchange *ex, int status, const char *error)
{
    http_send_error(ex, status, error);
    log_rejected(ex, error);
}

/*
 * Reads the request body into malloc'd memory. CONTENT_LENGTH is parsed
 * strictly and compared with the bytes that actually arrive.
 */
static char *read_body(struct http_exchange *ex, long max_body, size_t *len)
{
    const char *length_text = http_param(ex, "CONTENT_LENGTH");
    long length = 0;
    char *body;
    int got;

    if (length_text != NULL && length_text[0] != '\0' &&
        !config_parse_long(length_text, 0, LONG_MAX, &length)) {
        reject(ex, 400, "invalid Content-Length");
        return NULL;
    }
    if (length > max_body) {
        char message[96];

        snprintf(message, sizeof(message), "body larger than %ld bytes", max_body);
        reject(ex, 413, message);
        return NULL;
    }
    if (length == 0) {
        reject(ex, 400, "empty body");
        return NULL;
    }
    body = malloc((size_t)length);
    if (body == NULL) {
        reject(ex, 500, "out of memory");
        return NULL;
    }
    got = FCGX_GetStr(body, (int)length, ex->request->in);
    if (got != (int)length) {
        free(body);
        reject(ex, 400, "truncated body");
        return NULL;
    }
    *len = (size_t)length;
    return body;
}

static void respond(struct http_exchange *ex, long number, const char *digits, size_t len,
                    bool cached)
{
    char head[64];
    char tail[32];
    int head_len = snprintf(head, sizeof(head), "{\"number\":%ld,\"factorial\":\"", number);
    int tail_len = snprintf(tail, sizeof(tail), "\",\"cached\":%s}\n", cached ? "true" : "false");

    /* The digits go out as they are, in pieces: no copy of a long answer. */
    http_begin(ex, 200, "application/json", NULL, (size_t)head_len + len + (size_t)tail_len);
    http_write(ex, head, (size_t)head_len);
    http_write(ex, digits, len);
    http_write(ex, tail, (size_t)tail_len);
}

/* Answers from the cache; waited_ms >= 0 when the value was awaited. */
static void respond_cached(struct http_exchange *ex, long number, struct cache_value *hit,
                           double waited_ms)
{
    struct log_line line;

    respond(ex, number, hit->data, hit->len, true);
    http_log_begin(ex, &line);
    log_int(&line, "number", number);
    log_str(&line, "cache", outcome_names[OUT_HIT]);
    log_int(&line, "digits", (long long)hit->len);
    if (waited_ms >= 0) {
        log_bool(&line, "coalesced", true);
        log_ms(&line, "waited_ms", waited_ms);
    }
    log_end(&line);
    cache_value_free(hit);
}

static void serve_factorial(struct http_exchange *ex, struct factorial_service *svc)
{
    char claim[CACHE_TOKEN_SIZE] = "";
    struct factorial_request req;
    struct request_error err;
    struct cache_value hit;
    struct log_line line;
    enum outcome outcome;
    bool stored = false;
    double compute_ms = 0;
    double waited_ms = -1;
    size_t body_len = 0;
    size_t len = 0;
    char *digits;
    char *body;

    if (!factorial_content_type_ok(http_param(ex, "CONTENT_TYPE"))) {
        reject(ex, 415, "Content-Type must be application/json");
        return;
    }
    body = read_body(ex, svc->max_body, &body_len);
    if (body == NULL)
        return;
    if (!factorial_request_parse(body, body_len, svc->max_number, &req, &err)) {
        free(body);
        reject(ex, err.status, err.message);
        return;
    }
    free(body);

    if (req.force) {
        outcome = OUT_FORCED;
    } else {
        switch (cache_get(&svc->cache, (unsigned long)req.number, &hit)) {
        case CACHE_HIT:
            respond_cached(ex, req.number, &hit, -1);
            return;
        case CACHE_MISS:
            outcome = OUT_MISS;
            /* Another request is computing the same N: wait for its value. */
            if (!cache_claim(&svc->cache, (unsigned long)req.number, claim)) {
                struct timespec waiting = monotime_now();

                if (cache_wait(&svc->cache, (unsigned long)req.number, svc->wait_ms, &hit) ==
                    CACHE_HIT) {
                    respond_cached(ex, req.number, &hit, monotime_since_ms(waiting));
                    return;
                }
                /* The claim went away without a value, or the wait ran out. */
                waited_ms = monotime_since_ms(waiting);
            } else if (claim[0] != '\0' &&
                       cache_get(&svc->cache, (unsigned long)req.number, &hit) == CACHE_HIT) {
                /* Stored between our miss and our claim by a request now done. */
                cache_release(&svc->cache, (unsigned long)req.number, claim);
                respond_cached(ex, req.number, &hit, -1);
                return;
            }
            break;
        default:
            outcome = OUT_UNAVAILABLE;
            break;
        }
    }

    struct timespec start = monotime_now();

    digits = factorial_decimal((unsigned long)req.number, &len);
    compute_ms = monotime_since_ms(start);
    if (digits == NULL) {
        cache_release(&svc->cache, (unsigned long)req.number, claim);
        reject(ex, 500, "out of memory");
        return;
    }
    stored = cache_put(&svc->cache, (unsigned long)req.number, digits, len);
    cache_release(&svc->cache, (unsigned long)req.number, claim);
    if (!stored && outcome == OUT_FORCED)
        outcome = OUT_UNAVAILABLE;
    respond(ex, req.number, digits, len, false);
    free(digits);

    /* Not cached is worth a warning: the answer is right, but Redis is missing. */
    http_log_begin_as(ex, &line, stored ? LOG_LEVEL_INFO : LOG_LEVEL_WARN);
    log_int(&line, "number", req.number);
    log_str(&line, "cache", outcome_names[outcome]);
    log_bool(&line, "cache_stored", stored);
    log_int(&line, "digits", (long long)len);
    log_ms(&line, "compute_ms", compute_ms);
    if (waited_ms >= 0)
        log_ms(&line, "waited_ms", waited_ms);
    log_end(&line);
}

static void serve_ready(struct http_exchange *ex, struct factorial_service *svc)
{
    bool up = cache_ping(&svc->cache);
    const char *body =
        up ? "{\"ready\":true,\"redis\":\"up\"}\n" : "{\"ready\":true,\"redis\":\"unavailable\"}\n";
    struct log_line line;

    /* Ready either way: without Redis, answers are only slower. */
    http_send(ex, 200, "application/json", body, strlen(body));
    http_log_begin(ex, &line);
    log_str(&line, "redis", up ? "up" : "unavailable");
    log_end(&line);
}

static void handle(struct http_exchange *ex, void *arg)
{
    static const char ok[] = "{\"status\":\"ok\"}\n";
    struct factorial_service *svc = arg;
    struct log_line line;

    if (strcmp(ex->path, "/factorial") == 0) {
        if (strcmp(ex->method, "POST") != 0) {
            http_send_method_not_allowed(ex, "POST");
            log_rejected(ex, "method not allowed");
            return;
        }
        serve_factorial(ex, svc);
    } else if (strcmp(ex->path, "/healthz") == 0 || strcmp(ex->path, "/readyz") == 0) {
        if (!http_method_is_get(ex)) {
            http_send_method_not_allowed(ex, "GET, HEAD");
            log_rejected(ex, "method not allowed");
        } else if (strcmp(ex->path, "/readyz") == 0) {
            serve_ready(ex, svc);
        } else {
            http_send(ex, 200, "application/json", ok, sizeof(ok) - 1);
            http_log_begin(ex, &line);
            log_end(&line);
        }
    } else {
        reject(ex, 404, "not found");
    }
}

static bool read_config(struct factorial_service *svc)
{
    struct config_hostport redis;
    long connect_timeout_ms;
    long timeout_ms;

    /*
     * 1e7! has 65.7 million digits and takes minutes; the configurable limit
     * stops well before GMP could exhaust memory (it aborts when it does).
     */
    if (!config_long("FACTORIAL_MAX_N", 100000, 0, 10000000, &svc->max_number) ||
        !config_long("FACTORIAL_MAX_BODY", 1024, 16, 65536, &svc->max_body) ||
        !config_dest("REDIS_ADDR", "127.0.0.1:6379", &redis) ||
        !config_long("REDIS_CONNECT_TIMEOUT_MS", 200, 1, 60000, &connect_timeout_ms) ||
        !config_long("REDIS_TIMEOUT_MS", 500, 1, 60000, &timeout_ms) ||
        !config_long("FACTORIAL_WAIT_MS", 30000, 0, 600000, &svc->wait_ms))
        return false;
    cache_init(&svc->cache, &redis, config_str("REDIS_PASSWORD", NULL), connect_timeout_ms,
               timeout_ms);
    return true;
}

/* factorial --check-config validates the environment and exits; see foo.c. */
int main(int argc, char **argv)
{
    struct factorial_service svc;
    struct log_line line;
    int rc;

    if (!worker_setup("factorial") || !read_config(&svc))
        return 1;
    if (argc > 1 && strcmp(argv[1], "--check-config") == 0)
        return 0;

    log_begin(&line, LOG_LEVEL_INFO, "factorial configured");
    log_int(&line, "max_number", svc.max_number);
    log_str(&line, "redis_host", svc.cache.addr.host);
    log_int(&line, "redis_port", svc.cache.addr.port);
    log_end(&line);

    rc = worker_run(handle, &svc);
    cache_close(&svc.cache);
    return rc;
}
