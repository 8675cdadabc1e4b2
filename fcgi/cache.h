/*
 * cache.h - factorial's Redis cache: key factorial:<N> holds N! in decimal.
 *
 * One connection per process, opened lazily and kept. Connect and command
 * timeouts are short, and after a failure the connection is dropped and not
 * retried before a backoff has passed, so a dead Redis costs a request
 * nothing but a missed cache. The cache never fails a request.
 */
#ifndef FCGI_CACHE_H
#define FCGI_CACHE_H

#include "config.h"

#include <hiredis/hiredis.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

struct cache {
    struct config_hostport addr;
    const char *password; /* NULL for none */
    long connect_timeout_ms;
    long timeout_ms;
    redisContext *ctx;
    struct timespec retry_at; /* no connection attempt before this */
    long backoff_ms;
    bool was_up; /* for logging only transitions */
};

enum cache_outcome { CACHE_HIT, CACHE_MISS, CACHE_UNAVAILABLE };

/* A value read from the cache; data points into the reply, no copy made. */
struct cache_value {
    redisReply *reply;
    const char *data;
    size_t len;
};

void cache_init(struct cache *cache, const struct config_hostport *addr, const char *password,
                long connect_timeout_ms, long timeout_ms);
void cache_close(struct cache *cache);

/*
 * Looks up n. A HIT fills value (release it with cache_value_free). A stored
 * value that is not all digits counts as a MISS, so it gets overwritten.
 */
enum cache_outcome cache_get(struct cache *cache, unsigned long n, struct cache_value *value);
void cache_value_free(struct cache_value *value);

/* Stores digits as the value of n; false when Redis could not be written. */
bool cache_put(struct cache *cache, unsigned long n, const char *digits, size_t len);

/* True when Redis answers PING now. */
bool cache_ping(struct cache *cache);

#endif
