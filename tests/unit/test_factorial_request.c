/*
 * Unit tests of factorial request validation: a table of bodies, each with
 * the status it must get and a phrase its message must contain.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "factorial_request.h"

#define LIMIT 100000

struct bad_case {
    const char *body;
    size_t len; /* 0: strlen(body) */
    int status;
    const char *phrase;
};

static const struct bad_case bad_cases[] = {
    {"", 0, 400, "empty body"},
    {"not json", 0, 400, "not valid JSON"},
    {"{\"number\": 5", 0, 400, "unexpected end"},
    {"{\"number\":", 0, 400, "unexpected end"},
    {"{\"number\": 5} x", 0, 400, "not valid JSON"},
    {"{\"number\": 5}{}", 0, 400, "not valid JSON"},
    {"{\"number\": 5, \"number\": 6}", 0, 400, "duplicate key"},
    {"{\"number\": 5, \"num\\u0062er\": 6}", 0, 400, "duplicate key"},
    {"{'number': 5}", 0, 400, "single-quoted"},
    {"null", 0, 400, "not null"},
    {"[5]", 0, 400, "JSON object"},
    {"5", 0, 400, "JSON object"},
    {"\"5\"", 0, 400, "JSON object"},
    {"{}", 0, 400, "missing field \"number\""},
    {"{\"force\": true}", 0, 400, "missing field \"number\""},
    {"{\"number\": null}", 0, 400, "not null"},
    {"{\"number\": 5.5}", 0, 400, "must be an integer"},
    {"{\"number\": 5.0}", 0, 400, "must be an integer"},
    {"{\"number\": 1e3}", 0, 400, "must be an integer"},
    {"{\"number\": \"5\"}", 0, 400, "not a string"},
    {"{\"number\": true}", 0, 400, "not a boolean"},
    {"{\"number\": [5]}", 0, 400, "not an array"},
    {"{\"number\": {\"n\": 5}}", 0, 400, "not an object"},
    {"{\"number\": NaN}", 0, 400, "not valid JSON"},
    {"{\"number\": Infinity}", 0, 400, "not valid JSON"},
    {"{\"number\": -Infinity}", 0, 400, "not valid JSON"},
    {"{\"number\": 00}", 0, 400, "leading zero"},
    {"{\"number\": -01}", 0, 400, "leading zero"},
    {"{\"number\": 1.}", 0, 400, "not valid JSON"},
    {"{\"number\": .5}", 0, 400, "not valid JSON"},
    {"{\"number\": 1e}", 0, 400, "not valid JSON"},
    {"{\"numb\x01er\": 5}", 0, 400, "control character"},
    {"{\"number\": 5, \"force\": tru}", 0, 400, "not valid JSON"},
    {"{\"number\": 5, \"force\": True}", 0, 400, "not valid JSON"},
    {"{\"number\": 5 /* five */}", 0, 400, "not valid JSON"},
    {"{number: 5}", 0, 400, "key must be a string"},
    {"{\"number\" 5}", 0, 400, "expected ':'"},
    {"{\"a\\x\": 1, \"number\": 5}", 0, 400, "invalid escape"},
    {"{\"number\": 5}\n}", 0, 400, "trailing data"},
    /* A raw NUL ends no body: what follows it is trailing data. */
    {"{\"number\": 5}\0garbage", 21, 400, "trailing data"},
    {"{\"number\": 5\0}", 14, 400, "not valid JSON"},
    /* json-c's keys are C strings: these would read as number / force. */
    {"{\"number\\u0000x\": 6}", 0, 400, "field name holds \\u0000"},
    {"{\"number\": 6, \"force\\u0000\": true}", 0, 400, "field name holds \\u0000"},
    {"{\"num\\u0000ber\": 5}", 0, 400, "field name holds \\u0000"},
    {"{\"number\": 0x10}", 0, 400, "not valid JSON"},
    {"{\"number\": 05}", 0, 400, "not valid JSON"},
    {"{\"number\": +5}", 0, 400, "not valid JSON"},
    {"{\"number\": 99999999999999999999}", 0, 422, "too large"},
    {"{\"number\": 18446744073709551615}", 0, 422, "too large"},
    {"{\"number\": -99999999999999999999}", 0, 422, "negative"},
    {"{\"number\": -9223372036854775808}", 0, 422, "negative"},
    {"{\"number\": 9223372036854775807}", 0, 422, "too large"},
    {"{\"number\": -1}", 0, 422, "negative"},
    {"{\"number\": 100001}", 0, 422, "at most 100000"},
    {"{\"number\": 5, \"force\": null}", 0, 400, "\"force\" must be a boolean"},
    {"{\"number\": 5, \"force\": \"yes\"}", 0, 400, "\"force\" must be a boolean"},
    {"{\"number\": 5, \"force\": 1}", 0, 400, "\"force\" must be a boolean"},
    {"{\"number\": 5, \"extra\": 1}", 0, 400, "unknown field \"extra\""},
    {"{\"number\": 5,}", 0, 400, "not valid JSON"},
    {"{\"n\\u00fcmber\": 5}", 0, 400, "unknown field"},
    {"{\"number\": 5}\0", 14, 400, "not valid JSON"},
    {"{\"\xff\": 5}", 0, 400, "not valid JSON"},
    {"{\"number\": 5, \"\xff\": 1}", 0, 400, "invalid utf-8 string at byte 15"},
    {"{\"number\": [[[[[[[[1]]]]]]]]}", 0, 400, "not valid JSON"},
};

