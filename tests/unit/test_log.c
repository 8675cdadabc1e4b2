/*
 * Unit tests of the JSON line logger: escaping, UTF-8 repair, truncation,
 * time format, and that every line it writes parses as one JSON object.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <json-c/json.h>
#include <limits.h>
#include <math.h>
#include <regex.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

static void expect_escape(const char *in, size_t len, const char *expected)
{
    char out[256];
    bool complete = false;
    size_t n = json_escape(out, sizeof(out), in, len, &complete);

    assert_true(complete);
    assert_int_equal(n, strlen(expected));
    assert_memory_equal(out, expected, n);
}

static void test_escape(void **state)
{
    (void)state;
    expect_escape("plain", 5, "plain");
    expect_escape("a\"b\\c", 5, "a\\\"b\\\\c");
    expect_escape("\n\t\r", 3, "\\n\\t\\r");
    expect_escape("\x01\x1f\x7f", 3, "\\u0001\\u001f\\u007f");
    expect_escape("nul\0x", 5, "nul\\u0000x");
    /* Every other ASCII byte: printable ones as they are, the rest as \u00XX. */
    for (int c = 0; c < 0x80; c++) {
        char in[1] = {(char)c};
        char expected[8];

        if (c == '"' || c == '\\' || c == '\n' || c == '\t' || c == '\r')
            continue;
        if (c >= 0x20 && c < 0x7f)
            snprintf(expected, sizeof(expected), "%c", c);
        else
            snprintf(expected, sizeof(expected), "\\u%04x", (unsigned int)c);
        expect_escape(in, 1, expected);
    }
    /* Valid multi-byte UTF-8 passes unchanged. */
    expect_escape("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 9,
                  "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
}

static void test_invalid_utf8_replaced(void **state)
{
    (void)state;
    expect_escape("a\xff"
                  "b",
                  3, "a\\ufffdb");
    expect_escape("\xc3", 1, "\\ufffd");                                  /* truncated sequence */
    expect_escape("\xc0\xaf", 2, "\\ufffd\\ufffd");                       /* overlong '/' */
    expect_escape("\xed\xa0\x80", 3, "\\ufffd\\ufffd\\ufffd");            /* surrogate */
    expect_escape("\xf4\x90\x80\x80", 4, "\\ufffd\\ufffd\\ufffd\\ufffd"); /* > U+10FFFF */
}

static void test_escape_never_splits(void **state)
{
    char out[7];
    bool complete = true;
    size_t n;

    (void)state;
    /* "ab" fits, the 6-byte escape of \x01 does not: stop before it. */
    n = json_escape(out, sizeof(out), "ab\x01", 3, &complete);
    assert_false(complete);
    assert_int_equal(n, 2);
    /* A 4-byte character is kept whole or not at all. */
    n = json_escape(out, 5, "abc\xf0\x9f\x98\x80", 7, &complete);
    assert_false(complete);
    assert_int_equal(n, 3);
}

static json_object *parse_line(const char *buf, size_t len)
{
    struct json_tokener *tok = json_tokener_new();
    json_object *obj;

    json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
    obj = json_tokener_parse_ex(tok, buf, (int)len);
    assert_int_equal(json_tokener_get_error(tok), json_tokener_success);
    assert_int_equal(json_tokener_get_parse_end(tok), len);
    json_tokener_free(tok);
    assert_non_null(obj);
    assert_true(json_object_is_type(obj, json_type_object));
    return obj;
}

static const char *get_str(json_object *obj, const char *key)
{
    json_object *v;

    assert_true(json_object_object_get_ex(obj, key, &v));
    return json_object_get_string(v);
}

static void test_line_is_one_json_object(void **state)
{
    struct log_line line;
    json_object *obj;
    json_object *v;
    size_t n;

    (void)state;
    log_setup("unit", 1);
    log_begin(&line, LOG_LEVEL_WARN, "request served");
    log_str(&line, "request_id", "id\"with\nquotes\x01");
    log_str(&line, "path", "/caf\xc3\xa9\xff");
    log_int(&line, "status", 503);
    log_ms(&line, "duration_ms", 1.23456);
    log_bool(&line, "cached", false);
    n = log_finish(&line);

    assert_int_equal(line.buf[n - 1], '\n');
    assert_null(memchr(line.buf, '\n', n - 1));
    obj = parse_line(line.buf, n - 1);
    assert_string_equal(get_str(obj, "level"), "warn");
    assert_string_equal(get_str(obj, "service"), "unit");
    assert_string_equal(get_str(obj, "message"), "request served");
    assert_string_equal(get_str(obj, "request_id"), "id\"with\nquotes\x01");
    assert_string_equal(get_str(obj, "path"), "/caf\xc3\xa9\xef\xbf\xbd");
    assert_true(json_object_object_get_ex(obj, "status", &v));
    assert_int_equal(json_object_get_int(v), 503);
    assert_string_equal(get_str(obj, "duration_ms"), "1.235");
    assert_false(json_object_object_get_ex(obj, "truncated", &v));
    json_object_put(obj);
}

