/*
 * Unit tests of bar's handlers: GetBar and the health check, decoded with
 * the generated protobuf-c code as a client would.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <string.h>

#include "bar.pb-c.h"
#include "grpc/health/v1/health.pb-c.h"
#include "handlers.h"

static void call(const char *method, const uint8_t *req, size_t len, bool serving,
                 struct bar_reply *reply)
{
    memset(reply, 0xa5, sizeof(*reply));
    bar_handle(method, strlen(method), req, len, serving, reply);
}

static void test_get_bar(void **state)
{
    struct bar_reply reply;
    Bar__V1__GetBarResponse *resp;

    (void)state;
    call(BAR_METHOD_GET_BAR, NULL, 0, true, &reply);
    assert_int_equal(reply.status, GRPC_STATUS_OK);
    resp = bar__v1__get_bar_response__unpack(NULL, reply.message_len, reply.message);
    assert_non_null(resp);
    assert_string_equal(resp->value, "bar");
    bar__v1__get_bar_response__free_unpacked(resp, NULL);

    /* bar answers even while draining: NOT_SERVING is for new traffic. */
    call(BAR_METHOD_GET_BAR, NULL, 0, false, &reply);
    assert_int_equal(reply.status, GRPC_STATUS_OK);
}

static void test_malformed_request(void **state)
{
    static const uint8_t garbage[] = {0xff, 0xff, 0xff};
    struct bar_reply reply;

    (void)state;
    call(BAR_METHOD_GET_BAR, garbage, sizeof(garbage), true, &reply);
    assert_int_equal(reply.status, GRPC_STATUS_INVALID_ARGUMENT);
    call(BAR_METHOD_HEALTH_CHECK, garbage, sizeof(garbage), true, &reply);
    assert_int_equal(reply.status, GRPC_STATUS_INVALID_ARGUMENT);
}

static int health_of(const char *service, bool serving, grpc_status_code *status)
{
    Grpc__Health__V1__HealthCheckRequest req = GRPC__HEALTH__V1__HEALTH_CHECK_REQUEST__INIT;
    Grpc__Health__V1__HealthCheckResponse *resp;
    struct bar_reply reply;
    uint8_t packed[128];
    size_t len;
    int result;

    req.service = (char *)service;
    len = grpc__health__v1__health_check_request__pack(&req, packed);
    call(BAR_METHOD_HEALTH_CHECK, packed, len, serving, &reply);
    *status = reply.status;
    if (reply.status != GRPC_STATUS_OK)
        return -1;
    resp = grpc__health__v1__health_check_response__unpack(NULL, reply.message_len, reply.message);
    assert_non_null(resp);
    result = resp->status;
    grpc__health__v1__health_check_response__free_unpacked(resp, NULL);
    return result;
}

static void test_health(void **state)
{
    grpc_status_code status;

    (void)state;
    assert_int_equal(health_of("", true, &status),
                     GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING);
    assert_int_equal(health_of(BAR_SERVICE_NAME, true, &status),
                     GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING);
    assert_int_equal(health_of("", false, &status),
                     GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__NOT_SERVING);
    assert_int_equal(health_of("other.Service", true, &status), -1);
    assert_int_equal(status, GRPC_STATUS_NOT_FOUND);
}

static grpc_status_code health_of_bytes(const uint8_t *packed, size_t len)
{
    struct bar_reply reply;

    call(BAR_METHOD_HEALTH_CHECK, packed, len, true, &reply);
    return reply.status;
}

static void test_health_name_with_nul(void **state)
{
    /* Field 1, length-delimited: "bar.v1.BarService\0xyz", then "\0any". */
    static const uint8_t with_nul[] = {0x0a, 21,  'b', 'a', 'r', '.', 'v', '1', '.', 'B', 'a', 'r',
                                       'S',  'e', 'r', 'v', 'i', 'c', 'e', 0,   'x', 'y', 'z'};
    static const uint8_t only_nul[] = {0x0a, 4, 0, 'a', 'n', 'y'};
    /* An unknown varint field 2 beside an empty name: still the server. */
    static const uint8_t unknown_field[] = {0x10, 0x96, 0x01};
    /* The name twice: the last one counts, as protobuf-c reads it. */
    static const uint8_t twice[] = {0x0a, 1, 'x', 0x0a, 0};

    (void)state;
    assert_int_equal(health_of_bytes(with_nul, sizeof(with_nul)), GRPC_STATUS_NOT_FOUND);
    assert_int_equal(health_of_bytes(only_nul, sizeof(only_nul)), GRPC_STATUS_NOT_FOUND);
    assert_int_equal(health_of_bytes(unknown_field, sizeof(unknown_field)), GRPC_STATUS_OK);
    assert_int_equal(health_of_bytes(twice, sizeof(twice)), GRPC_STATUS_OK);
}

static void test_unknown_method(void **state)
{
    struct bar_reply reply;

    (void)state;
    assert_true(bar_method_known(BAR_METHOD_GET_BAR, strlen(BAR_METHOD_GET_BAR)));
    assert_false(bar_method_known("/bar.v1.BarService/GetBa", 24));
    assert_false(bar_method_known("/grpc.health.v1.Health/Watch", 28));
    call("/bar.v1.BarService/Other", NULL, 0, true, &reply);
    assert_int_equal(reply.status, GRPC_STATUS_UNIMPLEMENTED);
    assert_int_equal(reply.message_len, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_get_bar),        cmocka_unit_test(test_malformed_request),
        cmocka_unit_test(test_health),         cmocka_unit_test(test_health_name_with_nul),
        cmocka_unit_test(test_unknown_method),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
