/*
 * json_strict.h - is a text exactly one JSON value, by RFC 8259's grammar?
 *
 * json-c, which builds the objects, reads more than JSON even in its strict
 * mode: leading zeros (00, -01), NaN and Infinity, "1.", raw control
 * characters in strings. factorial's request bodies and the lines the
 * supervisor passes through as they are are checked here first, so that
 * such a text is never taken for JSON it is not. UTF-8 is left to the
 * callers (json-c's JSON_TOKENER_VALIDATE_UTF8, the supervisor's repair).
 */
#ifndef COMMON_JSON_STRICT_H
#define COMMON_JSON_STRICT_H

#include <stdbool.h>
#include <stddef.h>

struct json_strict_result {
    size_t offset;       /* where the first problem is, in bytes */
    const char *problem; /* a short phrase; NULL when the text is valid */
    long top_level_keys; /* members of the value when it is an object, else 0 */
    bool key_has_nul;    /* some key holds \u0000: a C string (json-c's keys) cuts it */
};

/*
 * Checks text[0..len) (no NUL needed): one value, whitespace around it,
 * containers nested at most max_depth deep. Always fills res.
 */
bool json_strict_check(const char *text, size_t len, int max_depth, struct json_strict_result *res);

#endif
