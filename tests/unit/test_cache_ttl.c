/*
 * Unit tests of how long a cache claim lives: long enough for the
 * computation it guards, short enough that a dead holder does not hold the
 * waiters for N long.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "cache.h"

static void test_small_numbers_get_the_base(void **state)
{
    (void)state;
    assert_int_equal(cache_claim_ttl_ms(0), 2000);
    assert_int_equal(cache_claim_ttl_ms(1), 2000);
    assert_int_equal(cache_claim_ttl_ms(2499), 2000);
}

static void test_ttl_never_shrinks_as_n_grows(void **state)
{
    long last = 0;

    (void)state;
    for (unsigned long n = 0; n <= 10000000; n += 997) {
        long ttl = cache_claim_ttl_ms(n);

        assert_true(ttl >= last);
        last = ttl;
    }
}

static void test_ttl_covers_the_measured_computations(void **state)
{
    (void)state;
    /* docs/performance.md: 1e5! in about 34 ms, 1e6! in about 0.8 s. */
    assert_true(cache_claim_ttl_ms(100000) >= 2000 + 10 * 34);
    assert_true(cache_claim_ttl_ms(1000000) >= 2000 + 5 * 800);
    /* The largest N the service accepts: minutes are not needed. */
    assert_in_range(cache_claim_ttl_ms(10000000), 30000, 180000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_small_numbers_get_the_base),
        cmocka_unit_test(test_ttl_never_shrinks_as_n_grows),
        cmocka_unit_test(test_ttl_covers_the_measured_computations),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