static void test_time_format(void **state)
{
    char stamp[32];
    regex_t re;

    (void)state;
    log_format_time(0, stamp, sizeof(stamp));
    assert_string_equal(stamp, "1970-01-01T00:00:00.000Z");
    log_format_time(1764779400123LL, stamp, sizeof(stamp));
    assert_string_equal(stamp, "2025-12-03T16:30:00.123Z");

    assert_int_equal(regcomp(&re,
                             "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z$",
                             REG_EXTENDED | REG_NOSUB),
                     0);
    log_format_time(log_now_ms(), stamp, sizeof(stamp));
    assert_int_equal(regexec(&re, stamp, 0, NULL, 0), 0);
    regfree(&re);

    /* Within one second the calendar part is reused; across one it is not. */
    log_format_time(951782399998LL, stamp, sizeof(stamp));
    assert_string_equal(stamp, "2000-02-28T23:59:59.998Z");
    log_format_time(951782399999LL, stamp, sizeof(stamp));
    assert_string_equal(stamp, "2000-02-28T23:59:59.999Z");
    log_format_time(951782400000LL, stamp, sizeof(stamp));
    assert_string_equal(stamp, "2000-02-29T00:00:00.000Z");
    log_format_time(-1LL, stamp, sizeof(stamp));
    assert_string_equal(stamp, "1969-12-31T23:59:59.999Z");
    log_format_time(253402300800000LL, stamp, sizeof(stamp)); /* year 10000 */
    assert_string_equal(stamp, "1970-01-01T00:00:00.000Z");

    /* The same as gmtime_r and strftime say, over many days and times. */
    for (int64_t ms = 1LL; ms < 4102444800000LL; ms = ms * 3 + 12345) {
        time_t secs = (time_t)(ms / 1000);
        char expected[40];
        struct tm tm;
        size_t n;

        assert_non_null(gmtime_r(&secs, &tm));
        n = strftime(expected, sizeof(expected), "%Y-%m-%dT%H:%M:%S", &tm);
        snprintf(expected + n, sizeof(expected) - n, ".%03dZ", (int)(ms % 1000));
        log_format_time(ms, stamp, sizeof(stamp));
        assert_string_equal(stamp, expected);
    }

    /* A short buffer gets as much as fits, terminated. */
    log_format_time(0, stamp, 5);
    assert_string_equal(stamp, "1970");
}

static void expect_field(void (*add)(struct log_line *), const char *expected)
{
    struct log_line line;
    const char *at;
    size_t n;

    log_begin(&line, LOG_LEVEL_INFO, "numbers");
    add(&line);
    n = log_finish(&line);
    json_object_put(parse_line(line.buf, n - 1));
    at = strstr(line.buf, ",\"v\":");
    assert_non_null(at);
    at += 5;
    assert_int_equal(strcspn(at, ",}"), strlen(expected));
    assert_memory_equal(at, expected, strlen(expected));
}

static void add_int_min(struct log_line *line)
{
    log_int(line, "v", LLONG_MIN);
}

static void add_int_max(struct log_line *line)
{
    log_int(line, "v", LLONG_MAX);
}

static void add_int_zero(struct log_line *line)
{
    log_int(line, "v", 0);
}

static void add_int_negative(struct log_line *line)
{
    log_int(line, "v", -503);
}

static void add_ms_nan(struct log_line *line)
{
    log_ms(line, "v", NAN);
}

static void add_ms_negative(struct log_line *line)
{
    log_ms(line, "v", -2.5);
}

static void add_ms_rounds_up(struct log_line *line)
{
    log_ms(line, "v", 999.9996);
}

/* Numbers print as printf would print them, and always as valid JSON. */
static void test_numbers(void **state)
{
    (void)state;
    expect_field(add_int_min, "-9223372036854775808");
    expect_field(add_int_max, "9223372036854775807");
    expect_field(add_int_zero, "0");
    expect_field(add_int_negative, "-503");
    expect_field(add_ms_nan, "0.000");
    expect_field(add_ms_negative, "0.000");
    expect_field(add_ms_rounds_up, "1000.000");

    /* Away from exact ties, the same digits as %.3f. */
    for (double v = 0.0001; v < 1e9; v = v * 1.7 + 0.00123) {
        struct log_line line;
        char expected[64];
        double scaled = v * 1000.0;
        double frac = scaled - (double)(long long)scaled;
        const char *at;

        if (frac > 0.499 && frac < 0.501)
            continue;
        snprintf(expected, sizeof(expected), "%.3f", v);
        log_begin(&line, LOG_LEVEL_INFO, "numbers");
        log_ms(&line, "v", v);
        log_finish(&line);
        at = strstr(line.buf, ",\"v\":") + 5;
        assert_int_equal(strcspn(at, ",}"), strlen(expected));
        assert_memory_equal(at, expected, strlen(expected));
    }
}

