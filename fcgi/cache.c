/*
 * cache.c - see cache.h.
 */
#include "cache.h"

#include "deadline.h"
#include "factorial_math.h"
#include "log.h"
#include "monotime.h"
#include "request_id.h"
#include "resolve.h"

#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 2000

/* A claim's life beyond the estimate of its computation; see cache.h. */
#define CLAIM_BASE_MS 2000L

/* How often a waiting request looks for the value, at first and at most. */
#define WAIT_POLL_MIN_MS 5
#define WAIT_POLL_MAX_MS 20

/* Deletes the claim only if it still holds our token. */
static const char release_script[] =
    "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end "
    "return 0";

static struct timeval timeval_from_ms(long ms)
{
    struct timeval tv = {.tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000};

    return tv;
}

void cache_init(struct cache *cache, const struct config_hostport *addr, const char *password,
                long connect_timeout_ms, long timeout_ms)
{
    memset(cache, 0, sizeof(*cache));
    cache->addr = *addr;
    cache->password = password;
    cache->connect_timeout_ms = connect_timeout_ms;
    cache->timeout_ms = timeout_ms;
    cache->backoff_ms = BACKOFF_MIN_MS;
    cache->was_up = true; /* so that a first failure is reported */
}

void cache_close(struct cache *cache)
{
    if (cache->ctx != NULL)
        redisFree(cache->ctx);
    cache->ctx = NULL;
}

static void log_state(struct cache *cache, bool up, const char *error)
{
    struct log_line line;

    if (up == cache->was_up)
        return;
    cache->was_up = up;
    log_begin(&line, up ? LOG_LEVEL_INFO : LOG_LEVEL_WARN,
              up ? "redis connected" : "redis unavailable");
    log_str(&line, "redis_host", cache->addr.host);
    log_int(&line, "redis_port", cache->addr.port);
    if (error != NULL)
        log_str(&line, "error", error);
    if (!up)
        log_int(&line, "retry_in_ms", cache->backoff_ms);
    log_end(&line);
}

/* Drops the connection after an error; hiredis contexts are dead after one. */
static void cache_fail(struct cache *cache, const char *error)
{
    struct timespec now = monotime_now();
    long ms = cache->backoff_ms;

    cache_close(cache);
    cache->retry_at.tv_sec = now.tv_sec + ms / 1000;
    cache->retry_at.tv_nsec = now.tv_nsec + (ms % 1000) * 1000000L;
    if (cache->retry_at.tv_nsec >= 1000000000L) {
        cache->retry_at.tv_sec++;
        cache->retry_at.tv_nsec -= 1000000000L;
    }
    log_state(cache, false, error);
    cache->backoff_ms = ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : ms * 2;
}

/*
 * Sends one command and reads its whole reply within timeout_ms. hiredis'
 * own timeout is the socket's, per read and write: a Redis that answers a
 * byte at a time would hold a request for as long as it likes. Here every
 * read waits for data first with what is left of the deadline, and the one
 * write that may block gets that as its send timeout. NULL on a timeout or
 * an I/O error (ctx->errstr says which); the context is then unusable.
 */
static redisReply *roundtrip(redisContext *ctx, long timeout_ms, int argc, const char **argv,
                             const size_t *lens)
{
    struct deadline dl = deadline_in(timeout_ms);
    void *reply = NULL;
    int done = 0;

    if (redisAppendCommandArgv(ctx, argc, argv, lens) != REDIS_OK)
        return NULL;
    while (!done) {
        long left = deadline_left_ms(&dl);
        struct timeval tv = {.tv_sec = left / 1000, .tv_usec = (left % 1000) * 1000};

        if (left == 0 || deadline_poll(ctx->fd, POLLOUT, &dl) == 0 ||
            setsockopt(ctx->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) != 0)
            goto timed_out;
        if (redisBufferWrite(ctx, &done) != REDIS_OK)
            return NULL;
    }
    for (;;) {
        if (redisGetReplyFromReader(ctx, &reply) != REDIS_OK)
            return NULL;
        if (reply != NULL)
            return reply;
        if (deadline_poll(ctx->fd, POLLIN, &dl) == 0)
            goto timed_out;
        if (redisBufferRead(ctx) != REDIS_OK)
            return NULL;
    }

timed_out:
    snprintf(ctx->errstr, sizeof(ctx->errstr), "no whole reply within %ld ms", timeout_ms);
    ctx->err = REDIS_ERR_IO;
    return NULL;
}

