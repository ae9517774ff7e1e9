/*
 * skald plugin ABI — the public contract between the skald host and its backend plugins.
 *
 * Self-contained: depends only on the C standard library. Install it as <skald/plugin.h> and
 * find it with `pkg-config --cflags skald-plugin`.
 *
 * Versioning rules (never broken):
 *   - The first six fields of struct skald_plugin_desc (magic .. version) never change.
 *   - Structs are append-only: never reorder, never remove, never change a field's type. Every
 *     struct that can grow starts with `struct_size`, set by whoever filled it to the sizeof it was
 *     compiled with; the reader treats a field beyond that size as absent (zero / NULL).
 *   - Appending a field or a function bumps SKALD_ABI_MINOR. Anything else bumps SKALD_ABI_MAJOR.
 *   - The host refuses a plugin whose major differs and accepts any minor <= its own.
 *
 * Changelog:
 *   1.0  first version: five kinds (embedding, vlm, rerank, vector, queue).
 *
 * Threading contract (the same for every kind):
 *   - create() and destroy() are called from the host's control thread only, never concurrently
 *     with any other call on the same instance.
 *   - Every other call may be made concurrently, from any number of host worker threads, on the
 *     same instance. A plugin that cannot run two calls at once serialises them itself.
 *   - A plugin may start its own threads; it must join them in destroy().
 *   - No call is ever made from the HTTP thread, so a call may block, but never past its
 *     deadline (see struct skald_call_ctx).
 *
 * Memory contract: memory is never freed on the other side of the boundary. Inputs are borrowed
 * for the duration of the call. Variable-size outputs are returned through visitor callbacks whose
 * arguments are valid only during the callback; the host copies what it keeps.
 *
 * Error contract: every call returns SKALD_OK (0) or a negative enum skald_status, and on error
 * writes a one-line, human-readable message into the caller-owned buffer it was given
 * (ctx->err / err), NUL-terminated and truncated to fit. Secrets (API keys) never go into it.
 */
#ifndef SKALD_PLUGIN_H
#define SKALD_PLUGIN_H

#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SKALD_ABI_MAJOR 1
#define SKALD_ABI_MINOR 0

/* "SKLD": the first field of every descriptor, so the host can tell a skald plugin at all. */
#define SKALD_PLUGIN_MAGIC 0x534b4c44u

/* The one symbol every plugin exports; see SKALD_PLUGIN_DEFINE. */
#define SKALD_PLUGIN_ENTRY_SYMBOL "skald_plugin_entry"

/* Return codes. Values are never reused. */
enum skald_status {
    SKALD_OK = 0,
    SKALD_EINVAL = -1,       /* bad argument or configuration: retrying will not help */
    SKALD_EUNSUPPORTED = -2, /* the plugin does not implement this call or option */
    SKALD_EUNAVAILABLE = -3, /* backend unreachable or overloaded: may succeed later */
    SKALD_ETIMEDOUT = -4,    /* the call's deadline passed */
    SKALD_ECANCELLED = -5,   /* the call's cancel flag was raised */
    SKALD_EBUSY = -6,        /* resource held elsewhere (a lease owned by another owner, a lock) */
    SKALD_ENOMEM = -7,       /* out of memory */
    SKALD_EINTERNAL = -8,    /* a bug or an unexpected state in the plugin */
    SKALD_ENOTFOUND = -9,    /* no such item (e.g. ack of an item whose lease expired) */
    SKALD_EIO = -10          /* storage failed (disk full, corrupt file) */
};

/* Plugin kinds. Values are never reused; the host rejects a kind it does not know. */
enum skald_kind {
    SKALD_KIND_EMBEDDING = 1,
    SKALD_KIND_VLM = 2,
    SKALD_KIND_RERANK = 3,
    SKALD_KIND_VECTOR = 4,
    SKALD_KIND_QUEUE = 5
};

