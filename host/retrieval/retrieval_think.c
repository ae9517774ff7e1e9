/*
 * THINKING: hierarchical retrieval with the reranker (OpenViking section 7), on one pass over the
 * vectors. The scan gathers a pool of candidates inside the targets (every level, so directories
 * are there to navigate by); then, in memory:
 *  1. the best directories' L0/L1 are the starting points, reranked by their abstracts; the
 *     target roots come first;
 *  2. a priority queue pops the most promising directory and takes its children from the pool:
 *     hits (score = alpha * child + (1 - alpha) * parent, alpha 1 as upstream) and child
 *     directories, pushed with their own score blended with their parent's;
 *  3. it stops once the top-k has not changed for THINK_STABLE_ROUNDS rounds;
 *  4. the best hits are reranked once more, with the query, to give the final order.
 * A pool that was cut short by the filters is topped up by a filtered flat scan, so a hierarchical
 * find never answers fewer hits than a flat one would. Scanning once keeps a THINKING find as
 * cheap as a QUICK one: the hierarchy costs memory walks and one or two rerank calls.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "retrieval/retrieval_internal.h"
#include "retrieval/retrieval_score.h"
#include "uri/viking_uri.h"

#define THINK_MIN_WANT 10
#define THINK_POOL_FACTOR 20   /* candidates scanned per hit wanted */
#define THINK_POOL_MAX 20000
#define THINK_RERANK_FACTOR 3  /* hits reranked per hit wanted */
#define THINK_NAV_ALPHA 0.5f   /* a child directory's priority: its own score vs its parent's */
#define THINK_HIT_ALPHA 1.0f   /* a hit's score: its own vs its directory's */
#define THINK_STABLE_ROUNDS 3
#define THINK_MAX_ROUNDS 256

struct think_dir {
    char *uri;
    float order;  /* pop order */
    float score;  /* what its children inherit */
    int is_root;
    int visited;
};

struct think {
    const struct retrieval_env *env;
    const struct retrieval_spec *spec;
    unsigned ctypes;
    struct retrieval_hits pool; /* candidates in scope, by vector score */
    struct think_dir *dirs;
    size_t n_dirs, cap_dirs;
    struct retrieval_hits *out;
    struct retrieval_trace *trace;
    char **top;                 /* URIs of the top-k after the previous round */
    size_t n_top;
};

static int think_in_scope(void *arg, struct retrieval_record *r, float score)
{
    (void)score;
    const struct think *t = arg;
    return retrieval_spec_in_scope(t->spec, t->env->who, r) &&
           (retrieval_ctype_bit(r->context_type) & t->spec->ctypes & t->ctypes);
}

static int think_accepts(const struct think *t, struct retrieval_record *r)
{
    return retrieval_spec_accepts(t->spec, r) && (retrieval_ctype_bit(r->context_type) & t->ctypes);
}

/* Adds a directory to the queue, or raises its priority. -1 when out of memory. */
static int think_push(struct think *t, const char *uri, float order, float score, int is_root)
{
    for (size_t i = 0; i < t->n_dirs; i++) {
        struct think_dir *d = &t->dirs[i];
        if (strcmp(d->uri, uri) != 0)
            continue;
        if (!d->visited && order > d->order) {
            d->order = order;
            d->score = score;
        }
        return 0;
    }
    if (t->n_dirs == t->cap_dirs) {
        size_t cap = t->cap_dirs ? t->cap_dirs * 2 : 32;
        struct think_dir *grown = realloc(t->dirs, cap * sizeof *grown);
        if (!grown)
            return -1;
        t->dirs = grown;
        t->cap_dirs = cap;
    }
    char *copy = strdup(uri);
    if (!copy)
        return -1;
    t->dirs[t->n_dirs++] = (struct think_dir){copy, order, score, is_root, 0};
    return 0;
}

static struct think_dir *think_pop(struct think *t)
{
    struct think_dir *best = NULL;
    for (size_t i = 0; i < t->n_dirs; i++)
        if (!t->dirs[i].visited && (!best || t->dirs[i].order > best->order))
            best = &t->dirs[i];
    if (best)
        best->visited = 1;
    return best;
}

/* The roots: the targets, or the three scopes for a search of the whole account. They are
 * walked first, so nothing stored directly under a root is out of reach. */
