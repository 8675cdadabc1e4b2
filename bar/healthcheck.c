/*
 * healthcheck.c - bar-healthcheck: exits 0 when bar's health check answers
 * SERVING, 1 otherwise. The bar image has no shell tools, so Docker's
 * healthcheck runs this.
 *
 * Usage: bar-healthcheck [host:port]   (default 127.0.0.1:50051, or
 * BAR_HEALTHCHECK_ADDR; BAR_HEALTHCHECK_TIMEOUT_MS, default 1000)
 */
#include "config.h"
#include "grpc_util.h"
#include "health_client.h"
#include "log.h"
#include "request_id.h"

#include <grpc/grpc.h>
#include <grpc/grpc_security.h>

int main(int argc, char **argv)
{
    struct config_hostport parsed;
    enum health_status status = HEALTH_UNKNOWN;
    char request_id[REQUEST_ID_SIZE];
    grpc_channel_credentials *creds;
    grpc_completion_queue *cq;
    grpc_channel *channel;
    grpc_status_code code;
    const char *addr;
    long timeout_ms;

    log_setup("bar-healthcheck", 1);
    addr = argc > 1 ? argv[1] : config_str("BAR_HEALTHCHECK_ADDR", "127.0.0.1:50051");
    if (argc > 2 || !config_parse_dest(addr, &parsed)) {
        log_msg(LOG_LEVEL_ERROR, "usage: bar-healthcheck [host:port]");
        return 2;
    }
    if (!config_long("BAR_HEALTHCHECK_TIMEOUT_MS", 1000, 1, 60000, &timeout_ms))
        return 2;
    if (!request_id_generate(request_id))
        return 1;

    grpc_log_bridge_install();
    grpc_init();
    creds = grpc_insecure_credentials_create();
    channel = grpc_channel_create(addr, creds, NULL);
    grpc_channel_credentials_release(creds);
    cq = grpc_completion_queue_create_for_pluck(NULL);

    code = health_check(channel, cq, "", request_id, timeout_ms, &status);

    struct log_line line;

    log_begin(&line,
              code == GRPC_STATUS_OK && status == HEALTH_SERVING ? LOG_LEVEL_INFO : LOG_LEVEL_ERROR,
              "health check");
    log_str(&line, "request_id", request_id);
    log_str(&line, "target", addr);
    log_str(&line, "grpc_status", grpc_status_name(code));
    log_str(&line, "health", health_status_name(status));
    log_end(&line);

    grpc_completion_queue_shutdown(cq);
    while (grpc_completion_queue_pluck(cq, NULL, gpr_inf_future(GPR_CLOCK_REALTIME), NULL).type !=
           GRPC_QUEUE_SHUTDOWN) {
    }
    grpc_completion_queue_destroy(cq);
    grpc_channel_destroy(channel);
    grpc_shutdown();
    return code == GRPC_STATUS_OK && status == HEALTH_SERVING ? 0 : 1;
}
