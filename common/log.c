/*
 * log.c - JSON line logger; see log.h.
 */
#include "log.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

/* Room kept free at the end of every line for ,"truncated":true}\n */
#define LOG_TAIL_RESERVE 24

static const char *log_service_name = "unknown";
static int log_fd = 1;
static enum log_level log_min_level = LOG_LEVEL_INFO;

static const char *const level_names[] = {"debug", "info", "warn", "error"};

void log_setup(const char *service, int fd)
{
    log_service_name = service;
    log_fd = fd;
}

const char *log_service(void)
{
    return log_service_name;
}

void log_set_min_level(enum log_level level)
{
    log_min_level = level;
}

bool log_level_parse(const char *text, enum log_level *out)
{
    for (size_t i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++) {
        if (strcasecmp(text, level_names[i]) == 0) {
            *out = (enum log_level)i;
            return true;
        }
    }
    return false;
}

const char *log_level_name(enum log_level level)
{
    if ((size_t)level >= sizeof(level_names) / sizeof(level_names[0]))
        return "error";
    return level_names[level];
}

bool log_enabled(enum log_level level)
{
    return level >= log_min_level;
}

int64_t log_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Writes value as exactly width decimal digits, zero-padded. */
static void put_digits(char *out, unsigned int value, int width)
{
    for (int i = width - 1; i >= 0; i--) {
        out[i] = (char)('0' + value % 10);
        value /= 10;
    }
}

/*
 * Every line is stamped, so the stamp is built by hand rather than with
 * gmtime_r and snprintf (a third of a bar call's logging cost, measured
 * with callgrind), and the calendar part is reused while the second lasts.
 */
void log_format_time(int64_t unix_ms, char *out, size_t cap)
{
    static _Thread_local bool cached;
    static _Thread_local time_t cached_secs;
    static _Thread_local char cached_prefix[21]; /* "2026-01-02T03:04:05." */
    time_t secs = (time_t)(unix_ms / 1000);
    int millis = (int)(unix_ms % 1000);
    char stamp[24];

    if (millis < 0) {
        millis += 1000;
        secs -= 1;
    }
    if (!cached || secs != cached_secs) {
        struct tm tm;

        if (gmtime_r(&secs, &tm) == NULL || tm.tm_year + 1900 < 0 || tm.tm_year + 1900 > 9999) {
            snprintf(out, cap, "1970-01-01T00:00:00.000Z");
            return;
        }
        put_digits(cached_prefix, (unsigned int)(tm.tm_year + 1900), 4);
        cached_prefix[4] = '-';
        put_digits(cached_prefix + 5, (unsigned int)tm.tm_mon + 1, 2);
        cached_prefix[7] = '-';
        put_digits(cached_prefix + 8, (unsigned int)tm.tm_mday, 2);
        cached_prefix[10] = 'T';
        put_digits(cached_prefix + 11, (unsigned int)tm.tm_hour, 2);
        cached_prefix[13] = ':';
        put_digits(cached_prefix + 14, (unsigned int)tm.tm_min, 2);
        cached_prefix[16] = ':';
        put_digits(cached_prefix + 17, (unsigned int)tm.tm_sec, 2);
        cached_prefix[19] = '.';
        cached_secs = secs;
        cached = true;
    }
    memcpy(stamp, cached_prefix, 20);
    put_digits(stamp + 20, (unsigned int)millis, 3);
    stamp[23] = 'Z';
    if (cap == 0)
        return;
    cap = cap < sizeof(stamp) + 1 ? cap - 1 : sizeof(stamp);
    memcpy(out, stamp, cap);
    out[cap] = '\0';
}

size_t utf8_sequence_len(const unsigned char *s, size_t n)
{
    unsigned char c = s[0];
    size_t need;
    unsigned int cp;

    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf) {
        need = 2;
        cp = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
        need = 3;
        cp = c & 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
        need = 4;
        cp = c & 0x07;
    } else {
        return 0;
    }
    if (n < need)
        return 0;
    for (size_t i = 1; i < need; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    if ((need == 3 && cp < 0x800) || (need == 4 && cp < 0x10000) || cp > 0x10ffff)
        return 0;
    if (cp >= 0xd800 && cp <= 0xdfff)
        return 0;
    return need;
}

