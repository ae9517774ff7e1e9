#include "session/session_phase2.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/log.h"
#include "pipeline/index_sync.h"
#include "pipeline/summarize.h"
#include "pipeline/task_track.h"
#include "session/session_extract.h"
#include "session/session_memory.h"
#include "session/session_message.h"
#include "session/session_store.h"

int64_t session_phase2_retry_delay_ms(uint32_t attempts)
{
    int64_t ms = 1000LL << (attempts > 1 ? (attempts - 1 < 6 ? attempts - 1 : 6) : 0);
    return ms > 60000 ? 60000 : ms;
}

int session_phase2_failures(struct store *st, const struct session_job *j, int add, char *err,
                            size_t err_cap)
{
    char uri[VIKING_URI_MAX + 1];
    json_t *marker = NULL;
    if (session_path(j->archive_uri, ARCHIVE_PENDING, uri) != 0)
        return -1;
    int rc = session_read_json(st, j->account, uri, &marker, err, err_cap);
    if (rc == STORE_ENOTFOUND)
        return 0;
    if (rc != STORE_OK)
        return -1;
    json_int_t n = json_integer_value(json_object_get(marker, "failures")) + add;
    struct session_ref owner;
    struct session_batch b = {0};
    if (add && (json_object_set_new(marker, "failures", json_integer(n)) != 0 ||
                session_ref_init(&owner, j->account, j->user, j->session_id) != 0 ||
                session_batch_json(&b, uri, marker) != 0 ||
                session_batch_put(&b, st, &owner, err, err_cap) != STORE_OK)) {
        session_batch_free(&b);
        n = -1;
    }
    json_decref(marker);
    return n > INT32_MAX ? INT32_MAX : (int)n;
}

/* What one run works with. */
struct p2 {
    const struct phase2_env *env;
    const struct session_job *j;
    struct session_ref ref;
    uint32_t attempts, max_attempts;
    json_t *steps; /* completed memory steps */
    char *err;
    size_t err_cap;
};

static void p2_progress(struct p2 *p, enum lane_work kind, const char *reason)
{
    session_lanes_progress(p->env->lanes, p->env->run, kind, reason);
}

static void p2_call_ctx(struct p2 *p, struct skald_call_ctx *ctx, char *err, size_t err_cap)
{
    memset(ctx, 0, sizeof *ctx);
    ctx->struct_size = sizeof *ctx;
    ctx->deadline_ns = clock_monotonic_ns() +
                       (int64_t)p->env->gen->config->server.call_timeout_s * 1000000000LL;
    ctx->cancel = &p->env->run->cancel;
    ctx->err = err;
    ctx->err_cap = err_cap;
    err[0] = '\0';
}

static void p2_task(struct p2 *p, const char *status, const char *stage, const char *result,
                    const char *error)
{
    char err[256];
    if (store_task_update(p->env->store, p->j->task_id, status, stage, result, error, err,
                          sizeof err) != STORE_OK)
        log_warn("sessions: task %s: %s", p->j->task_id, err);
}

static int p2_path(struct p2 *p, const char *name, char *out)
{
    return session_path(p->j->archive_uri, name, out);
}

static void p2_remove(struct p2 *p, const char *name)
{
    char uri[VIKING_URI_MAX + 1], err[256];
    if (p2_path(p, name, uri) != 0)
        return;
    int rc = store_remove(p->env->store, p->j->account, uri, 0, NULL, err, sizeof err);
    if (rc != STORE_OK && rc != STORE_ENOTFOUND)
        log_warn("sessions: removing %s: %s", uri, err);
}

