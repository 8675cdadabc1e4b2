/*
 * deadline.h - one time limit over several steps (a lookup, a connect, the
 * reads of one reply), on the monotonic clock.
 */
#ifndef COMMON_DEADLINE_H
#define COMMON_DEADLINE_H

#include "monotime.h"

#include <errno.h>
#include <poll.h>

struct deadline {
    struct timespec start;
    long ms;
};

/* A deadline ms milliseconds from now. */
static inline struct deadline deadline_in(long ms)
{
    return (struct deadline){monotime_now(), ms};
}

/* Whole milliseconds left, rounded up; 0 once the deadline has passed. */
static inline long deadline_left_ms(const struct deadline *d)
{
    double left = (double)d->ms - monotime_since_ms(d->start);

    return left > 0 ? (long)left + 1 : 0;
}

/*
 * Waits until fd has one of events or the deadline passes: poll's revents,
 * or 0 on the deadline or an error.
 */
static inline short deadline_poll(int fd, short events, const struct deadline *d)
{
    for (;;) {
        struct pollfd pfd = {fd, events, 0};
        long left = deadline_left_ms(d);
        int n;

        if (left == 0)
            return 0;
        n = poll(&pfd, 1, (int)left);
        if (n > 0)
            return pfd.revents;
        if (n == 0 || errno != EINTR)
            return 0;
    }
}

#endif
