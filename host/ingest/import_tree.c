/* The import result: entries in parent-first order, a path index, warnings. */
#include "ingest/import_tree.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ingest/ingest_status.h"
#include "uri/viking_uri.h"

void import_tree_init(struct import_tree *t)
{
    memset(t, 0, sizeof *t);
}

void import_tree_free(struct import_tree *t)
{
    for (size_t i = 0; i < t->count; i++) {
        free(t->entries[i].rel_path);
        free(t->entries[i].bytes);
    }
    for (size_t i = 0; i < t->warning_count; i++)
        free(t->warnings[i]);
    free(t->entries);
    free(t->warnings);
    free(t->slots);
    import_tree_init(t);
}

int import_tree_check_path(const char *rel_path, char *err, size_t err_cap)
{
    if (!rel_path || !rel_path[0]) {
        snprintf(err, err_cap, "empty path");
        return INGEST_EINVAL;
    }
    size_t depth = 0;
    const char *seg = rel_path;
    for (;;) {
        const char *end = strchr(seg, '/');
        size_t n = end ? (size_t)(end - seg) : strlen(seg);
        if (n == 0) {
            snprintf(err, err_cap, "path '%s' has an empty segment or a leading or trailing '/'",
                     rel_path);
            return INGEST_EINVAL;
        }
        if (seg[0] == '.') {
            snprintf(err, err_cap, "path '%s' has a segment starting with '.'", rel_path);
            return INGEST_EINVAL;
        }
        if (n > VIKING_SEGMENT_MAX) {
            snprintf(err, err_cap, "path '%s' has a segment over %d bytes", rel_path,
                     VIKING_SEGMENT_MAX);
            return INGEST_EINVAL;
        }
        for (size_t i = 0; i < n; i++) {
            unsigned char c = (unsigned char)seg[i];
            if (c < 0x20 || c == 0x7f || c == '\\' || c == '%') {
                snprintf(err, err_cap, "path '%s' has a '\\', '%%' or control character",
                         rel_path);
                return INGEST_EINVAL;
            }
        }
        if (++depth > VIKING_DEPTH_MAX) {
            snprintf(err, err_cap, "path '%s' is deeper than %d segments", rel_path,
                     VIKING_DEPTH_MAX);
            return INGEST_EINVAL;
        }
        if (!end)
            return INGEST_OK;
        seg = end + 1;
    }
}

static uint64_t path_hash(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211ULL;
    }
    return h;
}

/* The index slot holding the path s[0..n), or the empty slot where it would go. */
static size_t slot_of(const struct import_tree *t, const char *s, size_t n)
{
    size_t mask = t->slot_cap - 1, i = (size_t)path_hash(s, n) & mask;
    while (t->slots[i]) {
        const char *p = t->entries[t->slots[i] - 1].rel_path;
        if (strncmp(p, s, n) == 0 && p[n] == '\0')
            return i;
        i = (i + 1) & mask;
    }
    return i;
}

static long find_n(const struct import_tree *t, const char *s, size_t n)
{
    if (!t->slot_cap)
        return -1;
    size_t i = slot_of(t, s, n);
    return t->slots[i] ? (long)t->slots[i] - 1 : -1;
}

long import_tree_find(const struct import_tree *t, const char *rel_path)
{
    return find_n(t, rel_path, strlen(rel_path));
}

static int rebuild_index(struct import_tree *t, size_t cap)
{
    size_t *slots = calloc(cap, sizeof *slots);
    if (!slots)
        return INGEST_ENOMEM;
    free(t->slots);
    t->slots = slots;
    t->slot_cap = cap;
    for (size_t k = 0; k < t->count; k++) {
        const char *p = t->entries[k].rel_path;
        t->slots[slot_of(t, p, strlen(p))] = k + 1;
    }
    return INGEST_OK;
}

/* Appends an entry for path s[0..n) (known to be absent), taking ownership of bytes. */
static int append_entry(struct import_tree *t, const char *s, size_t n, int is_dir,
                        unsigned char *bytes, size_t len, char *err, size_t err_cap)
{
    if ((t->count + 1) * 2 > t->slot_cap) {
        size_t cap = t->slot_cap ? t->slot_cap : 64;
        while ((t->count + 1) * 2 > cap)
            cap *= 2;
        if (rebuild_index(t, cap) != INGEST_OK)
            goto nomem;
    }
    if (t->count == t->entry_cap) {
        size_t cap = t->entry_cap ? t->entry_cap * 2 : 16;
        struct import_entry *e = realloc(t->entries, cap * sizeof *e);
        if (!e)
            goto nomem;
        t->entries = e;
        t->entry_cap = cap;
    }
    char *path = strndup(s, n);
    if (!path)
        goto nomem;
    t->entries[t->count] = (struct import_entry){path, is_dir, bytes, len};
    t->slots[slot_of(t, path, n)] = t->count + 1;
    t->count++;
    if (!is_dir)
        t->file_bytes += len;
    return INGEST_OK;
nomem:
    free(bytes);
    snprintf(err, err_cap, "out of memory");
    return INGEST_ENOMEM;
}