static bool authenticate(struct cache *cache)
{
    const char *argv[2] = {"AUTH", cache->password};
    size_t lens[2] = {4, 0};
    redisReply *reply;
    bool ok;

    if (cache->password == NULL)
        return true;
    lens[1] = strlen(cache->password);
    reply = roundtrip(cache->ctx, cache->timeout_ms, 2, argv, lens);
    ok = reply != NULL && reply->type == REDIS_REPLY_STATUS;
    if (reply != NULL)
        freeReplyObject(reply);
    return ok;
}

/*
 * Connects to the first of Redis' addresses that answers, the name lookup
 * and every attempt within one connect timeout. hiredis is given numeric
 * addresses only: its own lookup would have no deadline.
 */
static bool connect_before_deadline(struct cache *cache)
{
    struct deadline dl = deadline_in(cache->connect_timeout_ms);
    char error[128] = "no address";
    struct addrinfo *addrs;
    int rc;

    rc = resolve_tcp(cache->addr.host, cache->addr.port, deadline_left_ms(&dl), &addrs);
    if (rc != 0) {
        /* The host is in the line already (redis_host). */
        snprintf(error, sizeof(error), "cannot resolve the host: %s",
                 rc == EAI_AGAIN ? "no answer in time" : gai_strerror(rc));
        cache_fail(cache, error);
        return false;
    }
    for (struct addrinfo *ai = addrs; ai != NULL; ai = ai->ai_next) {
        long left_ms = deadline_left_ms(&dl);
        char host[64];

        if (left_ms == 0) {
            snprintf(error, sizeof(error), "connect timeout");
            break;
        }
        if (resolve_numeric(ai, host, sizeof(host)) != 0)
            continue;
        cache->ctx = redisConnectWithTimeout(host, cache->addr.port, timeval_from_ms(left_ms));
        if (cache->ctx != NULL && cache->ctx->err == 0)
            break;
        snprintf(error, sizeof(error), "%s", cache->ctx != NULL ? cache->ctx->errstr : "no memory");
        if (cache->ctx != NULL)
            redisFree(cache->ctx);
        cache->ctx = NULL;
    }
    freeaddrinfo(addrs);
    if (cache->ctx == NULL) {
        cache_fail(cache, error);
        return false;
    }
    return true;
}

/* A usable connection, or NULL while Redis is down or backing off. */
static redisContext *cache_conn(struct cache *cache)
{
    struct timespec now;

    if (cache->ctx != NULL)
        return cache->ctx;
    now = monotime_now();
    if (now.tv_sec < cache->retry_at.tv_sec ||
        (now.tv_sec == cache->retry_at.tv_sec && now.tv_nsec < cache->retry_at.tv_nsec))
        return NULL;

    if (!connect_before_deadline(cache))
        return NULL;
    /* The connect timeout covers only the connect; commands need their own. */
    if (redisSetTimeout(cache->ctx, timeval_from_ms(cache->timeout_ms)) != REDIS_OK) {
        cache_fail(cache, "cannot set command timeout");
        return NULL;
    }
    if (!authenticate(cache)) {
        cache_fail(cache, "authentication failed");
        return NULL;
    }
    cache->backoff_ms = BACKOFF_MIN_MS;
    log_state(cache, true, NULL);
    return cache->ctx;
}

