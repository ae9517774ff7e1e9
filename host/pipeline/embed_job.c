/*
 * Vectors for a batch of nodes: a directory's L0 and L1 (levels 0 and 1), a file's L2 (its
 * summary, or the start of its content when it has none yet). All texts of the batch go through
 * the embedding plugin in max_batch chunks and all records into the vector plugin in one atomic
 * upsert, so a batch is stored whole or not at all.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "pipeline/pipeline_env.h"
#include "uri/viking_uri.h"

/* The part of a file without a summary that stands for it. */
#define EMBED_CONTENT_HEAD 4000
/* The abstract carried in a record's metadata, for hits. */
#define EMBED_ABSTRACT_MAX 256

struct embed_text {
    size_t job;      /* index into the batch */
    int level;
    char *text;      /* owned */
    char *metadata;  /* owned JSON */
};

/* Cuts s to at most max bytes without splitting a UTF-8 sequence. */
static size_t embed_utf8_cut(const char *s, size_t len, size_t max)
{
    if (len <= max)
        return len;
    while (max > 0 && ((unsigned char)s[max] & 0xC0) == 0x80)
        max--;
    return max;
}

static char *embed_metadata(const struct store_node *node, int level, const char *text)
{
    size_t cut = embed_utf8_cut(text, strlen(text), EMBED_ABSTRACT_MAX);
    json_error_t jerr;
    json_t *tags = json_loads(node->tags_json ? node->tags_json : "[]", 0, &jerr);
    json_t *meta = json_pack("{s:i, s:s, s:s%, s:o, s:s, s:s?, s:I, s:I}", "level", level,
                             "context_type", viking_uri_context_type(node->uri), "abstract", text,
                             cut, "tags", tags ? tags : json_array(), "owner",
                             node->owner_user ? node->owner_user : "", "parent", node->parent_uri,
                             "created_ms", (json_int_t)node->created_ms, "updated_ms",
                             (json_int_t)node->updated_ms);
    char *out = meta ? json_dumps(meta, JSON_COMPACT) : NULL;
    json_decref(meta);
    return out;
}

static int embed_add_text(struct embed_text **texts, size_t *n, size_t *cap, size_t job, int level,
                          const struct store_node *node, const char *text, size_t len)
{
    if (*n == *cap) {
        size_t c = *cap ? *cap * 2 : 64;
        struct embed_text *grown = realloc(*texts, c * sizeof *grown);
        if (!grown)
            return -1;
        *texts = grown;
        *cap = c;
    }
    struct embed_text *t = &(*texts)[*n];
    t->job = job;
    t->level = level;
    t->text = strndup(text, len);
    t->metadata = t->text ? embed_metadata(node, level, t->text) : NULL;
    if (!t->text || !t->metadata) {
        free(t->text);
        free(t->metadata);
        return -1;
    }
    (*n)++;
    return 0;
}

/* Reads the nodes and collects their texts. A job whose node is gone has none. */
static int embed_collect(const struct pipeline_env *env, const struct job *jobs, size_t n,
                         struct embed_text **texts, size_t *n_texts, char *err, size_t err_cap)
{
    size_t cap = 0;
    for (size_t i = 0; i < n; i++) {
        struct store_node node = {0};
        int rc = store_get(env->store, jobs[i].account, jobs[i].uri, 1, &node, err, err_cap);
        if (rc == STORE_ENOTFOUND)
            continue;
        if (rc != STORE_OK)
            return SKALD_EIO;
        int bad = 0;
        if (node.kind == STORE_DIR) {
            if (node.l0)
                bad |= embed_add_text(texts, n_texts, &cap, i, 0, &node, node.l0, strlen(node.l0));
            if (node.l1)
                bad |= embed_add_text(texts, n_texts, &cap, i, 1, &node, node.l1, strlen(node.l1));
        } else {
            const char *text = node.summary ? node.summary : (node.content ? node.content : "");
            size_t len = node.summary ? strlen(node.summary)
                                      : embed_utf8_cut(text, node.content_len, EMBED_CONTENT_HEAD);
            /* A text with a NUL (binary content) embeds up to it. */
            len = strnlen(text, len);
            bad |= embed_add_text(texts, n_texts, &cap, i, 2, &node, len ? text : node.name,
                                  len ? len : strlen(node.name));
        }
        store_node_clear(&node);
        if (bad) {
            snprintf(err, err_cap, "out of memory");
            return SKALD_ENOMEM;
        }
    }
    return SKALD_OK;
}

