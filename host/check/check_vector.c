/* Vector store contract: atomic upserts of the right length, best-first search within account and
 * URI filters, list/count/remove/remove_prefix, and durability as the plugin declares it. */
#include <stdio.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check/check_session.h"

#define CHECK_VECTOR_N 3

struct check_vector_hits {
    char ids[16][32];
    float scores[16];
    int metadata_ok;
    size_t n;
};

static int check_vector_collect(void *arg, const struct skald_vector_hit *hit)
{
    struct check_vector_hits *h = arg;
    if (h->n < 16) {
        snprintf(h->ids[h->n], sizeof h->ids[h->n], "%s", hit->id);
        h->scores[h->n] = hit->score;
        if (strcmp(hit->id, "r1") == 0)
            h->metadata_ok = hit->metadata && strcmp(hit->metadata, "{\"n\":1}") == 0;
    }
    h->n++;
    return 0;
}

/* A unit vector per index: different directions, so each is its own best match. */
static void check_vector_fill(float *v, uint32_t dims, int i)
{
    double norm = 0;
    for (uint32_t d = 0; d < dims; d++) {
        v[d] = (float)sin((double)(d + 1) * (i + 1) * 0.7);
        norm += (double)v[d] * v[d];
    }
    for (uint32_t d = 0; d < dims; d++)
        v[d] = (float)(v[d] / sqrt(norm));
}

static uint64_t check_vector_count(struct check_session *s, const struct skald_vector_ops *ops,
                                   void *handle)
{
    uint64_t n = 0;
    struct skald_call_ctx ctx = check_ctx(s, CHECK_CTX_LIVE);
    if (ops->count(handle, &ctx, NULL, &n) != SKALD_OK)
        return UINT64_MAX;
    return n;
}

static void check_vector_search(struct check_session *s, struct plugin_instance *inst,
                                const float *v, uint32_t dims)
{
    struct check_report *r = &s->report;
    const struct skald_vector_ops *ops = plugin_instance_ops(inst, vector);
    struct check_vector_hits hits = {.n = 0};
    struct skald_call_ctx ctx = check_ctx(s, CHECK_CTX_LIVE);
    int rc = ops->search(inst->handle, &ctx, v + dims, dims, 3, NULL, check_vector_collect, &hits);
    if (check_result(r, rc == SKALD_OK && hits.n == 3, "search k=3 gives 3 hits", "%s, %zu hits: %s",
                     check_status_name(rc), hits.n, s->err)) {
        check_result(r, dims < 2 || strcmp(hits.ids[0], "r1") == 0,
                     "a record's own vector finds it first", "first hit was %s", hits.ids[0]);
        check_result(r, hits.scores[0] >= hits.scores[1] && hits.scores[1] >= hits.scores[2],
                     "hits come best first", "scores %g %g %g", hits.scores[0], hits.scores[1],
                     hits.scores[2]);
        check_result(r, fabsf(hits.scores[0] - 1.0f) < 1e-3f || dims < 2,
                     "score is the inner product", "self score %g, want 1", hits.scores[0]);
        check_result(r, hits.metadata_ok, "metadata comes back with the hit", "missing or changed");
    }
    struct skald_vector_filter by_account = {"acme", NULL, 0};
    memset(&hits, 0, sizeof hits);
    ctx = check_ctx(s, CHECK_CTX_LIVE);
    rc = ops->search(inst->handle, &ctx, v, dims, 10, &by_account, check_vector_collect, &hits);
    check_result(r, rc == SKALD_OK && hits.n == 2, "account filter keeps to the account",
                 "%s, %zu hits (want 2)", check_status_name(rc), hits.n);
    const char *prefixes[] = {"viking://resources/b/"};
    struct skald_vector_filter by_prefix = {NULL, prefixes, 1};
    memset(&hits, 0, sizeof hits);
    ctx = check_ctx(s, CHECK_CTX_LIVE);
    rc = ops->search(inst->handle, &ctx, v, dims, 10, &by_prefix, check_vector_collect, &hits);
    check_result(r, rc == SKALD_OK && hits.n == 1 && strcmp(hits.ids[0], "r2") == 0,
                 "URI prefix filter keeps to the prefix", "%s, %zu hits", check_status_name(rc),
                 hits.n);
    ctx = check_ctx(s, CHECK_CTX_EXPIRED);
    rc = ops->search(inst->handle, &ctx, v, dims, 3, NULL, check_vector_collect, &hits);
    check_result(r, rc == SKALD_ETIMEDOUT, "expired deadline gives SKALD_ETIMEDOUT", "got %s",
                 check_status_name(rc));
}

