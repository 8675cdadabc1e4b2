/*
 * health_client.c - see health_client.h.
 */
#include "health_client.h"

#include "grpc/health/v1/health.pb-c.h"
#include "grpc_unary.h"

#include <stdlib.h>

const char *health_status_name(enum health_status status)
{
    switch (status) {
    case HEALTH_SERVING:
        return "SERVING";
    case HEALTH_NOT_SERVING:
        return "NOT_SERVING";
    case HEALTH_SERVICE_UNKNOWN:
        return "SERVICE_UNKNOWN";
    case HEALTH_UNKNOWN:
        break;
    }
    return "UNKNOWN";
}

grpc_status_code health_check(grpc_channel *channel, grpc_completion_queue *cq, const char *service,
                              const char *request_id, long timeout_ms, enum health_status *status)
{
    static const uint8_t empty[1];
    Grpc__Health__V1__HealthCheckRequest req = GRPC__HEALTH__V1__HEALTH_CHECK_REQUEST__INIT;
    Grpc__Health__V1__HealthCheckResponse *resp;
    struct grpc_unary_result res;
    uint8_t packed[512];
    size_t len;

    *status = HEALTH_UNKNOWN;
    req.service = (char *)service;
    if (grpc__health__v1__health_check_request__get_packed_size(&req) > sizeof(packed))
        return GRPC_STATUS_INVALID_ARGUMENT;
    len = grpc__health__v1__health_check_request__pack(&req, packed);

    grpc_unary_call(channel, cq, "/grpc.health.v1.Health/Check", request_id, packed, len,
                    timeout_ms, &res);
    if (res.status != GRPC_STATUS_OK) {
        grpc_unary_result_free(&res);
        return res.status;
    }
    resp = grpc__health__v1__health_check_response__unpack(
        NULL, res.response_len, res.response != NULL ? res.response : empty);
    grpc_unary_result_free(&res);
    if (resp == NULL)
        return GRPC_STATUS_INTERNAL;
    *status = (enum health_status)resp->status;
    grpc__health__v1__health_check_response__free_unpacked(resp, NULL);
    return GRPC_STATUS_OK;
}