/* Adds the missing directories among the strict prefixes of path. */
static int add_parents(struct import_tree *t, const char *path, char *err, size_t err_cap)
{
    for (const char *slash = strchr(path, '/'); slash; slash = strchr(slash + 1, '/')) {
        size_t n = (size_t)(slash - path);
        long at = find_n(t, path, n);
        if (at >= 0) {
            if (!t->entries[at].is_dir) {
                snprintf(err, err_cap, "'%.*s' is a file, so '%s' cannot be under it", (int)n,
                         path, path);
                return INGEST_EEXIST;
            }
            continue;
        }
        int rc = append_entry(t, path, n, 1, NULL, 0, err, err_cap);
        if (rc != INGEST_OK)
            return rc;
    }
    return INGEST_OK;
}

int import_tree_add_dir(struct import_tree *t, const char *rel_path, char *err, size_t err_cap)
{
    int rc = import_tree_check_path(rel_path, err, err_cap);
    if (rc != INGEST_OK)
        return rc;
    long at = import_tree_find(t, rel_path);
    if (at >= 0) {
        if (t->entries[at].is_dir)
            return INGEST_OK;
        snprintf(err, err_cap, "'%s' is already a file", rel_path);
        return INGEST_EEXIST;
    }
    if ((rc = add_parents(t, rel_path, err, err_cap)) != INGEST_OK)
        return rc;
    return append_entry(t, rel_path, strlen(rel_path), 1, NULL, 0, err, err_cap);
}

int import_tree_add_file_owned(struct import_tree *t, const char *rel_path, unsigned char *bytes,
                               size_t len, char *err, size_t err_cap)
{
    int rc = import_tree_check_path(rel_path, err, err_cap);
    if (rc == INGEST_OK && import_tree_find(t, rel_path) >= 0) {
        snprintf(err, err_cap, "'%s' appears twice", rel_path);
        rc = INGEST_EEXIST;
    }
    if (rc == INGEST_OK)
        rc = add_parents(t, rel_path, err, err_cap);
    if (rc != INGEST_OK) {
        free(bytes);
        return rc;
    }
    return append_entry(t, rel_path, strlen(rel_path), 0, bytes, len, err, err_cap);
}

int import_tree_add_file(struct import_tree *t, const char *rel_path, const void *bytes,
                         size_t len, char *err, size_t err_cap)
{
    unsigned char *copy = malloc(len + 1);
    if (!copy) {
        snprintf(err, err_cap, "out of memory for %zu bytes", len);
        return INGEST_ENOMEM;
    }
    if (len)
        memcpy(copy, bytes, len);
    copy[len] = '\0';
    return import_tree_add_file_owned(t, rel_path, copy, len, err, err_cap);
}

int import_tree_warn(struct import_tree *t, const char *fmt, ...)
{
    if (t->warning_count == t->warning_cap) {
        size_t cap = t->warning_cap ? t->warning_cap * 2 : 8;
        char **w = realloc(t->warnings, cap * sizeof *w);
        if (!w)
            return INGEST_ENOMEM;
        t->warnings = w;
        t->warning_cap = cap;
    }
    va_list ap;
    va_start(ap, fmt);
    char *msg = NULL;
    int n = vasprintf(&msg, fmt, ap);
    va_end(ap);
    if (n < 0)
        return INGEST_ENOMEM;
    t->warnings[t->warning_count++] = msg;
    return INGEST_OK;
}

int import_tree_single_root(const struct import_tree *t, char *name, size_t cap)
{
    if (t->count < 2)
        return 0;
    const char *first = t->entries[0].rel_path;
    size_t n = strcspn(first, "/");
    if (first[n] != '\0' || !t->entries[0].is_dir || n > IMPORT_NAME_MAX || n >= cap)
        return 0;
    for (size_t i = 1; i < t->count; i++) {
        const char *p = t->entries[i].rel_path;
        if (strncmp(p, first, n) != 0 || p[n] != '/')
            return 0;
    }
    memcpy(name, first, n);
    name[n] = '\0';
    return 1;
}

int import_tree_strip_root(struct import_tree *t, char *err, size_t err_cap)
{
    char root[IMPORT_NAME_MAX + 1];
    if (!import_tree_single_root(t, root, sizeof root)) {
        snprintf(err, err_cap, "the tree has no single top-level directory");
        return INGEST_EINVAL;
    }
    size_t cut = strlen(root) + 1;
    free(t->entries[0].rel_path);
    memmove(t->entries, t->entries + 1, (t->count - 1) * sizeof *t->entries);
    t->count--;
    for (size_t i = 0; i < t->count; i++) {
        char *p = t->entries[i].rel_path;
        memmove(p, p + cut, strlen(p + cut) + 1);
    }
    if (rebuild_index(t, t->slot_cap) != INGEST_OK) {
        /* The old index names paths that changed: drop it; the next add rebuilds one. */
        free(t->slots);
        t->slots = NULL;
        t->slot_cap = 0;
        snprintf(err, err_cap, "out of memory");
        return INGEST_ENOMEM;
    }
    return INGEST_OK;
}
