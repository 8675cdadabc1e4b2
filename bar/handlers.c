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

/* One varint at *pos; false when it runs past len or 10 bytes. */
static bool read_varint(const uint8_t *msg, size_t len, size_t *pos, uint64_t *value)
{
    *value = 0;
    for (int shift = 0; shift < 64 && *pos < len; shift += 7) {
        uint8_t byte = msg[(*pos)++];

        *value |= (uint64_t)(byte & 0x7f) << shift;
        if ((byte & 0x80) == 0)
            return true;
    }
    return false;
}

/*
 * The length of field 1 (the service name) as sent, its last occurrence (as
 * protobuf-c reads it): 0 when absent, -1 when the bytes cannot be walked.
 * protobuf-c hands the name over as a C string, so "name\0x" would read as
 * "name"; comparing the two lengths tells.
 */
static long long sent_service_len(const uint8_t *msg, size_t len)
{
    long long found = 0;
    size_t pos = 0;

    while (pos < len) {
        uint64_t key;
        uint64_t n;

        if (!read_varint(msg, len, &pos, &key))
            return -1;
        switch (key & 7) {
        case 0: /* varint */
            if (!read_varint(msg, len, &pos, &n))
                return -1;
            break;
        case 1: /* 64-bit */
            if (len - pos < 8)
                return -1;
            pos += 8;
            break;
        case 2: /* length-delimited */
            if (!read_varint(msg, len, &pos, &n) || n > len - pos)
                return -1;
            if (key >> 3 == 1)
                found = (long long)n;
            pos += (size_t)n;
            break;
        case 5: /* 32-bit */
            if (len - pos < 4)
                return -1;
            pos += 4;
            break;
        default:
            return -1;
        }
    }
    return found;
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
    /* The empty name asks about the server as a whole. A name holding a
     * NUL is none of ours, whatever its C-string prefix says. */
    known = sent_service_len(request, request_len) == (long long)strlen(req->service) &&
            (req->service[0] == '\0' || strcmp(req->service, BAR_SERVICE_NAME) == 0);
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
