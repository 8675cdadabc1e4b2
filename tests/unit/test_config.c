/*
 * Unit tests of configuration parsing: strict integers, host:port forms, and
 * the environment readers' defaults and refusals.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "request_id.h"

static void test_parse_long(void **state)
{
    long v = -1;

    (void)state;
    assert_true(config_parse_long("0", 0, 10, &v));
    assert_int_equal(v, 0);
    assert_true(config_parse_long("1000", 1, 60000, &v));
    assert_int_equal(v, 1000);
    assert_true(config_parse_long("-5", -10, 10, &v));
    assert_int_equal(v, -5);

    v = 42;
    assert_false(config_parse_long("", 0, 10, &v));
    assert_false(config_parse_long(" 5", 0, 10, &v));
    assert_false(config_parse_long("+5", 0, 10, &v));
    assert_false(config_parse_long("5 ", 0, 10, &v));
    assert_false(config_parse_long("5ms", 0, 10, &v));
    assert_false(config_parse_long("0x10", 0, 100, &v));
    assert_false(config_parse_long("11", 0, 10, &v));
    assert_false(config_parse_long("-1", 0, 10, &v));
    assert_false(config_parse_long("99999999999999999999999", 0, 10, &v));
    assert_false(config_parse_long(NULL, 0, 10, &v));
    assert_int_equal(v, 42); /* untouched on failure */
}

static void test_parse_hostport(void **state)
{
    struct config_hostport hp;

    (void)state;
    assert_true(config_parse_hostport("bar:50051", &hp));
    assert_string_equal(hp.host, "bar");
    assert_int_equal(hp.port, 50051);
    assert_true(config_parse_hostport("127.0.0.1:6379", &hp));
    assert_string_equal(hp.host, "127.0.0.1");
    assert_true(config_parse_hostport("[::1]:8080", &hp));
    assert_string_equal(hp.host, "::1");
    assert_int_equal(hp.port, 8080);
    assert_true(config_parse_hostport(":8080", &hp));
    assert_string_equal(hp.host, "");
    assert_true(config_parse_hostport("redis.default.svc.cluster.local:6379", &hp));

    assert_false(config_parse_hostport("bar", &hp));
    assert_false(config_parse_hostport("bar:", &hp));
    assert_false(config_parse_hostport("bar:0", &hp));
    assert_false(config_parse_hostport("bar:65536", &hp));
    assert_false(config_parse_hostport("bar:50051x", &hp));
    assert_false(config_parse_hostport("::1:8080", &hp));
    assert_false(config_parse_hostport("[::1]8080", &hp));
    assert_false(config_parse_hostport("[]:8080", &hp));
    assert_false(config_parse_hostport("b ar:1", &hp));
    assert_false(config_parse_hostport("bar\":1", &hp));
    assert_false(config_parse_hostport(NULL, &hp));

    /* An address to connect to needs its host; one to listen on does not. */
    assert_true(config_parse_dest("bar:50051", &hp));
    assert_string_equal(hp.host, "bar");
    assert_true(config_parse_dest("[::1]:8080", &hp));
    assert_false(config_parse_dest(":8080", &hp));
    assert_false(config_parse_dest("[]:8080", &hp));
    assert_false(config_parse_dest("bar", &hp));
}

