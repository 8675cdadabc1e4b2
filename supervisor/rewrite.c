/*
 * rewrite.c - see rewrite.h.
 */
#include "rewrite.h"

#include "json_strict.h"
#include "log.h"

#include <ctype.h>
#include <json-c/json.h>
#include <string.h>
#include <strings.h>

/* Copies src into dst replacing every invalid UTF-8 byte with U+FFFD. */
static size_t utf8_repair(const char *src, size_t len, char *dst, size_t cap)
{
    const unsigned char *s = (const unsigned char *)src;
    size_t out = 0;
    size_t i = 0;

    while (i < len) {
        size_t run = i;
        size_t seq;

        /* Log lines are mostly ASCII: copy such runs whole. */
        while (run < len && s[run] < 0x80)
            run++;
        if (run > i) {
            if (run - i > cap - out) {
                memcpy(dst + out, src + i, cap - out);
                return cap;
            }
            memcpy(dst + out, src + i, run - i);
            out += run - i;
            i = run;
            continue;
        }

        seq = utf8_sequence_len(&s[i], len - i);
        const char *piece = seq > 0 ? &src[i] : "\xef\xbf\xbd";
        size_t piece_len = seq > 0 ? seq : 3;

        if (out + piece_len > cap)
            break;
        memcpy(dst + out, piece, piece_len);
        out += piece_len;
        i += seq > 0 ? seq : 1;
    }
    return out;
}

static bool string_member(json_object *obj, const char *key, const char **value)
{
    json_object *member;

    if (!json_object_object_get_ex(obj, key, &member) ||
        !json_object_is_type(member, json_type_string))
        return false;
    *value = json_object_get_string(member);
    return true;
}

/* Nesting a passed-through line may have; our own lines are flat. */
#define LINE_MAX_DEPTH 32

/* True when text is one JSON object carrying the schema's required keys. */
static bool is_schema_line(const char *text, size_t len)
{
    struct json_tokener *tok = json_tokener_new();
    enum log_level level;
    const char *value;
    struct json_strict_result strict;
    json_object *obj;
    bool ok;

    /* json-c alone would pass a raw TAB in a string, or NaN, to the log. */
    if (!json_strict_check(text, len, LINE_MAX_DEPTH, &strict) || tok == NULL) {
        json_tokener_free(tok);
        return false;
    }
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
    obj = json_tokener_parse_ex(tok, text, (int)len);
    ok = obj != NULL && json_tokener_get_error(tok) == json_tokener_success &&
         json_tokener_get_parse_end(tok) == len && json_object_is_type(obj, json_type_object) &&
         string_member(obj, "time", &value) && string_member(obj, "service", &value) &&
         string_member(obj, "message", &value) && string_member(obj, "level", &value) &&
         log_level_parse(value, &level);
    json_object_put(obj);
    json_tokener_free(tok);
    return ok;
}

static bool contains_any(const char *text, size_t len, const char *const *words)
{
    for (; *words != NULL; words++) {
        size_t n = strlen(*words);

        for (size_t i = 0; i + n <= len; i++) {
            if (strncasecmp(text + i, *words, n) == 0)
                return true;
        }
    }
    return false;
}

static enum log_level guess_level(const char *text, size_t len)
{
    static const char *const errors[] = {"error",     "fail",   "fatal",        "denied",
                                         "refused",   "cannot", "can't",        "non-zero",
                                         "sanitizer", "abort",  "segmentation", NULL};
    static const char *const warnings[] = {"warn", NULL};

    if (contains_any(text, len, errors))
        return LOG_LEVEL_ERROR;
    if (contains_any(text, len, warnings))
        return LOG_LEVEL_WARN;
    return LOG_LEVEL_INFO;
}

/* lighttpd's error log: "2026-12-03 16:00:00: (server.c.1234) text". */
static bool is_lighttpd_line(const char *line, size_t len)
{
    static const char shape[] = "dddd-dd-dd dd:dd:dd: (";

    if (len < sizeof(shape) - 1)
        return false;
    for (size_t i = 0; i < sizeof(shape) - 1; i++) {
        if (shape[i] == 'd' ? !isdigit((unsigned char)line[i]) : line[i] != shape[i])
            return false;
    }
    return true;
}

/*
 * Redis' log: "1:M 03 Dec 2026 16:00:00.123 * text", the mark after the
 * time giving the level. Returns the offset of the text, or 0.
 */
