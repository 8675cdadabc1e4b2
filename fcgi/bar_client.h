/*
 * bar_client.h - foo's side of the contract with bar.
 *
 * One channel per process, created once and reused by every request. The
 * channel is tuned so that it notices a restarted bar quickly, including one
 * that comes back at a new address under the same name (see bar_client.c for
 * the one case where a fresh channel replaces it).
 */
#ifndef FCGI_BAR_CLIENT_H
#define FCGI_BAR_CLIENT_H

#include "health_client.h"

#include <grpc/grpc.h>
#include <stdbool.h>
#include <time.h>

struct bar_client {
    const char *target;
    grpc_channel *channel;
    grpc_completion_queue *cq;
    long timeout_ms;
    struct timespec opened_at; /* when the channel was (re)created */
};

struct bar_result {
    grpc_status_code status;
    bool connected; /* the channel was READY when the call ended */
    char details[256];
    char value[16]; /* the answer's value when status is OK */
};

/*
 * Call before grpc_init(): sets the C core's backup-poll interval (an
 * environment-only knob) unless the operator already set it.
 */
void bar_client_tune_environment(void);

/* Creates the channel to target ("host:port"); false when it cannot. */
bool bar_client_open(struct bar_client *client, const char *target, long timeout_ms);
void bar_client_close(struct bar_client *client);

/* Calls GetBar with the request id as metadata and the configured deadline. */
void bar_client_get(struct bar_client *client, const char *request_id, struct bar_result *res);

/* Calls the standard health check of bar. */
grpc_status_code bar_client_health(struct bar_client *client, const char *request_id,
                                   enum health_status *status);

/*
 * The HTTP status foo answers with after a call: 200 for OK; 503 when bar
 * cannot be reached (UNAVAILABLE; a deadline that passed while the channel
 * was still resolving or connecting; CANCELLED, which foo never causes and
 * bar's shutdown does); 504 when bar was reached but did not answer in
 * time; 502 for any other failure.
 */
int bar_status_to_http(grpc_status_code status, bool connected);

#endif