/* The escape of an ASCII byte that JSON cannot take as it is (see json_plain). */
static size_t escape_for(unsigned char c, char esc[8])
{
    static const char hex[] = "0123456789abcdef";

    switch (c) {
    case '"':
    case '\\':
        esc[0] = '\\';
        esc[1] = (char)c;
        return 2;
    case '\n':
        memcpy(esc, "\\n", 2);
        return 2;
    case '\t':
        memcpy(esc, "\\t", 2);
        return 2;
    case '\r':
        memcpy(esc, "\\r", 2);
        return 2;
    default:
        /* The other control characters, and DEL. */
        memcpy(esc, "\\u00", 4);
        esc[4] = hex[c >> 4];
        esc[5] = hex[c & 0xf];
        return 6;
    }
}

/*
 * The bytes JSON takes as they are: printable ASCII but the quote and the
 * backslash. A table, since every byte of every logged value is looked up.
 */
static const unsigned char json_plain[256] = {
    /* 0x00-0x1f: control characters */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    /* 0x20-0x7f: all but '"' (0x22), '\\' (0x5c) and DEL (0x7f) */
    1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0,
    /* 0x80-0xff: UTF-8, checked sequence by sequence (zero from here on) */
};

size_t json_escape(char *dst, size_t cap, const char *src, size_t len, bool *complete)
{
    const unsigned char *s = (const unsigned char *)src;
    size_t out = 0;
    size_t i = 0;

    while (i < len) {
        char esc[8];
        size_t n;
        size_t consumed = 1;
        size_t run = i;

        /* Most values are plain ASCII: copy such runs whole, looking no
         * further than what could still fit. */
        while (run < len && run - i <= cap - out && json_plain[s[run]])
            run++;
        if (run > i) {
            n = run - i;
            if (out + n > cap) {
                memcpy(dst + out, src + i, cap - out);
                *complete = false;
                return cap;
            }
            memcpy(dst + out, src + i, n);
            out += n;
            i = run;
            continue;
        }

        if (s[i] < 0x80) {
            n = escape_for(s[i], esc);
        } else if ((consumed = utf8_sequence_len(&s[i], len - i)) > 0) {
            memcpy(esc, &s[i], consumed);
            n = consumed;
        } else {
            memcpy(esc, "\\ufffd", 6);
            n = 6;
            consumed = 1;
        }
        /* Whole escapes and whole characters only, so the output stays valid. */
        if (out + n > cap) {
            *complete = false;
            return out;
        }
        memcpy(dst + out, esc, n);
        out += n;
        i += consumed;
    }
    *complete = true;
    return out;
}

/* Appends raw bytes if they fit before the reserved tail; false if not. */
static bool append_raw(struct log_line *line, const char *s, size_t n)
{
    if (line->len + n > LOG_LINE_MAX - LOG_TAIL_RESERVE)
        return false;
    memcpy(line->buf + line->len, s, n);
    line->len += n;
    return true;
}

/* Appends ,"key": and remembers where the field began, for rollback. */
static bool append_key(struct log_line *line, const char *key, size_t *mark)
{
    size_t room = LOG_LINE_MAX - LOG_TAIL_RESERVE - line->len;
    bool complete = false;
    size_t n = 0;

    *mark = line->len;
    /* Four bytes for the comma, the quotes and the colon. */
    if (room >= 4)
        n = json_escape(line->buf + line->len + 2, room - 4, key, strlen(key), &complete);
    if (!complete) {
        line->truncated = true;
        return false;
    }
    line->buf[line->len] = ',';
    line->buf[line->len + 1] = '"';
    line->len += 2 + n;
    line->buf[line->len++] = '"';
    line->buf[line->len++] = ':';
    return true;
}

/* Formats value in decimal into out (at least 21 bytes); returns the length. */
static size_t format_int(char *out, long long value)
{
    unsigned long long magnitude =
        value < 0 ? 0ULL - (unsigned long long)value : (unsigned long long)value;
    char digits[20];
    size_t n = 0;
    size_t len = 0;

    do {
        digits[n++] = (char)('0' + magnitude % 10);
        magnitude /= 10;
    } while (magnitude > 0);
    if (value < 0)
        out[len++] = '-';
    while (n > 0)
        out[len++] = digits[--n];
    return len;
}