/* One of eight threads: 50 upserts of its own ids interleaved with searches. */
static int check_vector_thread(void *arg, int index)
{
    struct plugin_instance *inst = arg;
    const struct skald_vector_ops *ops = plugin_instance_ops(inst, vector);
    uint32_t dims = ops->dimensions(inst->handle);
    atomic_int never = 0;
    char err[256];
    float *v = calloc(dims, sizeof *v);
    if (!v)
        return 1;
    check_vector_fill(v, dims, index);
    int bad = 0;
    for (int k = 0; k < 50 && !bad; k++) {
        char id[32], uri[64];
        snprintf(id, sizeof id, "t%d-%d", index, k);
        snprintf(uri, sizeof uri, "viking://resources/t%d/%d", index, k);
        struct skald_vector_record rec = {id, "acme", uri, NULL, v, dims};
        struct skald_call_ctx ctx = {sizeof ctx, 0, 0, &never, err, sizeof err};
        struct check_vector_hits hits = {.n = 0};
        if (ops->upsert(inst->handle, &ctx, &rec, 1) != SKALD_OK ||
            ops->search(inst->handle, &ctx, v, dims, 5, NULL, check_vector_collect, &hits) !=
                SKALD_OK ||
            hits.n == 0)
            bad = 1;
    }
    free(v);
    return bad;
}

/* Run in a child that is killed right after: one acknowledged upsert. */
static int check_vector_upsert_one(struct check_session *s, struct plugin_instance *inst)
{
    const struct skald_vector_ops *ops = plugin_instance_ops(inst, vector);
    uint32_t dims = ops->dimensions(inst->handle);
    float *v = calloc(dims, sizeof *v);
    if (!v)
        return -1;
    check_vector_fill(v, dims, 7);
    struct skald_vector_record rec = {"killed", "acme", "viking://resources/k", NULL, v, dims};
    struct skald_call_ctx ctx = check_ctx(s, CHECK_CTX_LIVE);
    int rc = ops->upsert(inst->handle, &ctx, &rec, 1);
    free(v);
    return rc;
}

