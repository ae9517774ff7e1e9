/* Task records: per (account, user), persisted with the tree in context.db. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "store/store_db.h"

enum task_col {
    TCOL_ID, TCOL_ACCOUNT, TCOL_USER, TCOL_TYPE, TCOL_STATUS, TCOL_STAGE, TCOL_RESOURCE,
    TCOL_RESULT, TCOL_ERROR, TCOL_CREATED, TCOL_UPDATED, TCOL_TOTAL, TCOL_DONE, TCOL_FAILED
};

void store_task_clear(struct store_task *t)
{
    if (!t)
        return;
    free(t->account);
    free(t->user);
    free(t->task_type);
    free(t->status);
    free(t->stage);
    free(t->resource_id);
    free(t->result_json);
    free(t->error);
    memset(t, 0, sizeof *t);
}

static int dup_column(sqlite3_stmt *s, int col, char **out)
{
    *out = NULL;
    if (sqlite3_column_type(s, col) == SQLITE_NULL)
        return 0;
    const char *text = (const char *)sqlite3_column_text(s, col);
    return text && (*out = strdup(text)) ? 0 : -1;
}

static uint32_t counter(sqlite3_stmt *s, int col)
{
    sqlite3_int64 v = sqlite3_column_int64(s, col);
    return v < 0 ? 0 : v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
}

static int row_task(sqlite3_stmt *s, struct store_task *t, char *err, size_t err_cap)
{
    memset(t, 0, sizeof *t);
    const char *id = (const char *)sqlite3_column_text(s, TCOL_ID);
    snprintf(t->task_id, sizeof t->task_id, "%s", id ? id : "");
    if (dup_column(s, TCOL_ACCOUNT, &t->account) || dup_column(s, TCOL_USER, &t->user) ||
        dup_column(s, TCOL_TYPE, &t->task_type) || dup_column(s, TCOL_STATUS, &t->status) ||
        dup_column(s, TCOL_STAGE, &t->stage) || dup_column(s, TCOL_RESOURCE, &t->resource_id) ||
        dup_column(s, TCOL_RESULT, &t->result_json) || dup_column(s, TCOL_ERROR, &t->error) ||
        !id) {
        store_task_clear(t);
        return store_errf(err, err_cap, STORE_ENOMEM, "out of memory");
    }
    t->created_ms = sqlite3_column_int64(s, TCOL_CREATED);
    t->updated_ms = sqlite3_column_int64(s, TCOL_UPDATED);
    t->jobs_total = counter(s, TCOL_TOTAL);
    t->jobs_done = counter(s, TCOL_DONE);
    t->jobs_failed = counter(s, TCOL_FAILED);
    return STORE_OK;
}

static int check_id(const char *task_id, char *err, size_t err_cap)
{
    if (!task_id || !*task_id)
        return store_errf(err, err_cap, STORE_EINVAL, "missing task id");
    if (strlen(task_id) >= sizeof ((struct store_task *)0)->task_id)
        return store_errf(err, err_cap, STORE_EINVAL, "task id longer than %zu bytes",
                          sizeof ((struct store_task *)0)->task_id - 1);
    return STORE_OK;
}

/* Runs one bound write statement in its own transaction; ENOTFOUND when it changed no task. */
static int task_write(struct store_txn *tx, sqlite3_stmt *s, const char *task_id,
                      const char *what, char *err, size_t err_cap)
{
    int src = sqlite3_step(s);
    store_stmt_done(s);
    if (src == SQLITE_CONSTRAINT_PRIMARYKEY)
        return store_errf(err, err_cap, STORE_EEXIST, "task %s already exists", task_id);
    if (src != SQLITE_DONE)
        return store_sqlite_err(tx->c, src, what, err, err_cap);
    if (sqlite3_changes(tx->c->db) == 0)
        return store_errf(err, err_cap, STORE_ENOTFOUND, "task %s not found", task_id);
    return STORE_OK;
}