static int think_push_roots(struct think *t)
{
    static const char *const scopes[] = {"viking://resources", "viking://user", "viking://agent"};
    size_t n = t->spec->n_targets ? t->spec->n_targets : 3;
    for (size_t i = 0; i < n; i++)
        if (think_push(t, t->spec->n_targets ? t->spec->targets[i] : scopes[i], INFINITY, 0, 1) != 0)
            return -1;
    return 0;
}

/* Starting points: the best directories of the pool, reranked by their abstracts. */
static int think_push_starts(struct think *t, const char *query, size_t want)
{
    struct retrieval_hits starts = {0};
    for (size_t i = 0; i < t->pool.n && starts.n < want; i++) {
        const struct retrieval_hit *h = &t->pool.items[i];
        if (h->rec.level < 2 && retrieval_hits_add(&starts, &h->rec, h->vector_score, h->vector_score) < 0) {
            retrieval_hits_free(&starts);
            return -1;
        }
    }
    if (retrieval_rerank(t->env, query, starts.items, starts.n, t->trace->rerank_error,
                         sizeof t->trace->rerank_error) != 0)
        t->trace->rerank_fallback = 1;
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < starts.n; i++)
        rc = think_push(t, starts.items[i].rec.uri, starts.items[i].score, starts.items[i].score, 0);
    retrieval_hits_free(&starts);
    return rc;
}

/* The child of dir on the way to uri ("viking://a/b" under "viking://a" for "viking://a/b/c"),
 * into out; 1 when uri itself is that child, 0 when it lies deeper, -1 when not under dir. */
static int think_child_of(const char *dir, const char *uri, char *out, size_t cap)
{
    int root = strcmp(dir, "viking://") == 0;
    size_t n = strlen(dir);
    if (strcmp(uri, dir) == 0 || !viking_uri_is_under(uri, dir))
        return -1;
    const char *rest = uri + n + (root ? 0 : 1);
    const char *slash = strchr(rest, '/');
    size_t len = slash ? (size_t)(slash - uri) : strlen(uri);
    if (len >= cap)
        return -1;
    memcpy(out, uri, len);
    out[len] = '\0';
    return slash ? 0 : 1;
}

/* One round: the directory's own records and its children. */
static int think_expand(struct think *t, const struct think_dir *d)
{
    char dir[VIKING_URI_MAX + 1], child[VIKING_URI_MAX + 1];
    snprintf(dir, sizeof dir, "%s", d->uri);
    float parent = d->score;
    int is_root = d->is_root;
    for (size_t i = 0; i < t->pool.n; i++) {
        struct retrieval_hit *c = &t->pool.items[i];
        float inherit = is_root ? c->vector_score : parent;
        int kind = strcmp(c->rec.uri, dir) == 0 ? 1 : think_child_of(dir, c->rec.uri, child, sizeof child);
        if (kind < 0)
            continue;
        if (kind == 1 && think_accepts(t, &c->rec) &&
            retrieval_hits_add(t->out, &c->rec, c->vector_score,
                               retrieval_score_propagate(c->vector_score, inherit, THINK_HIT_ALPHA)) < 0)
            return -1;
        if (strcmp(c->rec.uri, dir) == 0 || (kind == 1 && c->rec.level == 2))
            continue;
        /* A directory, named by its own record or lying on the way to a deeper candidate. */
        float prio = retrieval_score_propagate(c->vector_score, inherit, THINK_NAV_ALPHA);
        if (think_push(t, kind == 1 ? c->rec.uri : child, prio, prio, 0) != 0)
            return -1;
    }
    return 0;
}

/* Whether the top-k of the answer is what it was after the previous round. */
static int think_stable(struct think *t)
{
    retrieval_hits_sort(t->out);
    size_t k = t->out->n < (size_t)t->spec->limit ? t->out->n : (size_t)t->spec->limit;
    int same = k == t->n_top;
    for (size_t i = 0; same && i < k; i++)
        same = strcmp(t->top[i], t->out->items[i].rec.uri) == 0;
    if (same)
        return 1;
    for (size_t i = 0; i < t->n_top; i++)
        free(t->top[i]);
    t->n_top = 0;
    for (size_t i = 0; i < k; i++) {
        if (!(t->top[i] = strdup(t->out->items[i].rec.uri)))
            return -1;
        t->n_top = i + 1;
    }
    return 0;
}

