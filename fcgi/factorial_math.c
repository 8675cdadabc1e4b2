/*
 * factorial_math.c - see factorial_math.h.
 */
#include "factorial_math.h"

#include <gmp.h>
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
