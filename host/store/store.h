/*
 * The context store: the viking:// tree of every account (directories and files with their L0/L1
 * sidecars, tags and processing state) and the task records. One internal interface, so a second
 * implementation (PostgreSQL, for several hosts sharing one dataset) can be added without touching
 * the handlers. Every call may block on disk: call it from a worker thread, never the HTTP thread.
 *
 * URIs given to the store are canonical (host/uri/viking_uri.h): "viking://scope/a/b", no trailing
 * slash; the root is "viking://". Accounts never appear in URIs: (account, uri) is the key.
 * All functions are thread-safe. Errors: a STORE_* code plus a message in the caller's buffer.
 */
#ifndef SKALD_STORE_H
#define SKALD_STORE_H

#include <stddef.h>
#include <stdint.h>

enum store_status {
    STORE_OK = 0,
    STORE_ENOTFOUND = -1, /* the node (or task) does not exist */
    STORE_EEXIST = -2,    /* create of something that exists */
    STORE_ENOTDIR = -3,   /* a directory was needed (a parent, a listing) and it is a file */
    STORE_EISDIR = -4,    /* a file was needed and it is a directory */
    STORE_ENOTEMPTY = -5, /* remove of a non-empty directory without recursive */
    STORE_ECONFLICT = -6, /* the node changed since the caller read it (revision mismatch) */
    STORE_EIO = -7,       /* SQLite or disk failure; the message says which */
    STORE_ENOMEM = -8,
    STORE_EINVAL = -9     /* bad argument (e.g. moving a directory into itself) */
};

enum store_kind { STORE_DIR = 0, STORE_FILE = 1 };

/* Processing state of a node's derived data. NONE: nothing to derive (e.g. a file has no
 * semantic layer of its own, or processing_mode=vectors_only skipped it). */
enum store_proc_state {
    STORE_PROC_NONE = 0,
    STORE_PROC_PENDING = 1,
    STORE_PROC_DONE = 2,
    STORE_PROC_FAILED = 3
};

/* A node as read. Every pointer is owned by the struct; store_node_clear() frees them. */
struct store_node {
    char *account;
    char *uri;
    char *parent_uri;               /* NULL for "viking://" */
    char *name;                     /* last segment; "" for the root */
    enum store_kind kind;
    char *owner_user;               /* who created it */
    uint64_t size;                  /* content bytes (files); 0 for directories */
    int64_t created_ms, updated_ms; /* wall clock */
    char *tags_json;                /* JSON array of "k=v" strings, "[]" when none */
    char *l0;                       /* directory abstract body; NULL when absent */
    char *l1;                       /* directory overview body; NULL when absent */
    char *summary;                  /* file summary (the text of its L2 vector); NULL when absent */
    char *content;                  /* files, when asked for: the bytes plus a NUL; else NULL */
    size_t content_len;
    char content_hash[65];          /* hex SHA-256 of the content; "" for directories */
    enum store_proc_state semantic; /* directories: L0/L1 generation */
    enum store_proc_state vectors;  /* L0/L1 vectors (directories) or the L2 vector (files) */
    char *last_error;               /* latest processing error; NULL when none */
    uint64_t revision;              /* bumped by every change of content, sidecars or tags */
    uint64_t child_count;           /* directories: direct children */
};

void store_node_clear(struct store_node *n);

struct store;

/* Opens (creating if needed) the store in data_dir: context.db (WAL) plus a content/ folder for
 * large file bodies. Never waits on the network. */
int store_open(const char *data_dir, struct store **out, char *err, size_t err_cap);
void store_close(struct store *st);

/* ---- Reading ---- */

/* Reads one node; with_content loads a file's bytes too. The root "viking://" and the scope
 * roots ("viking://resources", "viking://user", "viking://agent") always exist as directories. */
int store_get(struct store *st, const char *account, const char *uri, int with_content,
              struct store_node *out, char *err, size_t err_cap);

/* Visits nodes without content. Return non-zero from the visitor to stop (the call returns OK).
 * The node is borrowed for the duration of the call. Visitors run with no store connection held,
 * so they may call the store themselves. */
typedef int (*store_visit_fn)(void *arg, const struct store_node *node);

/* Direct children of a directory, directories first, then by name. ENOTDIR on a file, ENOTFOUND
 * when missing. */
int store_list(struct store *st, const char *account, const char *dir_uri, store_visit_fn visit,
               void *arg, char *err, size_t err_cap);

/* The subtree under root_uri (root excluded) in depth-first pre-order, names sorted, down to
 * max_depth levels below root (0 = unlimited). with_content loads file bodies (for grep). From
 * "viking://" the walk covers the three scopes. ENOTDIR on a file, ENOTFOUND when missing. */
