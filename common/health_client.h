/*
 * health_client.h - asks a server's grpc.health.v1.Health/Check.
 *
 * Used by foo's /readyz and by bar-healthcheck, the probe the bar image
 * carries for Docker's healthcheck.
 */
#ifndef FOOBAR_HEALTH_CLIENT_H
#define FOOBAR_HEALTH_CLIENT_H

#include <grpc/grpc.h>

enum health_status {
    HEALTH_UNKNOWN = 0,
    HEALTH_SERVING = 1,
    HEALTH_NOT_SERVING = 2,
    HEALTH_SERVICE_UNKNOWN = 3,
};

/* "SERVING", "NOT_SERVING", ... */
const char *health_status_name(enum health_status status);

/*
 * Checks service ("" for the whole server). Returns the gRPC status of the
 * call; *status is meaningful only when that is GRPC_STATUS_OK.
 */
grpc_status_code health_check(grpc_channel *channel, grpc_completion_queue *cq, const char *service,
                              const char *request_id, long timeout_ms, enum health_status *status);

#endif
