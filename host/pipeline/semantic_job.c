/*
 * A directory's semantic layer, bottom-up: each file gets a summary (the text of its L2 vector and
 * its line in the directory's overview), the directory gets an L1 overview from its children and
 * an L0 abstract from that overview. Results are stored only if the directory did not change
 * meanwhile (its revision); a change enqueues a fresh job anyway.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline/pipeline.h"
#include "pipeline/pipeline_env.h"
#include "pipeline/summarize.h"

/* Children summarised into one overview; a bigger directory is summarised from its first ones. */
#define SEMANTIC_MAX_CHILDREN 32
/* How long a big parent's refresh waits for more of its children to finish. */
#define SEMANTIC_PARENT_DELAY_MS 1000

struct semantic_child {
    char *uri;
    char *name;
    enum store_kind kind;
    char *text;                     /* file summary or directory L0; may be NULL */
    enum store_proc_state semantic; /* directories */
    enum store_proc_state vectors;
};

struct semantic_children {
    struct semantic_child *items;
    size_t n, cap, total;
    int oom;
};

static int semantic_collect(void *arg, const struct store_node *node)
{
    struct semantic_children *c = arg;
    c->total++;
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 16;
        struct semantic_child *grown = realloc(c->items, cap * sizeof *grown);
        if (!grown) {
            c->oom = 1;
            return 1;
        }
        c->items = grown;
        c->cap = cap;
    }
    struct semantic_child *ch = &c->items[c->n];
    const char *text = node->kind == STORE_DIR ? node->l0 : node->summary;
    ch->uri = strdup(node->uri);
    ch->name = strdup(node->name);
    ch->text = text ? strdup(text) : NULL;
    ch->kind = node->kind;
    ch->semantic = node->semantic;
    ch->vectors = node->vectors;
    if (!ch->uri || !ch->name || (text && !ch->text)) {
        free(ch->uri);
        free(ch->name);
        free(ch->text);
        c->oom = 1;
        return 1;
    }
    c->n++;
    return 0;
}

static void semantic_children_free(struct semantic_children *c)
{
    for (size_t i = 0; i < c->n; i++) {
        free(c->items[i].uri);
        free(c->items[i].name);
        free(c->items[i].text);
    }
    free(c->items);
}

/* A file's summary: made when missing or when the file changed since (vectors PENDING). */
static int semantic_file_summary(const struct pipeline_env *env, const char *account,
                                 struct semantic_child *ch, char *err, size_t err_cap)
{
    if (ch->text && ch->vectors != STORE_PROC_PENDING)
        return SKALD_OK;
    struct store_node file = {0};
    int rc = store_get(env->store, account, ch->uri, 1, &file, err, err_cap);
    if (rc == STORE_ENOTFOUND)
        return SKALD_OK;
    if (rc != STORE_OK)
        return SKALD_EIO;
    struct skald_call_ctx ctx;
    pipeline_env_ctx(env, &ctx, err, err_cap);
    char *summary = NULL;
    rc = summarize(pipeline_env_backend(env, BACKEND_VLM), &ctx, SUMMARY_ABSTRACT, file.name,
                   file.content ? file.content : "", file.content_len, &summary);
    if (rc == SKALD_OK) {
        int src = store_set_summary(env->store, account, ch->uri, summary, file.revision, err, err_cap);
        /* The summary is the text of the file's L2 vector: one embedded earlier from the raw
         * content (a write queues it at once) is redone. */
        if (src == STORE_OK && ch->vectors == STORE_PROC_DONE)
            src = store_set_state(env->store, account, ch->uri, 1, STORE_PROC_PENDING, NULL, err,
                                  err_cap);
        if (src == STORE_OK)
            ch->vectors = STORE_PROC_PENDING;
        if (src != STORE_OK && src != STORE_ECONFLICT && src != STORE_ENOTFOUND)
            rc = SKALD_EIO;
        free(ch->text);
        ch->text = summary;
    }
    store_node_clear(&file);
    return rc;
}

