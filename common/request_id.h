/*
 * request_id.h - the id that follows one request through every service.
 *
 * A caller's X-Request-ID is kept when it is a sane token; otherwise a new
 * random one is made. Either way the result is safe to log and to echo in a
 * response header.
 */
#ifndef FOOBAR_REQUEST_ID_H
#define FOOBAR_REQUEST_ID_H

#include <stdbool.h>
#include <stddef.h>

/* Longest id accepted from a caller. */
#define REQUEST_ID_MAX 64

/* Room for any id this module produces, with its terminating NUL. */
#define REQUEST_ID_SIZE (REQUEST_ID_MAX + 1)

/* True when text is 1..REQUEST_ID_MAX characters of [A-Za-z0-9._:-]. */
bool request_id_valid(const char *text);

/* Fills out with 32 random lowercase hex digits. False if no randomness. */
bool request_id_generate(char out[REQUEST_ID_SIZE]);

/* Copies incoming when valid, else generates. False only if both fail. */
bool request_id_take(const char *incoming, char out[REQUEST_ID_SIZE]);

#endif
