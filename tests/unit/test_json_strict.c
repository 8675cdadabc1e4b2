/*
 * Unit tests of the JSON grammar check: RFC 8259's examples of each rule,
 * what json-c lets through that JSON does not allow, where the first
 * problem is reported, and the member count of a top-level object.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_strict.h"

#define DEPTH 8

static const char *const valid[] = {
    "0",
    "-0",
    "1",
    "-1",
    "10",
    "123456789012345678901234567890",
    "0.5",
    "-0.5",
    "1.25e10",
    "1E+2",
    "1e-2",
    "0e0",
    "true",
    "false",
    "null",
    "\"\"",
    "\"a\"",
    "\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"",
    "\"\\u00e9\\uD83D\\ude00\"",
    "\"\xc3\xa9\"",
    "[]",
    "[ ]",
    "{}",
    "{ }",
    "[1,2,3]",
    "[[],[[]]]",
    "{\"a\":1}",
    "{\"a\":{\"b\":[true,false,null]}}",
    " \t\r\n{\"number\" : 5 , \"force\":true} \n",
    "{\"a\":1,\"a\":2}", /* duplicates are grammatical; the caller counts them */
};

struct invalid_case {
    const char *text;
    size_t len; /* 0: strlen(text) */
    size_t offset;
    const char *problem;
};

static const struct invalid_case invalid[] = {
    {"", 0, 0, "unexpected end"},
    {"   ", 0, 3, "unexpected end"},
    {"00", 0, 1, "leading zero"},
    {"-01", 0, 2, "leading zero"},
    {"01.5", 0, 1, "leading zero"},
    {"+1", 0, 0, "unexpected character"},
    {"-", 0, 1, "unexpected end"},
    {"-a", 0, 1, "needs a digit"},
    {"1.", 0, 2, "unexpected end"},
    {"1.e5", 0, 2, "digits after its point"},
    {".5", 0, 0, "unexpected character"},
    {"1e", 0, 2, "unexpected end"},
    {"1e+", 0, 3, "unexpected end"},
    {"1ex", 0, 2, "exponent needs digits"},
    {"0x10", 0, 1, "trailing data"},
    {"NaN", 0, 0, "unexpected character"},
    {"Infinity", 0, 0, "unexpected character"},
    {"-Infinity", 0, 1, "needs a digit"},
    {"tru", 0, 3, "unexpected end"},
    {"trUe", 0, 2, "unexpected character"},
    {"nul", 0, 3, "unexpected end"},
    {"truex", 0, 4, "trailing data"},
    {"\"abc", 0, 4, "unexpected end"},
    {"\"a\x01\"", 0, 2, "control character"},
    {"\"a\nb\"", 0, 2, "control character"},
    {"\"\\x\"", 0, 2, "invalid escape"},
    {"\"\\", 0, 2, "unexpected end"},
    {"\"\\u12\"", 0, 5, "four hex digits"},
    {"\"\\u12", 0, 5, "unexpected end"},
    {"'a'", 0, 0, "single-quoted"},
    {"{'a':1}", 0, 1, "single-quoted"},
    {"{a:1}", 0, 1, "key must be a string"},
    {"{1:1}", 0, 1, "key must be a string"},
    {"{\"a\"}", 0, 4, "expected ':'"},
    {"{\"a\":}", 0, 5, "unexpected character"},
    {"{\"a\":1,}", 0, 7, "key must be a string"},
    {"{\"a\":1 \"b\":2}", 0, 7, "expected ',' or '}'"},
    {"{\"a\":1", 0, 6, "unexpected end"},
    {"[1,]", 0, 3, "unexpected character"},
    {"[1 2]", 0, 3, "expected ',' or ']'"},
    {"[", 0, 1, "unexpected end"},
    {"]", 0, 0, "unexpected character"},
    {"{} {}", 0, 3, "trailing data"},
    {"{}x", 0, 2, "trailing data"},
    {"{}\0", 3, 2, "trailing data"},
    {"{\"a\":1 /* c */}", 0, 7, "expected ',' or '}'"},
    {"[[[[[[[[[1]]]]]]]]]", 0, 8, "nesting too deep"},
    {"\xef\xbb\xbf{}", 0, 0, "unexpected character"}, /* a byte order mark is not JSON */
};