/* Writes .failed.json and removes the marker: the archive has ended, failed. */
static int p2_mark_failed(struct store *st, const struct session_job *j, const char *stage,
                          const char *error, uint32_t attempts, json_t *steps, char *err,
                          size_t err_cap)
{
    char now[32], uri[VIKING_URI_MAX + 1];
    session_iso_time(clock_wall_ms(), now);
    json_t *failed = json_pack("{s:s, s:s, s:s, s:b, s:I, s:o}", "stage", stage, "error", error,
                               "failed_at", now, "skipped", 0, "attempts", (json_int_t)attempts,
                               "completed_memory_steps", steps ? json_incref(steps) : json_array());
    struct session_batch b = {0};
    struct session_ref owner;
    int rc = STORE_ENOMEM;
    if (failed && session_ref_init(&owner, j->account, j->user, j->session_id) == 0 &&
        session_path(j->archive_uri, ARCHIVE_FAILED, uri) == 0 &&
        session_batch_json(&b, uri, failed) == 0)
        rc = session_batch_put(&b, st, &owner, err, err_cap);
    else
        snprintf(err, err_cap, "out of memory");
    session_batch_free(&b);
    json_decref(failed);
    if (rc == STORE_OK && session_path(j->archive_uri, ARCHIVE_PENDING, uri) == 0) {
        int rrc = store_remove(st, j->account, uri, 0, NULL, err, err_cap);
        if (rrc != STORE_ENOTFOUND)
            rc = rrc;
    }
    return rc;
}

int session_phase2_cancelled(struct store *st, const struct session_job *j, char *err,
                             size_t err_cap)
{
    struct archive_state as;
    int rc = session_archive_state(st, j->account, j->archive_uri, &as, err, err_cap);
    if (rc == STORE_OK && as.exists && !as.done)
        rc = p2_mark_failed(st, j, "cancelled", "cancelled by the user", 0, NULL, err, err_cap);
    struct store_task t = {0};
    if (rc == STORE_OK && store_task_get(st, j->account, NULL, j->task_id, &t, err, err_cap) == STORE_OK &&
        !task_is_terminal(t.status))
        rc = store_task_update(st, j->task_id, "cancelled", "cancelled", NULL,
                               "cancelled by the user", err, err_cap);
    store_task_clear(&t);
    return rc;
}

/* A failure of a step: a retry later while attempts remain and retrying can help; else the
 * archive ends failed. */
static enum phase2_result p2_fail(struct p2 *p, const char *stage, int rc, const char *why,
                                  int64_t *delay)
{
    if (rc == SKALD_ECANCELLED && atomic_load(p->env->stopping))
        return PHASE2_SHUTDOWN;
    struct store_task t = {0};
    char err[256];
    if (rc == SKALD_ECANCELLED &&
        store_task_get(p->env->store, p->j->account, NULL, p->j->task_id, &t, err, sizeof err) ==
            STORE_OK &&
        strcmp(t.status, "cancelled") == 0) {
        store_task_clear(&t);
        if (session_phase2_cancelled(p->env->store, p->j, err, sizeof err) != STORE_OK)
            log_warn("sessions: recording the cancel of %s: %s", p->j->archive_uri, err);
        return PHASE2_CANCELLED;
    }
    store_task_clear(&t);
    /* A cancel that is not the user's is the watchdog's: the call stalled past the abort
     * threshold. Retrying may well help, as with a deadline or an unavailable backend. */
    char msg[768];
    if (rc == SKALD_ECANCELLED)
        snprintf(msg, sizeof msg, "cancelled: no progress past the abort threshold (%s)", why);
    else
        snprintf(msg, sizeof msg, "%s", why);
    int retryable = rc != SKALD_EINVAL && rc != SKALD_EUNSUPPORTED;
    if (retryable && p->attempts < p->max_attempts &&
        session_phase2_failures(p->env->store, p->j, 1, err, sizeof err) >= 0) {
        *delay = session_phase2_retry_delay_ms(p->attempts);
        char error[1024];
        snprintf(error, sizeof error, "attempt %u of %u failed at %s: %s; retry in %lld ms",
                 p->attempts, p->max_attempts, stage, msg, (long long)*delay);
        log_warn("sessions: %s: %s", p->j->archive_uri, error);
        p2_task(p, "running", "retry_wait", NULL, error);
        snprintf(p->err, p->err_cap, "%s: %s", stage, msg);
        return PHASE2_RETRY;
    }
    char error[1024];
    snprintf(error, sizeof error, "%s failed after %u attempts: %s", stage, p->attempts, msg);
    log_error("sessions: %s: %s", p->j->archive_uri, error);
    if (p2_mark_failed(p->env->store, p->j, stage, error, p->attempts, p->steps, err, sizeof err) !=
        STORE_OK)
        log_warn("sessions: recording the failure of %s: %s", p->j->archive_uri, err);
    p2_task(p, "failed", "failed", NULL, error);
    snprintf(p->err, p->err_cap, "%s", error);
    return PHASE2_FAILED;
}

