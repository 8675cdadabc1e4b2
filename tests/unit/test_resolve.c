/*
 * Unit tests of name resolution with a deadline, on names that need no DNS
 * server (the DNS server that never answers is tests/e2e/test_dns_deadline.py).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>

#include "resolve.h"

static void expect_first(const char *host, const char *numeric)
{
    struct addrinfo *res = NULL;
    char buf[64];
    bool found = false;

    assert_int_equal(resolve_tcp(host, 6379, 1000, &res), 0);
    assert_non_null(res);
    for (struct addrinfo *ai = res; ai != NULL; ai = ai->ai_next) {
        assert_int_equal(ai->ai_socktype, SOCK_STREAM);
        assert_int_equal(resolve_numeric(ai, buf, sizeof(buf)), 0);
        found = found || strcmp(buf, numeric) == 0;
    }
    assert_true(found);
    freeaddrinfo(res);
}

static void test_addresses_resolve_to_themselves(void **state)
{
    (void)state;
    expect_first("127.0.0.1", "127.0.0.1");
    expect_first("::1", "::1");
}

static void test_hosts_file_names_resolve(void **state)
{
    (void)state;
    expect_first("localhost", "127.0.0.1");
}

static void test_bad_names_fail_without_a_result(void **state)
{
    struct addrinfo *res = (struct addrinfo *)&res;

    (void)state;
    /* Not a host name: refused, or unanswered within the second. */
    assert_int_not_equal(resolve_tcp("bad name!", 6379, 1000, &res), 0);
    assert_null(res);
}

static void test_many_lookups_in_a_row(void **state)
{
    (void)state;
    /* Each lookup's memory is returned (LeakSanitizer would say otherwise). */
    for (int i = 0; i < 200; i++)
        expect_first("127.0.0.1", "127.0.0.1");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_addresses_resolve_to_themselves),
        cmocka_unit_test(test_hosts_file_names_resolve),
        cmocka_unit_test(test_bad_names_fail_without_a_result),
        cmocka_unit_test(test_many_lookups_in_a_row),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