/* Runs one command; NULL (and the connection dropped) on any I/O error. */
static redisReply *command(struct cache *cache, int argc, const char **argv, const size_t *lens)
{
    redisContext *ctx = cache_conn(cache);
    redisReply *reply;

    if (ctx == NULL)
        return NULL;
    reply = roundtrip(ctx, cache->timeout_ms, argc, argv, lens);
    if (reply == NULL) {
        char error[128];

        snprintf(error, sizeof(error), "%s", ctx->errstr);
        cache_fail(cache, error);
        return NULL;
    }
    if (reply->type == REDIS_REPLY_ERROR) {
        /* Redis answered: the connection is fine, the command was refused. */
        struct log_line line;

        log_begin(&line, LOG_LEVEL_WARN, "redis command failed");
        log_str(&line, "command", argv[0]);
        log_strn(&line, "error", reply->str, reply->len);
        log_end(&line);
    }
    return reply;
}

static size_t key_for(unsigned long n, char *key, size_t cap)
{
    int len = snprintf(key, cap, "factorial:%lu", n);

    return len > 0 ? (size_t)len : 0;
}

static size_t lock_key_for(unsigned long n, char *key, size_t cap)
{
    int len = snprintf(key, cap, "factorial:lock:%lu", n);

    return len > 0 ? (size_t)len : 0;
}

static bool all_digits(const char *s, size_t len)
{
    if (len == 0)
        return false;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
    }
    return true;
}

enum cache_outcome cache_get(struct cache *cache, unsigned long n, struct cache_value *value)
{
    char key[48];
    const char *argv[2] = {"GET", key};
    size_t lens[2] = {3, key_for(n, key, sizeof(key))};
    redisReply *reply = command(cache, 2, argv, lens);

    memset(value, 0, sizeof(*value));
    if (reply == NULL)
        return CACHE_UNAVAILABLE;
    if (reply->type == REDIS_REPLY_ERROR) {
        freeReplyObject(reply);
        return CACHE_UNAVAILABLE;
    }
    if (reply->type != REDIS_REPLY_STRING || !all_digits(reply->str, reply->len) ||
        !factorial_digits_plausible(n, reply->str, reply->len)) {
        if (reply->type != REDIS_REPLY_NIL) {
            struct log_line line;

            log_begin(&line, LOG_LEVEL_WARN, "cache value invalid");
            log_str(&line, "key", key);
            log_end(&line);
        }
        freeReplyObject(reply);
        return CACHE_MISS;
    }
    value->reply = reply;
    value->data = reply->str;
    value->len = reply->len;
    return CACHE_HIT;
}

void cache_value_free(struct cache_value *value)
{
    if (value->reply != NULL)
        freeReplyObject(value->reply);
    memset(value, 0, sizeof(*value));
}

bool cache_put(struct cache *cache, unsigned long n, const char *digits, size_t len)
{
    char key[48];
    const char *argv[3] = {"SET", key, digits};
    size_t lens[3] = {3, key_for(n, key, sizeof(key)), len};
    redisReply *reply = command(cache, 3, argv, lens);
    bool ok;

    if (reply == NULL)
        return false;
    ok = reply->type == REDIS_REPLY_STATUS;
    freeReplyObject(reply);
    return ok;
}

long cache_claim_ttl_ms(unsigned long n)
{
    unsigned long bits = 0;

    for (unsigned long v = n; v > 0; v >>= 1)
        bits++;
    /* Ten times N log2 N / 25000 ms: 34 ms measured for 1e5, 0.8 s for 1e6. */
    return CLAIM_BASE_MS + (long)(n / 2500 * bits);
}

