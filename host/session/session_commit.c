#include "session/session_commit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/log.h"
#include "http/task_view.h"
#include "session/session_job.h"
#include "session/session_message.h"

size_t session_commit_keep(json_t *messages, const struct commit_opts *o)
{
    size_t n = json_array_size(messages);
    if (!o->turn_budget)
        return o->keep_recent_count > 0 && (size_t)o->keep_recent_count < n
                   ? (size_t)o->keep_recent_count
                   : (o->keep_recent_count > 0 ? n : 0);
    /* The last keep_turns turns, each from a user message on; then the oldest of them go while
     * over the token budget, down to min_tail messages. */
    size_t keep = 0, turns = 0;
    long long want = o->keep_turns > 0 ? o->keep_turns : 0;
    for (size_t i = n; i > 0 && (long long)turns < want; i--) {
        keep = n - i + 1;
        const char *role = json_string_value(json_object_get(json_array_get(messages, i - 1), "role"));
        if (role && strcmp(role, "user") == 0)
            turns++;
    }
    if (o->token_budget >= 0) {
        size_t tokens = 0;
        for (size_t i = n - keep; i < n; i++)
            tokens += session_message_tokens(json_array_get(messages, i));
        size_t floor = o->min_tail > 0 ? (size_t)o->min_tail : 0;
        while (keep > floor && tokens > (size_t)o->token_budget) {
            tokens -= session_message_tokens(json_array_get(messages, n - keep));
            keep--;
        }
        if (keep < floor)
            keep = floor < n ? floor : n;
    }
    return keep;
}

static size_t tokens_of(json_t *messages, size_t from)
{
    size_t t = 0;
    for (size_t i = from; i < json_array_size(messages); i++)
        t += session_message_tokens(json_array_get(messages, i));
    return t;
}

/* What the history holds: the highest archive index and the archives to replay. */
struct history_scan {
    struct store *st;
    const char *account;
    unsigned max_index;
    char replay[COMMIT_REPLAYS_MAX][VIKING_URI_MAX + 1];
    size_t n_replay;
};

static int history_visit(void *arg, const struct store_node *node)
{
    struct history_scan *h = arg;
    unsigned index = session_archive_index(node->name);
    if (node->kind != STORE_DIR || !index)
        return 0;
    if (index > h->max_index)
        h->max_index = index;
    struct archive_state as;
    char err[256];
    if (h->n_replay == COMMIT_REPLAYS_MAX ||
        session_archive_state(h->st, h->account, node->uri, &as, err, sizeof err) != STORE_OK ||
        !as.failed || as.pending || as.done)
        return 0;
    /* A cancelled commit stays cancelled; any other failure gets another go. */
    char uri[VIKING_URI_MAX + 1];
    json_t *failed = NULL;
    if (session_path(node->uri, ARCHIVE_FAILED, uri) == 0 &&
        session_read_json(h->st, h->account, uri, &failed, err, sizeof err) == STORE_OK) {
        const char *stage = json_string_value(json_object_get(failed, "stage"));
        if (!stage || strcmp(stage, "cancelled") != 0)
            snprintf(h->replay[h->n_replay++], sizeof h->replay[0], "%s", node->uri);
    }
    json_decref(failed);
    return 0;
}

static json_t *ids_of(json_t *messages, size_t from, size_t to)
{
    json_t *ids = json_array();
    for (size_t i = from; ids && i < to; i++)
        json_array_append(ids, json_object_get(json_array_get(messages, i), "id"));
    return ids;
}

