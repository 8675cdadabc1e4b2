/*
 * resolve.h - name resolution with a deadline.
 *
 * getaddrinfo blocks for as long as the resolver likes: glibc waits 5 s per
 * try for a DNS server that does not answer. Connecting "with a timeout"
 * through it (hiredis' connect, for one) bounds only the connect. This runs
 * the lookup on glibc's getaddrinfo_a and stops waiting at the deadline.
 */
#ifndef COMMON_RESOLVE_H
#define COMMON_RESOLVE_H

#include <netdb.h>

/*
 * Resolves host (a name or an address) for a TCP connection to port,
 * waiting at most timeout_ms. 0 and *res (free it with freeaddrinfo) on
 * success; an EAI_* code otherwise, EAI_AGAIN when the deadline passed.
 */
int resolve_tcp(const char *host, int port, long timeout_ms, struct addrinfo **res);

/* The numeric form of ai's address ("10.0.0.7", "::1") into buf. */
int resolve_numeric(const struct addrinfo *ai, char *buf, size_t size);

#endif