static size_t redis_line_text(const char *line, size_t len, enum log_level *level)
{
    size_t i = 0;

    static const char handler[] = ":signal-handler (";

    while (i < len && isdigit((unsigned char)line[i]))
        i++;
    /* "7:signal-handler (1796374419) Received SIGTERM ...": no role, no date. */
    if (i > 0 && len - i > sizeof(handler) - 1 &&
        memcmp(line + i, handler, sizeof(handler) - 1) == 0) {
        const char *close = memchr(line + i, ')', len - i);

        if (close != NULL && (size_t)(close - line) + 2 <= len && close[1] == ' ') {
            *level = LOG_LEVEL_INFO;
            return (size_t)(close - line) + 2;
        }
    }
    if (i == 0 || i + 3 > len || line[i] != ':' || strchr("MSCX", line[i + 1]) == NULL ||
        line[i + 2] != ' ')
        return 0;
    /* "03 Dec 2026 16:00:00.123 " is 25 characters. */
    i += 3 + 25;
    if (i + 2 > len || line[i + 1] != ' ')
        return 0;
    switch (line[i]) {
    case '.':
        *level = LOG_LEVEL_DEBUG;
        break;
    case '-':
    case '*':
        *level = LOG_LEVEL_INFO;
        break;
    case '#':
        *level = LOG_LEVEL_WARN;
        break;
    default:
        return 0;
    }
    return i + 2;
}

static size_t wrap(const struct rewrite_ctx *ctx, const char *line, size_t len, int64_t now_ms,
                   char *out, size_t cap)
{
    const char *component = ctx->component;
    const char *message = "unstructured output";
    enum log_level level;
    struct log_line entry;
    size_t skip = 0;
    size_t n;

    if (is_lighttpd_line(line, len)) {
        /* The date is local time without milliseconds; ours replaces it. */
        skip = 21;
        component = "lighttpd";
        message = "lighttpd error log";
        level = guess_level(line + skip, len - skip);
    } else if ((skip = redis_line_text(line, len, &level)) > 0) {
        component = "redis";
        message = "redis log";
    } else {
        level = guess_level(line, len);
    }

    log_begin_at(&entry, now_ms, level, ctx->service, message);
    log_str(&entry, "component", component);
    log_strn(&entry, "text", line + skip, len - skip);
    n = log_finish(&entry);
    if (n > cap)
        return 0;
    memcpy(out, entry.buf, n);
    return n;
}

/* How every schema line of ours and lighttpd's begins. */
static const char time_head[] = "{\"time\":\"";
#define TIME_HEAD_LEN (sizeof(time_head) - 1)

/*
 * Cuts a leading "time" with nanoseconds (lighttpd's access log) to the
 * schema's milliseconds, in place: {"time":"2026-12-03T16:00:00.123456789Z"
 * becomes {"time":"2026-12-03T16:00:00.123Z". Returns the new length.
 */
static size_t time_to_millis(char *text, size_t len)
{
    size_t frac = TIME_HEAD_LEN + 20; /* after "YYYY-MM-DDTHH:MM:SS." */

    if (len < frac + 11 || memcmp(text, time_head, TIME_HEAD_LEN) != 0 || text[frac - 1] != '.' ||
        text[frac + 9] != 'Z' || text[frac + 10] != '"')
        return len;
    for (size_t i = frac; i < frac + 9; i++) {
        if (!isdigit((unsigned char)text[i]))
            return len;
    }
    memmove(text + frac + 3, text + frac + 9, len - (frac + 9));
    return len - 6;
}

/* A schema line as it is (repaired), newline added; 0 when it is not one. */
static size_t pass_through(const char *line, size_t len, char *out, size_t cap)
{
    size_t n;

    if (line[0] != '{' || cap == 0)
        return 0;
    n = time_to_millis(out, utf8_repair(line, len, out, cap - 1));
    if (!is_schema_line(out, n))
        return 0;
    out[n++] = '\n';
    return n;
}

/*
 * Where the last schema-looking line starts inside line, 0 for nowhere.
 * lighttpd writes its access log without blocking: when the pipe is full, a
 * write stops part-way through a line, the rest is dropped, and the next
 * write (ours or lighttpd's) runs on from there.
 */
static size_t joined_line_start(const char *line, size_t len)
{
    for (size_t i = len; i-- > 1;) {
        if (line[i] == '{' && len - i >= TIME_HEAD_LEN &&
            memcmp(line + i, time_head, TIME_HEAD_LEN) == 0)
            return i;
    }
    return 0;
}

size_t rewrite_line(const struct rewrite_ctx *ctx, const char *line, size_t len, int64_t now_ms,
                    char *out, size_t cap)
{
    size_t start;
    size_t n;

    while (len > 0 && isspace((unsigned char)line[len - 1]))
        len--;
    if (len == 0)
        return 0;
    n = pass_through(line, len, out, cap);
    if (n > 0)
        return n;
    /* A cut line with a whole one after it: the cut part is wrapped, the
     * whole one kept as it is, instead of both lost in one wrapped text. */
    start = joined_line_start(line, len);
    if (start > 0) {
        size_t head = wrap(ctx, line, start, now_ms, out, cap);

        if (head > 0) {
            size_t tail = pass_through(line + start, len - start, out + head, cap - head);

            if (tail > 0)
                return head + tail;
        }
    }
    return wrap(ctx, line, len, now_ms, out, cap);
}
