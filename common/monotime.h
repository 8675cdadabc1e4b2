/*
 * monotime.h - durations measured on the monotonic clock.
 */
#ifndef FOOBAR_MONOTIME_H
#define FOOBAR_MONOTIME_H

#include <time.h>

static inline struct timespec monotime_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts;
}

/* Milliseconds from start to now. */
static inline double monotime_since_ms(struct timespec start)
{
    struct timespec now = monotime_now();

    return (double)(now.tv_sec - start.tv_sec) * 1e3 + (double)(now.tv_nsec - start.tv_nsec) / 1e6;
}

#endif
