/*
 * worker.h - the life of a FastCGI worker process spawned by lighttpd.
 *
 * lighttpd hands each worker the listening socket as fd 0 and its own stderr
 * as fd 2; stdout is /dev/null. Workers therefore log to fd 2. The loop
 * accepts one request at a time and stops cleanly on SIGTERM, which lighttpd
 * sends once it has finished the requests in flight.
 */
#ifndef FCGI_WORKER_H
#define FCGI_WORKER_H

#include "http.h"

typedef void (*worker_handler)(struct http_exchange *ex, void *arg);

/* Sets up logging to fd 2 under the service name and applies LOG_LEVEL. */
bool worker_setup(const char *service);

/*
 * Serves requests until SIGTERM or until the listening socket goes away.
 * Returns the process exit code (0 on a clean stop).
 */
int worker_run(worker_handler handler, void *arg);

#endif