/* The archive's .meta.json: the phase-1 record (written whole, so already "ready"). */
static json_t *commit_intent(const struct session_ref *r, const struct session_job *j,
                             unsigned index, json_t *meta, json_t *messages, size_t archived,
                             const struct commit_opts *o)
{
    char now[32], name[32];
    session_iso_time(clock_wall_ms(), now);
    snprintf(name, sizeof name, "archive_%03u", index);
    size_t n = json_array_size(messages);
    json_t *tags = json_object_get(json_object_get(o->extraction_metadata, "event"), "tags");
    return json_pack(
        "{s:s, s:I, s:{s:i, s:s, s:s, s:s, s:{s:s, s:s, s:s, s:s, s:{s:s, s:s}, s:O, s:O}, "
        "s:o, s:o, s:o, s:I, s:s?, s:I, s:I, s:I}, s:O, s:{s:b, s:s}}",
        "archive_id", name, "index", (json_int_t)index, "phase1", "version", 1, "status", "ready",
        "created_at", now, "ready_at", now, "queue_message", "task_id", j->task_id, "session_id",
        r->id, "session_uri", r->uri, "archive_uri", j->archive_uri, "user", "account_id",
        r->account, "user_id", r->user, "memory_policy",
        json_object_get(meta, "memory_policy") ? json_object_get(meta, "memory_policy") : json_null(),
        "event_search_tags", json_is_array(tags) ? tags : json_null(), "original_message_ids",
        ids_of(messages, 0, n), "archived_message_ids", ids_of(messages, 0, archived),
        "retained_message_ids", ids_of(messages, archived, n), "keep_recent_count",
        (json_int_t)(o->turn_budget ? 0 : o->keep_recent_count), "retention_mode",
        o->turn_budget ? "turn_budget" : NULL, "keep_recent_turn_count", (json_int_t)o->keep_turns,
        "retained_message_token_budget", (json_int_t)o->token_budget, "min_raw_tail_steps",
        (json_int_t)o->min_tail, "extraction_metadata",
        o->extraction_metadata ? o->extraction_metadata : json_null(), "agent_evolution",
        "enabled", 0, "skip_reason", "not supported by skald");
}

static void queue_ctx(struct generation *gen, struct skald_call_ctx *ctx, atomic_int *never,
                      char *err, size_t err_cap)
{
    *ctx = (struct skald_call_ctx){sizeof *ctx, 0,
                                   clock_monotonic_ns() +
                                       (int64_t)gen->config->server.call_timeout_s * 1000000000LL,
                                   never, err, err_cap};
    err[0] = '\0';
}

/* Enqueues the jobs before anything is written: the queue item is the redo entry. *first_id
 * gets the id of the first one. */
static int commit_enqueue(struct generation *gen, const struct session_job *jobs, size_t n,
                          int64_t *first_id, char *err, size_t err_cap)
{
    atomic_int never = 0;
    struct skald_call_ctx ctx;
    queue_ctx(gen, &ctx, &never, err, err_cap);
    for (size_t i = 0; i < n; i++) {
        int rc = session_job_enqueue(gen->backends[BACKEND_QUEUE]->inst, &ctx, &jobs[i],
                                     i == 0 ? first_id : NULL);
        if (rc != SKALD_OK)
            return rc;
    }
    return SKALD_OK;
}

/* The transaction failed after the job was queued: the job goes, so a later archive of the same
 * number never meets it (a job that stays anyway finds no archive, or another task's, and is
 * dropped). */
static void commit_unqueue(struct generation *gen, int64_t id)
{
    char err[256];
    atomic_int never = 0;
    struct skald_call_ctx ctx;
    struct plugin_instance *q = gen->backends[BACKEND_QUEUE]->inst;
    queue_ctx(gen, &ctx, &never, err, sizeof err);
    if (plugin_instance_ops(q, queue)->remove(q->handle, &ctx, &id, 1) != SKALD_OK)
        log_warn("sessions: removing the job of a failed commit: %s", err);
}

static int batch_marker(struct session_batch *b, const struct session_job *j)
{
    char uri[VIKING_URI_MAX + 1];
    size_t len = 0;
    char *payload = session_job_encode(j, &len);
    if (!payload || session_path(j->archive_uri, ARCHIVE_PENDING, uri) != 0) {
        free(payload);
        return -1;
    }
    return session_batch_file(b, uri, payload, len);
}

