/* vector_flat's SQLite log: every upsert appends a row, every remove a tombstone, and the rows
 * they supersede are deleted in the same transaction. Instances on the same file follow each
 * other by reading the rows after the last seq they applied. The caller serialises every use. */
#ifndef VF_STORE_H
#define VF_STORE_H

#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include <skald/plugin.h>

#include "plugin_sqlite.h"

struct vf_store {
    sqlite3 *db;
    sqlite3_stmt *begin, *commit, *rollback, *append, *supersede, *since;
    const struct skald_host *host;
    /* Its call is the one using the store, so waits for a lock honour its deadline. */
    struct plugin_sqlite_busy busy;
};

/* One row of the log, borrowed during the row callback. */
struct vf_row {
    int64_t seq;
    const char *id;
    const char *account;
    const char *uri;
    const char *metadata; /* may be NULL */
    const void *vector;   /* dims floats, possibly unaligned; NULL for a tombstone */
    int deleted;
};

/* Returns SKALD_OK to go on, or a negative status (with ctx->err set) to stop the read. */
typedef int (*vf_row_fn)(void *arg, const struct vf_row *row);

/* Opens or creates the database at path for vectors of `dims` floats; a file made for another
 * dims fails with SKALD_EINVAL naming both. */
int vf_store_open(struct vf_store *store, const struct skald_host *host, const char *path,
                  uint32_t dims, char *err, size_t err_cap);
void vf_store_close(struct vf_store *store);

/* Binds the call whose deadline bounds waits on other connections' locks (NULL = none). */
void vf_store_set_call(struct vf_store *store, const struct skald_call_ctx *ctx);

int vf_store_begin(struct vf_store *store, const struct skald_call_ctx *ctx);
int vf_store_commit(struct vf_store *store, const struct skald_call_ctx *ctx);
void vf_store_rollback(struct vf_store *store);

/* Appends a record (vector != NULL) or a tombstone (vector == NULL) for id inside the open
 * transaction and deletes the rows it supersedes. */
int vf_store_append(struct vf_store *store, const struct skald_call_ctx *ctx, const char *id,
                    const char *account, const char *uri, const char *metadata,
                    const float *vector, uint32_t dims);

/* Hands every row with seq > after_seq to fn in seq order, checking ctx every few thousand rows. */
int vf_store_read_since(struct vf_store *store, const struct skald_call_ctx *ctx,
                        int64_t after_seq, uint32_t dims, vf_row_fn fn, void *arg);

/* Copies the WAL into the database and truncates it. */
int vf_store_checkpoint(struct vf_store *store, const struct skald_call_ctx *ctx);

#endif
