/* Clocks shared by the host and handed to plugins. */
#ifndef SKALD_CORE_CLOCK_H
#define SKALD_CORE_CLOCK_H

#include <stdint.h>

/* CLOCK_MONOTONIC in ns: deadlines and durations. */
int64_t clock_monotonic_ns(void);
/* Wall clock in ms since the epoch: times persisted across restarts. */
int64_t clock_wall_ms(void);
/* Sleeps up to ns, waking early is allowed. */
void clock_sleep_ns(int64_t ns);

#endif
