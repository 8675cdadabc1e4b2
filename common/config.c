/*
 * config.c - strict parsing of environment variables; see config.h.
 */
#include "config.h"

#include "log.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

bool config_parse_long(const char *text, long min, long max, long *out)
{
    char *end;
    long value;

    /* strtol would skip leading blanks and accept a sign before them. */
    if (text == NULL || !(isdigit((unsigned char)text[0]) || text[0] == '-'))
        return false;
    errno = 0;
    value = strtol(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || value < min || value > max)
        return false;
    *out = value;
    return true;
}

static bool host_char_ok(char c)
{
    return isalnum((unsigned char)c) || c == '.' || c == '-' || c == '_' || c == ':';
}

bool config_parse_hostport(const char *text, struct config_hostport *out)
{
    const char *host = text;
    const char *colon;
    size_t host_len;
    long port;

    if (text == NULL)
        return false;
    if (text[0] == '[') {
        const char *close = strchr(text, ']');

        if (close == NULL || close[1] != ':')
            return false;
        host = text + 1;
        host_len = (size_t)(close - host);
        colon = close + 1;
        if (host_len == 0)
            return false;
    } else {
        colon = strrchr(text, ':');
        if (colon == NULL)
            return false;
        host_len = (size_t)(colon - text);
        /* An unbracketed IPv6 address is ambiguous with its port. */
        if (memchr(text, ':', host_len) != NULL)
            return false;
    }
    if (host_len >= sizeof(out->host))
        return false;
    for (size_t i = 0; i < host_len; i++) {
        if (!host_char_ok(host[i]))
            return false;
    }
    if (!config_parse_long(colon + 1, 1, 65535, &port))
        return false;
    memcpy(out->host, host, host_len);
    out->host[host_len] = '\0';
    out->port = (int)port;
    return true;
}

bool config_parse_dest(const char *text, struct config_hostport *out)
{
    return config_parse_hostport(text, out) && out->host[0] != '\0';
}

const char *config_str(const char *name, const char *def)
{
    const char *value = getenv(name);

    return (value == NULL || value[0] == '\0') ? def : value;
}

static void log_invalid(const char *name, const char *value, const char *expected)
{
    struct log_line line;

    log_begin(&line, LOG_LEVEL_ERROR, "invalid configuration");
    log_str(&line, "variable", name);
    if (value != NULL)
        log_str(&line, "value", value);
    log_str(&line, "expected", expected);
    log_end(&line);
}

const char *config_require(const char *name)
{
    const char *value = config_str(name, NULL);

    if (value == NULL)
        log_invalid(name, NULL, "a value (the variable is required)");
    return value;
}

bool config_long(const char *name, long def, long min, long max, long *out)
{
    const char *value = config_str(name, NULL);

    if (value == NULL) {
        *out = def;
        return true;
    }
    if (config_parse_long(value, min, max, out))
        return true;

    struct log_line line;

    log_begin(&line, LOG_LEVEL_ERROR, "invalid configuration");
    log_str(&line, "variable", name);
    log_str(&line, "value", value);
    log_str(&line, "expected", "an integer in range");
    log_int(&line, "min", min);
    log_int(&line, "max", max);
    log_end(&line);
    return false;
}

/* An address variable read with parse; expected says the accepted forms. */
static bool config_address(const char *name, const char *def, struct config_hostport *out,
                           bool (*parse)(const char *, struct config_hostport *),
                           const char *expected)
{
    const char *value = config_str(name, def);

    if (value != NULL && parse(value, out))
        return true;
    log_invalid(name, value, expected);
    return false;
}

bool config_hostport(const char *name, const char *def, struct config_hostport *out)
{
    return config_address(name, def, out, config_parse_hostport, "host:port, [ipv6]:port or :port");
}

bool config_dest(const char *name, const char *def, struct config_hostport *out)
{
    return config_address(name, def, out, config_parse_dest, "host:port or [ipv6]:port");
}

bool config_log_level(void)
{
    const char *value = config_str("LOG_LEVEL", NULL);
    enum log_level level;

    if (value == NULL)
        return true;
    if (!log_level_parse(value, &level)) {
        log_invalid("LOG_LEVEL", value, "debug, info, warn or error");
        return false;
    }
    log_set_min_level(level);
    return true;
}