/* Log levels for skald_host.log. */
enum skald_log_level {
    SKALD_LOG_ERROR = 0,
    SKALD_LOG_WARN = 1,
    SKALD_LOG_INFO = 2,
    SKALD_LOG_DEBUG = 3
};

/*
 * Per-call context, filled by the host for every data call and valid only during the call.
 * A plugin must return SKALD_ETIMEDOUT once now >= deadline_ns and SKALD_ECANCELLED once *cancel
 * is non-zero, checking both on entry and at least every 100 ms while it waits on anything
 * (network, disk, a lock held by another call). skald_call_check() does both checks.
 */
struct skald_call_ctx {
    uint32_t struct_size;     /* sizeof(struct skald_call_ctx) as the host compiled it */
    uint32_t reserved;        /* zero */
    int64_t deadline_ns;      /* absolute CLOCK_MONOTONIC time in ns; 0 = no deadline */
    const atomic_int *cancel; /* host-owned flag, non-zero once the call is cancelled; never NULL */
    char *err;                /* caller-owned buffer for the error message; never NULL */
    size_t err_cap;           /* its size in bytes, at least 1 */
};

/* One key = value line of the plugin's INI section (`plugin` itself excluded). */
struct skald_config_entry {
    const char *key;
    const char *value;
};

/*
 * Services the host hands to each instance at create(). The host owns it; it stays valid until
 * destroy() returns, so an instance keeps the pointer. Each instance gets its own table.
 */
struct skald_host {
    uint32_t struct_size; /* sizeof(struct skald_host) as the host compiled it */
    uint16_t abi_major;   /* the host's SKALD_ABI_MAJOR */
    uint16_t abi_minor;   /* the host's SKALD_ABI_MINOR */

    /* Logs one line under this instance's name. Thread-safe. */
    void (*log)(const struct skald_host *host, enum skald_log_level level, const char *fmt, ...)
#if defined(__GNUC__)
        __attribute__((format(printf, 3, 4)))
#endif
        ;
    /* CLOCK_MONOTONIC in ns, the clock of skald_call_ctx.deadline_ns. Thread-safe. */
    int64_t (*now_monotonic_ns)(void);
    /* Wall-clock time in ms since the Unix epoch, for times that must survive a restart. */
    int64_t (*now_wall_ms)(void);
    /* Adds delta to the counter `name` of this instance (shown in status and metrics). Thread-safe.
     * name: [a-z0-9_]+, at most 63 characters; others are ignored. */
    void (*metric_add)(const struct skald_host *host, const char *name, double delta);
    /* Sets the gauge `name` of this instance. Same rules as metric_add. */
    void (*metric_set)(const struct skald_host *host, const char *name, double value);

    /* The plugin's INI section: its name (e.g. "queue") and its keys in file order. */
    const char *section;
    const struct skald_config_entry *config;
    size_t config_count;

    /* The daemon's data directory (absolute, exists, writable). A plugin that persists keeps its
     * files in it, under names that start with its own plugin name. */
    const char *data_dir;

    void *host_data; /* opaque to the plugin */
};

/* ---- Embedding: texts to L2-comparable float vectors. ---- */
struct skald_embedding_ops {
    uint32_t struct_size; /* sizeof(struct skald_embedding_ops) as the plugin compiled it */
    /* Creates an instance from host->config. Unknown or invalid keys fail with SKALD_EINVAL and a
     * message naming the key. Must not wait on the network: check reachability lazily. */
    int (*create)(const struct skald_host *host, void **instance, char *err, size_t err_cap);
    /* Frees everything create() and later calls allocated. Never fails. */
    void (*destroy)(void *instance);
    /* Length of every vector this instance returns (> 0). Constant for the instance's life. */
    uint32_t (*dimensions)(void *instance);
    /* Most texts one embed() call accepts (> 0). The host never passes more. */
    uint32_t (*max_batch)(void *instance);
    /* Embeds n texts (NUL-terminated UTF-8) into out[i * dimensions .. (i+1) * dimensions - 1].
     * out is caller-owned with room for n * dimensions floats. All or nothing. */
    int (*embed)(void *instance, const struct skald_call_ctx *ctx, const char *const *texts,
                 size_t n, float *out);
};