int store_walk(struct store *st, const char *account, const char *root_uri, unsigned max_depth,
               int with_content, store_visit_fn visit, void *arg, char *err, size_t err_cap);

/* ---- Writing ---- */

/* One node to create or replace by store_put. */
struct store_put_node {
    const char *uri;
    enum store_kind kind;
    const char *content;          /* files: bytes (may contain NUL); NULL = empty */
    size_t content_len;
    const char *tags_json;        /* NULL = "[]" (on replace: keep the old tags) */
    enum store_proc_state semantic, vectors; /* the state to record */
};

/* Creates or replaces nodes in one transaction, creating missing parent directories (their
 * semantic and vectors state PENDING, owner `owner_user`). Replacing a node keeps its created_ms,
 * owner and sidecars, clears last_error and bumps its revision; putting a file where a directory
 * is (or the reverse) is EISDIR/ENOTDIR and nothing of the batch is stored. Directories carry no
 * content (EINVAL). */
int store_put(struct store *st, const char *account, const char *owner_user,
              const struct store_put_node *nodes, size_t n, char *err, size_t err_cap);

/* Creates the directory and its missing parents. EEXIST when it already exists (as a dir or a
 * file); description, when not NULL, becomes its L0. The new directory's semantic state is NONE
 * (nothing to summarise yet); its vectors state PENDING with a description (the L0 to embed),
 * else NONE. Created parents are PENDING as with store_put. */
int store_mkdir(struct store *st, const char *account, const char *owner_user, const char *uri,
                const char *description, char *err, size_t err_cap);

enum store_write_mode { STORE_WRITE_REPLACE = 0, STORE_WRITE_APPEND = 1, STORE_WRITE_CREATE = 2 };

/* Writes a file's content. REPLACE/APPEND need an existing file (ENOTFOUND, EISDIR); CREATE needs
 * a free path (EEXIST) and creates missing parents. Sets the file's vectors state PENDING
 * (CREATE: semantic NONE, tags "[]"; REPLACE/APPEND keep semantic state and tags).
 * *revision_out (may be NULL) gets the new revision. */
int store_write(struct store *st, const char *account, const char *owner_user, const char *uri,
                enum store_write_mode mode, const char *content, size_t len,
                uint64_t *revision_out, char *err, size_t err_cap);

/* Removes a node; a non-empty directory needs recursive (else ENOTEMPTY). *removed (may be NULL)
 * gets the number of nodes removed. One transaction. The scope roots cannot be removed (EINVAL). */
int store_remove(struct store *st, const char *account, const char *uri, int recursive,
                 uint64_t *removed, char *err, size_t err_cap);

/* Moves a node (and its subtree) to to_uri, creating missing parents of to_uri (owned by the
 * moved node's owner). EEXIST when to_uri exists, EINVAL when to_uri is from_uri or inside it or
 * from_uri is a scope root. States, times and revisions move unchanged. One transaction. */
int store_move(struct store *st, const char *account, const char *from_uri, const char *to_uri,
               char *err, size_t err_cap);

/* Sets tags (a JSON array of "k=v") on a node, and with recursive on its whole subtree. append
 * merges with the existing tags instead of replacing them. Bumps revisions. */
int store_set_tags(struct store *st, const char *account, const char *uri, const char *tags_json,
                   int append, int recursive, char *err, size_t err_cap);

/* Stores a directory's L0/L1 (either may be NULL = leave as is) and marks its semantic state
 * DONE, only if the node's revision still equals expected_revision (else ECONFLICT: a newer
 * change will produce newer sidecars). ENOTDIR on a file. Bumps the revision. A scope root that
 * has never been stored has revision 0. A file's summary is stored with store_set_summary (same
 * revision rule, EISDIR on a directory, states untouched). */
int store_set_sidecars(struct store *st, const char *account, const char *uri, const char *l0,
                       const char *l1, uint64_t expected_revision, char *err, size_t err_cap);
int store_set_summary(struct store *st, const char *account, const char *uri, const char *summary,
                      uint64_t expected_revision, char *err, size_t err_cap);

/* Records a processing outcome without touching the revision: which = 0 semantic, 1 vectors.
 * A non-NULL error becomes last_error; a DONE clears last_error unless the other state is
 * FAILED; otherwise last_error stays. */
int store_set_state(struct store *st, const char *account, const char *uri, int which,
                    enum store_proc_state state, const char *error, char *err, size_t err_cap);

/* Many store_set_state updates in one transaction (the pipeline records a batch of outcomes with
 * one commit). Nodes that no longer exist are skipped and counted in *missing (may be NULL). */
