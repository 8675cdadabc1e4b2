/*
 * factorial_request.h - validation of POST /factorial bodies.
 *
 * The body must be a JSON object {"number": N} with an optional boolean
 * "force". Parsing is strict where json-c is lenient: anything outside
 * JSON's grammar (trailing data, single quotes, leading zeros, NaN; see
 * json_strict.h), duplicate keys and null are all errors, and integers
 * json-c saturated are reported as too large, or as negative.
 */
#ifndef FCGI_FACTORIAL_REQUEST_H
#define FCGI_FACTORIAL_REQUEST_H

#include <stdbool.h>
#include <stddef.h>

struct factorial_request {
    long number;
    bool force;
};

struct request_error {
    int status; /* the HTTP status to answer with */
    char message[160];
};

/*
 * True when content_type (may be NULL) is application/json, with or without
 * parameters such as charset.
 */
bool factorial_content_type_ok(const char *content_type);

/*
 * Parses body[0..len) (which need not be NUL-terminated) into out. On failure
 * fills err with a 400 (malformed or wrongly typed) or 422 (out of range).
 */
bool factorial_request_parse(const char *body, size_t len, long max_number,
                             struct factorial_request *out, struct request_error *err);

#endif