/*
 * Appends value as a JSON string whose escaped form is cut to LOG_VALUE_MAX
 * bytes, so that no one value (a client's path of control characters, say)
 * crowds the fields after it out of the line. False when not even the two
 * quotes fit; the caller then takes the field back.
 */
static bool append_string_value(struct log_line *line, const char *value, size_t len)
{
    size_t room = LOG_LINE_MAX - LOG_TAIL_RESERVE - line->len;
    bool complete;
    size_t cap;
    size_t n;

    if (room < 2) {
        line->truncated = true;
        return false;
    }
    cap = room - 2 < LOG_VALUE_MAX ? room - 2 : LOG_VALUE_MAX;
    line->buf[line->len++] = '"';
    n = json_escape(line->buf + line->len, cap, value, len, &complete);
    line->len += n;
    line->buf[line->len++] = '"';
    if (!complete)
        line->truncated = true;
    return true;
}

void log_begin_at(struct log_line *line, int64_t unix_ms, enum log_level level, const char *service,
                  const char *message)
{
    char stamp[32];

    line->len = 0;
    line->level = level;
    line->truncated = false;
    log_format_time(unix_ms, stamp, sizeof(stamp));
    append_raw(line, "{\"time\":\"", 9);
    append_raw(line, stamp, strlen(stamp));
    append_raw(line, "\",\"level\":\"", 11);
    append_raw(line, log_level_name(level), strlen(log_level_name(level)));
    append_raw(line, "\",\"service\":", 12);
    append_string_value(line, service, strlen(service));
    append_raw(line, ",\"message\":", 11);
    append_string_value(line, message, strlen(message));
}

void log_begin(struct log_line *line, enum log_level level, const char *message)
{
    log_begin_at(line, log_now_ms(), level, log_service_name, message);
}

void log_strn(struct log_line *line, const char *key, const char *value, size_t len)
{
    size_t mark;

    if (value == NULL || !append_key(line, key, &mark))
        return;
    if (!append_string_value(line, value, len))
        line->len = mark;
}

void log_str(struct log_line *line, const char *key, const char *value)
{
    if (value != NULL)
        log_strn(line, key, value, strlen(value));
}

void log_int(struct log_line *line, const char *key, long long value)
{
    char tmp[32];
    size_t mark;
    size_t n = format_int(tmp, value);

    if (!append_key(line, key, &mark))
        return;
    if (!append_raw(line, tmp, n)) {
        line->len = mark;
        line->truncated = true;
    }
}

void log_bool(struct log_line *line, const char *key, bool value)
{
    size_t mark;

    if (!append_key(line, key, &mark))
        return;
    if (!append_raw(line, value ? "true" : "false", value ? 4 : 5)) {
        line->len = mark;
        line->truncated = true;
    }
}

void log_ms(struct log_line *line, const char *key, double value)
{
    char tmp[48];
    long long thousandths;
    size_t mark;
    size_t n;

    /* JSON has no NaN or infinity; a negative duration means a clock step. */
    if (!(value >= 0.0 && value < 1e12))
        value = 0.0;
    /* As %.3f would print it, without printf's cost on every request line. */
    thousandths = (long long)(value * 1000.0 + 0.5);
    n = format_int(tmp, thousandths / 1000);
    tmp[n++] = '.';
    put_digits(tmp + n, (unsigned int)(thousandths % 1000), 3);
    n += 3;
    if (!append_key(line, key, &mark))
        return;
    if (!append_raw(line, tmp, n)) {
        line->len = mark;
        line->truncated = true;
    }
}

size_t log_finish(struct log_line *line)
{
    /* The reserve guarantees room for the tail. */
    if (line->truncated) {
        memcpy(line->buf + line->len, ",\"truncated\":true", 17);
        line->len += 17;
    }
    line->buf[line->len++] = '}';
    line->buf[line->len++] = '\n';
    return line->len;
}

void log_end(struct log_line *line)
{
    size_t off = 0;
    size_t n;

    if (!log_enabled(line->level))
        return;
    n = log_finish(line);

    while (off < n) {
        ssize_t w = write(log_fd, line->buf + off, n - off);

        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return; /* Nowhere left to report a failed log write. */
        off += (size_t)w;
    }
}

void log_msg(enum log_level level, const char *message)
{
    struct log_line line;

    log_begin(&line, level, message);
    log_end(&line);
}
