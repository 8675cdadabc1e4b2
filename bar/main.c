/*
 * main.c - bar: read configuration, serve gRPC until SIGTERM/SIGINT, drain.
 */
#include "config.h"
#include "grpc_util.h"
#include "log.h"
#include "server.h"

#include <grpc/grpc.h>
#include <signal.h>
#include <string.h>

static volatile sig_atomic_t stop_requested;

static void on_stop_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

static void install_signal_handlers(void)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}

int main(void)
{
    struct bar_server_config config;
    struct config_hostport listen;
    int rc;

    log_setup("bar", 1);
    if (!config_log_level())
        return 1;
    config.listen = config_str("BAR_LISTEN", "0.0.0.0:50051");
    if (!config_hostport("BAR_LISTEN", "0.0.0.0:50051", &listen) ||
        !config_long("BAR_DRAIN_TIMEOUT_MS", 5000, 0, 600000, &config.drain_timeout_ms) ||
        !config_long("BAR_SHUTDOWN_DELAY_MS", 0, 0, 600000, &config.shutdown_delay_ms))
        return 1;

    install_signal_handlers();
    grpc_log_bridge_install();
    grpc_init();
    rc = bar_server_run(&config, &stop_requested);
    grpc_shutdown();
    return rc;
}
