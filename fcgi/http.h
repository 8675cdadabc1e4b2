/*
 * http.h - one HTTP exchange over FastCGI: what came in, what goes out, and
 * the one log line that records it. Shared by foo and factorial.
 */
#ifndef FCGI_HTTP_H
#define FCGI_HTTP_H

#include "log.h"
#include "request_id.h"

#include <fcgiapp.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

/* Longest path kept for routing and logging; longer paths are cut. */
#define HTTP_PATH_MAX 512

struct http_exchange {
    FCGX_Request *request;
    struct timespec start;
    const char *method;
    char path[HTTP_PATH_MAX];
    bool path_truncated;
    char request_id[REQUEST_ID_SIZE];
    int status; /* 0 until a response has been started */
    bool write_failed;
};

/* Reads method, path (query string removed) and request id from the request. */
void http_exchange_init(struct http_exchange *ex, FCGX_Request *request);

/* A FastCGI parameter, or NULL. */
const char *http_param(const struct http_exchange *ex, const char *name);

/* True when the method is GET or HEAD. */
bool http_method_is_get(const struct http_exchange *ex);

/* Reason phrase for the status codes this project uses. */
const char *http_reason(int status);

/*
 * Starts a response: status line, Content-Type, X-Request-ID, the extra
 * header lines given (each ending in \r\n, or NULL) and Content-Length.
 */
void http_begin(struct http_exchange *ex, int status, const char *content_type,
                const char *extra_headers, size_t content_length);

/* Writes body bytes of a response begun with http_begin(). */
void http_write(struct http_exchange *ex, const char *data, size_t len);

/* A whole response in one call. */
void http_send(struct http_exchange *ex, int status, const char *content_type, const char *body,
               size_t len);

/* A JSON error response: {"error": message}. */
void http_send_error(struct http_exchange *ex, int status, const char *message);

/* 405 with an Allow header listing the methods the path takes. */
void http_send_method_not_allowed(struct http_exchange *ex, const char *allow);

/*
 * Begins the "request served" line with the fields every service shares;
 * the caller adds its own fields and calls log_end(). The level follows the
 * status (error for 5xx, else info); http_log_begin_as() sets it.
 */
void http_log_begin(const struct http_exchange *ex, struct log_line *line);
void http_log_begin_as(const struct http_exchange *ex, struct log_line *line, enum log_level level);

#endif