/* Which categories the session's memory policy extracts: all, unless memory_types names some;
 * none when self.enabled is false. */
static unsigned p2_category_mask(json_t *meta)
{
    json_t *policy = json_object_get(meta, "memory_policy");
    json_t *self = json_object_get(policy, "self");
    if (json_is_false(json_object_get(self, "enabled")))
        return 0;
    json_t *types = json_object_get(policy, "memory_types");
    if (!json_is_array(types) || json_array_size(types) == 0)
        return (1u << EXTRACT_N_CATEGORIES) - 1;
    unsigned mask = 0;
    size_t i;
    json_t *v;
    json_array_foreach(types, i, v) {
        int c = json_is_string(v) ? session_extract_category(json_string_value(v)) : -1;
        if (c >= 0)
            mask |= 1u << c;
    }
    return mask;
}

static enum phase2_result p2_summarize(struct p2 *p, const char *transcript, size_t len,
                                       int64_t *delay)
{
    struct plugin_instance *vlm = p->env->gen->backends[BACKEND_VLM]->inst;
    char err[512];
    struct skald_call_ctx ctx;
    char *l1 = NULL, *l0 = NULL;
    p2_progress(p, LANE_WORK_VLM_CALL, "archive_overview:started");
    p2_call_ctx(p, &ctx, err, sizeof err);
    int rc = summarize(vlm, &ctx, SUMMARY_OVERVIEW, viking_uri_name(p->j->archive_uri), transcript,
                       len, &l1);
    if (rc == SKALD_OK) {
        p2_progress(p, LANE_WORK_VLM_CALL, "archive_abstract:started");
        p2_call_ctx(p, &ctx, err, sizeof err);
        rc = summarize(vlm, &ctx, SUMMARY_ABSTRACT, viking_uri_name(p->j->archive_uri), l1,
                       strlen(l1), &l0);
    }
    if (rc != SKALD_OK) {
        free(l1);
        return p2_fail(p, "summary", rc, err, delay);
    }
    p2_progress(p, LANE_WORK_STORAGE_IO, "archive_summary:storing");
    enum phase2_result res = PHASE2_DONE;
    if (!session_lanes_current(p->env->lanes, p->env->run)) {
        res = PHASE2_DROPPED;
    } else {
        struct store_node dir = {0};
        int src = store_get(p->env->store, p->j->account, p->j->archive_uri, 0, &dir, err, sizeof err);
        if (src == STORE_OK)
            src = store_set_sidecars(p->env->store, p->j->account, p->j->archive_uri, l0, l1,
                                     dir.revision, err, sizeof err);
        store_node_clear(&dir);
        if (src != STORE_OK)
            res = p2_fail(p, "summary", SKALD_EIO, err, delay);
        else
            json_array_append_new(p->steps, json_string("summary"));
    }
    free(l0);
    free(l1);
    return res;
}

static void counts_merge(json_t *into, const struct memory_counts *c)
{
    json_int_t total = json_integer_value(json_object_get(into, "total"));
    for (int i = 0; i < EXTRACT_N_CATEGORIES; i++) {
        json_int_t n = (json_int_t)(c->created[i] + c->merged[i]);
        if (!n)
            continue;
        const char *k = session_extract_categories[i];
        json_object_set_new(into, k, json_integer(json_integer_value(json_object_get(into, k)) + n));
        total += n;
    }
    json_object_set_new(into, "total", json_integer(total));
}

static void usage_add(json_t *meta, size_t prompt_tokens, size_t completion_tokens)
{
    json_t *u = json_object_get(meta, "llm_token_usage");
    if (!json_is_object(u)) {
        u = json_object();
        json_object_set_new(meta, "llm_token_usage", u);
    }
    json_int_t p = json_integer_value(json_object_get(u, "prompt_tokens")) + (json_int_t)prompt_tokens;
    json_int_t c = json_integer_value(json_object_get(u, "completion_tokens")) +
                   (json_int_t)completion_tokens;
    json_object_set_new(u, "prompt_tokens", json_integer(p));
    json_object_set_new(u, "completion_tokens", json_integer(c));
    json_object_set_new(u, "total_tokens", json_integer(p + c));
}

