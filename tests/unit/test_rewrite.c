/*
 * Unit tests of the supervisor's line rewriting: schema lines pass through,
 * everything else is wrapped into the schema, and the output always parses.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rewrite.h"

#define NOW_MS 1764779400123LL

static const struct rewrite_ctx ctx = {"foo", "lighttpd"};
static char out[REWRITE_OUT_MAX];

static json_object *rewrite(const char *line, size_t *n_out)
{
    struct json_tokener *tok;
    json_object *obj;
    size_t n = rewrite_line(&ctx, line, strlen(line), NOW_MS, out, sizeof(out));

    *n_out = n;
    if (n == 0)
        return NULL;
    assert_int_equal(out[n - 1], '\n');
    assert_null(memchr(out, '\n', n - 1));
    /* JSON has no raw control characters; json-c would let them by. */
    for (size_t i = 0; i + 1 < n; i++)
        assert_true((unsigned char)out[i] >= 0x20);
    tok = json_tokener_new();
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
    obj = json_tokener_parse_ex(tok, out, (int)(n - 1));
    assert_int_equal(json_tokener_get_error(tok), json_tokener_success);
    json_tokener_free(tok);
    assert_non_null(obj);
    return obj;
}

static const char *field(json_object *obj, const char *key)
{
    json_object *v;

    if (!json_object_object_get_ex(obj, key, &v))
        return NULL;
    return json_object_get_string(v);
}

static void test_schema_line_passes_through(void **state)
{
    const char *line = "{\"time\":\"2026-12-03T16:00:00.000Z\",\"level\":\"info\",\"service\":"
                       "\"foo\",\"message\":\"request served\",\"status\":200}";
    size_t n;
    json_object *obj = rewrite(line, &n);

    (void)state;
    assert_int_equal(n, strlen(line) + 1);
    assert_memory_equal(out, line, strlen(line));
    json_object_put(obj);
}

static void test_lighttpd_error_log_wrapped(void **state)
{
    size_t n;
    json_object *obj =
        rewrite("2026-12-03 16:31:04: (server.c.1704) server started (lighttpd/1.4.69)", &n);

    (void)state;
    assert_string_equal(field(obj, "message"), "lighttpd error log");
    assert_string_equal(field(obj, "component"), "lighttpd");
    assert_string_equal(field(obj, "service"), "foo");
    assert_string_equal(field(obj, "level"), "info");
    assert_string_equal(field(obj, "time"), "2025-12-03T16:30:00.123Z");
    assert_string_equal(field(obj, "text"), "(server.c.1704) server started (lighttpd/1.4.69)");
    json_object_put(obj);

    obj = rewrite("2026-12-03 16:31:04: (gw_backend.c.1) connect() failed: Connection refused", &n);
    assert_string_equal(field(obj, "level"), "error");
    json_object_put(obj);
}

static void test_redis_log_wrapped(void **state)
{
    size_t n;
    json_object *obj = rewrite("7:M 03 Dec 2026 16:31:04.628 * Ready to accept connections", &n);

    (void)state;
    assert_string_equal(field(obj, "message"), "redis log");
    assert_string_equal(field(obj, "component"), "redis");
    assert_string_equal(field(obj, "level"), "info");
    assert_string_equal(field(obj, "text"), "Ready to accept connections");
    json_object_put(obj);

    obj = rewrite("7:M 03 Dec 2026 16:31:04.627 # WARNING Memory overcommit must be enabled!", &n);
    assert_string_equal(field(obj, "level"), "warn");
    json_object_put(obj);

    /* Written from Redis' signal handler: no role letter, no date. */
    obj = rewrite("7:signal-handler (1796374419) Received SIGTERM scheduling shutdown...", &n);
    assert_string_equal(field(obj, "message"), "redis log");
    assert_string_equal(field(obj, "component"), "redis");
    assert_string_equal(field(obj, "level"), "info");
    assert_string_equal(field(obj, "text"), "Received SIGTERM scheduling shutdown...");
    json_object_put(obj);
    obj = rewrite("7:signal-handler (1796374419)", &n);
    assert_string_equal(field(obj, "message"), "unstructured output");
    json_object_put(obj);
}

static void test_other_text_wrapped(void **state)
{
    size_t n;
    json_object *obj = rewrite("==12==ERROR: AddressSanitizer: heap-use-after-free \"x\"\r", &n);

    (void)state;
    assert_string_equal(field(obj, "message"), "unstructured output");
    assert_string_equal(field(obj, "component"), "lighttpd");
    assert_string_equal(field(obj, "level"), "error");
    assert_string_equal(field(obj, "text"),
                        "==12==ERROR: AddressSanitizer: heap-use-after-free \"x\"");
    json_object_put(obj);
}

/* JSON that is not a schema line (or not JSON at all) is wrapped as text. */
static void test_non_schema_json_wrapped(void **state)
{
    static const char *const lines[] = {
        "{\"hello\":\"world\"}",
        "{\"time\":\"t\",\"level\":\"loud\",\"service\":\"x\",\"message\":\"m\"}",
        "{\"time\":\"t\",\"level\":\"info\",\"service\":\"x\",\"message\":\"m\"} trailing",
        "{\"time\":\"t\",\"level\":\"info\",\"service\":\"x\"",
        "{not json at all",
        /* What json-c takes but JSON is not. */
        "{\"time\":\"t\",\"level\":\"info\",\"service\":\"x\",\"message\":\"a\tb\"}",
        "{\"time\":\"t\",\"level\":\"info\",\"service\":\"x\",\"message\":\"m\",\"v\":NaN}",
        "{\"time\":\"t\",\"level\":\"info\",\"service\":\"x\",\"message\":\"m\",\"v\":01}",
    };

    (void)state;
    for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
        size_t n;
        json_object *obj = rewrite(lines[i], &n);

        assert_string_equal(field(obj, "message"), "unstructured output");
        assert_string_equal(field(obj, "text"), lines[i]);
        json_object_put(obj);
    }
}