static void test_env_readers(void **state)
{
    struct config_hostport hp;
    long v = 0;
    int fds[2];
    char logged[4096];
    ssize_t got;

    (void)state;
    /* Every refusal is logged; capture the lines to check them. */
    assert_int_equal(pipe(fds), 0);
    log_setup("unit", fds[1]);
    unsetenv("FOOBAR_TEST_MS");
    assert_true(config_long("FOOBAR_TEST_MS", 1000, 1, 60000, &v));
    assert_int_equal(v, 1000);
    setenv("FOOBAR_TEST_MS", "250", 1);
    assert_true(config_long("FOOBAR_TEST_MS", 1000, 1, 60000, &v));
    assert_int_equal(v, 250);
    setenv("FOOBAR_TEST_MS", "0", 1);
    assert_false(config_long("FOOBAR_TEST_MS", 1000, 1, 60000, &v));
    setenv("FOOBAR_TEST_MS", "soon", 1);
    assert_false(config_long("FOOBAR_TEST_MS", 1000, 1, 60000, &v));
    /* Empty counts as unset. */
    setenv("FOOBAR_TEST_MS", "", 1);
    assert_true(config_long("FOOBAR_TEST_MS", 7, 1, 60000, &v));
    assert_int_equal(v, 7);

    unsetenv("FOOBAR_TEST_ADDR");
    assert_null(config_require("FOOBAR_TEST_ADDR"));
    assert_true(config_hostport("FOOBAR_TEST_ADDR", "redis:6379", &hp));
    assert_string_equal(hp.host, "redis");
    setenv("FOOBAR_TEST_ADDR", "nonsense", 1);
    assert_false(config_hostport("FOOBAR_TEST_ADDR", "redis:6379", &hp));
    assert_string_equal(config_require("FOOBAR_TEST_ADDR"), "nonsense");
    setenv("FOOBAR_TEST_ADDR", ":6379", 1);
    assert_true(config_hostport("FOOBAR_TEST_ADDR", "redis:6379", &hp));
    assert_false(config_dest("FOOBAR_TEST_ADDR", "redis:6379", &hp));

    setenv("LOG_LEVEL", "loud", 1);
    assert_false(config_log_level());
    setenv("LOG_LEVEL", "error", 1);
    assert_true(config_log_level());
    assert_false(log_enabled(LOG_LEVEL_WARN));
    unsetenv("LOG_LEVEL");
    log_set_min_level(LOG_LEVEL_INFO);

    close(fds[1]);
    got = read(fds[0], logged, sizeof(logged) - 1);
    close(fds[0]);
    log_setup("unit", 1);
    assert_true(got > 0);
    logged[got] = '\0';
    assert_non_null(strstr(logged, "\"variable\":\"FOOBAR_TEST_MS\",\"value\":\"soon\""));
    assert_non_null(strstr(logged, "\"variable\":\"FOOBAR_TEST_ADDR\",\"value\":\"nonsense\""));
    assert_non_null(strstr(logged, "\"variable\":\"FOOBAR_TEST_ADDR\",\"value\":\":6379\""));
    assert_non_null(strstr(logged, "\"variable\":\"LOG_LEVEL\",\"value\":\"loud\""));
}

static void test_request_id(void **state)
{
    char id[REQUEST_ID_SIZE];
    char other[REQUEST_ID_SIZE];
    char long_id[REQUEST_ID_MAX + 2];

    (void)state;
    assert_true(request_id_valid("abc-123"));
    assert_true(request_id_valid("0f8fad5b-d9cb-469f-a165-70867728950e"));
    assert_true(request_id_valid("trace:span.1_2"));
    assert_false(request_id_valid(NULL));
    assert_false(request_id_valid(""));
    assert_false(request_id_valid("has space"));
    assert_false(request_id_valid("quote\""));
    assert_false(request_id_valid("new\nline"));
    assert_false(request_id_valid("caf\xc3\xa9"));
    memset(long_id, 'a', sizeof(long_id) - 1);
    long_id[sizeof(long_id) - 1] = '\0';
    assert_false(request_id_valid(long_id));
    long_id[REQUEST_ID_MAX] = '\0';
    assert_true(request_id_valid(long_id));

    assert_true(request_id_take("abc-123", id));
    assert_string_equal(id, "abc-123");
    assert_true(request_id_take("bad id", id));
    assert_int_equal(strlen(id), 32);
    assert_true(request_id_valid(id));
    assert_true(request_id_take(NULL, other));
    assert_string_not_equal(id, other);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_long),
        cmocka_unit_test(test_parse_hostport),
        cmocka_unit_test(test_env_readers),
        cmocka_unit_test(test_request_id),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
