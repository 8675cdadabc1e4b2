/*
 * grpc_unary.c - see grpc_unary.h.
 */
#include "grpc_unary.h"

#include "grpc_util.h"

#include <grpc/support/time.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* How long past the call's deadline we wait for the core to report it. */
#define PLUCK_MARGIN_MS 1000

static void set_local_failure(struct grpc_unary_result *res, const char *what)
{
    res->status = GRPC_STATUS_INTERNAL;
    snprintf(res->details, sizeof(res->details), "%s", what);
}

static void copy_details(struct grpc_unary_result *res, grpc_slice details)
{
    size_t n = GRPC_SLICE_LENGTH(details);

    if (n >= sizeof(res->details))
        n = sizeof(res->details) - 1;
    memcpy(res->details, GRPC_SLICE_START_PTR(details), n);
    res->details[n] = '\0';
}

void grpc_unary_call(grpc_channel *channel, grpc_completion_queue *cq, const char *method,
                     const char *request_id, const uint8_t *request, size_t request_len,
                     long timeout_ms, struct grpc_unary_result *res)
{
    gpr_timespec deadline = grpc_deadline_in_ms(timeout_ms);
    grpc_metadata_array initial_md;
    grpc_metadata_array trailing_md;
    grpc_byte_buffer *send = NULL;
    grpc_byte_buffer *recv = NULL;
    grpc_slice details = grpc_empty_slice();
    grpc_metadata md;
    grpc_op ops[6];
    grpc_call *call;
    grpc_event ev;

    memset(res, 0, sizeof(*res));
    grpc_metadata_array_init(&initial_md);
    grpc_metadata_array_init(&trailing_md);
    md.key = grpc_slice_from_static_string("x-request-id");
    md.value = grpc_slice_from_copied_string(request_id);

    call = grpc_channel_create_call(channel, NULL, GRPC_PROPAGATE_DEFAULTS, cq,
                                    grpc_slice_from_static_string(method), NULL, deadline, NULL);
    send = grpc_buffer_from_bytes(request, request_len);
    if (call == NULL || send == NULL) {
        set_local_failure(res, "could not create call");
        goto out;
    }

    memset(ops, 0, sizeof(ops));
    ops[0].op = GRPC_OP_SEND_INITIAL_METADATA;
    ops[0].data.send_initial_metadata.count = 1;
    ops[0].data.send_initial_metadata.metadata = &md;
    ops[1].op = GRPC_OP_SEND_MESSAGE;
    ops[1].data.send_message.send_message = send;
    ops[2].op = GRPC_OP_SEND_CLOSE_FROM_CLIENT;
    ops[3].op = GRPC_OP_RECV_INITIAL_METADATA;
    ops[3].data.recv_initial_metadata.recv_initial_metadata = &initial_md;
    ops[4].op = GRPC_OP_RECV_MESSAGE;
    ops[4].data.recv_message.recv_message = &recv;
    ops[5].op = GRPC_OP_RECV_STATUS_ON_CLIENT;
    ops[5].data.recv_status_on_client.trailing_metadata = &trailing_md;
    ops[5].data.recv_status_on_client.status = &res->status;
    ops[5].data.recv_status_on_client.status_details = &details;

    if (grpc_call_start_batch(call, ops, 6, call, NULL) != GRPC_CALL_OK) {
        set_local_failure(res, "could not start call");
        goto out;
    }

    /*
     * The core ends the call at its deadline by itself; the margin only
     * guards against a lost completion, after which we cancel and wait.
     */
    ev = grpc_completion_queue_pluck(
        cq, call, gpr_time_add(deadline, gpr_time_from_millis(PLUCK_MARGIN_MS, GPR_TIMESPAN)),
        NULL);
    if (ev.type != GRPC_OP_COMPLETE) {
        grpc_call_cancel(call, NULL);
        (void)grpc_completion_queue_pluck(cq, call, gpr_inf_future(GPR_CLOCK_MONOTONIC), NULL);
    }
    copy_details(res, details);
    if (res->status == GRPC_STATUS_OK && recv != NULL &&
        !grpc_buffer_to_bytes(recv, GRPC_UNARY_MAX_RESPONSE, &res->response, &res->response_len)) {
        set_local_failure(res, "response too large or out of memory");
    }

out:
    if (recv != NULL)
        grpc_byte_buffer_destroy(recv);
    if (send != NULL)
        grpc_byte_buffer_destroy(send);
    if (call != NULL)
        grpc_call_unref(call);
    grpc_slice_unref(details);
    grpc_slice_unref(md.value);
    grpc_metadata_array_destroy(&initial_md);
    grpc_metadata_array_destroy(&trailing_md);
}

void grpc_unary_result_free(struct grpc_unary_result *res)
{
    free(res->response);
    res->response = NULL;
    res->response_len = 0;
}
