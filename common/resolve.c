/*
 * resolve.c - see resolve.h.
 */
#include "resolve.h"

#include "deadline.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct lookup {
    struct gaicb cb; /* first: a gaicb pointer is a lookup pointer */
    struct addrinfo hints;
    char port[8];
    char *host;
    struct lookup *next;
};

/*
 * Lookups given up on before glibc finished them: their memory belongs to
 * glibc's resolver thread until then. Reaped on each later call; there are
 * as many as lookups timed out within the resolver's own timeout.
 */
static struct lookup *abandoned;

static void lookup_free(struct lookup *lk)
{
    if (lk->cb.ar_result != NULL)
        freeaddrinfo(lk->cb.ar_result);
    free(lk->host);
    free(lk);
}

static void reap_abandoned(void)
{
    struct lookup **link = &abandoned;

    while (*link != NULL) {
        struct lookup *lk = *link;

        if (gai_error(&lk->cb) == EAI_INPROGRESS) {
            link = &lk->next;
            continue;
        }
        *link = lk->next;
        lookup_free(lk);
    }
}

static void abandon(struct lookup *lk)
{
    if (gai_cancel(&lk->cb) == EAI_CANCELED || gai_error(&lk->cb) != EAI_INPROGRESS) {
        lookup_free(lk);
        return;
    }
    lk->next = abandoned;
    abandoned = lk;
}

int resolve_tcp(const char *host, int port, long timeout_ms, struct addrinfo **res)
{
    struct deadline dl = deadline_in(timeout_ms);
    struct gaicb *list[1];
    struct lookup *lk;
    int rc;

    *res = NULL;
    reap_abandoned();
    lk = calloc(1, sizeof(*lk));
    if (lk == NULL)
        return EAI_MEMORY;
    lk->host = strdup(host);
    if (lk->host == NULL) {
        free(lk);
        return EAI_MEMORY;
    }
    lk->hints.ai_family = AF_UNSPEC;
    lk->hints.ai_socktype = SOCK_STREAM;
    snprintf(lk->port, sizeof(lk->port), "%d", port);
    lk->cb.ar_name = lk->host;
    lk->cb.ar_service = lk->port;
    lk->cb.ar_request = &lk->hints;
    list[0] = &lk->cb;

    rc = getaddrinfo_a(GAI_NOWAIT, list, 1, NULL);
    if (rc != 0) {
        lookup_free(lk);
        return rc;
    }
    for (;;) {
        long left_ms = deadline_left_ms(&dl);
        struct timespec wait;

        rc = gai_error(&lk->cb);
        if (rc != EAI_INPROGRESS)
            break;
        if (left_ms == 0) {
            abandon(lk);
            return EAI_AGAIN;
        }
        wait.tv_sec = (time_t)(left_ms / 1000);
        wait.tv_nsec = (left_ms % 1000) * 1000000L;
        /* Returns early on completion, on a signal, or at the timeout. */
        (void)gai_suspend((const struct gaicb *const *)list, 1, &wait);
    }
    if (rc == 0) {
        *res = lk->cb.ar_result;
        lk->cb.ar_result = NULL;
    }
    lookup_free(lk);
    return rc;
}

int resolve_numeric(const struct addrinfo *ai, char *buf, size_t size)
{
    return getnameinfo(ai->ai_addr, ai->ai_addrlen, buf, (socklen_t)size, NULL, 0, NI_NUMERICHOST);
}
