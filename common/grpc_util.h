/*
 * grpc_util.h - small pieces every user of the gRPC C core here needs:
 * status names, byte buffers to and from plain bytes, and routing the core's
 * own log output into our JSON lines.
 */
#ifndef FOOBAR_GRPC_UTIL_H
#define FOOBAR_GRPC_UTIL_H

#include <grpc/grpc.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* An integer channel argument, for grpc_arg tables. */
// clang-format off
#define GRPC_INT_ARG(key, value) {GRPC_ARG_INTEGER, (char *)(key), {.integer = (value)}}
// clang-format on

/* "OK", "UNAVAILABLE", ...; "UNKNOWN" for codes outside the enum. */
const char *grpc_status_name(grpc_status_code code);

/* A byte buffer holding a copy of data; NULL when out of memory. */
grpc_byte_buffer *grpc_buffer_from_bytes(const uint8_t *data, size_t len);

/*
 * Copies a received byte buffer into malloc'd memory (*out, freed by the
 * caller; may be NULL with *len 0 for an empty message). Fails when the
 * message is larger than max or memory runs out.
 */
bool grpc_buffer_to_bytes(grpc_byte_buffer *buffer, size_t max, uint8_t **out, size_t *len);

/* Sends gpr_log output through log.h, as lines with message "grpc core". */
void grpc_log_bridge_install(void);

/* A deadline timeout_ms from now on the monotonic clock. */
gpr_timespec grpc_deadline_in_ms(long timeout_ms);

#endif
