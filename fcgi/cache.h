/*
 * cache.h - factorial's Redis cache: key factorial:<N> holds N! in decimal.
 *
 * One connection per process, opened lazily and kept. Connect and command
 * timeouts are short, and after a failure the connection is dropped and not
 * retried before a backoff has passed, so a dead Redis costs a request
 * nothing but a missed cache. The cache never fails a request.
 *
 * Concurrent misses of the same N are computed once: the first request
 * claims factorial:lock:<N> (SET NX with an expiry) and computes; the others
 * wait for its value instead of computing it again. The claim expires after
 * about ten times the computation should take (cache_claim_ttl_ms), so a
 * holder that dies or loses Redis before releasing it holds waiters up
 * briefly; a holder slower than that only makes a waiter compute too.
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

/* How long a claim on n lives: 2 s plus ten times n's estimated compute time. */
long cache_claim_ttl_ms(unsigned long n);

/* Room for a claim's token (a random id), with its NUL. */
#define CACHE_TOKEN_SIZE 65

/*
 * Claims the computation of n. True when the caller should compute: it got
 * the claim (token filled; release it with cache_release) or Redis cannot
 * say (token empty). False when another request holds the claim.
 */
bool cache_claim(struct cache *cache, unsigned long n, char token[CACHE_TOKEN_SIZE]);

/* Gives up a claim, if it is still ours. */
void cache_release(struct cache *cache, unsigned long n, const char *token);

/*
 * Waits, at most wait_ms, for the value of n that another request is
 * computing. CACHE_HIT fills value; CACHE_MISS means the claim went away
 * without a value (or time ran out) and the caller computes it itself.
 */
enum cache_outcome cache_wait(struct cache *cache, unsigned long n, long wait_ms,
                              struct cache_value *value);

/* True when Redis answers PING now. */
bool cache_ping(struct cache *cache);

#endif