static int embed_store(const struct pipeline_env *env, const struct job *jobs,
                       const struct embed_text *texts, size_t n_texts, char *err, size_t err_cap)
{
    struct plugin_instance *emb = pipeline_env_backend(env, BACKEND_EMBEDDING);
    struct plugin_instance *vec = pipeline_env_backend(env, BACKEND_VECTOR);
    const struct skald_embedding_ops *eops = plugin_instance_ops(emb, embedding);
    uint32_t dims = eops->dimensions(emb->handle), batch = eops->max_batch(emb->handle);
    uint32_t vdims = plugin_instance_ops(vec, vector)->dimensions(vec->handle);
    if (dims != vdims) {
        snprintf(err, err_cap, "[embedding] gives %u dimensions but [vector] holds %u", dims, vdims);
        return SKALD_EINVAL;
    }
    float *vectors = malloc((size_t)n_texts * dims * sizeof *vectors);
    const char **strs = calloc(n_texts, sizeof *strs);
    struct skald_vector_record *records = calloc(n_texts, sizeof *records);
    char (*ids)[VIKING_URI_MAX + 2 * AUTH_ID_MAX + 8] = calloc(n_texts, sizeof *ids);
    int rc = vectors && strs && records && ids ? SKALD_OK : SKALD_ENOMEM;
    if (rc != SKALD_OK)
        snprintf(err, err_cap, "out of memory");
    for (size_t i = 0; rc == SKALD_OK && i < n_texts; i++)
        strs[i] = texts[i].text;
    struct skald_call_ctx ctx;
    pipeline_env_ctx(env, &ctx, err, err_cap);
    for (size_t off = 0; rc == SKALD_OK && off < n_texts; off += batch) {
        size_t chunk = n_texts - off < batch ? n_texts - off : batch;
        rc = eops->embed(emb->handle, &ctx, strs + off, chunk, vectors + off * dims);
    }
    for (size_t i = 0; rc == SKALD_OK && i < n_texts; i++) {
        const struct job *j = &jobs[texts[i].job];
        job_vector_id(j->account, texts[i].level, j->uri, ids[i], sizeof ids[i]);
        records[i] = (struct skald_vector_record){ids[i], j->account, j->uri, texts[i].metadata,
                                                  vectors + i * dims, dims};
    }
    if (rc == SKALD_OK)
        rc = plugin_instance_ops(vec, vector)->upsert(vec->handle, &ctx, records, n_texts);
    free(vectors);
    free(strs);
    free(records);
    free(ids);
    return rc;
}

int embed_jobs_done(const struct pipeline_env *env, const struct job *jobs, size_t n, char *err,
                    size_t err_cap)
{
    struct store_state_update *done = calloc(n ? n : 1, sizeof *done);
    if (!done) {
        snprintf(err, err_cap, "out of memory");
        return SKALD_ENOMEM;
    }
    for (size_t i = 0; i < n; i++)
        done[i] = (struct store_state_update){jobs[i].account, jobs[i].uri, 1, STORE_PROC_DONE, NULL};
    /* One write for the whole batch: per-node commits would cost more than the embedding. */
    int rc = store_set_states(env->store, done, n, NULL, err, err_cap) == STORE_OK ? SKALD_OK
                                                                                   : SKALD_EIO;
    free(done);
    return rc;
}

int embed_jobs_run(const struct pipeline_env *env, const struct job *jobs, size_t n, char *err,
                   size_t err_cap)
{
    struct embed_text *texts = NULL;
    size_t n_texts = 0;
    int rc = embed_collect(env, jobs, n, &texts, &n_texts, err, err_cap);
    if (rc == SKALD_OK && n_texts > 0)
        rc = embed_store(env, jobs, texts, n_texts, err, err_cap);
    for (size_t i = 0; i < n_texts; i++) {
        free(texts[i].text);
        free(texts[i].metadata);
    }
    free(texts);
    return rc;
}
