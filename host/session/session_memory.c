#include "session/session_memory.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "uri/viking_uri.h"

/* Existing memories looked at per category; a bigger category is compared by its first ones. */
#define MEMORY_CANDIDATES_MAX 256

static pthread_mutex_t memory_lock = PTHREAD_MUTEX_INITIALIZER;

/* ---- Word sets ---- */

struct words {
    char **w;
    size_t n;
};

static int word_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int is_word_byte(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c >= 0x80;
}

static void words_free(struct words *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->w[i]);
    free(s->w);
}

/* Sorted, unique. -1 when out of memory. */
static int words_of(const char *text, struct words *out)
{
    memset(out, 0, sizeof *out);
    size_t cap = 0;
    for (const char *p = text; *p;) {
        while (*p && !is_word_byte((unsigned char)*p))
            p++;
        const char *start = p;
        while (*p && is_word_byte((unsigned char)*p))
            p++;
        if (p == start)
            continue;
        if (out->n == cap) {
            cap = cap ? cap * 2 : 32;
            char **grown = realloc(out->w, cap * sizeof *grown);
            if (!grown)
                goto oom;
            out->w = grown;
        }
        char *w = strndup(start, (size_t)(p - start));
        if (!w)
            goto oom;
        for (char *c = w; *c; c++)
            if (*c >= 'A' && *c <= 'Z')
                *c = (char)(*c - 'A' + 'a');
        out->w[out->n++] = w;
    }
    if (out->n)
        qsort(out->w, out->n, sizeof *out->w, word_cmp);
    size_t u = 0;
    for (size_t i = 0; i < out->n; i++) {
        if (u > 0 && strcmp(out->w[u - 1], out->w[i]) == 0) {
            free(out->w[i]);
            continue;
        }
        out->w[u++] = out->w[i];
    }
    out->n = u;
    return 0;
oom:
    words_free(out);
    return -1;
}

static size_t words_common(const struct words *a, const struct words *b)
{
    size_t i = 0, j = 0, common = 0;
    while (i < a->n && j < b->n) {
        int c = strcmp(a->w[i], b->w[j]);
        if (c == 0) {
            common++;
            i++;
            j++;
        } else if (c < 0) {
            i++;
        } else {
            j++;
        }
    }
    return common;
}

double session_memory_jaccard(const char *a, const char *b)
{
    struct words wa, wb;
    if (words_of(a, &wa) != 0)
        return 0;
    if (words_of(b, &wb) != 0) {
        words_free(&wa);
        return 0;
    }
    size_t common = words_common(&wa, &wb), all = wa.n + wb.n - common;
    words_free(&wa);
    words_free(&wb);
    return all ? (double)common / (double)all : 0;
}

double session_memory_containment(const char *a, const char *b)
{
    struct words wa, wb;
    if (words_of(a, &wa) != 0)
        return 0;
    if (words_of(b, &wb) != 0) {
        words_free(&wa);
        return 0;
    }
    double r = wa.n ? (double)words_common(&wa, &wb) / (double)wa.n : 0;
    words_free(&wa);
    words_free(&wb);
    return r;
}

/* ---- One category's existing memories ---- */

struct memory_file {
    char uri[VIKING_URI_MAX + 1];
    char *text; /* the file as stored */
};

struct memory_dir {
    char uri[VIKING_URI_MAX + 1];
    struct memory_file *files;
    size_t n;
    int loaded, touched;
};

struct list_ctx {
    struct memory_dir *d;
    int oom;
};

static int list_visit(void *arg, const struct store_node *node)
{
    struct list_ctx *c = arg;
    if (node->kind != STORE_FILE || node->name[0] == '.')
        return 0;
    if (c->d->n == MEMORY_CANDIDATES_MAX)
        return 1;
    struct memory_file *grown = realloc(c->d->files, (c->d->n + 1) * sizeof *grown);
    if (!grown) {
        c->oom = 1;
        return 1;
    }
    c->d->files = grown;
    snprintf(grown[c->d->n].uri, sizeof grown[0].uri, "%s", node->uri);
    grown[c->d->n].text = NULL;
    c->d->n++;
    return 0;
}

static int dir_load(struct store *st, const char *account, struct memory_dir *d, char *err,
                    size_t err_cap)
{
    if (d->loaded)
        return STORE_OK;
    struct list_ctx c = {d, 0};
    int rc = store_list(st, account, d->uri, list_visit, &c, err, err_cap);
    if (rc == STORE_ENOTFOUND)
        rc = STORE_OK;
    if (rc == STORE_OK && c.oom)
        rc = STORE_ENOMEM;
    for (size_t i = 0; rc == STORE_OK && i < d->n; i++) {
        struct store_node n = {0};
        int grc = store_get(st, account, d->files[i].uri, 1, &n, err, err_cap);
        if (grc == STORE_OK) {
            d->files[i].text = n.content ? n.content : strdup("");
            n.content = NULL;
            if (!d->files[i].text)
                rc = STORE_ENOMEM;
        } else if (grc != STORE_ENOTFOUND) {
            rc = grc;
        }
        store_node_clear(&n);
    }
    if (rc == STORE_ENOMEM)
        snprintf(err, err_cap, "out of memory");
    d->loaded = rc == STORE_OK;
    return rc;
}

static void dir_free(struct memory_dir *d)
{
    for (size_t i = 0; i < d->n; i++)
        free(d->files[i].text);
    free(d->files);
}

/* ---- Deciding and writing ---- */

static int diff_add(json_t *diff, const char *list, json_t *entry)
{
    json_t *arr = json_object_get(diff, list);
    if (!arr) {
        arr = json_array();
        if (!arr || json_object_set_new(diff, list, arr) != 0)
            return (json_decref(entry), -1);
    }
    return entry ? json_array_append_new(arr, entry) : -1;
}

