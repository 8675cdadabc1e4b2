/*
 * handlers.c - GetBar and the standard health check; see handlers.h.
 */
#include "handlers.h"

#include "bar.pb-c.h"
#include "grpc/health/v1/health.pb-c.h"

#include <string.h>

static bool method_is(const char *method, size_t len, const char *name)
{
    return len == strlen(name) && memcmp(method, name, len) == 0;
}

bool bar_method_known(const char *method, size_t len)
{
    return method_is(method, len, BAR_METHOD_GET_BAR) ||
           method_is(method, len, BAR_METHOD_HEALTH_CHECK);
}

static void reply_error(struct bar_reply *reply, grpc_status_code status, const char *details)
{
    reply->status = status;
    reply->details = details;
    reply->message_len = 0;
}

static void handle_get_bar(const uint8_t *request, size_t request_len, struct bar_reply *reply)
{
    Bar__V1__GetBarResponse resp = BAR__V1__GET_BAR_RESPONSE__INIT;
    Bar__V1__GetBarRequest *req = bar__v1__get_bar_request__unpack(NULL, request_len, request);

    if (req == NULL) {
        reply_error(reply, GRPC_STATUS_INVALID_ARGUMENT, "malformed GetBarRequest");
        return;
    }
    bar__v1__get_bar_request__free_unpacked(req, NULL);

    resp.value = "bar";
    reply->message_len = bar__v1__get_bar_response__pack(&resp, reply->message);
    reply->status = GRPC_STATUS_OK;
    reply->details = "";
}

static void handle_health_check(const uint8_t *request, size_t request_len, bool serving,
                                struct bar_reply *reply)
{
    Grpc__Health__V1__HealthCheckResponse resp = GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__INIT;
    Grpc__Health__V1__HealthCheckRequest *req =
        grpc__health__v1__health_check_request__unpack(NULL, request_len, request);
    bool known;

    if (req == NULL) {
        reply_error(reply, GRPC_STATUS_INVALID_ARGUMENT, "malformed HealthCheckRequest");
        return;
    }
    /* The empty name asks about the server as a whole. */
    known = req->service[0] == '\0' || strcmp(req->service, BAR_SERVICE_NAME) == 0;
    grpc__health__v1__health_check_request__free_unpacked(req, NULL);
    if (!known) {
        reply_error(reply, GRPC_STATUS_NOT_FOUND, "unknown service");
        return;
    }

    resp.status = serving ? GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING
                          : GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__NOT_SERVING;
    reply->message_len = grpc__health__v1__health_check_response__pack(&resp, reply->message);
    reply->status = GRPC_STATUS_OK;
    reply->details = "";
}

void bar_handle(const char *method, size_t method_len, const uint8_t *request, size_t request_len,
                bool serving, struct bar_reply *reply)
{
    static const uint8_t empty[1];

    /* protobuf-c wants a valid pointer even for an empty message. */
    if (request == NULL)
        request = empty;
    if (method_is(method, method_len, BAR_METHOD_GET_BAR))
        handle_get_bar(request, request_len, reply);
    else if (method_is(method, method_len, BAR_METHOD_HEALTH_CHECK))
        handle_health_check(request, request_len, serving, reply);
    else
        reply_error(reply, GRPC_STATUS_UNIMPLEMENTED, "unknown method");
}
