/*
 * factorial_math.h - n! in exact decimal, on GMP.
 */
#ifndef FCGI_FACTORIAL_MATH_H
#define FCGI_FACTORIAL_MATH_H

#include <stddef.h>

/*
 * Returns n! as a NUL-terminated string of decimal digits in malloc'd memory
 * and its length in *len, or NULL when memory runs out. GMP aborts the
 * process when one of its own allocations fails, so callers bound n first.
 */
char *factorial_decimal(unsigned long n, size_t *len);

#endif
