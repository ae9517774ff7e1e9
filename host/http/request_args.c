#include "http/request_args.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct capture_ctx {
    struct http_args *args;
    int failed; /* -1 out of memory, -2 a NUL inside a value */
};

static enum MHD_Result capture_one(void *cls, enum MHD_ValueKind kind, const char *key,
                                   size_t key_size, const char *value, size_t value_size)
{
    struct capture_ctx *c = cls;
    struct http_args *a = c->args;
    /* A decoded %00 would silently cut the value short as a C string: refuse it instead. */
    if ((key && strlen(key) != key_size) || (value && strlen(value) != value_size)) {
        snprintf(a->nul_key, sizeof a->nul_key, "%s", key ? key : "");
        c->failed = -2;
        return MHD_NO;
    }
    if (a->n == a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 16;
        struct http_arg *grown = realloc(a->items, cap * sizeof *grown);
        if (!grown) {
            c->failed = -1;
            return MHD_NO;
        }
        a->items = grown;
        a->cap = cap;
    }
    struct http_arg *it = &a->items[a->n];
    it->key = strdup(key ? key : "");
    it->value = strdup(value ? value : "");
    it->is_header = kind == MHD_HEADER_KIND;
    if (!it->key || !it->value) {
        free(it->key);
        free(it->value);
        c->failed = -1;
        return MHD_NO;
    }
    a->n++;
    return MHD_YES;
}

int http_args_capture(struct MHD_Connection *conn, struct http_args *out)
{
    struct capture_ctx c = {out, 0};
    MHD_get_connection_values_n(conn, MHD_HEADER_KIND | MHD_GET_ARGUMENT_KIND, capture_one, &c);
    return c.failed;
}

void http_args_free(struct http_args *a)
{
    for (size_t i = 0; i < a->n; i++) {
        free(a->items[i].key);
        free(a->items[i].value);
    }
    free(a->items);
    for (size_t i = 0; i < a->n_params; i++)
        free(a->params[i]);
    memset(a, 0, sizeof *a);
}

const char *http_args_header(const struct http_args *a, const char *name)
{
    for (size_t i = 0; i < a->n; i++)
        if (a->items[i].is_header && strcasecmp(a->items[i].key, name) == 0)
            return a->items[i].value;
    return NULL;
}

const char *http_args_query(const struct http_args *a, const char *name)
{
    for (size_t i = 0; i < a->n; i++)
        if (!a->items[i].is_header && strcmp(a->items[i].key, name) == 0)
            return a->items[i].value;
    return NULL;
}