void check_vector(struct check_session *s, struct plugin_instance *inst)
{
    struct check_report *r = &s->report;
    const struct skald_vector_ops *ops = plugin_instance_ops(inst, vector);
    uint32_t dims = ops->dimensions(inst->handle);
    if (!check_result(r, dims > 0, "dimensions > 0", "dimensions() returned 0"))
        return;
    float *v = calloc((size_t)(CHECK_VECTOR_N + 1) * (dims + 1), sizeof *v);
    if (!v) {
        check_result(r, 0, "vector buffers", "out of memory");
        return;
    }
    for (int i = 0; i <= CHECK_VECTOR_N; i++)
        check_vector_fill(v + (size_t)i * dims, dims, i);
    static const char *const ids[] = {"r0", "r1", "r2"};
    static const char *const accounts[] = {"acme", "acme", "other"};
    static const char *const uris[] = {"viking://resources/a/x", "viking://resources/a/y",
                                       "viking://resources/b/z"};
    static const char *const metas[] = {"{\"n\":0}", "{\"n\":1}", NULL};
    struct skald_vector_record recs[CHECK_VECTOR_N];
    for (int i = 0; i < CHECK_VECTOR_N; i++)
        recs[i] = (struct skald_vector_record){ids[i], accounts[i], uris[i], metas[i],
                                               v + (size_t)i * dims, dims};
    struct skald_call_ctx ctx = check_ctx(s, CHECK_CTX_LIVE);
    int rc = ops->upsert(inst->handle, &ctx, recs, CHECK_VECTOR_N);
    if (!check_result(r, rc == SKALD_OK, "upsert 3 records", "%s: %s", check_status_name(rc),
                      s->err)) {
        free(v);
        return;
    }
    check_result(r, check_vector_count(s, ops, inst->handle) == 3, "count is 3", "count %llu",
                 (unsigned long long)check_vector_count(s, ops, inst->handle));
    check_vector_search(s, inst, v, dims);

    struct skald_vector_record again = {"r0", "acme", uris[0], NULL, v + 3 * (size_t)dims, dims};
    ctx = check_ctx(s, CHECK_CTX_LIVE);
    rc = ops->upsert(inst->handle, &ctx, &again, 1);
    check_result(r, rc == SKALD_OK && check_vector_count(s, ops, inst->handle) == 3,
                 "upsert of an existing id replaces it", "%s, count %llu", check_status_name(rc),
                 (unsigned long long)check_vector_count(s, ops, inst->handle));
    struct skald_vector_record wrong[2] = {{"r9", "acme", uris[0], NULL, v, dims},
                                           {"r8", "acme", uris[0], NULL, v, dims + 1}};
    ctx = check_ctx(s, CHECK_CTX_LIVE);
    rc = ops->upsert(inst->handle, &ctx, wrong, 2);
    check_result(r, rc == SKALD_EINVAL, "a record of the wrong length is refused", "got %s",
                 check_status_name(rc));
    check_result(r, check_vector_count(s, ops, inst->handle) == 3,
                 "a refused upsert stores none of its records", "count %llu",
                 (unsigned long long)check_vector_count(s, ops, inst->handle));

    struct check_vector_hits listed = {.n = 0};
    ctx = check_ctx(s, CHECK_CTX_LIVE);
    rc = ops->list(inst->handle, &ctx, NULL, check_vector_collect, &listed);
    check_result(r, rc == SKALD_OK && listed.n == 3, "list visits every record", "%s, %zu visited",
                 check_status_name(rc), listed.n);

    const char *gone[] = {"r2", "no-such-id"};
    uint64_t removed = 0;
    ctx = check_ctx(s, CHECK_CTX_LIVE);
    rc = ops->remove(inst->handle, &ctx, gone, 2, &removed);
    check_result(r, rc == SKALD_OK && removed == 1, "remove counts only what existed",
                 "%s, removed %llu", check_status_name(rc), (unsigned long long)removed);
    ctx = check_ctx(s, CHECK_CTX_LIVE);
    rc = ops->remove_prefix(inst->handle, &ctx, "acme", "viking://resources/a/", &removed);
    check_result(r, rc == SKALD_OK && removed == 2 && check_vector_count(s, ops, inst->handle) == 0,
                 "remove_prefix removes the subtree", "%s, removed %llu", check_status_name(rc),
                 (unsigned long long)removed);
    ctx = check_ctx(s, CHECK_CTX_LIVE);
    rc = ops->checkpoint(inst->handle, &ctx);
    check_result(r, rc == SKALD_OK, "checkpoint", "%s: %s", check_status_name(rc), s->err);

    int failed = check_threads(8, check_vector_thread, inst);
    uint64_t after = check_vector_count(s, ops, inst->handle);
    check_result(r, failed == 0 && after == 8 * 50,
                 "eight threads upserting and searching at once lose nothing",
                 "%d of 8 threads failed, count %llu (want 400)", failed, (unsigned long long)after);
    uint64_t removed_all = 0;
    ctx = check_ctx(s, CHECK_CTX_LIVE);
    ops->remove_prefix(inst->handle, &ctx, "acme", "viking://", &removed_all);

    if (ops->durable(inst->handle)) {
        char err[512] = "";
        int killed = check_in_killed_child(s, check_vector_upsert_one, err, sizeof err);
        uint64_t seen = check_vector_count(s, ops, inst->handle);
        check_result(r, killed == 0 && seen == 1,
                     "durable: a record acknowledged by a process killed with SIGKILL is kept",
                     "%s, count %llu (want 1)", killed == 0 ? "child killed" : err,
                     (unsigned long long)seen);
    } else {
        printf("note the store says it is volatile: records do not survive a restart\n");
    }
    free(v);
}
