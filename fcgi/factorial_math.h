/*
 * factorial_math.h - n! in exact decimal, on GMP.
 */
#ifndef FCGI_FACTORIAL_MATH_H
#define FCGI_FACTORIAL_MATH_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Returns n! as a NUL-terminated string of decimal digits in malloc'd memory
 * and its length in *len, or NULL when memory runs out. GMP aborts the
 * process when one of its own allocations fails, so callers bound n first.
 */
char *factorial_decimal(unsigned long n, size_t *len);

/*
 * Could digits[0..len) (decimal digits only) be n!? True when it has n!'s
 * number of digits, no leading zero and exactly n!'s trailing zeros: what a
 * cached value is held to before it is served. It does not recompute n!, so
 * a value wrong only in its middle digits passes (force recomputes it).
 */
bool factorial_digits_plausible(unsigned long n, const char *digits, size_t len);

#endif
