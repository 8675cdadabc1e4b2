/*
 * handlers.h - what bar answers, apart from how it is transported.
 *
 * Each handler takes the request message bytes and produces the response
 * message bytes and a gRPC status. The server loop owns the network side;
 * these functions are pure, so unit tests call them directly.
 */
#ifndef BAR_HANDLERS_H
#define BAR_HANDLERS_H

#include <grpc/grpc.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BAR_METHOD_GET_BAR "/bar.v1.BarService/GetBar"
#define BAR_METHOD_HEALTH_CHECK "/grpc.health.v1.Health/Check"
#define BAR_SERVICE_NAME "bar.v1.BarService"

/* Largest response any handler produces. */
#define BAR_RESPONSE_MAX 64

struct bar_reply {
    grpc_status_code status;
    const char *details; /* static string; "" when OK */
    uint8_t message[BAR_RESPONSE_MAX];
    size_t message_len;
};

/* True when method names one of the handlers below. */
bool bar_method_known(const char *method, size_t len);

/*
 * Answers one call. serving is the current health of the server (true while
 * running, false once shutting down).
 */
void bar_handle(const char *method, size_t method_len, const uint8_t *request, size_t request_len,
                bool serving, struct bar_reply *reply);

#endif
