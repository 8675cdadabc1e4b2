/*
 * factorial_math.c - see factorial_math.h.
 */
#include "factorial_math.h"

#include <gmp.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

char *factorial_decimal(unsigned long n, size_t *len)
{
    mpz_t value;
    char *digits;
    size_t cap;

    mpz_init(value);
    mpz_fac_ui(value, n);
    /* sizeinbase may overcount by one; the real length comes from the string. */
    cap = mpz_sizeinbase(value, 10) + 2;
    digits = malloc(cap);
    if (digits != NULL) {
        mpz_get_str(digits, 10, value);
        *len = strlen(digits);
    }
    mpz_clear(value);
    return digits;
}

/* How near a whole number log10 n! must be for its digit count to be unsure. */
#define BOUNDARY 1e-5

bool factorial_digits_plausible(unsigned long n, const char *digits, size_t len)
{
    size_t zeros = 0;
    size_t expected;
    double log10_fact;
    double whole;
    double frac;

    /* n! ends in one zero per factor 5 in 1..n (factors 2 are plentiful). */
    for (unsigned long p = n / 5; p > 0; p /= 5)
        zeros += p;
    if (len <= zeros || digits[0] == '0' || digits[len - zeros - 1] == '0')
        return false;
    for (size_t i = len - zeros; i < len; i++) {
        if (digits[i] != '0')
            return false;
    }
    /*
     * floor(log10(n!)) + 1 digits. lgamma's error is a few units in the last
     * place: at the largest N allowed (1e7, log10 n! = 6.6e7) about 1e-7.
     * Only when log10 n! is that close to a whole number can floor() land on
     * its wrong side; there one digit more or less is let through.
     */
    log10_fact = lgamma((double)n + 1.0) / log(10.0);
    whole = floor(log10_fact);
    frac = log10_fact - whole;
    expected = (size_t)whole + 1;
    return len == expected || (frac < BOUNDARY && len + 1 == expected) ||
           (frac > 1.0 - BOUNDARY && len == expected + 1);
}
