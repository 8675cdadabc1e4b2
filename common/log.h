/*
 * log.h - one JSON object per line, the shared log schema of every service.
 *
 * Every line carries "time" (RFC 3339, UTC, milliseconds), "level", "service"
 * and "message"; callers add fields between log_begin() and log_end(). A line
 * is built in a fixed buffer and written with a single write(2), so lines from
 * several processes sharing one pipe never interleave (a line stays under
 * PIPE_BUF). A field that does not fit is dropped and the line is marked
 * "truncated": true; the line is always valid JSON.
 *
 * The schema itself lives in docs/log.schema.json.
 */
#ifndef FOOBAR_LOG_H
#define FOOBAR_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Longest line written, newline included. Below PIPE_BUF (4096 on Linux). */
#define LOG_LINE_MAX 4000

/*
 * Longest string value kept, escaped (a control character takes 6 bytes);
 * longer values are cut and the line is marked. Every required field of a
 * request line fits after three values this long.
 */
#define LOG_VALUE_MAX 1024

enum log_level { LOG_LEVEL_DEBUG, LOG_LEVEL_INFO, LOG_LEVEL_WARN, LOG_LEVEL_ERROR };

struct log_line {
    char buf[LOG_LINE_MAX];
    size_t len;
    enum log_level level;
    bool truncated;
};

/* Sets the service name and the file descriptor lines go to (1 = stdout). */
void log_setup(const char *service, int fd);

/* The name given to log_setup(), or "unknown". */
const char *log_service(void);

/* Lines below this level are dropped; from LOG_LEVEL (debug|info|warn|error). */
void log_set_min_level(enum log_level level);
bool log_level_parse(const char *text, enum log_level *out);
const char *log_level_name(enum log_level level);
bool log_enabled(enum log_level level);

/* Starts a line stamped with the current time. */
void log_begin(struct log_line *line, enum log_level level, const char *message);

/* Starts a line with an explicit time and service (the supervisor's rewrites). */
void log_begin_at(struct log_line *line, int64_t unix_ms, enum log_level level, const char *service,
                  const char *message);

void log_str(struct log_line *line, const char *key, const char *value);
void log_strn(struct log_line *line, const char *key, const char *value, size_t len);
void log_int(struct log_line *line, const char *key, long long value);
void log_bool(struct log_line *line, const char *key, bool value);
/* A duration or other decimal with three fraction digits. */
void log_ms(struct log_line *line, const char *key, double value);

/* Closes the line and writes it, unless its level is below the minimum. */
void log_end(struct log_line *line);

/* Closes the line into line->buf without writing it; returns its length. */
size_t log_finish(struct log_line *line);

/* Shorthand for a line with no fields besides "message". */
void log_msg(enum log_level level, const char *message);

/*
 * Appends src[0..len) to dst as the inside of a JSON string: quotes,
 * backslashes and control characters escaped, invalid UTF-8 replaced with
 * U+FFFD. Writes at most cap bytes and never splits an escape; returns the
 * number of bytes written and sets *complete to whether all of src fit.
 */
size_t json_escape(char *dst, size_t cap, const char *src, size_t len, bool *complete);

/*
 * Length of the valid UTF-8 sequence starting at s (n bytes available), or 0
 * when it is not one (overlong forms, surrogates, beyond U+10FFFF).
 */
size_t utf8_sequence_len(const unsigned char *s, size_t n);

/* Formats unix_ms as 2026-01-02T03:04:05.678Z into out (at least 25 bytes). */
void log_format_time(int64_t unix_ms, char *out, size_t cap);

/* Milliseconds since the epoch, wall clock. */
int64_t log_now_ms(void);

#endif
