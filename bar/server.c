/*
 * server.c - bar's completion-queue loop; see server.h.
 *
 * Every call walks three phases, each ended by one completion on the queue:
 *   REQUESTED  grpc_server_request_call delivered a new call
 *   RECEIVING  the request message arrived
 *   REPLYING   status sent and the client closed; the call is logged, freed
 * The tag of every operation is the call's own context, so the loop needs no
 * lookup table. Only this thread touches a context.
 */
#include "server.h"

#include "grpc_util.h"
#include "handlers.h"
#include "log.h"
#include "monotime.h"
#include "request_id.h"

#include <grpc/grpc.h>
#include <grpc/grpc_security.h>
#include <grpc/support/alloc.h>
#include <stdlib.h>
#include <string.h>

/* How often the loop wakes up to look at the stop flag. */
#define POLL_INTERVAL_MS 100

/* Calls the server is ready to accept at once; more wait in the core. */
#define PENDING_REQUESTS 16

/* Requests are empty or a short service name; refuse anything bigger. */
#define MAX_REQUEST_BYTES 4096

enum call_phase { PHASE_REQUESTED, PHASE_RECEIVING, PHASE_REPLYING };

struct call_ctx {
    enum call_phase phase;
    grpc_call *call;
    grpc_call_details details;
    grpc_metadata_array request_md;
    grpc_byte_buffer *request;
    grpc_byte_buffer *response;
    grpc_slice status_details;
    int cancelled;
    struct bar_reply reply;
    struct timespec start;
    char request_id[REQUEST_ID_SIZE];
};

enum server_state { STATE_RUNNING, STATE_DELAYING, STATE_DRAINING, STATE_CLOSING };

struct server {
    grpc_server *server;
    grpc_completion_queue *cq;
    enum server_state state;
    bool serving;
    bool cancelled_all;
    struct timespec state_since;
};

/* Tag of the server's shutdown notification; its address is all that counts. */
static int shutdown_tag;

static void call_free(struct call_ctx *ctx)
{
    if (ctx->call != NULL)
        grpc_call_unref(ctx->call);
    if (ctx->request != NULL)
        grpc_byte_buffer_destroy(ctx->request);
    if (ctx->response != NULL)
        grpc_byte_buffer_destroy(ctx->response);
    grpc_slice_unref(ctx->status_details);
    grpc_call_details_destroy(&ctx->details);
    grpc_metadata_array_destroy(&ctx->request_md);
    free(ctx);
}

static bool post_request(struct server *srv)
{
    struct call_ctx *ctx = calloc(1, sizeof(*ctx));

    if (ctx == NULL) {
        log_msg(LOG_LEVEL_ERROR, "out of memory");
        return false;
    }
    ctx->phase = PHASE_REQUESTED;
    ctx->reply.status = GRPC_STATUS_UNKNOWN;
    ctx->reply.details = "";
    ctx->status_details = grpc_empty_slice();
    grpc_call_details_init(&ctx->details);
    grpc_metadata_array_init(&ctx->request_md);
    if (grpc_server_request_call(srv->server, &ctx->call, &ctx->details, &ctx->request_md, srv->cq,
                                 srv->cq, ctx) != GRPC_CALL_OK) {
        log_msg(LOG_LEVEL_ERROR, "could not request call");
        call_free(ctx);
        return false;
    }
    return true;
}

/* The caller's x-request-id when it is a sane token, else a new one. */
static void take_request_id(struct call_ctx *ctx)
{
    for (size_t i = 0; i < ctx->request_md.count; i++) {
        const grpc_metadata *md = &ctx->request_md.metadata[i];
        char value[REQUEST_ID_SIZE];
        size_t n = GRPC_SLICE_LENGTH(md->value);

        if (!grpc_slice_str_cmp(md->key, "x-request-id") && n < sizeof(value)) {
            memcpy(value, GRPC_SLICE_START_PTR(md->value), n);
            value[n] = '\0';
            if (request_id_valid(value)) {
                memcpy(ctx->request_id, value, n + 1);
                return;
            }
        }
    }
    if (!request_id_generate(ctx->request_id))
        strcpy(ctx->request_id, "unavailable");
}