/* The final step under the session's write lock: diff, .done and the session's meta in one
 * transaction, then the marker goes. 0 done, 1 the lane was lost (results dropped), -1 failed. */
static int p2_finish(struct p2 *p, json_t *diff, const struct memory_counts *counts,
                     json_t *messages, size_t prompt_tokens, size_t completion_tokens,
                     int replay, json_t *result_counts)
{
    struct session_lanes *lanes = p->env->lanes;
    struct session_lane *lane = p->env->run->lane;
    char uri[VIKING_URI_MAX + 1];
    session_lane_write_begin(lanes, lane);
    if (!session_lanes_commit_begin(lanes, p->env->run)) {
        session_lane_write_end(lanes, lane);
        return 1;
    }
    json_t *meta = NULL;
    int rc = session_path(p->ref.uri, SESSION_META, uri) == 0
                 ? session_read_json(p->env->store, p->j->account, uri, &meta, p->err, p->err_cap)
                 : STORE_EINVAL;
    json_t *done = NULL;
    if (rc == STORE_OK) {
        json_t *mex = json_object_get(meta, "memories_extracted");
        if (!json_is_object(mex)) {
            mex = json_object();
            json_object_set_new(meta, "memories_extracted", mex);
        }
        counts_merge(mex, counts);
        counts_merge(result_counts, counts);
        usage_add(meta, prompt_tokens, completion_tokens);
        char now[32];
        session_iso_time(clock_wall_ms(), now);
        json_object_set_new(meta, "updated_at", json_string(now));
        json_array_append_new(p->steps, json_string("memory_diff"));
        size_t n = json_array_size(messages);
        unsigned index = session_archive_index(viking_uri_name(p->j->archive_uri));
        done = json_pack("{s:s?, s:s?, s:b, s:I, s:I, s:[], s:O, s:s}", "starting_message_id",
                         n ? json_string_value(json_object_get(json_array_get(messages, 0), "id")) : NULL,
                         "ending_message_id",
                         n ? json_string_value(json_object_get(json_array_get(messages, n - 1), "id"))
                           : NULL,
                         "working_memory_enabled", 0, "coverage_start_archive", (json_int_t)index,
                         "coverage_end_archive", (json_int_t)index, "covered_failed_archives",
                         "completed_memory_steps", p->steps, "completed_at", now);
    }
    struct session_batch b = {0};
    if (rc == STORE_OK) {
        char diff_uri[VIKING_URI_MAX + 1], done_uri[VIKING_URI_MAX + 1];
        if (!done || p2_path(p, ARCHIVE_DIFF, diff_uri) != 0 || p2_path(p, ARCHIVE_DONE, done_uri) != 0 ||
            session_batch_json(&b, diff_uri, diff) != 0 || session_batch_json(&b, done_uri, done) != 0 ||
            session_batch_json(&b, uri, meta) != 0) {
            snprintf(p->err, p->err_cap, "out of memory");
            rc = STORE_ENOMEM;
        } else {
            rc = session_batch_put(&b, p->env->store, &p->ref, p->err, p->err_cap);
        }
    }
    session_batch_free(&b);
    session_lane_write_end(lanes, lane);
    json_decref(meta);
    json_decref(done);
    if (rc != STORE_OK)
        return -1;
    p2_remove(p, ARCHIVE_PENDING);
    if (replay)
        p2_remove(p, ARCHIVE_FAILED);
    return 0;
}

