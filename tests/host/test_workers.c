/* The worker pool runs every task, and a task that never returns cannot hold up its stop. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "core/clock.h"
#include "runtime/workers.h"

static atomic_int ran;
static atomic_int release_stuck;
/* Keeps the deliberately leaked pool reachable for LeakSanitizer; volatile so the otherwise unread
 * store is not optimised away. */
static struct workers *volatile leaked_pool;

static void count_task(void *arg)
{
    (void)arg;
    atomic_fetch_add(&ran, 1);
}

static void stuck_task(void *arg)
{
    (void)arg;
    while (!atomic_load(&release_stuck))
        clock_sleep_ns(1000000);
}

static void runs_every_task(void **state)
{
    (void)state;
    char err[128];
    struct workers *w = workers_start(3, err, sizeof err);
    assert_non_null(w);
    atomic_store(&ran, 0);
    for (int i = 0; i < 1000; i++)
        assert_int_equal(workers_submit(w, count_task, NULL), 0);
    assert_int_equal(workers_stop(w, clock_monotonic_ns() + 10LL * 1000000000LL), 0);
    assert_int_equal(atomic_load(&ran), 1000);
}

static void stuck_task_is_left_behind(void **state)
{
    (void)state;
    char err[128];
    struct workers *w = workers_start(2, err, sizeof err);
    assert_non_null(w);
    leaked_pool = w;
    assert_int_equal(workers_submit(w, stuck_task, NULL), 0);
    while (workers_backlog(w) == 0)
        clock_sleep_ns(1000000);
    int64_t t0 = clock_monotonic_ns();
    assert_int_equal(workers_stop(w, t0 + 100 * 1000000LL), 1);
    /* The pool is leaked on purpose while its thread is stuck; let the thread finish so the test
     * process exits cleanly. */
    atomic_store(&release_stuck, 1);
    clock_sleep_ns(20 * 1000000LL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(runs_every_task),
        cmocka_unit_test(stuck_task_is_left_behind),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
