/* Clocks shared by the host and handed to plugins. */
#ifndef SKALD_CORE_CLOCK_H
#define SKALD_CORE_CLOCK_H

#include <pthread.h>
#include <stdint.h>
#include <time.h>

/* CLOCK_MONOTONIC in ns: deadlines and durations. */
int64_t clock_monotonic_ns(void);
/* Wall clock in ms since the epoch: times persisted across restarts. */
int64_t clock_wall_ms(void);
/* Sleeps up to ns, waking early is allowed. */
void clock_sleep_ns(int64_t ns);
/* The timespec of a CLOCK_MONOTONIC instant in ns, for pthread_cond_timedwait on a condition
 * made by clock_cond_init. */
struct timespec clock_timespec_at(int64_t monotonic_ns);
/* Initialises a condition whose timed waits measure CLOCK_MONOTONIC, so that setting the wall
 * clock neither stretches nor cuts them. 0 or an errno value. */
int clock_cond_init(pthread_cond_t *cond);

#endif
