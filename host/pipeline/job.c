#include "pipeline/job.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/clock.h"

int job_make(struct job *j, enum job_kind kind, const char *account, const char *uri,
             const char *task_id)
{
    memset(j, 0, sizeof *j);
    j->kind = kind;
    if (strlen(account) >= sizeof j->account || strlen(uri) >= sizeof j->uri ||
        (task_id && strlen(task_id) >= sizeof j->task_id))
        return -1;
    strcpy(j->account, account);
    strcpy(j->uri, uri);
    if (task_id)
        strcpy(j->task_id, task_id);
    return 0;
}

int job_decode(const void *payload, size_t len, struct job *out, char *err, size_t err_cap)
{
    json_error_t jerr;
    json_t *doc = json_loadb(payload, len, 0, &jerr);
    const char *kind = NULL, *account = NULL, *uri = NULL, *task = NULL;
    if (!doc || json_unpack(doc, "{s:s, s:s, s:s, s?s}", "k", &kind, "a", &account, "u", &uri,
                            "t", &task) != 0) {
        snprintf(err, err_cap, "not a pipeline job");
        json_decref(doc);
        return -1;
    }
    enum job_kind k = strcmp(kind, "embed") == 0 ? JOB_EMBED : JOB_SEMANTIC;
    int rc = strcmp(kind, "embed") != 0 && strcmp(kind, "semantic") != 0
                 ? -1
                 : job_make(out, k, account, uri, task);
    if (rc != 0)
        snprintf(err, err_cap, "pipeline job with a bad field");
    json_decref(doc);
    return rc;
}

static char *job_encode(const struct job *j, size_t *len)
{
    json_t *doc = json_pack("{s:s, s:s, s:s}", "k", j->kind == JOB_EMBED ? "embed" : "semantic",
                            "a", j->account, "u", j->uri);
    if (!doc)
        return NULL;
    if (j->task_id[0])
        json_object_set_new(doc, "t", json_string(j->task_id));
    char *text = json_dumps(doc, JSON_COMPACT);
    json_decref(doc);
    if (text)
        *len = strlen(text);
    return text;
}

int job_enqueue(struct plugin_instance *queue, const struct skald_call_ctx *ctx,
                const struct job *jobs, size_t n)
{
    if (n == 0)
        return SKALD_OK;
    struct skald_queue_new_item *items = calloc(n, sizeof *items);
    char **texts = calloc(n, sizeof *texts);
    char **keys = calloc(n, sizeof *keys);
    int rc = items && texts && keys ? SKALD_OK : SKALD_ENOMEM;
    for (size_t i = 0; i < n && rc == SKALD_OK; i++) {
        size_t len = 0;
        texts[i] = job_encode(&jobs[i], &len);
        if (!texts[i] || asprintf(&keys[i], "%c|%s|%s", jobs[i].kind == JOB_EMBED ? 'e' : 's',
                                  jobs[i].account, jobs[i].uri) < 0) {
            keys[i] = NULL;
            rc = SKALD_ENOMEM;
            break;
        }
        items[i].topic = jobs[i].kind == JOB_EMBED ? JOB_TOPIC_EMBEDDING : JOB_TOPIC_SEMANTIC;
        items[i].dedupe_key = keys[i];
        items[i].payload = texts[i];
        items[i].payload_len = len;
        items[i].not_before_ms = jobs[i].delay_ms > 0 ? clock_wall_ms() + jobs[i].delay_ms : 0;
    }
    if (rc == SKALD_OK)
        rc = plugin_instance_ops(queue, queue)->enqueue(queue->handle, ctx, items, n, NULL);
    else
        snprintf(ctx->err, ctx->err_cap, "out of memory");
    for (size_t i = 0; texts && i < n; i++)
        free(texts[i]);
    for (size_t i = 0; keys && i < n; i++)
        free(keys[i]);
    free(texts);
    free(keys);
    free(items);
    return rc;
}

int job_vector_id(const char *account, int level, const char *uri, char *out, size_t cap)
{
    int n = snprintf(out, cap, "%s|%d|%s", account, level, uri);
    return n < 0 || (size_t)n >= cap ? -1 : 0;
}
