/*
 * Task records follow their work. A task's job counters (total, done, failed) say cheaply when
 * its work may be over; the node states under its resource say for sure, and only they decide.
 * So a task survives a restart, a merged duplicate job or a replayed one, and still ends.
 */
#ifndef SKALD_PIPELINE_TASK_TRACK_H
#define SKALD_PIPELINE_TASK_TRACK_H

#include <stddef.h>

#include "store/store.h"

int task_is_terminal(const char *status);

/* Settles task_id of account if its work is over: no node under its resource still PENDING →
 * completed (failed when some node FAILED, naming the first error). check_counters: look at the
 * node states only when the counters say everything ran (the pipeline's cheap path); otherwise
 * always. *terminal (may be NULL) gets whether the task has ended. Returns a store status. */
int task_track_settle(struct store *st, const char *account, const char *task_id,
                      int check_counters, int *terminal, char *err, size_t err_cap);

#endif
