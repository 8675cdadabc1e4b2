/*
 * rewrite.h - turns any line a child process writes into a schema line.
 *
 * A line that already is a JSON object with the schema's required keys
 * passes through (invalid UTF-8 in it repaired, a nanosecond "time" cut to
 * milliseconds); anything else is wrapped:
 * lighttpd's fixed-text error log and Redis' log are recognised and get a
 * level and component of their own, other text is kept as "text".
 */
#ifndef SUPERVISOR_REWRITE_H
#define SUPERVISOR_REWRITE_H

#include <stddef.h>
#include <stdint.h>

/* Longest line handled whole; longer input is cut into pieces this long. */
#define REWRITE_LINE_MAX 65536

struct rewrite_ctx {
    const char *service;   /* "service" of wrapped lines */
    const char *component; /* "component" of wrapped lines not recognised */
};

/*
 * Rewrites line[0..len) (no newline) into out, newline included; returns the
 * output length, or 0 when there is nothing to write (a blank line). out
 * must hold at least REWRITE_LINE_MAX * 3 + 64 bytes (every byte may become a
 * 3-byte replacement character).
 */
size_t rewrite_line(const struct rewrite_ctx *ctx, const char *line, size_t len, int64_t now_ms,
                    char *out, size_t cap);

#define REWRITE_OUT_MAX (REWRITE_LINE_MAX * 3 + 64)

#endif
