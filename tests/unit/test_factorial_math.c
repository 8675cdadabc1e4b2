/*
 * Unit tests of factorial_decimal(): exact values against an independent
 * source (Python's math.factorial) and structural facts of large factorials.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "factorial_math.h"

static void expect_factorial(unsigned long n, const char *expected)
{
    size_t len = 0;
    char *digits = factorial_decimal(n, &len);

    assert_non_null(digits);
    assert_string_equal(digits, expected);
    assert_int_equal(len, strlen(expected));
    free(digits);
}

static void test_small_values(void **state)
{
    (void)state;
    expect_factorial(0, "1");
    expect_factorial(1, "1");
    expect_factorial(2, "2");
    expect_factorial(5, "120");
    expect_factorial(10, "3628800");
}

/* 20! is the largest factorial that fits in 64 bits; 21! overflows it. */
static void test_64_bit_boundary(void **state)
{
    (void)state;
    expect_factorial(20, "2432902008176640000");
    expect_factorial(21, "51090942171709440000");
    expect_factorial(22, "1124000727777607680000");
}

static void test_66_and_123(void **state)
{
    (void)state;
    expect_factorial(66, "544344939077443064003729240247842752644293064388798874532860126869671"
                         "081148416000000000000000");
    expect_factorial(123, "1214630436702532967576624324188129585545421708848338231532891816182923"
                          "5892362167668831156960612640202170735835221294047782591091570411651472"
                          "186029519906261646730733907419814952960000000000000000000000000000");
}

/* Digit count and trailing zeros (floor(n/5) + floor(n/25) + ...). */
static void expect_shape(unsigned long n, size_t digits_expected, const char *prefix)
{
    size_t len = 0;
    size_t zeros = 0;
    size_t expected_zeros = 0;
    char *digits = factorial_decimal(n, &len);

    assert_non_null(digits);
    assert_int_equal(len, digits_expected);
    assert_int_equal(strlen(digits), len);
    assert_memory_equal(digits, prefix, strlen(prefix));
    for (size_t i = len; i > 0 && digits[i - 1] == '0'; i--)
        zeros++;
    for (unsigned long p = 5; p <= n; p *= 5)
        expected_zeros += n / p;
    assert_int_equal(zeros, expected_zeros);
    for (size_t i = 0; i < len; i++)
        assert_true(digits[i] >= '0' && digits[i] <= '9');
    free(digits);
}

static void test_large_values(void **state)
{
    (void)state;
    expect_shape(1000, 2568, "402387260077");
    expect_shape(3000, 9131, "414935960343");
    expect_shape(100000, 456574, "28242294079603478742");
}

static void test_true_values_are_plausible(void **state)
{
    (void)state;
    for (unsigned long n = 0; n <= 2000; n++) {
        size_t len;
        char *digits = factorial_decimal(n, &len);

        assert_non_null(digits);
        if (!factorial_digits_plausible(n, digits, len))
            fail_msg("%lu! judged implausible", n);
        free(digits);
    }
}

static void test_wrong_values_are_not(void **state)
{
    (void)state;
    assert_false(factorial_digits_plausible(10, "12345", 5));
    assert_false(factorial_digits_plausible(11, "0039916800", 10));
    assert_false(factorial_digits_plausible(0, "0", 1));
    assert_false(factorial_digits_plausible(5, "1200", 4));     /* a zero too many */
    assert_false(factorial_digits_plausible(10, "3628801", 7)); /* too few zeros */
    for (unsigned long n = 10; n <= 2000; n += 7) {
        size_t len;
        char *digits = factorial_decimal(n, &len);
        char *copy = malloc(len + 2);

        assert_non_null(digits);
        assert_non_null(copy);
        /* One digit missing from the middle, or one more there. */
        memcpy(copy, digits, len / 2);
        memcpy(copy + len / 2, digits + len / 2 + 1, len - len / 2 - 1);
        assert_false(factorial_digits_plausible(n, copy, len - 1));
        memcpy(copy, digits, len / 2);
        copy[len / 2] = '7';
        memcpy(copy + len / 2 + 1, digits + len / 2, len - len / 2);
        assert_false(factorial_digits_plausible(n, copy, len + 1));
        /* Wrong in a digit but not in the count or the zeros: passes, by design. */
        memcpy(copy, digits, len);
        copy[0] = copy[0] == '9' ? '8' : '9';
        assert_true(factorial_digits_plausible(n, copy, len));
        free(copy);
        free(digits);
    }
}

static void test_digit_count_holds_at_the_largest_n(void **state)
{
    /* 1e7! has 65657060 digits, 2499999 of them trailing zeros. */
    const size_t len = 65657060, zeros = 2499999;
    char *digits = malloc(len + 1);

    (void)state;
    assert_non_null(digits);
    memset(digits, '3', len - zeros);
    memset(digits + len - zeros, '0', zeros);
    assert_true(factorial_digits_plausible(10000000, digits, len));
    assert_false(factorial_digits_plausible(10000000, digits + 1, len - 1));
    free(digits);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_small_values),
        cmocka_unit_test(test_64_bit_boundary),
        cmocka_unit_test(test_66_and_123),
        cmocka_unit_test(test_large_values),
        cmocka_unit_test(test_true_values_are_plausible),
        cmocka_unit_test(test_wrong_values_are_not),
        cmocka_unit_test(test_digit_count_holds_at_the_largest_n),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