/* The overview's input: the directory's name, then one section per child. */
static char *semantic_overview_input(const char *name, const struct semantic_children *c,
                                     size_t *len)
{
    char *buf = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&buf, &size);
    if (!f)
        return NULL;
    fprintf(f, "# %s\n\n", name[0] ? name : "(root)");
    size_t shown = c->n < SEMANTIC_MAX_CHILDREN ? c->n : SEMANTIC_MAX_CHILDREN;
    for (size_t i = 0; i < shown; i++) {
        const struct semantic_child *ch = &c->items[i];
        fprintf(f, "## %s%s\n\n%s\n\n", ch->name, ch->kind == STORE_DIR ? "/" : "",
                ch->text ? ch->text : "");
    }
    if (c->total > shown)
        fprintf(f, "(%zu more entries)\n", c->total - shown);
    if (fclose(f) != 0) {
        free(buf);
        return NULL;
    }
    *len = size;
    return buf;
}

/* Scope roots have no sidecars of their own: the climb stops below them. */
static int semantic_is_scope_root(const char *uri)
{
    return strcmp(uri, "viking://") == 0 || strcmp(uri, "viking://resources") == 0 ||
           strcmp(uri, "viking://user") == 0 || strcmp(uri, "viking://agent") == 0;
}

struct pending_dirs {
    int pending;
};

static int semantic_count_pending_dir(void *arg, const struct store_node *node)
{
    struct pending_dirs *p = arg;
    if (node->kind == STORE_DIR && node->semantic == STORE_PROC_PENDING) {
        p->pending = 1;
        return 1;
    }
    return 0;
}

/* When the parent's refresh should run: a small parent at once, unless a sibling directory is
 * still waiting (it queues the refresh when it finishes; *delay_ms = -1: none now); a big one a
 * little later, whatever its children do, so no child lists thousands of siblings. */
static int semantic_parent_delay(const struct pipeline_env *env, const char *account,
                                 const char *parent, int64_t *delay_ms, char *err, size_t err_cap)
{
    struct store_node p = {0};
    int rc = store_get(env->store, account, parent, 0, &p, err, err_cap);
    uint64_t children = p.child_count;
    store_node_clear(&p);
    if (rc == STORE_ENOTFOUND) {
        *delay_ms = -1;
        return SKALD_OK;
    }
    if (rc != STORE_OK)
        return SKALD_EIO;
    if (children > SEMANTIC_MAX_CHILDREN) {
        *delay_ms = SEMANTIC_PARENT_DELAY_MS;
        return SKALD_OK;
    }
    struct pending_dirs pd = {0};
    rc = store_list(env->store, account, parent, semantic_count_pending_dir, &pd, err, err_cap);
    if (rc != STORE_OK && rc != STORE_ENOTFOUND)
        return SKALD_EIO;
    *delay_ms = pd.pending || rc == STORE_ENOTFOUND ? -1 : 0;
    return SKALD_OK;
}

/* After a directory is done: its vectors, those of its files that changed, and its parent's
 * refresh (see semantic_parent_delay). Siblings finishing meanwhile merge into one queued refresh
 * (the queue's dedupe), so a folder of thousands of documents is summarised about once a second,
 * never once per child, and the last refresh comes after the last child. */
static int semantic_after_directory(const struct pipeline_env *env, const struct job *j,
                                    const struct semantic_children *c, char *err, size_t err_cap)
{
    struct job *next = calloc(c->n + 2, sizeof *next);
    if (!next) {
        snprintf(err, err_cap, "out of memory");
        return SKALD_ENOMEM;
    }
    size_t n = 0;
    if (job_make(&next[n], JOB_EMBED, j->account, j->uri, j->task_id) == 0)
        n++;
    for (size_t i = 0; i < c->n; i++)
        if (c->items[i].kind == STORE_FILE && c->items[i].vectors != STORE_PROC_DONE &&
            job_make(&next[n], JOB_EMBED, j->account, c->items[i].uri, j->task_id) == 0)
            n++;
    char parent[VIKING_URI_MAX + 1];
    int rc = SKALD_OK;
    if (viking_uri_parent(j->uri, parent, sizeof parent) == 0 && !semantic_is_scope_root(parent) &&
        job_make(&next[n], JOB_SEMANTIC, j->account, parent, j->task_id) == 0) {
        int64_t delay = 0;
        rc = semantic_parent_delay(env, j->account, parent, &delay, err, err_cap);
        if (rc == SKALD_OK && delay >= 0) {
            next[n].delay_ms = delay;
            n++;
        }
    }
    if (rc == SKALD_OK)
        rc = pipeline_submit(env->app, env->gen, env->store, next, n,
                             j->task_id[0] ? j->task_id : NULL, err, err_cap);
    free(next);
    return rc;
}

