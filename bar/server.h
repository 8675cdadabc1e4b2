/*
 * server.h - bar's gRPC server on the C core's completion queue API.
 *
 * One thread drives one completion queue: it accepts calls, hands them to
 * handlers.c, sends the replies and logs one line per call. Shutdown is
 * cooperative: a signal handler only sets a flag (the C core has no wake-up
 * call), which the loop sees within one poll interval.
 */
#ifndef BAR_SERVER_H
#define BAR_SERVER_H

#include <signal.h>
#include <stdbool.h>

struct bar_server_config {
    const char *listen;     /* host:port to bind, e.g. 0.0.0.0:50051 */
    long drain_timeout_ms;  /* longest wait for in-flight calls at shutdown */
    long shutdown_delay_ms; /* NOT_SERVING this long before refusing calls */
};

/*
 * Serves until *stop becomes non-zero, then drains and returns. Returns 0
 * after a clean stop, 1 when the server could not start.
 */
int bar_server_run(const struct bar_server_config *config, const volatile sig_atomic_t *stop);

#endif