static void test_valid(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(valid) / sizeof(valid[0]); i++) {
        struct json_strict_result res;

        if (!json_strict_check(valid[i], strlen(valid[i]), DEPTH, &res))
            fail_msg("valid text %zu '%s' refused: %s at %zu", i, valid[i], res.problem,
                     res.offset);
        assert_null(res.problem);
    }
}

static void test_invalid(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(invalid) / sizeof(invalid[0]); i++) {
        const struct invalid_case *c = &invalid[i];
        size_t len = c->len ? c->len : strlen(c->text);
        struct json_strict_result res;
        bool ok = json_strict_check(c->text, len, DEPTH, &res);

        if (ok || res.problem == NULL || strstr(res.problem, c->problem) == NULL ||
            res.offset != c->offset) {
            fail_msg("text %zu '%s': ok=%d problem '%s' at %zu, want '%s' at %zu", i, c->text, ok,
                     res.problem ? res.problem : "(none)", res.offset, c->problem, c->offset);
        }
    }
}

static void test_depth_limit(void **state)
{
    struct json_strict_result res;

    (void)state;
    assert_true(json_strict_check("[[1]]", 5, 2, &res));
    assert_false(json_strict_check("[[[1]]]", 7, 2, &res));
    assert_string_equal(res.problem, "nesting too deep");
    assert_false(json_strict_check("{}", 2, 0, &res));
}

static void test_top_level_keys(void **state)
{
    struct json_strict_result res;

    (void)state;
    assert_true(json_strict_check("{\"a\":1,\"b\":{\"c\":2,\"d\":3},\"a\":4}", 31, DEPTH, &res));
    assert_int_equal(res.top_level_keys, 3);
    assert_true(json_strict_check("{}", 2, DEPTH, &res));
    assert_int_equal(res.top_level_keys, 0);
    assert_true(json_strict_check("[{\"a\":1}]", 9, DEPTH, &res));
    assert_int_equal(res.top_level_keys, 0);
}

static bool key_nul(const char *text)
{
    struct json_strict_result res;

    assert_true(json_strict_check(text, strlen(text), DEPTH, &res));
    return res.key_has_nul;
}

static void test_nul_in_keys_is_reported(void **state)
{
    (void)state;
    assert_true(key_nul("{\"a\\u0000b\":1}"));
    assert_true(key_nul("{\"x\":{\"\\u0000\":1}}"));
    assert_true(key_nul("[{\"a\":1},{\"\\u0000\":2}]"));
    /* In a value, or another escape, a NUL is not in a key. */
    assert_false(key_nul("{\"a\":\"\\u0000\"}"));
    assert_false(key_nul("{\"a\\u0001\\u1000\":\"b\"}"));
    assert_false(key_nul("\"\\u0000\""));
}

/*
 * Every prefix and every one-byte change of a valid body is read without
 * reading outside it (AddressSanitizer watches a buffer of exactly its size),
 * and a verdict is always given.
 */
static void test_mutations_stay_in_bounds(void **state)
{
    static const char body[] = "{\"number\": -12.5e+3, \"force\": [true, null, \"a\\u00e9\\n\"]}";
    size_t n = sizeof(body) - 1;

    (void)state;
    for (size_t len = 0; len <= n; len++) {
        char *copy = malloc(len ? len : 1);
        struct json_strict_result res;

        assert_non_null(copy);
        memcpy(copy, body, len);
        (void)json_strict_check(copy, len, DEPTH, &res);
        assert_true(res.problem != NULL || len == n);
        for (size_t at = 0; at < len; at++) {
            for (int b = 0; b < 256; b += 7) {
                char saved = copy[at];
                bool ok;

                copy[at] = (char)b;
                ok = json_strict_check(copy, len, DEPTH, &res);
                assert_true(ok == (res.problem == NULL));
                assert_true(res.offset <= len);
                copy[at] = saved;
            }
        }
        free(copy);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid),
        cmocka_unit_test(test_invalid),
        cmocka_unit_test(test_depth_limit),
        cmocka_unit_test(test_top_level_keys),
        cmocka_unit_test(test_nul_in_keys_is_reported),
        cmocka_unit_test(test_mutations_stay_in_bounds),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
