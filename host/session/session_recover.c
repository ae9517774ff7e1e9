#include "session/session_recover.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/log.h"
#include "session/session_engine.h"
#include "session/session_job.h"
#include "session/session_store.h"

struct recover_scan {
    struct session_engine *e;
    struct generation *gen;
    struct store *st;
    uint64_t found, failed;
};

/* Makes sure the task of j exists: a crash may have come between phase 1 and its creation. */
static void recover_task(struct store *st, const struct session_job *j)
{
    struct store_task t = {0};
    char err[256];
    int rc = store_task_get(st, j->account, NULL, j->task_id, &t, err, sizeof err);
    store_task_clear(&t);
    if (rc != STORE_ENOTFOUND)
        return;
    t = (struct store_task){.account = (char *)j->account, .user = (char *)j->user,
                            .task_type = (char *)"session_commit", .status = (char *)"running",
                            .stage = (char *)"recovered", .resource_id = (char *)j->session_id};
    snprintf(t.task_id, sizeof t.task_id, "%s", j->task_id);
    if (store_task_create(st, &t, err, sizeof err) != STORE_OK)
        log_warn("recovery: creating task %s: %s", j->task_id, err);
}

static int recover_visit(void *arg, const char *account, const char *uri)
{
    struct recover_scan *s = arg;
    char *text = NULL, err[512];
    size_t len = 0;
    struct session_job j;
    if (session_read_file(s->st, account, uri, &text, &len, err, sizeof err) != STORE_OK ||
        session_job_decode(text, len, &j, err, sizeof err) != 0 || strcmp(j.account, account) != 0) {
        log_warn("recovery: unreadable phase-2 marker %s (%s): left alone", uri, err);
        free(text);
        s->failed++;
        return 0;
    }
    free(text);
    recover_task(s->st, &j);
    atomic_int never = 0;
    struct skald_call_ctx ctx = {sizeof ctx, 0,
                                 clock_monotonic_ns() +
                                     (int64_t)s->gen->config->server.call_timeout_s * 1000000000LL,
                                 &never, err, sizeof err};
    err[0] = '\0';
    if (session_job_enqueue(s->gen->backends[BACKEND_QUEUE]->inst, &ctx, &j, NULL) != SKALD_OK) {
        log_warn("recovery: queueing phase 2 of %s: %s", j.archive_uri, err);
        s->failed++;
        return 0;
    }
    session_engine_recovery_add(s->e, j.account, j.archive_uri);
    s->found++;
    return 0;
}

int session_recover(struct app *app, struct store *st, uint64_t *found, char *err, size_t err_cap)
{
    *found = 0;
    struct session_engine *e = atomic_load(&app->sessions);
    struct generation *gen = runtime_acquire(&app->runtime);
    if (!e || !gen) {
        if (gen)
            runtime_release(&app->runtime, gen);
        snprintf(err, err_cap, "the session engine is not running");
        return -1;
    }
    struct recover_scan s = {e, gen, st, 0, 0};
    int rc = store_find_name(st, ARCHIVE_PENDING, recover_visit, &s, err, err_cap);
    runtime_release(&app->runtime, gen);
    session_engine_recovery_scanned(e);
    session_engine_wake(e);
    *found = s.found;
    if (rc != STORE_OK)
        return -1;
    if (s.failed) {
        snprintf(err, err_cap, "%llu archives owing phase 2 could not be queued again",
                 (unsigned long long)s.failed);
        return -1;
    }
    return 0;
}
