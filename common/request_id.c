/*
 * request_id.c - validation and generation of request ids; see request_id.h.
 */
#include "request_id.h"

#include <ctype.h>
#include <errno.h>
#include <string.h>
#include <sys/random.h>

bool request_id_valid(const char *text)
{
    size_t n = 0;

    if (text == NULL)
        return false;
    for (; text[n] != '\0'; n++) {
        unsigned char c = (unsigned char)text[n];

        if (n >= REQUEST_ID_MAX)
            return false;
        if (!(isalnum(c) || c == '.' || c == '_' || c == ':' || c == '-'))
            return false;
    }
    return n > 0;
}

bool request_id_generate(char out[REQUEST_ID_SIZE])
{
    static const char hex[] = "0123456789abcdef";
    unsigned char raw[16];
    size_t got = 0;

    while (got < sizeof(raw)) {
        ssize_t n = getrandom(raw + got, sizeof(raw) - got, 0);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        got += (size_t)n;
    }
    for (size_t i = 0; i < sizeof(raw); i++) {
        out[2 * i] = hex[raw[i] >> 4];
        out[2 * i + 1] = hex[raw[i] & 0xf];
    }
    out[2 * sizeof(raw)] = '\0';
    return true;
}

bool request_id_take(const char *incoming, char out[REQUEST_ID_SIZE])
{
    if (request_id_valid(incoming)) {
        memcpy(out, incoming, strlen(incoming) + 1);
        return true;
    }
    return request_id_generate(out);
}