/* The file that stands for an existing memory with the same title, or -1. */
static long dir_find(const struct memory_dir *d, const char *uri)
{
    for (size_t i = 0; i < d->n; i++)
        if (d->files[i].text && strcmp(d->files[i].uri, uri) == 0)
            return (long)i;
    return -1;
}

static int apply_one(struct store *st, const char *account, const char *user,
                     const struct extract_item *it, struct memory_dir *d, json_t *diff,
                     struct memory_counts *out, char *err, size_t err_cap)
{
    const char *category = session_extract_categories[it->category];
    char slug[64], uri[VIKING_URI_MAX + 1];
    viking_name_sanitize(it->title, slug, sizeof slug);
    for (char *c = slug; *c; c++)
        if (*c >= 'A' && *c <= 'Z')
            *c = (char)(*c - 'A' + 'a');
    if (snprintf(uri, sizeof uri, "%s/%s.md", d->uri, slug) >= (int)sizeof uri) {
        snprintf(err, err_cap, "memory URI too long");
        return STORE_EINVAL;
    }
    long best = -1;
    double best_sim = 0;
    for (size_t i = 0; i < d->n; i++) {
        if (!d->files[i].text)
            continue;
        if (session_memory_containment(it->content, d->files[i].text) >= MEMORY_SKIP_CONTAINMENT) {
            out->skipped[it->category]++;
            return diff_add(diff, "skipped",
                            json_pack("{s:s, s:s, s:s, s:s}", "category", category, "title",
                                      it->title, "uri", d->files[i].uri, "reason",
                                      "already_known")) == 0
                       ? STORE_OK
                       : STORE_ENOMEM;
        }
        double sim = session_memory_jaccard(it->content, d->files[i].text);
        if (sim > best_sim) {
            best_sim = sim;
            best = (long)i;
        }
    }
    long target = dir_find(d, uri);
    if (target < 0 && best_sim >= MEMORY_MERGE_JACCARD)
        target = best;
    char *text = NULL;
    int rc;
    if (target >= 0) {
        struct memory_file *f = &d->files[target];
        size_t old_len = strlen(f->text);
        while (old_len > 0 && f->text[old_len - 1] == '\n')
            old_len--;
        if (asprintf(&text, "%.*s\n\n%s\n", (int)old_len, f->text, it->content) < 0)
            return STORE_ENOMEM;
        rc = store_write(st, account, user, f->uri, STORE_WRITE_REPLACE, text, strlen(text), NULL,
                         err, err_cap);
        if (rc == STORE_OK &&
            diff_add(diff, "updates",
                     json_pack("{s:s, s:s, s:s, s:s, s:s}", "category", category, "title",
                               it->title, "uri", f->uri, "before", f->text, "after", text)) != 0)
            rc = STORE_ENOMEM;
        if (rc == STORE_OK) {
            free(f->text);
            f->text = text;
            text = NULL;
            out->merged[it->category]++;
        }
    } else {
        if (asprintf(&text, "# %s\n\n%s\n", it->title, it->content) < 0)
            return STORE_ENOMEM;
        rc = store_write(st, account, user, uri, STORE_WRITE_CREATE, text, strlen(text), NULL, err,
                         err_cap);
        if (rc == STORE_OK &&
            diff_add(diff, "adds",
                     json_pack("{s:s, s:s, s:s, s:s}", "category", category, "title", it->title,
                               "uri", uri, "after", text)) != 0)
            rc = STORE_ENOMEM;
        struct memory_file *grown = rc == STORE_OK ? realloc(d->files, (d->n + 1) * sizeof *grown)
                                                   : NULL;
        if (grown) {
            d->files = grown;
            snprintf(grown[d->n].uri, sizeof grown[0].uri, "%s", uri);
            grown[d->n++].text = text;
            text = NULL;
        }
        if (rc == STORE_OK)
            out->created[it->category]++;
    }
    free(text);
    if (rc == STORE_ENOMEM)
        snprintf(err, err_cap, "out of memory");
    d->touched |= rc == STORE_OK;
    return rc;
}

int session_memory_apply(struct store *st, const char *account, const char *user,
                         const struct extract_result *ex, json_t *diff, struct memory_counts *out,
                         char *err, size_t err_cap)
{
    memset(out, 0, sizeof *out);
    struct memory_dir dirs[EXTRACT_N_CATEGORIES];
    memset(dirs, 0, sizeof dirs);
    for (int c = 0; c < EXTRACT_N_CATEGORIES; c++)
        snprintf(dirs[c].uri, sizeof dirs[c].uri, "viking://user/%s/memories/%s", user,
                 session_extract_categories[c]);
    int rc = STORE_OK;
    pthread_mutex_lock(&memory_lock);
    for (size_t i = 0; rc == STORE_OK && i < ex->n; i++) {
        struct memory_dir *d = &dirs[ex->items[i].category];
        rc = dir_load(st, account, d, err, err_cap);
        if (rc == STORE_OK)
            rc = apply_one(st, account, user, &ex->items[i], d, diff, out, err, err_cap);
    }
    /* The touched directories' L0/L1 are owed now; the caller queues their jobs. */
    for (int c = 0; c < EXTRACT_N_CATEGORIES; c++) {
        if (rc == STORE_OK && dirs[c].touched)
            rc = store_set_state(st, account, dirs[c].uri, 0, STORE_PROC_PENDING, NULL, err, err_cap);
        dir_free(&dirs[c]);
    }
    pthread_mutex_unlock(&memory_lock);
    return rc;
}
