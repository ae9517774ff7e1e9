/* Process metrics read from /proc/self: resident memory, CPU time, open descriptors, threads. Reads
 * files, so it runs on a worker, never on an HTTP thread. */
#ifndef SKALD_METRICS_PROCESS_H
#define SKALD_METRICS_PROCESS_H

#include <stdint.h>
#include <stdio.h>

/* Writes the skald_process_* families; started_ns is the daemon's CLOCK_MONOTONIC start. A value
 * /proc cannot give is left out. */
void metrics_process_write(FILE *out, int64_t started_ns);

#endif
