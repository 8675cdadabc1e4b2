/*
 * json_strict.c - see json_strict.h.
 *
 * A recursive-descent reader of RFC 8259's grammar that builds nothing. The
 * recursion is bounded by max_depth: each nested container is one level.
 */
#include "json_strict.h"

#include <string.h>

struct scan {
    const char *text;
    size_t len;
    size_t pos;
    int depth;
    int max_depth;
    const char *problem;
    size_t problem_at;
    bool string_has_nul; /* the last string read had a \u0000 */
    bool key_has_nul;
};

static bool fail(struct scan *sc, const char *problem)
{
    sc->problem = problem;
    sc->problem_at = sc->pos;
    return false;
}

static bool fail_or_end(struct scan *sc, const char *problem)
{
    return fail(sc, sc->pos >= sc->len ? "unexpected end of input" : problem);
}

/* The next byte, or -1 at the end of the text. */
static int peek(const struct scan *sc)
{
    return sc->pos < sc->len ? (unsigned char)sc->text[sc->pos] : -1;
}

static void skip_space(struct scan *sc)
{
    for (int c = peek(sc); c == ' ' || c == '\t' || c == '\n' || c == '\r'; c = peek(sc))
        sc->pos++;
}

static bool is_digit(int c)
{
    return c >= '0' && c <= '9';
}

static bool is_hex(int c)
{
    return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static bool digits(struct scan *sc, const char *problem)
{
    if (!is_digit(peek(sc)))
        return fail_or_end(sc, problem);
    while (is_digit(peek(sc)))
        sc->pos++;
    return true;
}

/* -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)? */
static bool number(struct scan *sc)
{
    if (peek(sc) == '-')
        sc->pos++;
    if (peek(sc) == '0') {
        sc->pos++;
        if (is_digit(peek(sc)))
            return fail(sc, "leading zero in a number");
    } else if (!digits(sc, "a number needs a digit")) {
        return false;
    }
    if (peek(sc) == '.') {
        sc->pos++;
        if (!digits(sc, "a number needs digits after its point"))
            return false;
    }
    if (peek(sc) == 'e' || peek(sc) == 'E') {
        sc->pos++;
        if (peek(sc) == '+' || peek(sc) == '-')
            sc->pos++;
        if (!digits(sc, "an exponent needs digits"))
            return false;
    }
    return true;
}

static bool escape(struct scan *sc)
{
    switch (peek(sc)) {
    case '"':
    case '\\':
    case '/':
    case 'b':
    case 'f':
    case 'n':
    case 'r':
    case 't':
        sc->pos++;
        return true;
    case 'u':
        sc->pos++;
        for (int i = 0; i < 4; i++) {
            if (!is_hex(peek(sc)))
                return fail_or_end(sc, "\\u needs four hex digits");
            sc->pos++;
        }
        if (memcmp(sc->text + sc->pos - 4, "0000", 4) == 0)
            sc->string_has_nul = true;
        return true;
    default:
        return fail_or_end(sc, "invalid escape in a string");
    }
}

/* At the opening quote. Bytes from 0x80 up are json-c's to check as UTF-8. */
static bool string(struct scan *sc)
{
    sc->string_has_nul = false;
    sc->pos++;
    for (;;) {
        int c = peek(sc);

        if (c < 0)
            return fail(sc, "unexpected end of input");
        if (c == '"') {
            sc->pos++;
            return true;
        }
        if (c < 0x20)
            return fail(sc, "control character in a string");
        sc->pos++;
        if (c == '\\' && !escape(sc))
            return false;
    }
}

static bool literal(struct scan *sc, const char *word)
{
    for (; *word != '\0'; word++) {
        if (peek(sc) != (unsigned char)*word)
            return fail_or_end(sc, "unexpected character");
        sc->pos++;
    }
    return true;
}

static bool value(struct scan *sc, long *members);

static bool enter(struct scan *sc)
{
    if (sc->depth >= sc->max_depth)
        return fail(sc, "nesting too deep");
    sc->depth++;
    sc->pos++;
    skip_space(sc);
    return true;
}

/* At '{'. */
static bool object(struct scan *sc, long *members)
{
    long n = 0;

    if (!enter(sc))
        return false;
    if (peek(sc) != '}') {
        for (;;) {
            skip_space(sc);
            if (peek(sc) == '\'')
                return fail(sc, "single-quoted string");
            if (peek(sc) != '"')
                return fail_or_end(sc, "a key must be a string");
            if (!string(sc))
                return false;
            sc->key_has_nul = sc->key_has_nul || sc->string_has_nul;
            skip_space(sc);
            if (peek(sc) != ':')
                return fail_or_end(sc, "expected ':' after a key");
            sc->pos++;
            if (!value(sc, NULL))
                return false;
            n++;
            skip_space(sc);
            if (peek(sc) != ',')
                break;
            sc->pos++;
        }
        if (peek(sc) != '}')
            return fail_or_end(sc, "expected ',' or '}'");
    }
    sc->pos++;
    sc->depth--;
    if (members != NULL)
        *members = n;
    return true;
}

/* At '['. */
static bool array(struct scan *sc)
{
    if (!enter(sc))
        return false;
    if (peek(sc) != ']') {
        for (;;) {
            if (!value(sc, NULL))
                return false;
            skip_space(sc);
            if (peek(sc) != ',')
                break;
            sc->pos++;
        }
        if (peek(sc) != ']')
            return fail_or_end(sc, "expected ',' or ']'");
    }
    sc->pos++;
    sc->depth--;
    return true;
}

/* One value after optional whitespace; an object's member count to members. */
static bool value(struct scan *sc, long *members)
{
    int c;

    skip_space(sc);
    c = peek(sc);
    switch (c) {
    case '{':
        return object(sc, members);
    case '[':
        return array(sc);
    case '"':
        return string(sc);
    case 't':
        return literal(sc, "true");
    case 'f':
        return literal(sc, "false");
    case 'n':
        return literal(sc, "null");
    case '\'':
        return fail(sc, "single-quoted string");
    default:
        if (c == '-' || is_digit(c))
            return number(sc);
        return fail_or_end(sc, "unexpected character");
    }
}

bool json_strict_check(const char *text, size_t len, int max_depth, struct json_strict_result *res)
{
    struct scan sc = {text, len, 0, 0, max_depth, NULL, 0, false, false};
    long members = 0;
    bool ok = value(&sc, &members);

    if (ok) {
        skip_space(&sc);
        if (sc.pos < sc.len)
            ok = fail(&sc, "trailing data after the value");
    }
    res->offset = ok ? len : sc.problem_at;
    res->problem = ok ? NULL : sc.problem;
    res->top_level_keys = ok ? members : 0;
    res->key_has_nul = ok && sc.key_has_nul;
    return ok;
}
