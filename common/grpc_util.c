/*
 * grpc_util.c - see grpc_util.h.
 */
#include "grpc_util.h"

#include "log.h"

#include <grpc/byte_buffer_reader.h>
#include <grpc/support/log.h>
#include <grpc/support/time.h>
#include <stdlib.h>
#include <string.h>

const char *grpc_status_name(grpc_status_code code)
{
    static const char *const names[] = {
        "OK",
        "CANCELLED",
        "UNKNOWN",
        "INVALID_ARGUMENT",
        "DEADLINE_EXCEEDED",
        "NOT_FOUND",
        "ALREADY_EXISTS",
        "PERMISSION_DENIED",
        "RESOURCE_EXHAUSTED",
        "FAILED_PRECONDITION",
        "ABORTED",
        "OUT_OF_RANGE",
        "UNIMPLEMENTED",
        "INTERNAL",
        "UNAVAILABLE",
        "DATA_LOSS",
        "UNAUTHENTICATED",
    };

    if ((int)code < 0 || (size_t)code >= sizeof(names) / sizeof(names[0]))
        return "UNKNOWN";
    return names[code];
}

grpc_byte_buffer *grpc_buffer_from_bytes(const uint8_t *data, size_t len)
{
    grpc_slice slice = grpc_slice_from_copied_buffer((const char *)data, len);
    grpc_byte_buffer *buffer = grpc_raw_byte_buffer_create(&slice, 1);

    grpc_slice_unref(slice);
    return buffer;
}

bool grpc_buffer_to_bytes(grpc_byte_buffer *buffer, size_t max, uint8_t **out, size_t *len)
{
    grpc_byte_buffer_reader reader;
    grpc_slice all;
    size_t n;

    *out = NULL;
    *len = 0;
    if (grpc_byte_buffer_length(buffer) > max)
        return false;
    if (!grpc_byte_buffer_reader_init(&reader, buffer))
        return false;
    all = grpc_byte_buffer_reader_readall(&reader);
    grpc_byte_buffer_reader_destroy(&reader);
    n = GRPC_SLICE_LENGTH(all);
    if (n > 0) {
        *out = malloc(n);
        if (*out == NULL) {
            grpc_slice_unref(all);
            return false;
        }
        memcpy(*out, GRPC_SLICE_START_PTR(all), n);
    }
    *len = n;
    grpc_slice_unref(all);
    return true;
}

static void log_bridge(gpr_log_func_args *args)
{
    enum log_level level = args->severity == GPR_LOG_SEVERITY_ERROR  ? LOG_LEVEL_ERROR
                           : args->severity == GPR_LOG_SEVERITY_INFO ? LOG_LEVEL_INFO
                                                                     : LOG_LEVEL_DEBUG;
    struct log_line line;

    log_begin(&line, level, "grpc core");
    log_str(&line, "text", args->message);
    log_str(&line, "file", args->file);
    log_int(&line, "line", args->line);
    log_end(&line);
}

void grpc_log_bridge_install(void)
{
    gpr_set_log_function(log_bridge);
}

gpr_timespec grpc_deadline_in_ms(long timeout_ms)
{
    return gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC),
                        gpr_time_from_millis(timeout_ms, GPR_TIMESPAN));
}