/* The task's result once .done is there. */
static void p2_complete_task(struct p2 *p, json_t *counts, json_t *warnings, size_t prompt_tokens,
                             size_t completion_tokens)
{
    char diff_uri[VIKING_URI_MAX + 1];
    p2_path(p, ARCHIVE_DIFF, diff_uri);
    json_int_t llm = (json_int_t)(prompt_tokens + completion_tokens);
    json_t *result = json_pack("{s:s, s:s, s:O, s:i, s:{s:{s:I, s:I, s:I}, s:{s:i}, s:I}, s:s, s:O}",
                               "session_id", p->j->session_id, "archive_uri", p->j->archive_uri,
                               "memories_extracted", counts, "active_count_updated", 0,
                               "token_usage", "llm", "prompt_tokens", (json_int_t)prompt_tokens,
                               "completion_tokens", (json_int_t)completion_tokens, "total_tokens",
                               llm, "embedding", "total_tokens", 0, "total", llm,
                               "memory_diff_uri", diff_uri, "warnings", warnings);
    char *text = result ? json_dumps(result, JSON_COMPACT) : NULL;
    json_decref(result);
    p2_task(p, "completed", json_array_size(warnings) ? "completed_with_warnings" : "done", text,
            NULL);
    free(text);
}

/* A replay found .done (a crash came between it and the task): the result from the diff. */
static void p2_complete_from_diff(struct p2 *p)
{
    char uri[VIKING_URI_MAX + 1], err[256];
    json_t *diff = NULL, *counts = json_pack("{s:i}", "total", 0);
    if (p2_path(p, ARCHIVE_DIFF, uri) != 0 ||
        session_read_json(p->env->store, p->j->account, uri, &diff, err, sizeof err) != STORE_OK)
        diff = json_object();
    static const char *const lists[] = {"adds", "updates"};
    for (size_t l = 0; counts && l < 2; l++) {
        size_t i;
        json_t *e;
        json_array_foreach(json_object_get(diff, lists[l]), i, e) {
            const char *cat = json_string_value(json_object_get(e, "category"));
            if (!cat)
                continue;
            json_object_set_new(counts, cat,
                                json_integer(json_integer_value(json_object_get(counts, cat)) + 1));
            json_object_set_new(counts, "total",
                                json_integer(json_integer_value(json_object_get(counts, "total")) + 1));
        }
    }
    json_t *warnings = json_object_get(diff, "warnings");
    json_t *none = json_array();
    if (counts && none)
        p2_complete_task(p, counts, json_is_array(warnings) ? warnings : none, 0, 0);
    json_decref(none);
    json_decref(counts);
    json_decref(diff);
}

/* Whether the archive's phase-1 record names the job's task. */
static int p2_intent_matches(struct p2 *p)
{
    char uri[VIKING_URI_MAX + 1], err[256];
    json_t *intent = NULL;
    if (p2_path(p, ".meta.json", uri) != 0 ||
        session_read_json(p->env->store, p->j->account, uri, &intent, err, sizeof err) != STORE_OK)
        return 1; /* unreadable: the work itself will say what is wrong */
    const char *task = json_string_value(json_object_get(
        json_object_get(json_object_get(intent, "phase1"), "queue_message"), "task_id"));
    int match = !task || strcmp(task, p->j->task_id) == 0;
    json_decref(intent);
    return match;
}

/* The archive's state decides whether there is anything to do. Returns 1 to go on. */
static int p2_check_archive(struct p2 *p, const struct store_task *t, int have_task,
                            enum phase2_result *res, int *replay)
{
    struct archive_state as;
    char err[256];
    if (session_archive_state(p->env->store, p->j->account, p->j->archive_uri, &as, err,
                              sizeof err) != STORE_OK) {
        snprintf(p->err, p->err_cap, "reading %s: %s", p->j->archive_uri, err);
        *res = PHASE2_RETRY;
        return 0;
    }
    if (!as.has_intent) {
        /* A phase 1 of this process may still be writing it: its write lock orders us after. */
        session_lane_write_begin(p->env->lanes, p->env->run->lane);
        session_lane_write_end(p->env->lanes, p->env->run->lane);
        if (session_archive_state(p->env->store, p->j->account, p->j->archive_uri, &as, err,
                                  sizeof err) == STORE_OK && !as.has_intent) {
            struct store_node s = {0};
            int gone = store_get(p->env->store, p->j->account, p->ref.uri, 0, &s, err,
                                 sizeof err) == STORE_ENOTFOUND;
            store_node_clear(&s);
            if (have_task && !task_is_terminal(t->status))
                p2_task(p, "failed", gone ? "session_deleted" : "phase1_recovery", NULL,
                        gone ? "the session was deleted before its commit was processed"
                             : "the commit's first phase never completed: nothing was archived");
            *res = PHASE2_DROPPED;
            return 0;
        }
    }
    if (!p2_intent_matches(p)) {
        *res = PHASE2_DROPPED; /* a job left by a failed commit: the archive is another task's */
        return 0;
    }
    if (as.done) {
        if (have_task && !task_is_terminal(t->status))
            p2_complete_from_diff(p);
        if (as.pending)
            p2_remove(p, ARCHIVE_PENDING);
        *res = PHASE2_DONE;
        return 0;
    }
    if (as.failed && !as.pending) {
        *res = PHASE2_DROPPED; /* ended before; a replay would have put its marker back */
        return 0;
    }
    *replay = as.failed;
    return 1;
}

