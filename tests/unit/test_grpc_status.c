/*
 * Unit tests of foo's gRPC status to HTTP status mapping and status names.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "bar_client.h"
#include "grpc_util.h"

static void test_mapping(void **state)
{
    (void)state;
    assert_int_equal(bar_status_to_http(GRPC_STATUS_OK, true), 200);
    /* Not reachable: refused, name not resolving, shutting down. */
    assert_int_equal(bar_status_to_http(GRPC_STATUS_UNAVAILABLE, true), 503);
    assert_int_equal(bar_status_to_http(GRPC_STATUS_UNAVAILABLE, false), 503);
    assert_int_equal(bar_status_to_http(GRPC_STATUS_CANCELLED, true), 503);
    /* Out of time: bar's fault only when bar was reached at all. */
    assert_int_equal(bar_status_to_http(GRPC_STATUS_DEADLINE_EXCEEDED, true), 504);
    assert_int_equal(bar_status_to_http(GRPC_STATUS_DEADLINE_EXCEEDED, false), 503);
    /* Everything else is bar failing: 502. */
    for (int code = GRPC_STATUS_UNKNOWN; code <= GRPC_STATUS_UNAUTHENTICATED; code++) {
        if (code == GRPC_STATUS_UNAVAILABLE || code == GRPC_STATUS_DEADLINE_EXCEEDED)
            continue;
        assert_int_equal(bar_status_to_http((grpc_status_code)code, true), 502);
    }
    assert_int_equal(bar_status_to_http((grpc_status_code)99, true), 502);
}

static void test_names(void **state)
{
    (void)state;
    assert_string_equal(grpc_status_name(GRPC_STATUS_OK), "OK");
    assert_string_equal(grpc_status_name(GRPC_STATUS_DEADLINE_EXCEEDED), "DEADLINE_EXCEEDED");
    assert_string_equal(grpc_status_name(GRPC_STATUS_UNAVAILABLE), "UNAVAILABLE");
    assert_string_equal(grpc_status_name(GRPC_STATUS_UNAUTHENTICATED), "UNAUTHENTICATED");
    assert_string_equal(grpc_status_name((grpc_status_code)-1), "UNKNOWN");
    assert_string_equal(grpc_status_name((grpc_status_code)17), "UNKNOWN");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mapping),
        cmocka_unit_test(test_names),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
