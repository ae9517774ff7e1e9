/* target_uri → the roots a find searches, after the namespace rules of OpenViking section 7. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "retrieval/retrieval_spec.h"

static int target_fail(struct retrieval_error *e, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int target_fail(struct retrieval_error *e, const char *code, const char *fmt, ...)
{
    snprintf(e->code, sizeof e->code, "%s", code);
    snprintf(e->loc, sizeof e->loc, "body.target_uri");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->message, sizeof e->message, fmt, ap);
    va_end(ap);
    return -1;
}

void retrieval_targets_free(char **targets, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(targets[i]);
    free(targets);
}

struct target_list {
    char **items;
    size_t n;
    int everything; /* a ROOT caller asked for the whole account */
};

static int target_add(struct target_list *l, const char *uri)
{
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->items[i], uri) == 0)
            return 0;
    char *copy = strdup(uri);
    if (!copy)
        return -1;
    l->items[l->n++] = copy;
    return 0;
}

static int target_add_defaults(struct target_list *l, const struct identity *who)
{
    if (who->role == AUTH_ROLE_ROOT) {
        l->everything = 1;
        return 0;
    }
    char own[VIKING_URI_MAX + 1];
    snprintf(own, sizeof own, "viking://user/%s", who->user);
    return target_add(l, own) == 0 && target_add(l, "viking://resources") == 0 ? 0 : -1;
}

static int target_one(struct target_list *l, const struct identity *who, const char *raw,
                      struct retrieval_error *e)
{
    if (raw[0] == '\0' || strcmp(raw, "/") == 0)
        return target_add_defaults(l, who) == 0 ? 0 : target_fail(e, "INTERNAL", "out of memory");
    char uri[VIKING_URI_MAX + 1], reason[256];
    if (viking_uri_canonicalize(raw, who, uri, sizeof uri, reason, sizeof reason) != 0) {
        snprintf(e->uri, sizeof e->uri, "%s", raw);
        return target_fail(e, "INVALID_URI", "Invalid URI: %s (%s)", raw, reason);
    }
    if (viking_uri_access(who, uri) != 0) {
        snprintf(e->uri, sizeof e->uri, "%s", uri);
        return target_fail(e, "PERMISSION_DENIED", "user %s may not access %s", who->user, uri);
    }
    int rc;
    if (strcmp(uri, "viking://") == 0) {
        rc = target_add_defaults(l, who);
    } else if (strcmp(uri, "viking://user") == 0 && who->role != AUTH_ROLE_ROOT) {
        /* The container of user spaces holds only the caller's own for a user. */
        char own[VIKING_URI_MAX + 1];
        snprintf(own, sizeof own, "viking://user/%s", who->user);
        rc = target_add(l, own);
    } else {
        rc = target_add(l, uri);
    }
    return rc == 0 ? 0 : target_fail(e, "INTERNAL", "out of memory");
}

int retrieval_targets_resolve(const json_t *target_uri, const struct identity *who,
                              char ***out, size_t *n_out, struct retrieval_error *err)
{
    *out = NULL;
    *n_out = 0;
    size_t n = json_is_array(target_uri) ? json_array_size(target_uri) : 1;
    if (target_uri && !json_is_null(target_uri) && !json_is_string(target_uri) &&
        !json_is_array(target_uri))
        return target_fail(err, "INVALID_ARGUMENT", "must be a string or an array of strings");
    if (n > RETRIEVAL_MAX_TARGETS)
        return target_fail(err, "INVALID_ARGUMENT", "at most %d target URIs",
                           RETRIEVAL_MAX_TARGETS);
    /* Defaults add two roots, so room for two more than given. */
    struct target_list l = {calloc(n + 2, sizeof(char *)), 0, 0};
    if (!l.items)
        return target_fail(err, "INTERNAL", "out of memory");
    int rc = 0;
    if (!json_is_array(target_uri)) {
        const char *raw = json_string_value(target_uri);
        rc = target_one(&l, who, raw ? raw : "", err);
    } else if (n == 0) {
        rc = target_one(&l, who, "", err);
    }
    for (size_t i = 0; rc == 0 && json_is_array(target_uri) && i < n; i++) {
        const char *raw = json_string_value(json_array_get(target_uri, i));
        if (!raw) {
            rc = target_fail(err, "INVALID_ARGUMENT", "element %zu must be a string", i);
            snprintf(err->loc, sizeof err->loc, "body.target_uri.%zu", i);
        } else {
            rc = target_one(&l, who, raw, err);
        }
    }
    if (rc != 0 || l.everything) {
        retrieval_targets_free(l.items, l.n);
        return rc;
    }
    /* A root inside another root adds nothing. The roots are distinct, so "under another" is
     * strict and nothing is dropped twice; they are all compared before any is freed. */
    int inside[RETRIEVAL_MAX_TARGETS + 2] = {0};
    for (size_t i = 0; i < l.n; i++)
        for (size_t j = 0; j < l.n && !inside[i]; j++)
            inside[i] = j != i && viking_uri_is_under(l.items[i], l.items[j]);
    size_t kept = 0;
    for (size_t i = 0; i < l.n; i++) {
        if (inside[i])
            free(l.items[i]);
        else
            l.items[kept++] = l.items[i];
    }
    *out = l.items;
    *n_out = kept;
    return 0;
}