int store_task_create(struct store *st, const struct store_task *t, char *err, size_t err_cap)
{
    int rc = check_id(t->task_id, err, err_cap);
    if (rc != STORE_OK)
        return rc;
    if (!t->account || !*t->account || !t->user || !t->task_type || !t->status)
        return store_errf(err, err_cap, STORE_EINVAL,
                          "a task needs an account, a user, a type and a status");
    struct store_txn tx;
    if ((rc = store_txn_begin(st, &tx, err, err_cap)) != STORE_OK)
        return rc;
    sqlite3_stmt *s = store_stmt(tx.c, STMT_TASK_INSERT, err, err_cap);
    if (!s) {
        rc = STORE_EIO;
    } else {
        store_bind_text(s, 1, t->task_id, -1);
        store_bind_text(s, 2, t->account, -1);
        store_bind_text(s, 3, t->user, -1);
        store_bind_text(s, 4, t->task_type, -1);
        store_bind_text(s, 5, t->status, -1);
        store_bind_text(s, 6, t->stage, -1);
        store_bind_text(s, 7, t->resource_id, -1);
        store_bind_text(s, 8, t->result_json, -1);
        store_bind_text(s, 9, t->error, -1);
        sqlite3_bind_int64(s, 10, clock_wall_ms());
        sqlite3_bind_int64(s, 11, t->jobs_total);
        sqlite3_bind_int64(s, 12, t->jobs_done);
        sqlite3_bind_int64(s, 13, t->jobs_failed);
        rc = task_write(&tx, s, t->task_id, "creating a task", err, err_cap);
    }
    return store_txn_end(&tx, rc, err, err_cap);
}

int store_task_get(struct store *st, const char *account, const char *user, const char *task_id,
                   struct store_task *out, char *err, size_t err_cap)
{
    memset(out, 0, sizeof *out);
    int rc = check_id(task_id, err, err_cap);
    if (rc != STORE_OK)
        return rc;
    if (!account || !*account)
        return store_errf(err, err_cap, STORE_EINVAL, "missing account");
    struct store_conn *c = store_conn_acquire(st);
    sqlite3_stmt *s = store_stmt(c, STMT_TASK_GET, err, err_cap);
    if (!s) {
        rc = STORE_EIO;
    } else {
        store_bind_text(s, 1, task_id, -1);
        store_bind_text(s, 2, account, -1);
        store_bind_text(s, 3, user, -1);
        int src = sqlite3_step(s);
        if (src == SQLITE_ROW)
            rc = row_task(s, out, err, err_cap);
        else if (src == SQLITE_DONE)
            rc = store_errf(err, err_cap, STORE_ENOTFOUND, "task %s not found", task_id);
        else
            rc = store_sqlite_err(c, src, "reading a task", err, err_cap);
        store_stmt_done(s);
    }
    store_conn_release(st, c);
    return rc;
}

int store_task_update(struct store *st, const char *task_id, const char *status, const char *stage,
                      const char *result_json, const char *error, char *err, size_t err_cap)
{
    int rc = check_id(task_id, err, err_cap);
    struct store_txn tx;
    if (rc != STORE_OK || (rc = store_txn_begin(st, &tx, err, err_cap)) != STORE_OK)
        return rc;
    sqlite3_stmt *s = store_stmt(tx.c, STMT_TASK_UPDATE, err, err_cap);
    if (!s) {
        rc = STORE_EIO;
    } else {
        store_bind_text(s, 1, task_id, -1);
        store_bind_text(s, 2, status, -1);
        store_bind_text(s, 3, stage, -1);
        store_bind_text(s, 4, result_json, -1);
        store_bind_text(s, 5, error, -1);
        sqlite3_bind_int64(s, 6, clock_wall_ms());
        rc = task_write(&tx, s, task_id, "updating a task", err, err_cap);
    }
    return store_txn_end(&tx, rc, err, err_cap);
}

