/*
 * factorial_request.c - see factorial_request.h.
 */
#include "factorial_request.h"

#include "json_strict.h"

#include <json-c/json.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* The body is one flat object; nothing legitimate nests deeper. */
#define MAX_DEPTH 4

static bool fail(struct request_error *err, int status, const char *fmt, ...)
{
    va_list ap;

    err->status = status;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof(err->message), fmt, ap);
    va_end(ap);
    return false;
}

bool factorial_content_type_ok(const char *content_type)
{
    static const char json[] = "application/json";
    size_t n = sizeof(json) - 1;

    if (content_type == NULL || strncasecmp(content_type, json, n) != 0)
        return false;
    return content_type[n] == '\0' || content_type[n] == ';' || content_type[n] == ' ';
}

static bool is_json_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/*
 * The body by JSON's own grammar first (json-c reads more than JSON), then
 * json-c for the objects and the UTF-8 check. keys gets the number of the
 * top-level object's members as written, duplicates included.
 */
static json_object *parse_strict(const char *body, size_t len, long *keys,
                                 struct request_error *err)
{
    struct json_strict_result syntax;
    struct json_tokener *tok;
    enum json_tokener_error jerr;
    json_object *root;
    size_t end;

    if (!json_strict_check(body, len, MAX_DEPTH, &syntax)) {
        fail(err, 400, "body is not valid JSON: %s at byte %zu", syntax.problem, syntax.offset);
        return NULL;
    }
    *keys = syntax.top_level_keys;
    if (syntax.key_has_nul) {
        /* json-c would read "number\u0000x" as the key "number". */
        fail(err, 400, "a field name holds \\u0000");
        return NULL;
    }

    tok = json_tokener_new_ex(MAX_DEPTH);
    if (tok == NULL) {
        fail(err, 500, "out of memory");
        return NULL;
    }
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
    root = json_tokener_parse_ex(tok, body, (int)len);
    jerr = json_tokener_get_error(tok);
    end = json_tokener_get_parse_end(tok);
    if (jerr == json_tokener_continue) {
        /* The tokener waits for more input; a NUL says there is none. Only
         * then does it finish a bare value such as null. */
        root = json_tokener_parse_ex(tok, "", 1);
        jerr = json_tokener_get_error(tok);
        end = len;
        if (jerr != json_tokener_success) {
            json_tokener_free(tok);
            json_object_put(root);
            fail(err, 400, "body is not valid JSON: unexpected end of input");
            return NULL;
        }
    }
    json_tokener_free(tok);
    if (jerr != json_tokener_success) {
        /* The grammar was checked already: what is left is UTF-8. */
        json_object_put(root);
        fail(err, 400, "body is not valid JSON: %s at byte %zu", json_tokener_error_desc(jerr),
             end);
        return NULL;
    }

    while (end < len && is_json_space(body[end]))
        end++;
    if (end < len) {
        json_object_put(root);
        fail(err, 400, "body is not valid JSON: trailing data after the object");
        return NULL;
    }
    if (root == NULL) {
        fail(err, 400, "body must be a JSON object, not null");
        return NULL;
    }
    return root;
}

static const char *type_word(json_object *value)
{
    switch (json_object_get_type(value)) {
    case json_type_null:
        return "null";
    case json_type_boolean:
        return "a boolean";
    case json_type_double:
        return "a fraction or exponent";
    case json_type_int:
        return "an integer";
    case json_type_object:
        return "an object";
    case json_type_array:
        return "an array";
    case json_type_string:
        return "a string";
    }
    return "an unknown type";
}

static bool read_number(json_object *value, long max_number, long *out, struct request_error *err)
{
    int64_t n;

    if (value == NULL)
        return fail(err, 400, "\"number\" must be an integer, not null");
    if (!json_object_is_type(value, json_type_int))
        return fail(err, 400, "\"number\" must be an integer, not %s", type_word(value));

    /* json-c saturates integers beyond 64 bits at the int64 limits. */
    n = json_object_get_int64(value);
    if (n < 0)
        return fail(err, 422, "\"number\" must not be negative");
    if (n == INT64_MAX)
        return fail(err, 422, "\"number\" is too large");
    if (n > max_number)
        return fail(err, 422, "\"number\" must be at most %ld", max_number);
    *out = (long)n;
    return true;
}

bool factorial_request_parse(const char *body, size_t len, long max_number,
                             struct factorial_request *out, struct request_error *err)
{
    json_object *root;
    long keys;
    bool ok = false;
    bool have_number = false;

    if (len == 0)
        return fail(err, 400, "empty body");

    root = parse_strict(body, len, &keys, err);
    if (root == NULL)
        return false;
    if (!json_object_is_type(root, json_type_object)) {
        fail(err, 400, "body must be a JSON object, not %s", type_word(root));
        goto out;
    }
    if (keys != json_object_object_length(root)) {
        fail(err, 400, "body has a duplicate key");
        goto out;
    }

    out->force = false;
    json_object_object_foreach(root, key, value)
    {
        if (strcmp(key, "number") == 0) {
            if (!read_number(value, max_number, &out->number, err))
                goto out;
            have_number = true;
        } else if (strcmp(key, "force") == 0) {
            if (value == NULL || !json_object_is_type(value, json_type_boolean)) {
                fail(err, 400, "\"force\" must be a boolean, not %s",
                     value == NULL ? "null" : type_word(value));
                goto out;
            }
            out->force = json_object_get_boolean(value);
        } else {
            fail(err, 400, "unknown field \"%.64s\"", key);
            goto out;
        }
    }
    if (!have_number) {
        fail(err, 400, "missing field \"number\"");
        goto out;
    }
    ok = true;

out:
    json_object_put(root);
    return ok;
}