/* The job of an archive to replay, from its marker-less phase-1 record. */
static int replay_job(struct store *st, const struct session_ref *r, const char *archive_uri,
                      struct session_job *j, char *err, size_t err_cap)
{
    char uri[VIKING_URI_MAX + 1];
    json_t *intent = NULL;
    if (session_path(archive_uri, ".meta.json", uri) != 0 ||
        session_read_json(st, r->account, uri, &intent, err, err_cap) != STORE_OK)
        return -1;
    const char *task = json_string_value(
        json_object_get(json_object_get(json_object_get(intent, "phase1"), "queue_message"), "task_id"));
    int ok = task && strlen(task) < sizeof j->task_id;
    if (ok) {
        memset(j, 0, sizeof *j);
        snprintf(j->account, sizeof j->account, "%s", r->account);
        snprintf(j->user, sizeof j->user, "%s", r->user);
        snprintf(j->session_id, sizeof j->session_id, "%s", r->id);
        snprintf(j->archive_uri, sizeof j->archive_uri, "%s", archive_uri);
        snprintf(j->task_id, sizeof j->task_id, "%s", task);
    }
    json_decref(intent);
    return ok ? 0 : -1;
}

static enum session_status commit_locked(struct session_engine *e, struct generation *gen,
                                         const struct session_ref *r, const struct commit_opts *o,
                                         struct commit_result *out, char *err, size_t err_cap)
{
    struct store *st = session_engine_store(e);
    struct session_live live;
    int rc = session_live_load(st, r, 0, &live, err, err_cap);
    if (rc == STORE_ENOTFOUND)
        return SESSION_NOT_FOUND;
    if (rc != STORE_OK)
        return SESSION_FAILED;
    enum session_status status = SESSION_OK;
    size_t n = json_array_size(live.messages);
    size_t keep = session_commit_keep(live.messages, o);
    out->active_tokens = tokens_of(live.messages, 0);
    if (n == 0 || keep >= n) {
        out->skipped = 1;
        out->reason = n == 0 ? "no_messages" : "all_within_keep_window";
        goto done;
    }
    size_t archived = n - keep;
    struct history_scan h = {.st = st, .account = r->account};
    char history[VIKING_URI_MAX + 1];
    if (session_path(r->uri, SESSION_HISTORY, history) != 0) {
        status = SESSION_FAILED;
        goto done;
    }
    rc = store_list(st, r->account, history, history_visit, &h, err, err_cap);
    if (rc != STORE_OK && rc != STORE_ENOTFOUND) {
        status = SESSION_FAILED;
        goto done;
    }
    unsigned commit_count = (unsigned)json_integer_value(json_object_get(live.meta, "commit_count"));
    unsigned index = (commit_count > h.max_index ? commit_count : h.max_index) + 1;
    struct session_job jobs[1 + COMMIT_REPLAYS_MAX];
    size_t n_jobs = 1;
    struct session_job *j = &jobs[0];
    memset(j, 0, sizeof *j);
    snprintf(j->account, sizeof j->account, "%s", r->account);
    snprintf(j->user, sizeof j->user, "%s", r->user);
    snprintf(j->session_id, sizeof j->session_id, "%s", r->id);
    if (session_archive_uri(r, index, j->archive_uri) != 0 ||
        task_view_new_id(j->task_id, sizeof j->task_id) != 0) {
        snprintf(err, err_cap, "no archive URI or task id");
        status = SESSION_FAILED;
        goto done;
    }
    for (size_t i = 0; i < h.n_replay; i++)
        if (replay_job(st, r, h.replay[i], &jobs[n_jobs], err, err_cap) == 0)
            n_jobs++;
    /* Replays first: their archives are older. */
    int64_t job_id = 0;
    int qrc = commit_enqueue(gen, jobs + 1, n_jobs - 1, NULL, err, err_cap);
    if (qrc == SKALD_OK)
        qrc = commit_enqueue(gen, jobs, 1, &job_id, err, err_cap);
    if (qrc != SKALD_OK) {
        status = SESSION_UNAVAILABLE;
        goto done;
    }
    json_t *all = live.messages;
    json_t *archived_msgs = json_array(), *retained = json_array();
    for (size_t i = 0; archived_msgs && retained && i < n; i++)
        json_array_append(i < archived ? archived_msgs : retained, json_array_get(all, i));
    json_t *intent = commit_intent(r, j, index, live.meta, all, archived, o);
    char now[32], uri[VIKING_URI_MAX + 1];
    session_iso_time(clock_wall_ms(), now);
    json_object_set_new(live.meta, "commit_count", json_integer(index));
    json_object_set_new(live.meta, "archived_message_count",
                        json_integer(json_integer_value(json_object_get(live.meta,
                                                                        "archived_message_count")) +
                                     (json_int_t)archived));
    json_object_set_new(live.meta, "last_commit_at", json_string(now));
    json_object_set_new(live.meta, "updated_at", json_string(now));
    struct session_batch b = {0};
    size_t alen = 0;
    char *atext = archived_msgs ? session_jsonl_dump(archived_msgs, &alen) : NULL;
    int bad = !intent || !retained || !atext;
    if (!bad && !h.max_index)
        bad = session_batch_dir(&b, history) != 0;
    bad = bad || session_batch_dir(&b, j->archive_uri) != 0 ||
          session_path(j->archive_uri, SESSION_MESSAGES, uri) != 0;
    if (!bad) {
        bad = session_batch_file(&b, uri, atext, alen) != 0;
        atext = NULL; /* the batch owns it now, even on failure */
    }
    bad = bad || session_path(j->archive_uri, ".meta.json", uri) != 0 ||
          session_batch_json(&b, uri, intent) != 0 || batch_marker(&b, j) != 0;
    for (size_t i = 1; !bad && i < n_jobs; i++)
        bad = batch_marker(&b, &jobs[i]) != 0;
    json_decref(live.messages);
    live.messages = retained;
    retained = NULL;
    if (!bad)
        bad = session_batch_live(&b, r, &live) != 0;
    json_decref(archived_msgs);
    json_decref(intent);
    free(atext);
    if (bad) {
        session_batch_free(&b);
        commit_unqueue(gen, job_id);
        snprintf(err, err_cap, "out of memory");
        status = SESSION_FAILED;
        goto done;
    }
    if (session_batch_put(&b, st, r, err, err_cap) != STORE_OK) {
        commit_unqueue(gen, job_id);
        status = SESSION_FAILED;
        goto done;
    }
    struct store_task t = {0};
    snprintf(t.task_id, sizeof t.task_id, "%s", j->task_id);
    t.account = (char *)r->account;
    t.user = (char *)r->user;
    t.task_type = (char *)"session_commit";
    t.status = (char *)"running";
    t.stage = (char *)"queued";
    t.resource_id = (char *)r->id;
    char terr[256];
    if (store_task_create(st, &t, terr, sizeof terr) != STORE_OK)
        log_warn("sessions: creating task %s: %s (phase 2 creates it)", j->task_id, terr);
    for (size_t i = 1; i < n_jobs; i++)
        if (store_task_update(st, jobs[i].task_id, "running", "replayed", NULL, NULL, terr,
                              sizeof terr) != STORE_OK)
            log_warn("sessions: task %s of a replayed archive: %s", jobs[i].task_id, terr);
    snprintf(out->task_id, sizeof out->task_id, "%s", j->task_id);
    snprintf(out->archive_uri, sizeof out->archive_uri, "%s", j->archive_uri);
    out->active_tokens = tokens_of(live.messages, 0);
    out->replayed = (unsigned)(n_jobs - 1);
done:
    session_live_clear(&live);
    return status;
}

enum session_status session_commit(struct session_engine *e, struct generation *gen,
                                   const struct session_ref *r, const struct commit_opts *o,
                                   struct commit_result *out, char *err, size_t err_cap)
{
    memset(out, 0, sizeof *out);
    struct session_lanes *lanes = session_engine_lanes(e);
    struct session_lane *lane = session_lanes_get(lanes, r->account, r->uri);
    if (!lane) {
        snprintf(err, err_cap, "out of memory");
        return SESSION_FAILED;
    }
    session_lane_write_begin(lanes, lane);
    enum session_status status = commit_locked(e, gen, r, o, out, err, err_cap);
    session_lane_write_end(lanes, lane);
    session_lanes_put(lanes, lane);
    if (status == SESSION_OK && !out->skipped)
        session_engine_wake(e);
    return status;
}
