/*
 * Task records as the API shows them (OpenViking section 2.8), and new task ids. Shared by the
 * tasks routes and by add_resource, which returns or waits on its task.
 */
#ifndef SKALD_HTTP_TASK_VIEW_H
#define SKALD_HTTP_TASK_VIEW_H

#include <jansson.h>

#include "http/api_call.h"
#include "store/store.h"

#define TASK_VIEW_ID_LEN 36 /* "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx" */

/* {"task_id","task_type","status","created_at","updated_at","created_at_iso","updated_at_iso",
 * "resource_id","meta","stage","result","error"}; meta carries the job counters. NULL when out
 * of memory. */
json_t *task_view_json(const struct store_task *t);

/* A random UUID4 into out (cap > TASK_VIEW_ID_LEN). Returns 0, or -1 when the kernel's random
 * source fails. */
int task_view_new_id(char *out, size_t cap);

/* Creates a running task of task_type on resource_id for the caller, its new id in task_id
 * (cap > TASK_VIEW_ID_LEN). On failure writes the error reply and returns -1. */
int task_view_start(struct api_call *c, const char *task_type, const char *resource_id,
                    char *task_id, size_t cap);

#endif