static int think_walk(struct think *t)
{
    int stable = 0;
    for (int round = 0; round < THINK_MAX_ROUNDS && stable < THINK_STABLE_ROUNDS; round++) {
        if (skald_call_check(t->env->ctx, clock_monotonic_ns()) != SKALD_OK)
            break;
        struct think_dir *d = think_pop(t);
        if (!d)
            break;
        int d_is_root = d->is_root;
        json_array_append_new(t->trace->searched_dirs, json_string(d->uri));
        if (think_expand(t, d) != 0)
            return -1;
        int s = think_stable(t);
        if (s < 0)
            return -1;
        /* Roots are all walked: only rounds in directories count towards stopping. */
        if (!d_is_root)
            stable = s ? stable + 1 : 0;
    }
    return 0;
}

static int think_topup_accept(void *arg, struct retrieval_record *r, float score)
{
    (void)score;
    const struct think *t = arg;
    return think_in_scope(arg, r, score) && think_accepts(t, r);
}

/* The final order: the best hits reranked once more, then the threshold and the limit. */
static void think_finish(struct think *t, const char *query, size_t want)
{
    retrieval_hits_sort_vector(t->out);
    retrieval_hits_truncate(t->out, want * THINK_RERANK_FACTOR);
    if (!t->trace->rerank_fallback) {
        if (retrieval_rerank(t->env, query, t->out->items, t->out->n, t->trace->rerank_error,
                             sizeof t->trace->rerank_error) == 0)
            t->trace->reranked = t->out->n > 0;
        else
            t->trace->rerank_fallback = 1;
    }
    if (t->trace->rerank_fallback)
        for (size_t i = 0; i < t->out->n; i++)
            t->out->items[i].score = t->out->items[i].vector_score;
    size_t kept = 0;
    for (size_t i = 0; i < t->out->n; i++) {
        struct retrieval_hit *h = &t->out->items[i];
        if (retrieval_spec_score_ok(t->spec, h->score))
            t->out->items[kept++] = *h;
        else
            retrieval_record_clear(&h->rec);
    }
    t->out->n = kept;
    retrieval_hits_sort(t->out);
    retrieval_hits_truncate(t->out, (size_t)t->spec->limit);
}

int retrieval_think(const struct retrieval_env *env, const struct retrieval_spec *spec,
                    unsigned ctypes, const char *query, const float *qvec, uint32_t dims,
                    struct retrieval_hits *out, struct retrieval_trace *trace, char *err,
                    size_t err_cap)
{
    size_t want = (size_t)spec->limit > THINK_MIN_WANT ? (size_t)spec->limit : THINK_MIN_WANT;
    struct think t = {.env = env, .spec = spec, .ctypes = ctypes, .out = out, .trace = trace};
    trace->thinking = 1;
    t.top = calloc((size_t)spec->limit, sizeof *t.top);
    int more = 0, rc = t.top ? SKALD_OK : SKALD_ENOMEM;
    struct retrieval_scan_req req = {qvec, dims, (const char *const *)spec->targets,
                                     spec->n_targets,
                                     want * THINK_POOL_FACTOR < THINK_POOL_MAX ? want * THINK_POOL_FACTOR
                                                                               : THINK_POOL_MAX,
                                     think_in_scope, &t};
    if (rc == SKALD_OK)
        rc = retrieval_scan(env, &req, &t.pool, &more, err, err_cap);
    if (rc == SKALD_OK) {
        retrieval_hits_sort_vector(&t.pool);
        if (think_push_roots(&t) != 0 || think_push_starts(&t, query, want) != 0 || think_walk(&t) != 0)
            rc = SKALD_ENOMEM;
    }
    if (rc == SKALD_OK && out->n < (size_t)spec->limit && more) {
        struct retrieval_hits extra = {0};
        struct retrieval_scan_req topup = {qvec, dims, (const char *const *)spec->targets,
                                           spec->n_targets, (size_t)spec->limit,
                                           think_topup_accept, &t};
        rc = retrieval_scan(env, &topup, &extra, NULL, err, err_cap);
        for (size_t i = 0; rc == SKALD_OK && i < extra.n; i++)
            if (retrieval_hits_add(out, &extra.items[i].rec, extra.items[i].vector_score,
                                   extra.items[i].vector_score) < 0)
                rc = SKALD_ENOMEM;
        retrieval_hits_free(&extra);
    }
    if (rc == SKALD_OK)
        think_finish(&t, query, want);
    if (rc == SKALD_ENOMEM && !err[0])
        snprintf(err, err_cap, "out of memory");
    for (size_t i = 0; i < t.n_dirs; i++)
        free(t.dirs[i].uri);
    free(t.dirs);
    for (size_t i = 0; i < t.n_top; i++)
        free(t.top[i]);
    free(t.top);
    retrieval_hits_free(&t.pool);
    return rc;
}