static enum log_level level_for(grpc_status_code status)
{
    switch (status) {
    case GRPC_STATUS_OK:
    case GRPC_STATUS_INVALID_ARGUMENT:
    case GRPC_STATUS_NOT_FOUND:
    case GRPC_STATUS_UNIMPLEMENTED:
        return LOG_LEVEL_INFO;
    case GRPC_STATUS_CANCELLED:
    case GRPC_STATUS_DEADLINE_EXCEEDED:
        return LOG_LEVEL_WARN;
    default:
        return LOG_LEVEL_ERROR;
    }
}

static void log_call(const struct call_ctx *ctx, bool delivered)
{
    struct log_line line;
    char *peer = grpc_call_get_peer(ctx->call);

    log_begin(&line, delivered ? level_for(ctx->reply.status) : LOG_LEVEL_WARN, "request served");
    log_str(&line, "request_id", ctx->request_id);
    log_str(&line, "protocol", "grpc");
    log_str(&line, "method", "POST");
    log_strn(&line, "path", (const char *)GRPC_SLICE_START_PTR(ctx->details.method),
             GRPC_SLICE_LENGTH(ctx->details.method));
    log_int(&line, "status", ctx->reply.status);
    log_ms(&line, "duration_ms", monotime_since_ms(ctx->start));
    log_str(&line, "grpc_status", grpc_status_name(ctx->reply.status));
    if (ctx->reply.details[0] != '\0')
        log_str(&line, "error", ctx->reply.details);
    if (!delivered || ctx->cancelled)
        log_bool(&line, "cancelled", true);
    log_str(&line, "peer", peer);
    log_end(&line);
    gpr_free(peer);
}

/* Sends the reply in ctx->reply and waits for the client to close. */
static void send_reply(struct call_ctx *ctx)
{
    grpc_op ops[4];
    size_t n = 0;

    memset(ops, 0, sizeof(ops));
    ops[n++].op = GRPC_OP_SEND_INITIAL_METADATA;
    if (ctx->reply.status == GRPC_STATUS_OK) {
        ctx->response = grpc_buffer_from_bytes(ctx->reply.message, ctx->reply.message_len);
        if (ctx->response == NULL) {
            ctx->reply.status = GRPC_STATUS_RESOURCE_EXHAUSTED;
            ctx->reply.details = "out of memory";
        } else {
            ops[n].op = GRPC_OP_SEND_MESSAGE;
            ops[n++].data.send_message.send_message = ctx->response;
        }
    }
    ctx->status_details = grpc_slice_from_static_string(ctx->reply.details);
    ops[n].op = GRPC_OP_SEND_STATUS_FROM_SERVER;
    ops[n].data.send_status_from_server.status = ctx->reply.status;
    ops[n++].data.send_status_from_server.status_details = &ctx->status_details;
    ops[n].op = GRPC_OP_RECV_CLOSE_ON_SERVER;
    ops[n++].data.recv_close_on_server.cancelled = &ctx->cancelled;

    ctx->phase = PHASE_REPLYING;
    if (grpc_call_start_batch(ctx->call, ops, n, ctx, NULL) != GRPC_CALL_OK) {
        log_call(ctx, false);
        call_free(ctx);
    }
}

static void on_new_call(struct server *srv, struct call_ctx *ctx)
{
    grpc_op op;

    ctx->start = monotime_now();
    take_request_id(ctx);
    /* Keep the number of waiting requests constant while still accepting. */
    if (srv->state == STATE_RUNNING || srv->state == STATE_DELAYING)
        post_request(srv);

    if (!bar_method_known((const char *)GRPC_SLICE_START_PTR(ctx->details.method),
                          GRPC_SLICE_LENGTH(ctx->details.method))) {
        ctx->reply.status = GRPC_STATUS_UNIMPLEMENTED;
        ctx->reply.details = "unknown method";
        send_reply(ctx);
        return;
    }

    memset(&op, 0, sizeof(op));
    op.op = GRPC_OP_RECV_MESSAGE;
    op.data.recv_message.recv_message = &ctx->request;
    ctx->phase = PHASE_RECEIVING;
    if (grpc_call_start_batch(ctx->call, &op, 1, ctx, NULL) != GRPC_CALL_OK) {
        ctx->reply.status = GRPC_STATUS_INTERNAL;
        ctx->reply.details = "could not receive request";
        log_call(ctx, false);
        call_free(ctx);
    }
}