/* ---- VLM: chat completion (system + messages) into text. ---- */
struct skald_vlm_message {
    const char *role;              /* "user", "assistant" or "tool" */
    const char *content;           /* UTF-8 text */
    const char *const *image_urls; /* http(s) or data: URLs; may be NULL when n_images is 0 */
    size_t n_images;
};

struct skald_vlm_request {
    uint32_t struct_size;                     /* sizeof(struct skald_vlm_request) as the host compiled it */
    uint32_t max_tokens;                      /* upper bound on generated tokens; > 0 */
    double temperature;                       /* < 0 means the plugin's configured default */
    const char *system;                       /* system prompt; may be NULL */
    const struct skald_vlm_message *messages; /* in order; at least one */
    size_t n_messages;
};

/* Receives generated text. May be called several times per completion (streaming); the pieces
 * concatenated are the answer. Returns 0 to go on, non-zero to stop (the call then fails with
 * SKALD_ECANCELLED). */
typedef int (*skald_text_sink)(void *sink_arg, const char *text, size_t len);

struct skald_vlm_ops {
    uint32_t struct_size;
    int (*create)(const struct skald_host *host, void **instance, char *err, size_t err_cap);
    void (*destroy)(void *instance);
    /* Completes req and hands the text to sink. On error nothing more is given to sink. */
    int (*complete)(void *instance, const struct skald_call_ctx *ctx,
                    const struct skald_vlm_request *req, skald_text_sink sink, void *sink_arg);
};

/* ---- Rerank: relevance of documents to a query. ---- */
struct skald_rerank_ops {
    uint32_t struct_size;
    int (*create)(const struct skald_host *host, void **instance, char *err, size_t err_cap);
    void (*destroy)(void *instance);
    /* Writes scores[i] for docs[i], higher = more relevant; scores is caller-owned, n floats.
     * Scores are comparable within one call only. */
    int (*score)(void *instance, const struct skald_call_ctx *ctx, const char *query,
                 const char *const *docs, size_t n, float *scores);
};

/* ---- Vector store: exact or approximate top-k by inner product, with tenancy filters. ---- */
struct skald_vector_record {
    const char *id;       /* unique key; an upsert with an existing id replaces it */
    const char *account;  /* tenant; searches never cross accounts unless the filter allows it */
    const char *uri;      /* viking:// URI the vector describes */
    const char *metadata; /* opaque UTF-8 (JSON by convention), returned with hits; may be NULL */
    const float *vector;  /* `dims` floats */
    uint32_t dims;
};

struct skald_vector_filter {
    const char *account;                /* only this account; NULL = every account */
    const char *const *uri_prefixes;    /* match any of these URI prefixes; NULL/0 = any URI */
    size_t n_uri_prefixes;
};

/* Borrowed view of a stored record, valid during the visitor call only. */
struct skald_vector_hit {
    const char *id;
    const char *account;
    const char *uri;
    const char *metadata; /* NULL when stored without */
    float score;          /* inner product with the query; 0 in list() */
};

/* Returns 0 to go on, non-zero to stop the walk early (the call still returns SKALD_OK). */
typedef int (*skald_vector_visitor)(void *arg, const struct skald_vector_hit *hit);

