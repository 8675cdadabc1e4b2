/*
 * gmp_factorial.c - the compute limit of the factorial service: N! with
 * GMP's mpz_fac_ui and its decimal conversion with mpz_get_str, timed in
 * this process, with nothing else around them.
 *
 * Usage: gmp_factorial N RUNS
 * Prints one JSON object: {"n":N,"digits":D,"seconds":[t1,...]}, one time
 * per run. Each run does what the service's compute step does: initialise,
 * compute, size and allocate the string, convert, free. One untimed run
 * comes first: a FastCGI worker is a long-lived process whose heap has
 * already grown to such sizes, and a fresh process would otherwise pay for
 * page faults the worker does not.
 *
 * bench/run.py compiles it with the project's release flags.
 */
#include <errno.h>
#include <gmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_RUNS 1000

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int parse_ulong(const char *text, unsigned long max, unsigned long *out)
{
    char *end;

    errno = 0;
    *out = strtoul(text, &end, 10);
    return errno == 0 && end != text && *end == '\0' && text[0] != '-' && *out <= max;
}

/* One run; returns the number of digits, 0 when out of memory. */
static size_t run_once(unsigned long n)
{
    mpz_t value;
    size_t digits = 0;
    char *text;

    mpz_init(value);
    mpz_fac_ui(value, n);
    /* sizeinbase may count one digit too many; the length comes from the string. */
    text = malloc(mpz_sizeinbase(value, 10) + 2);
    if (text != NULL) {
        mpz_get_str(text, 10, value);
        digits = strlen(text);
        free(text);
    }
    mpz_clear(value);
    return digits;
}

int main(int argc, char **argv)
{
    static double seconds[MAX_RUNS];
    unsigned long n;
    unsigned long runs;
    size_t digits = 0;

    if (argc != 3 || !parse_ulong(argv[1], 10000000UL, &n) ||
        !parse_ulong(argv[2], MAX_RUNS, &runs) || runs == 0) {
        fprintf(stderr, "usage: gmp_factorial N RUNS   (N <= 10000000, 1 <= RUNS <= %d)\n",
                MAX_RUNS);
        return 2;
    }

    if (run_once(n) == 0) {
        fprintf(stderr, "gmp_factorial: out of memory\n");
        return 1;
    }
    for (unsigned long i = 0; i < runs; i++) {
        double start = now_s();

        digits = run_once(n);
        seconds[i] = now_s() - start;
        if (digits == 0) {
            fprintf(stderr, "gmp_factorial: out of memory\n");
            return 1;
        }
    }

    printf("{\"n\":%lu,\"digits\":%zu,\"seconds\":[", n, digits);
    for (unsigned long i = 0; i < runs; i++)
        printf("%s%.9f", i == 0 ? "" : ",", seconds[i]);
    printf("]}\n");
    return 0;
}