int semantic_job_run(const struct pipeline_env *env, const struct job *j, char *err, size_t err_cap)
{
    struct store_node dir = {0};
    int rc = store_get(env->store, j->account, j->uri, 0, &dir, err, err_cap);
    if (rc == STORE_ENOTFOUND)
        return SKALD_OK; /* removed since: nothing to summarise */
    if (rc != STORE_OK)
        return SKALD_EIO;
    if (dir.kind != STORE_DIR) {
        store_node_clear(&dir);
        return SKALD_OK;
    }
    struct semantic_children c = {0};
    rc = store_list(env->store, j->account, j->uri, semantic_collect, &c, err, err_cap);
    if (rc != STORE_OK || c.oom) {
        if (c.oom)
            snprintf(err, err_cap, "out of memory");
        rc = c.oom ? SKALD_ENOMEM : SKALD_EIO;
        goto done;
    }
    size_t summarised = c.n < SEMANTIC_MAX_CHILDREN ? c.n : SEMANTIC_MAX_CHILDREN;
    for (size_t i = 0; i < summarised; i++)
        if (c.items[i].kind == STORE_FILE &&
            (rc = semantic_file_summary(env, j->account, &c.items[i], err, err_cap)) != SKALD_OK)
            goto done;
    size_t in_len = 0;
    char *input = semantic_overview_input(dir.name, &c, &in_len);
    if (!input) {
        snprintf(err, err_cap, "out of memory");
        rc = SKALD_ENOMEM;
        goto done;
    }
    struct skald_call_ctx ctx;
    pipeline_env_ctx(env, &ctx, err, err_cap);
    char *l1 = NULL, *l0 = NULL;
    struct plugin_instance *vlm = pipeline_env_backend(env, BACKEND_VLM);
    rc = summarize(vlm, &ctx, SUMMARY_OVERVIEW, dir.name, input, in_len, &l1);
    free(input);
    if (rc == SKALD_OK)
        rc = summarize(vlm, &ctx, SUMMARY_ABSTRACT, dir.name, l1, strlen(l1), &l0);
    if (rc == SKALD_OK) {
        int src = store_set_sidecars(env->store, j->account, j->uri, l0, l1, dir.revision, err,
                                     err_cap);
        if (src == STORE_OK)
            rc = semantic_after_directory(env, j, &c, err, err_cap);
        else if (src != STORE_ECONFLICT && src != STORE_ENOTFOUND)
            rc = SKALD_EIO;
    }
    free(l0);
    free(l1);
done:
    semantic_children_free(&c);
    store_node_clear(&dir);
    return rc;
}

int semantic_job_give_up(const struct pipeline_env *env, const struct job *j, const char *error,
                         char *err, size_t err_cap)
{
    int rc = store_set_state(env->store, j->account, j->uri, 0, STORE_PROC_FAILED, error, err,
                             err_cap);
    if (rc == STORE_ENOTFOUND)
        return SKALD_OK;
    if (rc != STORE_OK)
        return SKALD_EIO;
    struct semantic_children c = {0};
    rc = store_list(env->store, j->account, j->uri, semantic_collect, &c, err, err_cap);
    if (rc == STORE_OK && !c.oom)
        rc = semantic_after_directory(env, j, &c, err, err_cap);
    else
        rc = rc == STORE_ENOTFOUND || rc == STORE_ENOTDIR ? SKALD_OK : SKALD_EIO;
    semantic_children_free(&c);
    return rc;
}