static void test_bad_bodies(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
        const struct bad_case *c = &bad_cases[i];
        size_t len = c->len ? c->len : strlen(c->body);
        struct factorial_request req = {-1, false};
        struct request_error err = {0, ""};
        bool ok = factorial_request_parse(c->body, len, LIMIT, &req, &err);

        if (ok || err.status != c->status || strstr(err.message, c->phrase) == NULL) {
            fail_msg("body %zu %s: got ok=%d status %d message \"%s\", want %d \"%s\"", i, c->body,
                     ok, err.status, err.message, c->status, c->phrase);
        }
    }
}

struct good_case {
    const char *body;
    long number;
    bool force;
};

static const struct good_case good_cases[] = {
    {"{\"number\": 0}", 0, false},
    {"{\"number\": -0}", 0, false},
    {"{\"number\": 123}", 123, false},
    {"{\"number\":20,\"force\":true}", 20, true},
    {"{\"force\": false, \"number\": 21}", 21, false},
    {" \n{ \"number\" : 100000 }\r\n ", 100000, false},
    {"{\"number\": 7, \"force\": true}\n", 7, true},
};

static void test_good_bodies(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(good_cases) / sizeof(good_cases[0]); i++) {
        const struct good_case *c = &good_cases[i];
        struct factorial_request req = {-1, !c->force};
        struct request_error err = {0, ""};

        if (!factorial_request_parse(c->body, strlen(c->body), LIMIT, &req, &err))
            fail_msg("body %s rejected: %d %s", c->body, err.status, err.message);
        assert_int_equal(req.number, c->number);
        assert_int_equal(req.force, c->force);
    }
}

/* The body is read straight from the request: no NUL terminator after it. */
static void test_unterminated_body(void **state)
{
    char buf[32];
    struct factorial_request req;
    struct request_error err;
    const char *json = "{\"number\": 12}";

    (void)state;
    memset(buf, '9', sizeof(buf));
    memcpy(buf, json, strlen(json));
    assert_true(factorial_request_parse(buf, strlen(json), LIMIT, &req, &err));
    assert_int_equal(req.number, 12);
}

static void test_limit_is_configurable(void **state)
{
    struct factorial_request req;
    struct request_error err;

    (void)state;
    assert_true(factorial_request_parse("{\"number\": 1000000}", 19, 1000000, &req, &err));
    assert_false(factorial_request_parse("{\"number\": 11}", 14, 10, &req, &err));
    assert_int_equal(err.status, 422);
    assert_non_null(strstr(err.message, "at most 10"));
}

static void test_content_type(void **state)
{
    (void)state;
    assert_true(factorial_content_type_ok("application/json"));
    assert_true(factorial_content_type_ok("application/json; charset=utf-8"));
    assert_true(factorial_content_type_ok("Application/JSON"));
    assert_false(factorial_content_type_ok(NULL));
    assert_false(factorial_content_type_ok(""));
    assert_false(factorial_content_type_ok("text/plain"));
    assert_false(factorial_content_type_ok("application/jsonx"));
    assert_false(factorial_content_type_ok("application/x-www-form-urlencoded"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bad_bodies),        cmocka_unit_test(test_good_bodies),
        cmocka_unit_test(test_unterminated_body), cmocka_unit_test(test_limit_is_configurable),
        cmocka_unit_test(test_content_type),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