bool cache_claim(struct cache *cache, unsigned long n, char token[CACHE_TOKEN_SIZE])
{
    char key[48];
    char ttl[24];
    const char *argv[6] = {"SET", key, token, "NX", "PX", ttl};
    size_t lens[6] = {3, lock_key_for(n, key, sizeof(key)), 0, 2, 2, 0};
    redisReply *reply;
    bool claimed;

    if (!request_id_generate(token)) {
        token[0] = '\0';
        return true;
    }
    lens[2] = strlen(token);
    lens[5] = (size_t)snprintf(ttl, sizeof(ttl), "%ld", cache_claim_ttl_ms(n));
    reply = command(cache, 6, argv, lens);
    if (reply == NULL || reply->type == REDIS_REPLY_ERROR) {
        /* Redis cannot arbitrate: compute, as without a cache. */
        token[0] = '\0';
        if (reply != NULL)
            freeReplyObject(reply);
        return true;
    }
    /* OK when set; nil when another request holds the claim. */
    claimed = reply->type == REDIS_REPLY_STATUS;
    freeReplyObject(reply);
    if (!claimed)
        token[0] = '\0';
    return claimed;
}

void cache_release(struct cache *cache, unsigned long n, const char *token)
{
    char key[48];
    const char *argv[5] = {"EVAL", release_script, "1", key, token};
    size_t lens[5] = {4, sizeof(release_script) - 1, 1, lock_key_for(n, key, sizeof(key)),
                      strlen(token)};
    redisReply *reply;

    if (token[0] == '\0')
        return;
    /*
     * A claim left behind holds every waiter for N up to its expiry. When
     * the failure that dropped the connection was a moment ago (the store
     * of the value, say), try once more now instead of after the backoff.
     */
    if (cache->ctx == NULL)
        cache->retry_at = (struct timespec){0, 0};
    reply = command(cache, 5, argv, lens);
    if (reply == NULL)
        return;
    if (reply->type == REDIS_REPLY_ERROR) {
        struct log_line line;

        /* E.g. an ACL without EVAL: the claim now lives out its expiry. */
        log_begin(&line, LOG_LEVEL_WARN, "cache claim not released");
        log_str(&line, "key", key);
        log_str(&line, "error", reply->str);
        log_end(&line);
    }
    freeReplyObject(reply);
}

/* True while someone holds the claim on n (or Redis cannot say). */
static bool claim_held(struct cache *cache, unsigned long n)
{
    char key[48];
    const char *argv[2] = {"EXISTS", key};
    size_t lens[2] = {6, lock_key_for(n, key, sizeof(key))};
    redisReply *reply = command(cache, 2, argv, lens);
    bool held;

    if (reply == NULL)
        return false;
    held = reply->type == REDIS_REPLY_INTEGER && reply->integer > 0;
    freeReplyObject(reply);
    return held;
}

enum cache_outcome cache_wait(struct cache *cache, unsigned long n, long wait_ms,
                              struct cache_value *value)
{
    struct timespec start = monotime_now();
    long poll_ms = WAIT_POLL_MIN_MS;

    memset(value, 0, sizeof(*value));
    while (monotime_since_ms(start) < (double)wait_ms) {
        struct timespec pause = {.tv_sec = 0, .tv_nsec = poll_ms * 1000000L};
        enum cache_outcome got;

        nanosleep(&pause, NULL);
        got = cache_get(cache, n, value);
        if (got != CACHE_MISS)
            return got == CACHE_HIT ? CACHE_HIT : CACHE_MISS;
        /* The claim is gone: the holder stored the value before releasing
         * it (read it once more), or failed, or died. */
        if (!claim_held(cache, n))
            return cache_get(cache, n, value) == CACHE_HIT ? CACHE_HIT : CACHE_MISS;
        poll_ms = poll_ms * 2 > WAIT_POLL_MAX_MS ? WAIT_POLL_MAX_MS : poll_ms * 2;
    }
    return CACHE_MISS;
}

bool cache_ping(struct cache *cache)
{
    const char *argv[1] = {"PING"};
    size_t lens[1] = {4};
    redisReply *reply = command(cache, 1, argv, lens);
    bool ok;

    if (reply == NULL)
        return false;
    ok = reply->type == REDIS_REPLY_STATUS;
    freeReplyObject(reply);
    return ok;
}