/* Makes sure the task exists and says running (a crash may have come before it was created). */
static void p2_task_running(struct p2 *p, int have_task)
{
    if (have_task) {
        p2_task(p, "running", "summarizing", NULL, NULL);
        return;
    }
    struct store_task t = {0};
    snprintf(t.task_id, sizeof t.task_id, "%s", p->j->task_id);
    t.account = (char *)p->j->account;
    t.user = (char *)p->j->user;
    t.task_type = (char *)"session_commit";
    t.status = (char *)"running";
    t.stage = (char *)"summarizing";
    t.resource_id = (char *)p->j->session_id;
    char err[256];
    if (store_task_create(p->env->store, &t, err, sizeof err) != STORE_OK)
        log_warn("sessions: creating task %s: %s", p->j->task_id, err);
}

static enum phase2_result p2_work(struct p2 *p, int replay, int64_t *delay)
{
    struct store *st = p->env->store;
    char uri[VIKING_URI_MAX + 1], err[512];
    char *text = NULL;
    size_t len = 0;
    p2_progress(p, LANE_WORK_STORAGE_IO, "archive:reading");
    int rc = p2_path(p, SESSION_MESSAGES, uri) == 0
                 ? session_read_file(st, p->j->account, uri, &text, &len, err, sizeof err)
                 : STORE_EINVAL;
    if (rc != STORE_OK)
        return p2_fail(p, "reading the archive", SKALD_EIO, err, delay);
    json_t *messages = session_jsonl_parse(text, len, NULL);
    free(text);
    json_t *meta = NULL;
    if (session_path(p->ref.uri, SESSION_META, uri) != 0 ||
        session_read_json(st, p->j->account, uri, &meta, err, sizeof err) != STORE_OK)
        meta = json_object();
    size_t tlen = 0;
    char *transcript = messages ? session_transcript(messages, &tlen) : NULL;
    unsigned mask = p2_category_mask(meta);
    json_decref(meta);
    if (!transcript) {
        json_decref(messages);
        return p2_fail(p, "reading the archive", SKALD_ENOMEM, "out of memory", delay);
    }
    enum phase2_result res = p2_summarize(p, transcript, tlen, delay);
    struct extract_result ex = {0};
    json_t *diff = NULL, *counts = NULL;
    if (res != PHASE2_DONE)
        goto out;
    if (mask) {
        struct skald_call_ctx ctx;
        p2_progress(p, LANE_WORK_VLM_CALL, "memory_extraction:started");
        p2_call_ctx(p, &ctx, err, sizeof err);
        rc = session_extract_run(p->env->gen->backends[BACKEND_VLM]->inst, &ctx, transcript, tlen,
                                 mask, &ex);
        if (rc != SKALD_OK) {
            res = p2_fail(p, "memory_extraction", rc, err, delay);
            goto out;
        }
        json_array_append_new(p->steps, json_string("extraction"));
    } else if (!(ex.warnings = json_array())) {
        res = p2_fail(p, "memory_extraction", SKALD_ENOMEM, "out of memory", delay);
        goto out;
    }
    p2_progress(p, LANE_WORK_STORAGE_IO, "memories:writing");
    if (!session_lanes_current(p->env->lanes, p->env->run)) {
        res = PHASE2_DROPPED;
        goto out;
    }
    diff = json_pack("{s:s, s:[], s:[], s:[], s:[], s:O}", "archive_uri", p->j->archive_uri, "adds",
                     "updates", "deletes", "skipped", "warnings", ex.warnings);
    counts = json_pack("{s:i}", "total", 0);
    struct memory_counts mc;
    rc = diff && counts ? session_memory_apply(st, p->j->account, p->j->user, &ex, diff, &mc, err,
                                               sizeof err)
                        : STORE_ENOMEM;
    if (rc != STORE_OK) {
        res = p2_fail(p, "memory_write", SKALD_EIO, err, delay);
        goto out;
    }
    json_array_append_new(p->steps, json_string("dedupe"));
    char memories[VIKING_URI_MAX + 1];
    snprintf(memories, sizeof memories, "viking://user/%s/memories", p->j->user);
    if (ex.n && index_enqueue_subtree(p->env->app, p->env->gen, st, p->j->account, memories, 0,
                                      NULL, err, sizeof err) != SKALD_OK)
        json_array_append_new(ex.warnings,
                              json_sprintf("indexing the memories was not queued: %s", err));
    size_t prompt_tokens = (tlen * 2 + ex.prompt_bytes + 3) / 4;
    size_t completion_tokens = (ex.answer_bytes + 3) / 4;
    int fin = p2_finish(p, diff, &mc, messages, prompt_tokens, completion_tokens, replay, counts);
    if (fin == 1) {
        res = PHASE2_DROPPED;
    } else if (fin < 0) {
        snprintf(err, sizeof err, "%s", p->err);
        res = p2_fail(p, "finishing", SKALD_EIO, err, delay);
    } else {
        p2_complete_task(p, counts, ex.warnings, prompt_tokens, completion_tokens);
        res = PHASE2_DONE;
    }
out:
    json_decref(diff);
    json_decref(counts);
    session_extract_clear(&ex);
    free(transcript);
    json_decref(messages);
    return res;
}

