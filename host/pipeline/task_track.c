#include "pipeline/task_track.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/clock.h"

int task_is_terminal(const char *status)
{
    return strcmp(status, "completed") == 0 || strcmp(status, "failed") == 0 ||
           strcmp(status, "cancelled") == 0;
}

struct settle_scan {
    uint64_t pending, failed;
    char first_error[512];
};

/* An admin_reindex task keeps the result shape its route stored when it queued the jobs, with the
 * counts filled in; NULL (the caller builds the generic result) when there is none. */
static char *task_track_reindex_result(const struct store_task *t)
{
    if (strcmp(t->task_type, "admin_reindex") != 0 || !t->result_json)
        return NULL;
    json_t *r = json_loads(t->result_json, 0, NULL);
    char *text = NULL;
    if (json_is_object(r) &&
        json_object_set_new(r, "status", json_string("completed")) == 0 &&
        json_object_set_new(r, "rebuilt_records", json_integer(t->jobs_done)) == 0 &&
        json_object_set_new(r, "failed_records", json_integer(t->jobs_failed)) == 0 &&
        json_object_set_new(r, "duration_ms", json_integer(clock_wall_ms() - t->created_ms)) == 0)
        text = json_dumps(r, JSON_COMPACT);
    json_decref(r);
    return text;
}

int task_track_settle(struct store *st, const char *account, const char *task_id,
                      int check_counters, int *terminal, char *err, size_t err_cap)
{
    struct store_task t = {0};
    if (terminal)
        *terminal = 0;
    int rc = store_task_get(st, account, NULL, task_id, &t, err, err_cap);
    if (rc != STORE_OK)
        return rc;
    /* A session commit is not node work: its phase 2 settles it. */
    if (task_is_terminal(t.status) || !t.resource_id ||
        strcmp(t.task_type, "session_commit") == 0 ||
        (check_counters && t.jobs_done + t.jobs_failed < t.jobs_total)) {
        if (terminal)
            *terminal = task_is_terminal(t.status);
        store_task_clear(&t);
        return STORE_OK;
    }
    struct settle_scan s = {0};
    /* A resource removed meanwhile counts nothing open: nothing is left to wait for. */
    rc = store_count_open(st, account, t.resource_id, &s.pending, &s.failed, s.first_error,
                          sizeof s.first_error, err, err_cap);
    if (rc == STORE_OK && s.pending == 0) {
        char *text = task_track_reindex_result(&t);
        if (!text) {
            json_t *result = json_pack("{s:s, s:s, s:I}", "status", s.failed ? "error" : "success",
                                       "root_uri", t.resource_id, "failed_nodes",
                                       (json_int_t)s.failed);
            text = result ? json_dumps(result, JSON_COMPACT) : NULL;
            json_decref(result);
        }
        char error[600];
        if (s.failed)
            snprintf(error, sizeof error, "%llu nodes failed processing; first: %s",
                     (unsigned long long)s.failed, s.first_error);
        rc = store_task_update(st, task_id, s.failed ? "failed" : "completed", "done", text,
                               s.failed ? error : NULL, err, err_cap);
        free(text);
        if (rc == STORE_OK && terminal)
            *terminal = 1;
    }
    store_task_clear(&t);
    return rc;
}
