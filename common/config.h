/*
 * config.h - configuration from environment variables, parsed strictly.
 *
 * Every reader either returns a valid value or logs one "invalid
 * configuration" line naming the variable and returns false, so a service
 * refuses to start on a bad setting instead of running with a surprise.
 */
#ifndef FOOBAR_CONFIG_H
#define FOOBAR_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

/* Longest host name or address accepted in a host:port value. */
#define CONFIG_HOST_MAX 256

struct config_hostport {
    char host[CONFIG_HOST_MAX];
    int port;
};

/* Strict decimal parse of the whole string into [min, max]. */
bool config_parse_long(const char *text, long min, long max, long *out);

/*
 * Parses "host:port", "[v6addr]:port" or ":port" (host left empty). The host
 * is checked for safe characters only; resolution happens at connect time.
 */
bool config_parse_hostport(const char *text, struct config_hostport *out);

/* As config_parse_hostport, for an address to connect to: a host is needed. */
bool config_parse_dest(const char *text, struct config_hostport *out);

/* The variable's value, or def when it is unset or empty. */
const char *config_str(const char *name, const char *def);

/* A required variable: logs and returns NULL when unset or empty. */
const char *config_require(const char *name);

/* An integer variable in [min, max], def when unset. Logs and fails if bad. */
bool config_long(const char *name, long def, long min, long max, long *out);

/* A host:port variable, def when unset. Logs and fails if bad. */
bool config_hostport(const char *name, const char *def, struct config_hostport *out);

/* A host:port variable to connect to (host required), def when unset. */
bool config_dest(const char *name, const char *def, struct config_hostport *out);

/* Applies LOG_LEVEL to the logger. Logs and fails if bad. */
bool config_log_level(void);

#endif
