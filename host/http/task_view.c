#include "http/task_view.h"

#include <errno.h>
#include <stdio.h>
#include <sys/random.h>

#include "http/api_call.h"

json_t *task_view_json(const struct store_task *t)
{
    char created_iso[32], updated_iso[32];
    api_iso_time(t->created_ms, created_iso);
    api_iso_time(t->updated_ms, updated_iso);
    json_t *result = NULL;
    if (t->result_json) {
        json_error_t jerr;
        result = json_loads(t->result_json, JSON_DECODE_ANY, &jerr);
    }
    return json_pack("{s:s, s:s, s:s, s:f, s:f, s:s, s:s, s:s?, s:{s:{s:I, s:I, s:I}}, s:s?, "
                     "s:o, s:s?}",
                     "task_id", t->task_id, "task_type", t->task_type, "status", t->status,
                     "created_at", (double)t->created_ms / 1000.0, "updated_at",
                     (double)t->updated_ms / 1000.0, "created_at_iso", created_iso,
                     "updated_at_iso", updated_iso, "resource_id", t->resource_id, "meta",
                     "jobs", "total", (json_int_t)t->jobs_total, "done", (json_int_t)t->jobs_done,
                     "failed", (json_int_t)t->jobs_failed, "stage", t->stage, "result",
                     result ? result : json_null(), "error", t->error);
}

int task_view_new_id(char *out, size_t cap)
{
    unsigned char b[16];
    size_t got = 0;
    while (got < sizeof b) {
        ssize_t n = getrandom(b + got, sizeof b - got, 0);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        got += (size_t)n;
    }
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40); /* version 4 */
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80); /* RFC 4122 variant */
    int n = snprintf(out, cap,
                     "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0],
                     b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12],
                     b[13], b[14], b[15]);
    return n == TASK_VIEW_ID_LEN && (size_t)n < cap ? 0 : -1;
}

int task_view_start(struct api_call *c, const char *task_type, const char *resource_id,
                    char *task_id, size_t cap)
{
    char err[512];
    if (task_view_new_id(task_id, cap) != 0) {
        http_reply_error(c->reply, "INTERNAL", NULL, "no random bytes for a task id");
        return -1;
    }
    struct store_task t = {0};
    snprintf(t.task_id, sizeof t.task_id, "%s", task_id);
    t.account = c->who.account;
    t.user = c->who.user;
    t.task_type = (char *)task_type;
    t.status = (char *)"running";
    t.stage = (char *)"processing_queue";
    t.resource_id = (char *)resource_id;
    if (store_task_create(c->store, &t, err, sizeof err) != STORE_OK) {
        http_reply_error(c->reply, "INTERNAL", NULL, "creating the task for %s: %s", resource_id,
                         err);
        return -1;
    }
    return 0;
}