static void on_request_message(struct server *srv, struct call_ctx *ctx, bool success)
{
    uint8_t *bytes = NULL;
    size_t len = 0;

    if (!success) {
        ctx->reply.status = GRPC_STATUS_CANCELLED;
        ctx->reply.details = "call ended before its request arrived";
    } else if (ctx->request == NULL) {
        ctx->reply.status = GRPC_STATUS_INVALID_ARGUMENT;
        ctx->reply.details = "missing request message";
    } else if (!grpc_buffer_to_bytes(ctx->request, MAX_REQUEST_BYTES, &bytes, &len)) {
        ctx->reply.status = GRPC_STATUS_RESOURCE_EXHAUSTED;
        ctx->reply.details = "request too large";
    } else {
        bar_handle((const char *)GRPC_SLICE_START_PTR(ctx->details.method),
                   GRPC_SLICE_LENGTH(ctx->details.method), bytes, len, srv->serving, &ctx->reply);
        free(bytes);
    }
    send_reply(ctx);
}

static void on_completion(struct server *srv, struct call_ctx *ctx, bool success)
{
    switch (ctx->phase) {
    case PHASE_REQUESTED:
        /* A request that fails here was cancelled by shutdown. */
        if (!success) {
            call_free(ctx);
            return;
        }
        on_new_call(srv, ctx);
        return;
    case PHASE_RECEIVING:
        on_request_message(srv, ctx, success);
        return;
    case PHASE_REPLYING:
        log_call(ctx, success);
        call_free(ctx);
        return;
    }
}

static void set_state(struct server *srv, enum server_state state)
{
    srv->state = state;
    srv->state_since = monotime_now();
}

/* Moves shutdown forward: NOT_SERVING, delay, drain, cancel stragglers. */
static void advance_shutdown(struct server *srv, const struct bar_server_config *config,
                             bool stop_requested)
{
    if (srv->state == STATE_RUNNING && stop_requested) {
        struct log_line line;

        srv->serving = false;
        set_state(srv, STATE_DELAYING);
        log_begin(&line, LOG_LEVEL_INFO, "shutting down");
        log_int(&line, "shutdown_delay_ms", config->shutdown_delay_ms);
        log_int(&line, "drain_timeout_ms", config->drain_timeout_ms);
        log_end(&line);
    }
    if (srv->state == STATE_DELAYING &&
        monotime_since_ms(srv->state_since) >= (double)config->shutdown_delay_ms) {
        grpc_server_shutdown_and_notify(srv->server, srv->cq, &shutdown_tag);
        set_state(srv, STATE_DRAINING);
    }
    if (srv->state == STATE_DRAINING && !srv->cancelled_all &&
        monotime_since_ms(srv->state_since) >= (double)config->drain_timeout_ms) {
        log_msg(LOG_LEVEL_WARN, "drain timeout, cancelling calls");
        grpc_server_cancel_all_calls(srv->server);
        srv->cancelled_all = true;
    }
}

/* Tears down a started server at once, for a start that failed half-way. */
static void server_abort(struct server *srv)
{
    grpc_event ev;

    grpc_server_shutdown_and_notify(srv->server, srv->cq, &shutdown_tag);
    grpc_server_cancel_all_calls(srv->server);
    do {
        ev = grpc_completion_queue_next(srv->cq, gpr_inf_future(GPR_CLOCK_MONOTONIC), NULL);
        if (ev.type == GRPC_OP_COMPLETE && ev.tag != &shutdown_tag)
            call_free(ev.tag);
    } while (!(ev.type == GRPC_OP_COMPLETE && ev.tag == &shutdown_tag));
    grpc_server_destroy(srv->server);
    grpc_completion_queue_shutdown(srv->cq);
    do {
        ev = grpc_completion_queue_next(srv->cq, gpr_inf_future(GPR_CLOCK_MONOTONIC), NULL);
        if (ev.type == GRPC_OP_COMPLETE)
            call_free(ev.tag);
    } while (ev.type != GRPC_QUEUE_SHUTDOWN);
    grpc_completion_queue_destroy(srv->cq);
}

