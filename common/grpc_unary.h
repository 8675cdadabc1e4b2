/*
 * grpc_unary.h - one unary client call with a deadline, on the gRPC C core.
 *
 * The caller owns the channel and a pluck completion queue and reuses both
 * for every call; this module only builds, runs and tears down one call.
 */
#ifndef FOOBAR_GRPC_UNARY_H
#define FOOBAR_GRPC_UNARY_H

#include <grpc/grpc.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Largest response message accepted. */
#define GRPC_UNARY_MAX_RESPONSE 65536

struct grpc_unary_result {
    grpc_status_code status;
    char details[256];
    uint8_t *response; /* malloc'd copy of the response message, or NULL */
    size_t response_len;
};

/*
 * Calls method with the request bytes and the request id as "x-request-id"
 * metadata, waiting at most timeout_ms. Always fills res: local failures
 * (out of memory, a batch the core refuses) come back as INTERNAL. Free the
 * result with grpc_unary_result_free().
 */
void grpc_unary_call(grpc_channel *channel, grpc_completion_queue *cq, const char *method,
                     const char *request_id, const uint8_t *request, size_t request_len,
                     long timeout_ms, struct grpc_unary_result *res);

void grpc_unary_result_free(struct grpc_unary_result *res);

#endif
