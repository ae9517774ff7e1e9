/*
 * Where a session lives in the context store (OpenViking section 6) and reading and writing it:
 * viking://user/{uid}/sessions/{sid}/ holds messages.jsonl (live messages), .meta.json (session
 * meta), .message_ids (every message id the session ever accepted, so a resent message is
 * recognised after it was archived) and history/archive_NNN/ with messages.jsonl, .meta.json
 * (the phase-1 record), .pending.json (phase 2 is owed; the job's payload), memory_diff.json
 * and the terminal .done or .failed.json. Session nodes carry no L0/L1 or vectors of their own
 * (states NONE) except the archive directory, whose L0/L1 phase 2 writes.
 * Every function may block on the store: workers and session threads only.
 */
#ifndef SKALD_SESSION_STORE_H
#define SKALD_SESSION_STORE_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "auth/identity.h"
#include "session/session_message.h"
#include "store/store.h"
#include "uri/viking_uri.h"

#define SESSION_MESSAGES "messages.jsonl"
#define SESSION_META ".meta.json"
#define SESSION_IDS ".message_ids"
#define SESSION_HISTORY "history"
#define ARCHIVE_PENDING ".pending.json"
#define ARCHIVE_DONE ".done"
#define ARCHIVE_FAILED ".failed.json"
#define ARCHIVE_DIFF "memory_diff.json"

struct session_ref {
    char account[AUTH_ID_MAX + 1];
    char user[AUTH_ID_MAX + 1];
    char id[AUTH_ID_MAX + 1];
    char uri[VIKING_URI_MAX + 1]; /* viking://user/{user}/sessions/{id} */
};

/* Fills r; -1 when id is not a valid session id (1..64 of A-Z a-z 0-9 _ . @ -). */
int session_ref_init(struct session_ref *r, const char *account, const char *user, const char *id);
/* base + "/" + rel into out (VIKING_URI_MAX + 1 bytes); -1 when too long. */
int session_path(const char *base, const char *rel, char *out);
/* The URI of archive number index (archive_001, ...). */
int session_archive_uri(const struct session_ref *r, unsigned index, char *out);
/* The index of an archive directory name ("archive_007" → 7), 0 when it is not one. */
unsigned session_archive_index(const char *name);

/* A file's content: malloc'ed, NUL-terminated (*len may be NULL). ENOTFOUND passes through. */
int session_read_file(struct store *st, const char *account, const char *uri, char **out,
                      size_t *len, char *err, size_t err_cap);
/* A file holding one JSON object. A file that is not one is EIO. */
int session_read_json(struct store *st, const char *account, const char *uri, json_t **out,
                      char *err, size_t err_cap);

/* The live state of a session, as read under its lane's write lock. */
struct session_live {
    json_t *meta;     /* object */
    json_t *messages; /* array of stored messages */
    json_t *ids;      /* object used as a set of accepted message ids; NULL unless asked */
};

/* Reads meta and messages (and ids when with_ids). ENOTFOUND when the session does not exist. */
int session_live_load(struct store *st, const struct session_ref *r, int with_ids,
                      struct session_live *out, char *err, size_t err_cap);
void session_live_clear(struct session_live *l);

/* A new session's meta (policies borrowed, copied in; NULL = defaults). */
json_t *session_meta_new(const struct session_ref *r, int64_t now_ms, json_t *memory_policy,
                         json_t *auto_commit_policy, json_t *extraction_config);

/* Nodes for one store_put. Contents are owned by the batch. */
struct session_batch {
    struct store_put_node nodes[16];
    char uris[16][VIKING_URI_MAX + 1];
    char *owned[16];
    size_t n;
};
/* Adds a directory (states NONE). -1 when full or the URI is too long. */
int session_batch_dir(struct session_batch *b, const char *uri);
/* Adds a file whose content is text (taken over: freed with the batch, also on failure). */
int session_batch_file(struct session_batch *b, const char *uri, char *text, size_t len);
/* Adds a file holding json (dumped; json stays the caller's). */
int session_batch_json(struct session_batch *b, const char *uri, json_t *json);
/* Adds the session's directories that do not exist yet: viking://user/{uid}, its sessions/ and
 * the session, parents first. */
int session_batch_session_dirs(struct session_batch *b, struct store *st, const struct session_ref *r,
                               char *err, size_t err_cap);
/* Stores the batch in one transaction and frees its contents. */
int session_batch_put(struct session_batch *b, struct store *st, const struct session_ref *r,
                      char *err, size_t err_cap);
void session_batch_free(struct session_batch *b);

/* The live state's files into b: messages.jsonl, .meta.json, and .message_ids when l->ids. */
int session_batch_live(struct session_batch *b, const struct session_ref *r,
                       const struct session_live *l);

/* Which terminal state an archive is in, by the files it holds. */
struct archive_state {
    int exists, has_intent, pending, done, failed;
};
int session_archive_state(struct store *st, const char *account, const char *archive_uri,
                          struct archive_state *out, char *err, size_t err_cap);

#endif