static void test_cut_line_followed_by_a_whole_one_is_split(void **state)
{
    const char *cut = "{\"time\":\"2026-12-04T09:08:48.055Z\",\"level\":\"info\",\"service\":"
                      "\"factorial\",\"message\":\"http access\",\"user_agent\":\"xxxx";
    const char *whole = "{\"time\":\"2026-12-04T09:08:48.057Z\",\"level\":\"info\",\"service\":"
                        "\"factorial\",\"message\":\"request served\",\"status\":200}";
    char line[512];
    size_t n;
    char *second;
    json_object *first;

    (void)state;
    snprintf(line, sizeof(line), "%s%s", cut, whole);
    n = rewrite_line(&ctx, line, strlen(line), NOW_MS, out, sizeof(out));
    assert_true(n > 0 && out[n - 1] == '\n');
    second = memchr(out, '\n', n - 1);
    assert_non_null(second);
    second++;
    /* The whole line as it was; the cut part wrapped, its text kept. */
    assert_int_equal((size_t)(out + n - second), strlen(whole) + 1);
    assert_memory_equal(second, whole, strlen(whole));
    first = json_tokener_parse(out);
    assert_non_null(first);
    assert_string_equal(field(first, "message"), "unstructured output");
    assert_string_equal(field(first, "text"), cut);
    json_object_put(first);
}

static void test_text_with_json_inside_stays_one_line(void **state)
{
    /* No whole schema line after the brace: nothing to split off. */
    static const char *const lines[] = {
        "note {\"time\":\"soon\"} and more",
        "partial {\"time\":\"2026-12-04T09:08:48.057Z\",\"level\":\"info\"",
    };

    (void)state;
    for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
        size_t n;
        json_object *obj = rewrite(lines[i], &n);

        assert_string_equal(field(obj, "text"), lines[i]);
        json_object_put(obj);
    }
}

static void test_invalid_utf8_repaired(void **state)
{
    const char *line = "{\"time\":\"2026-12-03T16:00:00.000Z\",\"level\":\"info\",\"service\":"
                       "\"foo\",\"message\":\"http access\",\"path\":\"/caf\xe9\"}";
    size_t n;
    json_object *obj = rewrite(line, &n);

    (void)state;
    assert_string_equal(field(obj, "message"), "http access");
    assert_string_equal(field(obj, "path"), "/caf\xef\xbf\xbd");
    json_object_put(obj);

    obj = rewrite("plain text \xff\xfe with bad bytes", &n);
    assert_string_equal(field(obj, "text"), "plain text \xef\xbf\xbd\xef\xbf\xbd with bad bytes");
    json_object_put(obj);
}

static void test_nanosecond_time_cut_to_millis(void **state)
{
    size_t n;
    json_object *obj = rewrite("{\"time\":\"2026-12-03T16:49:13.999999999Z\",\"level\":\"info\","
                               "\"service\":\"foo\",\"message\":\"http access\"}",
                               &n);

    (void)state;
    assert_string_equal(field(obj, "time"), "2026-12-03T16:49:13.999Z");
    assert_string_equal(field(obj, "message"), "http access");
    json_object_put(obj);

    /* Millisecond times and other shapes are left alone. */
    obj = rewrite("{\"time\":\"2026-12-03T16:49:13.123Z\",\"level\":\"info\",\"service\":\"foo\","
                  "\"message\":\"m\"}",
                  &n);
    assert_string_equal(field(obj, "time"), "2026-12-03T16:49:13.123Z");
    json_object_put(obj);
}

static void test_blank_lines_dropped(void **state)
{
    size_t n = 1;

    (void)state;
    assert_null(rewrite("", &n));
    assert_int_equal(n, 0);
    assert_null(rewrite("  \t\r", &n));
    assert_int_equal(n, 0);
}

static void test_long_line_bounded(void **state)
{
    char *line = malloc(REWRITE_LINE_MAX);
    size_t n;
    json_object *obj;
    json_object *v;

    (void)state;
    assert_non_null(line);
    memset(line, '"', REWRITE_LINE_MAX - 1);
    line[REWRITE_LINE_MAX - 1] = '\0';
    obj = rewrite(line, &n);
    assert_true(json_object_object_get_ex(obj, "truncated", &v));
    json_object_put(obj);
    free(line);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_schema_line_passes_through),
        cmocka_unit_test(test_lighttpd_error_log_wrapped),
        cmocka_unit_test(test_redis_log_wrapped),
        cmocka_unit_test(test_other_text_wrapped),
        cmocka_unit_test(test_non_schema_json_wrapped),
        cmocka_unit_test(test_cut_line_followed_by_a_whole_one_is_split),
        cmocka_unit_test(test_text_with_json_inside_stays_one_line),
        cmocka_unit_test(test_invalid_utf8_repaired),
        cmocka_unit_test(test_nanosecond_time_cut_to_millis),
        cmocka_unit_test(test_blank_lines_dropped),
        cmocka_unit_test(test_long_line_bounded),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
