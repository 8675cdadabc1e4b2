/*
 * bar_client.c - see bar_client.h.
 */
#include "bar_client.h"

#include "bar.pb-c.h"
#include "grpc_unary.h"
#include "grpc_util.h"
#include "log.h"
#include "monotime.h"

#include <grpc/grpc_security.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * Recovery tuning, measured against the C core 1.51 defaults:
 * - With no thread waiting on a queue between requests, an idle channel
 *   only sees a restarted server on the backup poller's tick (5 s). 200 ms
 *   keeps the cost negligible and the notice quick.
 * - Reconnect backoff grows 1.6x per attempt up to 120 s; capped at 1 s, a
 *   bar that comes back after a long outage is found within a second.
 * - GRPC_ARG_MIN_RECONNECT_BACKOFF_MS is, despite its name, the time a
 *   connection attempt may take (default 20 s). Set it to the backoff and a
 *   handshake that waits for the next poll is cut short, failing calls; 2 s
 *   leaves room for that and still ends an attempt on a silent address.
 * - DNS is re-resolved at most every 30 s by default; a bar restarted at a
 *   new address under the same name needs it sooner.
 * - Keepalive pings find a connection whose peer vanished without a FIN.
 * - round_robin instead of the default pick_first: with a name that resolves
 *   to several bar replicas (a headless Service in Kubernetes), every
 *   worker spreads its calls over all of them. bar closes connections older
 *   than a minute, gracefully, so clients resolve again and find replicas
 *   added since.
 * - The minimal filter stack (no compression, no census): measured 7% less
 *   CPU per request in the workers. It would also drop deadline checking,
 *   which is switched back on explicitly.
 * - A DNS query may hang (Docker's resolver, asked for a stopped
 *   container's name, waits on upstream servers it cannot reach); c-ares'
 *   default allows it 120 s. Bounded, a name that does not resolve fails
 *   the channel quickly and calls get UNAVAILABLE.
 * - While bar's name does not resolve (its container is stopped), the DNS
 *   resolver retries on a backoff of its own, 1 s growing to 120 s, that no
 *   channel argument sets, and grpc_channel_reset_connect_backoff() in 1.51
 *   cancels the retry without starting one. Measured: after 30 s of outage
 *   bar was found 17 s late. So a call that fails UNAVAILABLE on a channel
 *   older than CHANNEL_RENEW_INTERVAL_MS replaces the channel: a new one
 *   resolves at once. Only failures do this, at most once a second.
 */
#define BACKUP_POLL_INTERVAL_MS "200"
#define RECONNECT_BACKOFF_MS 100
#define MAX_RECONNECT_BACKOFF_MS 1000
#define CONNECT_TIMEOUT_MS 2000
#define DNS_MIN_RESOLUTION_INTERVAL_MS 500
#define KEEPALIVE_TIME_MS 10000
#define KEEPALIVE_TIMEOUT_MS 5000
#define CHANNEL_RENEW_INTERVAL_MS 1000
#define DNS_QUERY_TIMEOUT_MS 1000
#define SERVICE_CONFIG "{\"loadBalancingConfig\": [{\"round_robin\": {}}]}"

void bar_client_tune_environment(void)
{
    setenv("GRPC_CLIENT_CHANNEL_BACKUP_POLL_INTERVAL_MS", BACKUP_POLL_INTERVAL_MS, 0);
}

static grpc_channel *open_channel(const char *target)
{
    grpc_arg args[] = {
        GRPC_INT_ARG(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, RECONNECT_BACKOFF_MS),
        GRPC_INT_ARG(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, CONNECT_TIMEOUT_MS),
        GRPC_INT_ARG(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, MAX_RECONNECT_BACKOFF_MS),
        GRPC_INT_ARG(GRPC_ARG_DNS_MIN_TIME_BETWEEN_RESOLUTIONS_MS, DNS_MIN_RESOLUTION_INTERVAL_MS),
        GRPC_INT_ARG(GRPC_ARG_DNS_ARES_QUERY_TIMEOUT_MS, DNS_QUERY_TIMEOUT_MS),
        GRPC_INT_ARG(GRPC_ARG_KEEPALIVE_TIME_MS, KEEPALIVE_TIME_MS),
        GRPC_INT_ARG(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, KEEPALIVE_TIMEOUT_MS),
        GRPC_INT_ARG(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1),
        GRPC_INT_ARG(GRPC_ARG_HTTP2_MAX_PINGS_WITHOUT_DATA, 0),
        GRPC_INT_ARG(GRPC_ARG_MAX_RECEIVE_MESSAGE_LENGTH, GRPC_UNARY_MAX_RESPONSE),
        /* bar is on a private network; an HTTP proxy from the environment is never wanted. */
        GRPC_INT_ARG(GRPC_ARG_ENABLE_HTTP_PROXY, 0),
        GRPC_INT_ARG(GRPC_ARG_MINIMAL_STACK, 1),
        GRPC_INT_ARG(GRPC_ARG_ENABLE_DEADLINE_CHECKS, 1),
        {GRPC_ARG_STRING, (char *)GRPC_ARG_SERVICE_CONFIG, {.string = (char *)SERVICE_CONFIG}},
    };
    grpc_channel_args channel_args = {sizeof(args) / sizeof(args[0]), args};
    grpc_channel_credentials *creds = grpc_insecure_credentials_create();
    grpc_channel *channel = grpc_channel_create(target, creds, &channel_args);

    grpc_channel_credentials_release(creds);
    if (channel != NULL) {
        /* Start connecting now, so the first request does not pay for it. */
        grpc_channel_check_connectivity_state(channel, 1);
    }
    return channel;
}

bool bar_client_open(struct bar_client *client, const char *target, long timeout_ms)
{
    client->target = target;
    client->timeout_ms = timeout_ms;
    client->channel = open_channel(target);
    client->opened_at = monotime_now();
    client->cq = grpc_completion_queue_create_for_pluck(NULL);
    return client->channel != NULL && client->cq != NULL;
}

/*
 * After a call: notes whether the channel is connected, and replaces it
 * after a failure to reach bar (see the top of the file). Returns whether
 * the channel was connected when the call ended.
 */
static bool after_call(struct bar_client *client, grpc_status_code status)
{
    bool connected =
        grpc_channel_check_connectivity_state(client->channel, 0) == GRPC_CHANNEL_READY;
    grpc_channel *fresh;
    struct log_line line;

    if (bar_status_to_http(status, connected) != 503 ||
        monotime_since_ms(client->opened_at) < CHANNEL_RENEW_INTERVAL_MS)
        return connected;
    fresh = open_channel(client->target);
    if (fresh == NULL)
        return connected;
    /* No call is in flight: this worker makes one call at a time. */
    grpc_channel_destroy(client->channel);
    client->channel = fresh;
    client->opened_at = monotime_now();
    log_begin(&line, LOG_LEVEL_DEBUG, "bar channel renewed");
    log_str(&line, "target", client->target);
    log_end(&line);
    return connected;
}

void bar_client_close(struct bar_client *client)
{
    if (client->cq != NULL) {
        grpc_completion_queue_shutdown(client->cq);
        while (
            grpc_completion_queue_pluck(client->cq, NULL, gpr_inf_future(GPR_CLOCK_REALTIME), NULL)
                .type != GRPC_QUEUE_SHUTDOWN) {
        }
        grpc_completion_queue_destroy(client->cq);
    }
    if (client->channel != NULL)
        grpc_channel_destroy(client->channel);
    client->cq = NULL;
    client->channel = NULL;
}

void bar_client_get(struct bar_client *client, const char *request_id, struct bar_result *res)
{
    static const uint8_t empty[1];
    Bar__V1__GetBarRequest req = BAR__V1__GET_BAR_REQUEST__INIT;
    Bar__V1__GetBarResponse *resp;
    struct grpc_unary_result call;
    uint8_t packed[16];
    size_t len = bar__v1__get_bar_request__pack(&req, packed);

    memset(res, 0, sizeof(*res));
    grpc_unary_call(client->channel, client->cq, "/bar.v1.BarService/GetBar", request_id, packed,
                    len, client->timeout_ms, &call);
    res->status = call.status;
    snprintf(res->details, sizeof(res->details), "%s", call.details);
    res->connected = after_call(client, call.status);
    if (call.status != GRPC_STATUS_OK) {
        grpc_unary_result_free(&call);
        return;
    }

    resp = bar__v1__get_bar_response__unpack(NULL, call.response_len,
                                             call.response != NULL ? call.response : empty);
    grpc_unary_result_free(&call);
    if (resp == NULL || strlen(resp->value) >= sizeof(res->value)) {
        /* A reply we cannot read is bar's failure, not the client's. */
        res->status = GRPC_STATUS_INTERNAL;
        snprintf(res->details, sizeof(res->details), "malformed GetBarResponse");
    } else {
        memcpy(res->value, resp->value, strlen(resp->value) + 1);
    }
    if (resp != NULL)
        bar__v1__get_bar_response__free_unpacked(resp, NULL);
}

grpc_status_code bar_client_health(struct bar_client *client, const char *request_id,
                                   enum health_status *status)
{
    grpc_status_code code =
        health_check(client->channel, client->cq, "", request_id, client->timeout_ms, status);

    (void)after_call(client, code);
    return code;
}

int bar_status_to_http(grpc_status_code status, bool connected)
{
    switch (status) {
    case GRPC_STATUS_OK:
        return 200;
    case GRPC_STATUS_UNAVAILABLE:
    case GRPC_STATUS_CANCELLED:
        return 503;
    case GRPC_STATUS_DEADLINE_EXCEEDED:
        return connected ? 504 : 503;
    default:
        return 502;
    }
}
