/*
 * http.c - see http.h.
 */
#include "http.h"

#include "monotime.h"

#include <stdio.h>
#include <string.h>

/* The size of the pieces large bodies are handed to libfcgi in. */
#define WRITE_CHUNK (1 << 20)

const char *http_param(const struct http_exchange *ex, const char *name)
{
    return FCGX_GetParam(name, ex->request->envp);
}

void http_exchange_init(struct http_exchange *ex, FCGX_Request *request)
{
    const char *uri;
    size_t len;

    memset(ex, 0, sizeof(*ex));
    ex->request = request;
    ex->start = monotime_now();
    ex->method = http_param(ex, "REQUEST_METHOD");
    if (ex->method == NULL)
        ex->method = "";

    /* REQUEST_URI is the target as the client sent it, query included. */
    uri = http_param(ex, "REQUEST_URI");
    if (uri == NULL)
        uri = "";
    len = strcspn(uri, "?");
    if (len >= sizeof(ex->path)) {
        len = sizeof(ex->path) - 1;
        ex->path_truncated = true;
    }
    memcpy(ex->path, uri, len);
    ex->path[len] = '\0';

    if (!request_id_take(http_param(ex, "HTTP_X_REQUEST_ID"), ex->request_id))
        snprintf(ex->request_id, sizeof(ex->request_id), "unavailable");
}

bool http_method_is_get(const struct http_exchange *ex)
{
    return strcmp(ex->method, "GET") == 0 || strcmp(ex->method, "HEAD") == 0;
}

const char *http_reason(int status)
{
    switch (status) {
    case 200:
        return "OK";
    case 400:
        return "Bad Request";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 411:
        return "Length Required";
    case 413:
        return "Content Too Large";
    case 415:
        return "Unsupported Media Type";
    case 422:
        return "Unprocessable Content";
    case 500:
        return "Internal Server Error";
    case 502:
        return "Bad Gateway";
    case 503:
        return "Service Unavailable";
    case 504:
        return "Gateway Timeout";
    default:
        return "Unknown";
    }
}

void http_write(struct http_exchange *ex, const char *data, size_t len)
{
    while (len > 0 && !ex->write_failed) {
        int n = (int)(len > WRITE_CHUNK ? WRITE_CHUNK : len);

        /* A client that went away is not our error; stop writing to it. */
        if (FCGX_PutStr(data, n, ex->request->out) != n) {
            ex->write_failed = true;
            return;
        }
        data += n;
        len -= (size_t)n;
    }
}

void http_begin(struct http_exchange *ex, int status, const char *content_type,
                const char *extra_headers, size_t content_length)
{
    char head[512];
    int n;

    /*
     * libfcgi's FCGX_FPrintF has its own formatter that silently stops at
     * %zu and friends, so headers are formatted here and written as bytes.
     */
    n = snprintf(head, sizeof(head),
                 "Status: %d %s\r\nContent-Type: %s\r\nX-Request-ID: %s\r\n%sContent-Length: "
                 "%zu\r\n\r\n",
                 status, http_reason(status), content_type, ex->request_id,
                 extra_headers != NULL ? extra_headers : "", content_length);
    ex->status = status;
    if (n < 0 || (size_t)n >= sizeof(head)) {
        ex->write_failed = true;
        return;
    }
    http_write(ex, head, (size_t)n);
}

void http_send(struct http_exchange *ex, int status, const char *content_type, const char *body,
               size_t len)
{
    http_begin(ex, status, content_type, NULL, len);
    http_write(ex, body, len);
}

static void send_error_with_headers(struct http_exchange *ex, int status, const char *message,
                                    const char *extra_headers)
{
    char body[512];
    size_t n = 0;
    bool complete;

    memcpy(body, "{\"error\":\"", 10);
    n = 10;
    n += json_escape(body + n, sizeof(body) - n - 3, message, strlen(message), &complete);
    memcpy(body + n, "\"}\n", 3);
    n += 3;
    http_begin(ex, status, "application/json", extra_headers, n);
    http_write(ex, body, n);
}

void http_send_error(struct http_exchange *ex, int status, const char *message)
{
    send_error_with_headers(ex, status, message, NULL);
}

void http_send_method_not_allowed(struct http_exchange *ex, const char *allow)
{
    char header[128];

    snprintf(header, sizeof(header), "Allow: %s\r\n", allow);
    send_error_with_headers(ex, 405, "method not allowed", header);
}

void http_log_begin(const struct http_exchange *ex, struct log_line *line)
{
    http_log_begin_as(ex, line, ex->status >= 500 ? LOG_LEVEL_ERROR : LOG_LEVEL_INFO);
}

void http_log_begin_as(const struct http_exchange *ex, struct log_line *line, enum log_level level)
{
    log_begin(line, level, "request served");
    log_str(line, "request_id", ex->request_id);
    log_str(line, "protocol", "http");
    log_str(line, "method", ex->method);
    log_str(line, "path", ex->path);
    /* A path cut to HTTP_PATH_MAX is a cut value like any other. */
    if (ex->path_truncated)
        line->truncated = true;
    log_int(line, "status", ex->status);
    log_ms(line, "duration_ms", monotime_since_ms(ex->start));
    if (ex->write_failed)
        log_bool(line, "client_gone", true);
}