struct store_state_update {
    const char *account;
    const char *uri;
    int which;
    enum store_proc_state state;
    const char *error; /* may be NULL */
};
int store_set_states(struct store *st, const struct store_state_update *updates, size_t n,
                     size_t *missing, char *err, size_t err_cap);

/* Runs the calling thread's store calls on st, until store_batch_end, in one transaction: a batch
 * of small writes costs one commit, and reads in it see its writes. Each write call stays
 * all-or-nothing (a savepoint). The store's write lock is held meanwhile, so keep a batch short
 * and make no backend call in it. store_batch_end commits when rc is STORE_OK, else rolls the
 * whole batch back; it returns the outcome (a failed commit, or a write SQLite undid whole). */
int store_batch_begin(struct store *st, char *err, size_t err_cap);
int store_batch_end(struct store *st, int rc, char *err, size_t err_cap);

/* ---- Recovery and consistency ---- */

/* Counts the nodes of account under root_uri (root_uri included) with open work: *pending those
 * whose semantic or vectors state is PENDING, *failed the others with one FAILED. When *failed,
 * first_failed gets "uri: error" of the first such node in URI order. One pass of two aggregate
 * queries, no node decoded: what settling a task asks after every batch. */
int store_count_open(struct store *st, const char *account, const char *root_uri,
                     uint64_t *pending, uint64_t *failed, char *first_failed, size_t ff_cap,
                     char *err, size_t err_cap);

/* Visits (across every account when account is NULL, else under root_uri of account, NULL = the
 * whole account) the stored nodes whose semantic or vectors state is in state_mask (bit
 * 1 << enum store_proc_state), in (account, uri) order, root_uri included. */
int store_scan_states(struct store *st, const char *account, const char *root_uri,
                      unsigned state_mask, store_visit_fn visit, void *arg, char *err,
                      size_t err_cap);

/* ---- Tasks ---- */

struct store_task {
    char task_id[40];
    char *account, *user;
    char *task_type;   /* add_resource, session_commit, admin_reindex, add_skill */
    char *status;      /* pending, running, cancelling, completed, failed, cancelled */
    char *stage;       /* may be NULL */
    char *resource_id; /* may be NULL */
    char *result_json; /* JSON text or NULL */
    char *error;       /* NULL when none */
    int64_t created_ms, updated_ms;
    uint32_t jobs_total, jobs_done, jobs_failed; /* pipeline progress of the task */
};

void store_task_clear(struct store_task *t);

/* Creates a task record (task_id, account, user, task_type, resource_id, status set by the
 * caller, and stage, result_json, error and job counters when given; times set here). EEXIST
 * when the id is taken. */
int store_task_create(struct store *st, const struct store_task *t, char *err, size_t err_cap);
/* Reads a task of (account, user); ENOTFOUND for a task of anyone else. user NULL = any user of
 * the account (ROOT/ADMIN views). */
int store_task_get(struct store *st, const char *account, const char *user, const char *task_id,
                   struct store_task *out, char *err, size_t err_cap);
/* Updates the non-NULL of status, stage, result_json, error; bumps updated_ms. */
int store_task_update(struct store *st, const char *task_id, const char *status, const char *stage,
                      const char *result_json, const char *error, char *err, size_t err_cap);
/* Adds to the job counters (jobs_total += add_total, ...) atomically. */
int store_task_progress(struct store *st, const char *task_id, int add_total, int add_done,
                        int add_failed, char *err, size_t err_cap);

/* Many store_task_progress updates in one transaction (a batch of jobs reporting at once);
 * unknown task ids are skipped. */
struct store_task_delta {
    const char *task_id;
    int add_total, add_done, add_failed;
};
int store_task_progress_many(struct store *st, const struct store_task_delta *deltas, size_t n,
                             char *err, size_t err_cap);

typedef int (*store_task_visit_fn)(void *arg, const struct store_task *task);
/* Tasks of (account, user) newest first, filtered by the non-NULL arguments, at most limit
 * (0 = no limit). user NULL = every user of the account. */
int store_task_list(struct store *st, const char *account, const char *user,
                    const char *task_type, const char *status, const char *resource_id,
                    unsigned limit, store_task_visit_fn visit, void *arg, char *err,
                    size_t err_cap);

/* ---- Markers ---- */

typedef int (*store_name_visit_fn)(void *arg, const char *account, const char *uri);
/* Visits (account, uri) of every node named `name` (one segment) in any account, in (account,
 * uri) order; return non-zero to stop. A scan of the whole tree: for startup recovery only. */
int store_find_name(struct store *st, const char *name, store_name_visit_fn visit, void *arg,
                    char *err, size_t err_cap);

#endif