struct skald_vector_ops {
    uint32_t struct_size;
    int (*create)(const struct skald_host *host, void **instance, char *err, size_t err_cap);
    void (*destroy)(void *instance);
    /* Vector length this store holds (> 0); records of another length are refused (SKALD_EINVAL). */
    uint32_t (*dimensions)(void *instance);
    /* Inserts or replaces n records atomically: after an error none of them is stored. Durable on
     * return for a store that persists (it survives kill -9). */
    int (*upsert)(void *instance, const struct skald_call_ctx *ctx,
                  const struct skald_vector_record *records, size_t n);
    /* Removes the records with these ids; unknown ids are ignored. *removed (may be NULL) gets the
     * number actually removed. Atomic and durable like upsert. */
    int (*remove)(void *instance, const struct skald_call_ctx *ctx, const char *const *ids,
                  size_t n, uint64_t *removed);
    /* Removes every record of `account` whose URI starts with uri_prefix. */
    int (*remove_prefix)(void *instance, const struct skald_call_ctx *ctx, const char *account,
                         const char *uri_prefix, uint64_t *removed);
    /* Visits at most k records passing filter, best score first. query has `dims` floats. */
    int (*search)(void *instance, const struct skald_call_ctx *ctx, const float *query,
                  uint32_t dims, uint32_t k, const struct skald_vector_filter *filter,
                  skald_vector_visitor visit, void *arg);
    /* Visits every record passing filter, in no set order, without scores. */
    int (*list)(void *instance, const struct skald_call_ctx *ctx,
                const struct skald_vector_filter *filter, skald_vector_visitor visit, void *arg);
    /* Counts records passing filter (NULL = all). */
    int (*count)(void *instance, const struct skald_call_ctx *ctx,
                 const struct skald_vector_filter *filter, uint64_t *out);
    /* Makes everything durable and compacts storage. A no-op for a volatile store. */
    int (*checkpoint)(void *instance, const struct skald_call_ctx *ctx);
    /* Whether an acknowledged upsert/remove survives kill -9 (1) or not (0). */
    int (*durable)(void *instance);
};

/* ---- Queue: durable, leased work items grouped by topic. ---- */

/* An item to enqueue. */
struct skald_queue_new_item {
    const char *topic;      /* [A-Za-z0-9._-]{1,64} */
    const char *dedupe_key; /* NULL = none. While an item with the same topic and key is pending
                               (not leased, not dead), enqueueing another returns its id instead. */
    const void *payload;    /* opaque bytes, copied */
    size_t payload_len;
    int64_t not_before_ms;  /* wall-clock ms; not leased before then; 0 = at once */
};

enum skald_queue_state {
    SKALD_QUEUE_PENDING = 0,
    SKALD_QUEUE_LEASED = 1,
    SKALD_QUEUE_DEAD = 2 /* parked after a final failure; kept for inspection, never leased */
};

/* Borrowed view of a stored item, valid during the visitor call only. */
struct skald_queue_item {
    int64_t id;             /* unique within the backend instance, > 0 */
    const char *topic;
    const char *dedupe_key; /* NULL when none */
    const void *payload;
    size_t payload_len;
    enum skald_queue_state state;
    uint32_t attempts;      /* leases so far, including the current one */
    int64_t not_before_ms;
    int64_t enqueued_ms;    /* wall-clock ms of the first enqueue */
    int64_t lease_until_ms; /* when state is LEASED; else 0 */
    const char *owner;      /* lease owner when LEASED; else NULL */
    const char *last_error; /* text of the latest nack; NULL when none */
};

typedef int (*skald_queue_visitor)(void *arg, const struct skald_queue_item *item);

/* Per-topic counters. */
struct skald_queue_topic_stats {
    const char *topic;
    uint64_t pending;            /* includes items waiting for not_before */
    uint64_t leased;
    uint64_t dead;
    int64_t oldest_pending_age_ms; /* age of the oldest pending item by enqueued_ms; 0 when none */
};

typedef int (*skald_queue_stats_visitor)(void *arg, const struct skald_queue_topic_stats *stats);

/* An item being moved from another backend (see export_items/import_items). */
struct skald_queue_import_item {
    const char *topic;
    const char *dedupe_key;
    const void *payload;
    size_t payload_len;
    enum skald_queue_state state; /* PENDING or DEAD; a LEASED item is imported as PENDING */
    uint32_t attempts;
    int64_t not_before_ms;
    int64_t enqueued_ms;
    const char *last_error;
};