static bool server_start(struct server *srv, const struct bar_server_config *config)
{
    grpc_arg args[] = {
        GRPC_INT_ARG(GRPC_ARG_MAX_RECEIVE_MESSAGE_LENGTH, MAX_REQUEST_BYTES),
        /* The core binds with SO_REUSEPORT by default: a second bar on a
         * port already taken would start and silently take half the calls.
         * Without it, that bar fails with "cannot listen". */
        GRPC_INT_ARG(GRPC_ARG_ALLOW_REUSEPORT, 0),
        /* Let foo's idle keepalive pings through (it pings every 10 s). */
        GRPC_INT_ARG(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS, 5000),
        GRPC_INT_ARG(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1),
        /* Clients reconnect now and then, resolving bar's name again: with
         * several replicas, they find the ones added since (see foo's
         * bar_client.c). The grace lets calls in flight finish. */
        GRPC_INT_ARG(GRPC_ARG_MAX_CONNECTION_AGE_MS, 60000),
        GRPC_INT_ARG(GRPC_ARG_MAX_CONNECTION_AGE_GRACE_MS, 10000),
    };
    grpc_channel_args channel_args = {sizeof(args) / sizeof(args[0]), args};
    grpc_server_credentials *creds;
    int port;

    srv->cq = grpc_completion_queue_create_for_next(NULL);
    srv->server = grpc_server_create(&channel_args, NULL);
    grpc_server_register_completion_queue(srv->server, srv->cq, NULL);
    creds = grpc_insecure_server_credentials_create();
    port = grpc_server_add_http2_port(srv->server, config->listen, creds);
    grpc_server_credentials_release(creds);
    if (port == 0) {
        struct log_line line;

        log_begin(&line, LOG_LEVEL_ERROR, "cannot listen");
        log_str(&line, "listen", config->listen);
        log_end(&line);
        /* Nothing was started, so no shutdown is owed before destroying. */
        grpc_server_destroy(srv->server);
        grpc_completion_queue_shutdown(srv->cq);
        while (
            grpc_completion_queue_next(srv->cq, gpr_inf_future(GPR_CLOCK_MONOTONIC), NULL).type !=
            GRPC_QUEUE_SHUTDOWN) {
        }
        grpc_completion_queue_destroy(srv->cq);
        return false;
    }
    grpc_server_start(srv->server);
    srv->serving = true;
    set_state(srv, STATE_RUNNING);
    for (int i = 0; i < PENDING_REQUESTS; i++) {
        if (!post_request(srv)) {
            server_abort(srv);
            return false;
        }
    }

    struct log_line line;

    log_begin(&line, LOG_LEVEL_INFO, "server started");
    log_str(&line, "listen", config->listen);
    log_int(&line, "port", port);
    log_end(&line);
    return true;
}

int bar_server_run(const struct bar_server_config *config, const volatile sig_atomic_t *stop)
{
    struct server srv;

    memset(&srv, 0, sizeof(srv));
    if (!server_start(&srv, config))
        return 1;

    for (;;) {
        grpc_event ev =
            grpc_completion_queue_next(srv.cq, grpc_deadline_in_ms(POLL_INTERVAL_MS), NULL);

        if (ev.type == GRPC_QUEUE_SHUTDOWN)
            break;
        if (ev.type == GRPC_OP_COMPLETE && ev.tag == &shutdown_tag) {
            /* Every call has ended: nothing left but queued failures. */
            grpc_server_destroy(srv.server);
            srv.server = NULL;
            grpc_completion_queue_shutdown(srv.cq);
            set_state(&srv, STATE_CLOSING);
        } else if (ev.type == GRPC_OP_COMPLETE) {
            on_completion(&srv, ev.tag, ev.success != 0);
        }
        if (srv.state != STATE_CLOSING)
            advance_shutdown(&srv, config, *stop != 0);
    }
    grpc_completion_queue_destroy(srv.cq);
    log_msg(LOG_LEVEL_INFO, "server stopped");
    return 0;
}