/* However much is added, the line stays bounded, valid and marked. */
static void test_truncation(void **state)
{
    static char big[5000];
    struct log_line line;
    json_object *obj;
    json_object *v;
    size_t n;

    (void)state;
    memset(big, 'x', sizeof(big) - 1);
    log_setup("unit", 1);
    log_begin(&line, LOG_LEVEL_INFO, "big");
    for (int i = 0; i < 10; i++)
        log_str(&line, "field", big);
    log_int(&line, "after", 1);
    n = log_finish(&line);

    assert_true(n <= LOG_LINE_MAX);
    obj = parse_line(line.buf, n - 1);
    assert_true(json_object_object_get_ex(obj, "truncated", &v));
    assert_true(json_object_get_boolean(v));
    assert_true(strlen(get_str(obj, "field")) <= LOG_VALUE_MAX);
    json_object_put(obj);
}

/* A value cut in the middle of an escape or a character stays valid JSON. */
static void test_truncation_inside_escapes(void **state)
{
    static char quotes[3000];
    struct log_line line;
    size_t n;

    (void)state;
    for (size_t i = 0; i + 2 < sizeof(quotes); i += 2) {
        quotes[i] = '"';
        quotes[i + 1] = (char)0xe9; /* invalid alone: becomes \ufffd */
    }
    log_begin(&line, LOG_LEVEL_INFO, "escapes");
    log_str(&line, "a", quotes);
    log_str(&line, "b", quotes);
    log_str(&line, "c", quotes);
    n = log_finish(&line);
    json_object_put(parse_line(line.buf, n - 1));
}

/* Whatever room is left when a field comes, the line stays valid JSON. */
static void test_every_fill_level_stays_valid(void **state)
{
    static char filler[1001];
    struct log_line line;

    (void)state;
    memset(filler, 'f', sizeof(filler) - 1);
    for (size_t k = 0; k < sizeof(filler); k++) {
        size_t n;

        log_begin(&line, LOG_LEVEL_INFO, "fill");
        log_str(&line, "f1", filler);
        log_str(&line, "f2", filler);
        log_str(&line, "f3", filler);
        log_strn(&line, "f4", filler, k);
        log_str(&line, "peer", "ipv4:127.0.0.1:1");
        log_int(&line, "status", 1);
        log_bool(&line, "flag", true);
        log_ms(&line, "duration_ms", 1.5);
        n = log_finish(&line);
        assert_true(n <= LOG_LINE_MAX);
        json_object_put(parse_line(line.buf, n - 1));
    }
}

/* A value of control characters is cut escaped: the fields after it stay. */
static void test_escaped_value_is_bounded(void **state)
{
    static char controls[600];
    struct log_line line;
    json_object *obj;
    json_object *v;
    size_t n;

    (void)state;
    memset(controls, 0x01, sizeof(controls) - 1);
    log_begin(&line, LOG_LEVEL_INFO, "request served");
    log_str(&line, "request_id", controls);
    log_str(&line, "path", controls);
    log_str(&line, "error", controls);
    log_int(&line, "status", 12);
    log_ms(&line, "duration_ms", 0.5);
    n = log_finish(&line);
    obj = parse_line(line.buf, n - 1);
    assert_true(json_object_object_get_ex(obj, "status", &v));
    assert_int_equal(json_object_get_int(v), 12);
    assert_true(json_object_object_get_ex(obj, "duration_ms", &v));
    assert_true(json_object_object_get_ex(obj, "truncated", &v));
    /* 1024 bytes of "\u0001" escapes are 170 whole ones. */
    assert_int_equal(strlen(get_str(obj, "path")), LOG_VALUE_MAX / 6);
    json_object_put(obj);
}

static void test_levels(void **state)
{
    enum log_level level;
    int fds[2];
    char buf[512];
    ssize_t got;

    (void)state;
    assert_true(log_level_parse("WARN", &level));
    assert_int_equal(level, LOG_LEVEL_WARN);
    assert_false(log_level_parse("verbose", &level));

    /* Lines below the minimum level are not written. */
    assert_int_equal(pipe(fds), 0);
    log_setup("unit", fds[1]);
    log_set_min_level(LOG_LEVEL_WARN);
    log_msg(LOG_LEVEL_INFO, "dropped");
    log_msg(LOG_LEVEL_ERROR, "kept");
    log_set_min_level(LOG_LEVEL_INFO);
    close(fds[1]);
    got = read(fds[0], buf, sizeof(buf) - 1);
    close(fds[0]);
    assert_true(got > 0);
    buf[got] = '\0';
    assert_null(strstr(buf, "dropped"));
    assert_non_null(strstr(buf, "\"message\":\"kept\""));
    assert_int_equal(strchr(buf, '\n') - buf, got - 1);
    log_setup("unit", 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_escape),
        cmocka_unit_test(test_invalid_utf8_replaced),
        cmocka_unit_test(test_escape_never_splits),
        cmocka_unit_test(test_line_is_one_json_object),
        cmocka_unit_test(test_time_format),
        cmocka_unit_test(test_numbers),
        cmocka_unit_test(test_truncation),
        cmocka_unit_test(test_truncation_inside_escapes),
        cmocka_unit_test(test_every_fill_level_stays_valid),
        cmocka_unit_test(test_escaped_value_is_bounded),
        cmocka_unit_test(test_levels),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