struct skald_queue_ops {
    uint32_t struct_size;
    int (*create)(const struct skald_host *host, void **instance, char *err, size_t err_cap);
    void (*destroy)(void *instance);
    /* Identifies where items are stored (e.g. the realpath of a database file), or NULL for a
     * volatile store. Two instances with the same non-NULL id share their items, so the host
     * does not move items between them on a swap. */
    const char *(*storage_id)(void *instance);
    /* Whether an acknowledged enqueue survives kill -9 (1) or not (0). */
    int (*durable)(void *instance);
    /* Enqueues n items atomically; ids_out (may be NULL) gets each item's id, the existing id for
     * a deduplicated one. Durable on return when durable() says so. */
    int (*enqueue)(void *instance, const struct skald_call_ctx *ctx,
                   const struct skald_queue_new_item *items, size_t n, int64_t *ids_out);
    /* Leases up to max_items pending items of `topic` whose not_before has come, oldest first,
     * for lease_ms under `owner`, incrementing their attempts; a leased item whose lease expired
     * counts as pending again. Visits each leased item; *n_leased gets how many. */
    int (*lease)(void *instance, const struct skald_call_ctx *ctx, const char *topic,
                 uint32_t max_items, int64_t lease_ms, const char *owner,
                 skald_queue_visitor visit, void *arg, size_t *n_leased);
    /* Removes items leased by `owner`. An id not leased by owner (expired, re-leased, unknown)
     * is skipped and counted in *n_missed (may be NULL). Atomic and durable. */
    int (*ack)(void *instance, const struct skald_call_ctx *ctx, const int64_t *ids, size_t n,
               const char *owner, size_t *n_missed);
    /* Returns an item leased by `owner` to pending after retry_delay_ms, recording error (may be
     * NULL); with dead != 0 parks it as DEAD instead. SKALD_ENOTFOUND if owner does not hold it. */
    int (*nack)(void *instance, const struct skald_call_ctx *ctx, int64_t id, const char *owner,
                int64_t retry_delay_ms, const char *error, int dead);
    /* Moves the lease of an item held by `owner` to now + lease_ms. SKALD_ENOTFOUND if not held. */
    int (*extend)(void *instance, const struct skald_call_ctx *ctx, int64_t id,
                  const char *owner, int64_t lease_ms);
    /* Returns to pending, at once and without counting a failure, every item leased by an owner
     * starting with owner_prefix ("" = every owner). *released (may be NULL) gets the count. */
    int (*release)(void *instance, const struct skald_call_ctx *ctx, const char *owner_prefix,
                   uint64_t *released);
    /* Visits the stats of every topic that has at least one item. */
    int (*stats)(void *instance, const struct skald_call_ctx *ctx, skald_queue_stats_visitor visit,
                 void *arg);
    /* Visits up to max_items items of any state with id > after_id, in id order (0 = from the
     * start): the way to page through a backend, and to export it for a swap. */
    int (*export_items)(void *instance, const struct skald_call_ctx *ctx, int64_t after_id,
                        uint32_t max_items, skald_queue_visitor visit, void *arg);
    /* Stores n items moved from another backend atomically, keeping their state, attempts,
     * times and error. An item whose topic and dedupe key are already pending is skipped. */
    int (*import_items)(void *instance, const struct skald_call_ctx *ctx,
                        const struct skald_queue_import_item *items, size_t n);
    /* Removes items by id whatever their state (after an export, or to purge dead items).
     * Unknown ids are ignored. Atomic and durable. */
    int (*remove)(void *instance, const struct skald_call_ctx *ctx, const int64_t *ids, size_t n);
};

/*
 * The plugin descriptor, returned by the entry function. Static and const: the host reads it and
 * never writes it. The first six fields are frozen for every major version.
 */