int store_task_progress(struct store *st, const char *task_id, int add_total, int add_done,
                        int add_failed, char *err, size_t err_cap)
{
    int rc = check_id(task_id, err, err_cap);
    struct store_txn tx;
    if (rc != STORE_OK || (rc = store_txn_begin(st, &tx, err, err_cap)) != STORE_OK)
        return rc;
    sqlite3_stmt *s = store_stmt(tx.c, STMT_TASK_PROGRESS, err, err_cap);
    if (!s) {
        rc = STORE_EIO;
    } else {
        store_bind_text(s, 1, task_id, -1);
        sqlite3_bind_int(s, 2, add_total);
        sqlite3_bind_int(s, 3, add_done);
        sqlite3_bind_int(s, 4, add_failed);
        sqlite3_bind_int64(s, 5, clock_wall_ms());
        rc = task_write(&tx, s, task_id, "updating task progress", err, err_cap);
    }
    return store_txn_end(&tx, rc, err, err_cap);
}

int store_task_progress_many(struct store *st, const struct store_task_delta *deltas, size_t n,
                             char *err, size_t err_cap)
{
    int rc = STORE_OK;
    for (size_t i = 0; i < n && rc == STORE_OK; i++)
        rc = check_id(deltas[i].task_id, err, err_cap);
    struct store_txn tx;
    if (rc != STORE_OK || n == 0 || (rc = store_txn_begin(st, &tx, err, err_cap)) != STORE_OK)
        return rc;
    int64_t now = clock_wall_ms();
    for (size_t i = 0; i < n && rc == STORE_OK; i++) {
        sqlite3_stmt *s = store_stmt(tx.c, STMT_TASK_PROGRESS, err, err_cap);
        if (!s) {
            rc = STORE_EIO;
            break;
        }
        store_bind_text(s, 1, deltas[i].task_id, -1);
        sqlite3_bind_int(s, 2, deltas[i].add_total);
        sqlite3_bind_int(s, 3, deltas[i].add_done);
        sqlite3_bind_int(s, 4, deltas[i].add_failed);
        sqlite3_bind_int64(s, 5, now);
        rc = task_write(&tx, s, deltas[i].task_id, "updating task progress", err, err_cap);
        if (rc == STORE_ENOTFOUND)
            rc = STORE_OK; /* a task removed meanwhile: nothing to count */
    }
    return store_txn_end(&tx, rc, err, err_cap);
}

int store_task_list(struct store *st, const char *account, const char *user,
                    const char *task_type, const char *status, const char *resource_id,
                    unsigned limit, store_task_visit_fn visit, void *arg, char *err,
                    size_t err_cap)
{
    if (!account || !*account)
        return store_errf(err, err_cap, STORE_EINVAL, "missing account");
    /* Read them all, then visit without holding the connection. */
    struct store_task *tasks = NULL;
    size_t n = 0, cap = 0;
    int rc = STORE_OK;
    struct store_conn *c = store_conn_acquire(st);
    sqlite3_stmt *s = store_stmt(c, STMT_TASK_LIST, err, err_cap);
    if (!s) {
        rc = STORE_EIO;
    } else {
        store_bind_text(s, 1, account, -1);
        store_bind_text(s, 2, user, -1);
        store_bind_text(s, 3, task_type, -1);
        store_bind_text(s, 4, status, -1);
        store_bind_text(s, 5, resource_id, -1);
        sqlite3_bind_int64(s, 6, limit ? (sqlite3_int64)limit : -1);
        int src;
        while (rc == STORE_OK && (src = sqlite3_step(s)) == SQLITE_ROW) {
            if (n == cap) {
                size_t ncap = cap ? cap * 2 : 16;
                struct store_task *grown = realloc(tasks, ncap * sizeof *grown);
                if (!grown) {
                    rc = store_errf(err, err_cap, STORE_ENOMEM, "out of memory");
                    break;
                }
                tasks = grown;
                cap = ncap;
            }
            rc = row_task(s, &tasks[n], err, err_cap);
            if (rc == STORE_OK)
                n++;
        }
        if (rc == STORE_OK && src != SQLITE_DONE)
            rc = store_sqlite_err(c, src, "listing tasks", err, err_cap);
        store_stmt_done(s);
    }
    store_conn_release(st, c);
    for (size_t i = 0; rc == STORE_OK && i < n; i++)
        if (visit(arg, &tasks[i]))
            break;
    for (size_t i = 0; i < n; i++)
        store_task_clear(&tasks[i]);
    free(tasks);
    return rc;
}
