#include "session/session_job.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

char *session_job_encode(const struct session_job *j, size_t *len)
{
    json_t *doc = json_pack("{s:i, s:s, s:s, s:s, s:s, s:s}", "v", 1, "a", j->account, "u", j->user,
                            "s", j->session_id, "r", j->archive_uri, "t", j->task_id);
    char *text = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
    json_decref(doc);
    if (text)
        *len = strlen(text);
    return text;
}

static int copy_field(char *dst, size_t cap, const char *src)
{
    if (!src || !*src || strlen(src) >= cap)
        return -1;
    memcpy(dst, src, strlen(src) + 1);
    return 0;
}

int session_job_decode(const void *payload, size_t len, struct session_job *out, char *err,
                       size_t err_cap)
{
    memset(out, 0, sizeof *out);
    json_error_t jerr;
    json_t *doc = json_loadb(payload, len, 0, &jerr);
    const char *a = NULL, *u = NULL, *s = NULL, *r = NULL, *t = NULL;
    int rc = doc && json_unpack(doc, "{s:s, s:s, s:s, s:s, s:s}", "a", &a, "u", &u, "s", &s, "r",
                                &r, "t", &t) == 0
                 ? 0
                 : -1;
    if (rc == 0 && (copy_field(out->account, sizeof out->account, a) != 0 ||
                    copy_field(out->user, sizeof out->user, u) != 0 ||
                    copy_field(out->session_id, sizeof out->session_id, s) != 0 ||
                    copy_field(out->archive_uri, sizeof out->archive_uri, r) != 0 ||
                    copy_field(out->task_id, sizeof out->task_id, t) != 0))
        rc = -1;
    json_decref(doc);
    if (rc != 0)
        snprintf(err, err_cap, "not a session commit job");
    return rc;
}

int session_job_enqueue(struct plugin_instance *queue, const struct skald_call_ctx *ctx,
                        const struct session_job *j, int64_t *id)
{
    size_t len = 0;
    char *text = session_job_encode(j, &len);
    char *key = NULL;
    if (!text || asprintf(&key, "p2|%s|%s", j->account, j->archive_uri) < 0) {
        free(text);
        snprintf(ctx->err, ctx->err_cap, "out of memory");
        return SKALD_ENOMEM;
    }
    struct skald_queue_new_item item = {SESSION_JOB_TOPIC, key, text, len, 0};
    int rc = plugin_instance_ops(queue, queue)->enqueue(queue->handle, ctx, &item, 1, id);
    free(text);
    free(key);
    return rc;
}