struct skald_plugin_desc {
    uint32_t magic;       /* SKALD_PLUGIN_MAGIC */
    uint16_t abi_major;   /* SKALD_ABI_MAJOR the plugin was built with */
    uint16_t abi_minor;   /* SKALD_ABI_MINOR the plugin was built with */
    uint32_t struct_size; /* sizeof(struct skald_plugin_desc) as the plugin compiled it */
    uint32_t kind;        /* enum skald_kind */
    const char *name;     /* [a-z0-9_]{1,63}, e.g. "embed_hash"; by convention the file's name */
    const char *version;  /* the plugin's own version, e.g. "1.2.0" */
    /* --- 1.0 --- */
    const char *description; /* one line for status pages and skald-plugin-check */
    const void *ops;         /* the kind's ops struct: struct skald_embedding_ops for EMBEDDING,
                                skald_vlm_ops, skald_rerank_ops, skald_vector_ops, skald_queue_ops */
};

/* The entry point every plugin exports (see SKALD_PLUGIN_DEFINE). */
typedef const struct skald_plugin_desc *(*skald_plugin_entry_fn)(void);

#if defined(__GNUC__)
#define SKALD_PLUGIN_EXPORT __attribute__((visibility("default")))
#else
#define SKALD_PLUGIN_EXPORT
#endif

/* Defines the descriptor and the entry symbol in one line, e.g.
 *   SKALD_PLUGIN_DEFINE(SKALD_KIND_EMBEDDING, "embed_hash", "1.0.0", "hashing embedder", &ops); */
#define SKALD_PLUGIN_DEFINE(kind_, name_, version_, description_, ops_)                        \
    static const struct skald_plugin_desc skald_plugin_descriptor_ = {                         \
        SKALD_PLUGIN_MAGIC, SKALD_ABI_MAJOR, SKALD_ABI_MINOR,                                  \
        (uint32_t)sizeof(struct skald_plugin_desc), (uint32_t)(kind_), (name_), (version_),     \
        (description_), (ops_)};                                                               \
    SKALD_PLUGIN_EXPORT const struct skald_plugin_desc *skald_plugin_entry(void);               \
    SKALD_PLUGIN_EXPORT const struct skald_plugin_desc *skald_plugin_entry(void)                \
    {                                                                                          \
        return &skald_plugin_descriptor_;                                                      \
    }

/* ---- Inline helpers for plugin authors (no host symbols needed). ---- */

/* Returns SKALD_OK, SKALD_ECANCELLED or SKALD_ETIMEDOUT for ctx at time now_ns (the host's
 * now_monotonic_ns()). Writes the message into ctx->err when not OK. */
static inline int skald_call_check(const struct skald_call_ctx *ctx, int64_t now_ns)
{
    const char *msg = NULL;
    int rc = SKALD_OK;
    if (ctx->cancel && atomic_load(ctx->cancel)) {
        rc = SKALD_ECANCELLED;
        msg = "call cancelled";
    } else if (ctx->deadline_ns > 0 && now_ns >= ctx->deadline_ns) {
        rc = SKALD_ETIMEDOUT;
        msg = "call deadline exceeded";
    }
    if (msg && ctx->err && ctx->err_cap > 0) {
        size_t i = 0;
        for (; msg[i] && i + 1 < ctx->err_cap; i++)
            ctx->err[i] = msg[i];
        ctx->err[i] = '\0';
    }
    return rc;
}

/* Value of `key` in the instance's config section, or NULL. The last occurrence wins. */
static inline const char *skald_config_get(const struct skald_host *host, const char *key)
{
    const char *found = NULL;
    for (size_t i = 0; i < host->config_count; i++) {
        const char *a = host->config[i].key, *b = key;
        while (*a && *a == *b) {
            a++;
            b++;
        }
        if (*a == *b)
            found = host->config[i].value;
    }
    return found;
}

#ifdef __cplusplus
}
#endif

#endif /* SKALD_PLUGIN_H */