enum phase2_result session_phase2_run(const struct phase2_env *env, int64_t *retry_delay_ms,
                                      char *err, size_t err_cap)
{
    const struct session_job *j = env->job;
    struct p2 p = {.env = env, .j = j, .max_attempts = env->gen->config->sessions.max_attempts,
                   .err = err, .err_cap = err_cap};
    *retry_delay_ms = 0;
    err[0] = '\0';
    if (session_ref_init(&p.ref, j->account, j->user, j->session_id) != 0) {
        snprintf(err, err_cap, "job names an invalid session id");
        return PHASE2_DROPPED;
    }
    struct store_task t = {0};
    char terr[256];
    int have_task = store_task_get(env->store, j->account, NULL, j->task_id, &t, terr,
                                   sizeof terr) == STORE_OK;
    enum phase2_result res = PHASE2_DONE;
    int replay = 0;
    if (have_task && strcmp(t.status, "cancelled") == 0) {
        if (session_phase2_cancelled(env->store, j, terr, sizeof terr) != STORE_OK)
            log_warn("sessions: recording the cancel of %s: %s", j->archive_uri, terr);
        res = PHASE2_CANCELLED;
    } else if (p2_check_archive(&p, &t, have_task, &res, &replay)) {
        int failures = session_phase2_failures(env->store, j, 0, terr, sizeof terr);
        p.attempts = failures > 0 ? (uint32_t)failures + 1 : 1;
        if (!(p.steps = json_array()) || failures < 0) {
            snprintf(err, err_cap, "%s", failures < 0 ? terr : "out of memory");
            res = PHASE2_RETRY;
        } else if (p.attempts > p.max_attempts) {
            p.attempts--;
            res = p2_fail(&p, "retries", SKALD_EINVAL,
                          t.error ? t.error : "the job kept failing", retry_delay_ms);
        } else {
            p2_task_running(&p, have_task);
            res = p2_work(&p, replay, retry_delay_ms);
        }
    }
    if (res == PHASE2_RETRY && !*retry_delay_ms)
        *retry_delay_ms = session_phase2_retry_delay_ms(p.attempts);
    json_decref(p.steps);
    store_task_clear(&t);
    return res;
}
