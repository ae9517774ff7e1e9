/* The pure pieces of the remote client: breaker transitions, back-off bounds, Retry-After. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <cmocka.h>

#include "remote_backoff.h"
#include "remote_breaker.h"

#define MS 1000000LL

static void breaker_opens_after_threshold_consecutive_failures(void **state)
{
    (void)state;
    struct remote_breaker b = {0};
    int64_t now = 1000 * MS;
    remote_breaker_record(&b, REMOTE_OUTCOME_FAILED, 0, 3, 500, now);
    remote_breaker_record(&b, REMOTE_OUTCOME_FAILED, 0, 3, 500, now);
    remote_breaker_record(&b, REMOTE_OUTCOME_ANSWERED, 0, 3, 500, now); /* resets the run */
    remote_breaker_record(&b, REMOTE_OUTCOME_FAILED, 0, 3, 500, now);
    remote_breaker_record(&b, REMOTE_OUTCOME_FAILED, 0, 3, 500, now);
    assert_int_equal(b.state, REMOTE_BREAKER_CLOSED);
    assert_int_equal(remote_breaker_admit(&b, now, NULL), REMOTE_ADMIT_GO);
    remote_breaker_record(&b, REMOTE_OUTCOME_FAILED, 0, 3, 500, now);
    assert_int_equal(b.state, REMOTE_BREAKER_OPEN);
    int64_t retry_in = 0;
    assert_int_equal(remote_breaker_admit(&b, now + 100 * MS, &retry_in), REMOTE_ADMIT_REJECT);
    assert_int_equal(retry_in, 400);
}

static void breaker_probe_decides(void **state)
{
    (void)state;
    struct remote_breaker b = {0};
    int64_t now = 1000 * MS;
    remote_breaker_record(&b, REMOTE_OUTCOME_FAILED, 0, 1, 500, now);
    now += 500 * MS;
    assert_int_equal(remote_breaker_admit(&b, now, NULL), REMOTE_ADMIT_PROBE);
    assert_int_equal(b.state, REMOTE_BREAKER_HALF_OPEN);
    assert_int_equal(remote_breaker_admit(&b, now, NULL), REMOTE_ADMIT_REJECT);
    /* A failed probe opens it for another cool-down. */
    remote_breaker_record(&b, REMOTE_OUTCOME_FAILED, 1, 1, 500, now);
    assert_int_equal(b.state, REMOTE_BREAKER_OPEN);
    assert_int_equal(remote_breaker_admit(&b, now + 499 * MS, NULL), REMOTE_ADMIT_REJECT);
    /* A cancelled probe proves nothing: the next call probes at once. */
    assert_int_equal(remote_breaker_admit(&b, now + 500 * MS, NULL), REMOTE_ADMIT_PROBE);
    remote_breaker_record(&b, REMOTE_OUTCOME_NEUTRAL, 1, 1, 500, now + 510 * MS);
    assert_int_equal(remote_breaker_admit(&b, now + 511 * MS, NULL), REMOTE_ADMIT_PROBE);
    /* A successful probe closes it. */
    remote_breaker_record(&b, REMOTE_OUTCOME_ANSWERED, 1, 1, 500, now + 520 * MS);
    assert_int_equal(b.state, REMOTE_BREAKER_CLOSED);
    assert_int_equal(b.consecutive_failures, 0);
}

static void backoff_doubles_with_bounded_jitter(void **state)
{
    (void)state;
    for (uint32_t attempt = 0; attempt < 6; attempt++) {
        int64_t full = 200LL << attempt;
        if (full > REMOTE_BACKOFF_MAX_MS)
            full = REMOTE_BACKOFF_MAX_MS;
        int64_t lo = INT64_MAX, hi = 0;
        for (int i = 0; i < 2000; i++) {
            int64_t w = remote_backoff_ms(200, attempt, remote_random());
            lo = w < lo ? w : lo;
            hi = w > hi ? w : hi;
        }
        assert_true(lo >= full - full / 2);
        assert_true(hi <= full);
        assert_true(hi > lo); /* jittered, not one fixed value */
    }
    assert_int_equal(remote_backoff_ms(200, 40, 0), REMOTE_BACKOFF_MAX_MS / 2);
}

static void retry_after_seconds_and_dates(void **state)
{
    (void)state;
    assert_int_equal(remote_retry_after_ms("2", 0), 2000);
    assert_int_equal(remote_retry_after_ms(" 0.25 ", 0), 250);
    assert_int_equal(remote_retry_after_ms("0", 0), 0);
    assert_int_equal(remote_retry_after_ms("99999999", 0), REMOTE_RETRY_AFTER_MAX_MS);
    assert_int_equal(remote_retry_after_ms("soon", 0), -1);
    assert_int_equal(remote_retry_after_ms("", 0), -1);
    assert_int_equal(remote_retry_after_ms("-3", 0), -1);
    /* Sun, 06 Nov 1994 08:49:37 GMT is 784111777. */
    assert_int_equal(remote_retry_after_ms("Sun, 06 Nov 1994 08:49:37 GMT", 784111770), 7000);
    assert_int_equal(remote_retry_after_ms("Sun, 06 Nov 1994 08:49:37 GMT", 784111800), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(breaker_opens_after_threshold_consecutive_failures),
        cmocka_unit_test(breaker_probe_decides),
        cmocka_unit_test(backoff_doubles_with_bounded_jitter),
        cmocka_unit_test(retry_after_seconds_and_dates),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
