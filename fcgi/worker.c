/*
 * worker.c - accept loop and signal handling of a FastCGI worker; see worker.h.
 */
#include "worker.h"

#include "config.h"
#include "log.h"

#include <signal.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t stop_requested;
static volatile sig_atomic_t in_request;

/*
 * lighttpd sends SIGTERM to its workers only after its graceful shutdown has
 * finished every request in flight, so an idle worker can leave at once. One
 * busy with a request finishes it first. libfcgi restarts accept() after a
 * signal, so waiting for the loop to notice a flag could wait forever.
 */
static void on_term(int sig)
{
    (void)sig;
    if (!in_request)
        _exit(0);
    stop_requested = 1;
}

bool worker_setup(const char *service)
{
    struct sigaction sa;

    log_setup(service, 2);
    if (!config_log_level())
        return false;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_term;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    /* lighttpd resets SIGPIPE for its children; a gone peer must not kill us. */
    signal(SIGPIPE, SIG_IGN);
    return true;
}

int worker_run(worker_handler handler, void *arg)
{
    FCGX_Request request;
    struct log_line line;

    if (FCGX_Init() != 0 || FCGX_InitRequest(&request, 0, 0) != 0) {
        log_msg(LOG_LEVEL_ERROR, "cannot initialise FastCGI");
        return 1;
    }
    log_begin(&line, LOG_LEVEL_INFO, "worker started");
    log_int(&line, "pid", getpid());
    log_end(&line);

    while (!stop_requested) {
        struct http_exchange ex;

        if (FCGX_Accept_r(&request) < 0)
            break;
        in_request = 1;
        http_exchange_init(&ex, &request);
        handler(&ex, arg);
        FCGX_Finish_r(&request);
        in_request = 0;
    }
    FCGX_Free(&request, 1);
    log_begin(&line, LOG_LEVEL_INFO, "worker stopped");
    log_int(&line, "pid", getpid());
    log_end(&line);
    return 0;
}
