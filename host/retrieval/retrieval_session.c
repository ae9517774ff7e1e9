#include "retrieval/retrieval_session.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "uri/viking_uri.h"

/* A message's text: its `content`, or its text parts joined by newlines. Borrowed or malloc'd
 * into *owned. */
static const char *message_text(json_t *msg, char **owned)
{
    *owned = NULL;
    const char *content = json_string_value(json_object_get(msg, "content"));
    if (content)
        return content;
    size_t len = 0, i;
    json_t *part;
    json_t *parts = json_object_get(msg, "parts");
    json_array_foreach(parts, i, part) {
        const char *type = json_string_value(json_object_get(part, "type"));
        const char *text = json_string_value(json_object_get(part, "text"));
        if (text && (!type || strcmp(type, "text") == 0))
            len += strlen(text) + 1;
    }
    if (len == 0 || !(*owned = malloc(len)))
        return "";
    char *p = *owned;
    json_array_foreach(parts, i, part) {
        const char *type = json_string_value(json_object_get(part, "type"));
        const char *text = json_string_value(json_object_get(part, "text"));
        if (!text || (type && strcmp(type, "text") != 0))
            continue;
        if (p != *owned)
            *p++ = '\n';
        size_t n = strlen(text);
        memcpy(p, text, n);
        p += n;
    }
    *p = '\0';
    return *owned;
}

/* The last n messages with text of a JSON-lines body, as "[role]: text" lines. */
static char *recent_lines(const char *body, size_t len, size_t n)
{
    size_t cap = 16, count = 0;
    json_t **kept = calloc(n ? n : 1, sizeof *kept);
    char *out = NULL;
    if (!kept)
        return NULL;
    for (const char *p = body, *end = body + len; p < end;) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t line = nl ? (size_t)(nl - p) : (size_t)(end - p);
        json_t *msg = json_loadb(p, line, 0, NULL);
        char *owned = NULL;
        int has_text = json_is_object(msg) && *message_text(msg, &owned);
        free(owned);
        if (has_text && n > 0) {
            /* A ring of the last n messages. */
            json_decref(kept[count % n]);
            kept[count % n] = json_incref(msg);
            count++;
        }
        json_decref(msg);
        p += line + 1;
    }
    size_t first = count > n ? count - n : 0;
    for (size_t i = first; i < count; i++) {
        char *owned;
        cap += strlen(message_text(kept[i % n], &owned)) + 80;
        free(owned);
    }
    out = malloc(cap);
    if (out) {
        size_t o = 0;
        out[0] = '\0';
        for (size_t i = first; i < count; i++) {
            char *owned;
            const char *role = json_string_value(json_object_get(kept[i % n], "role"));
            const char *text = message_text(kept[i % n], &owned);
            o += (size_t)snprintf(out + o, cap - o, "%s[%.60s]: %s", o ? "\n" : "",
                                  role ? role : "unknown", text);
            free(owned);
        }
    }
    for (size_t i = 0; i < n && i < count; i++)
        json_decref(kept[i]);
    free(kept);
    return out;
}

struct archive_pick {
    unsigned best;
    char uri[VIKING_URI_MAX + 1];
};

/* Keeps the archive_NNN directory with the highest NNN that has an overview. */
static int archive_visit(void *arg, const struct store_node *node)
{
    struct archive_pick *a = arg;
    unsigned n;
    char tail;
    if (node->kind == STORE_DIR && sscanf(node->name, "archive_%u%c", &n, &tail) == 1 &&
        node->l1 && *node->l1 && n > a->best) {
        a->best = n;
        snprintf(a->uri, sizeof a->uri, "%s", node->uri);
    }
    return 0;
}

static int latest_overview(struct store *st, const char *account, const char *session_uri,
                           char **overview, char *err, size_t err_cap)
{
    char history[VIKING_URI_MAX + 1];
    *overview = NULL;
    if (viking_uri_join(session_uri, "history", history, sizeof history) != 0)
        return STORE_EINVAL;
    struct archive_pick pick = {0, ""};
    int rc = store_list(st, account, history, archive_visit, &pick, err, err_cap);
    if (rc == STORE_ENOTFOUND || rc == STORE_ENOTDIR || (rc == STORE_OK && !pick.best)) {
        *overview = strdup("");
        return *overview ? STORE_OK : STORE_ENOMEM;
    }
    if (rc != STORE_OK)
        return rc;
    struct store_node node = {0};
    rc = store_get(st, account, pick.uri, 0, &node, err, err_cap);
    if (rc == STORE_OK)
        *overview = strdup(node.l1 ? node.l1 : "");
    store_node_clear(&node);
    if (rc == STORE_OK && !*overview)
        rc = STORE_ENOMEM;
    return rc;
}

int retrieval_session_context(struct store *st, const char *account, const char *user,
                              const char *session_id, size_t n_recent, char **overview,
                              char **recent, char *err, size_t err_cap)
{
    *overview = *recent = NULL;
    char base[VIKING_URI_MAX + 1], uri[VIKING_URI_MAX + 1], messages[VIKING_URI_MAX + 1];
    snprintf(base, sizeof base, "viking://user/%s/sessions", user);
    if (strchr(session_id, '/') || viking_uri_join(base, session_id, uri, sizeof uri) != 0 ||
        viking_uri_join(uri, "messages.jsonl", messages, sizeof messages) != 0) {
        snprintf(err, err_cap, "not a session id: %s", session_id);
        return STORE_ENOTFOUND;
    }
    struct store_node node = {0};
    int rc = store_get(st, account, uri, 0, &node, err, err_cap);
    int is_dir = rc == STORE_OK && node.kind == STORE_DIR;
    store_node_clear(&node);
    if (rc == STORE_OK && !is_dir)
        rc = STORE_ENOTFOUND;
    if (rc != STORE_OK)
        return rc;
    rc = latest_overview(st, account, uri, overview, err, err_cap);
    if (rc != STORE_OK)
        return rc;
    rc = store_get(st, account, messages, 1, &node, err, err_cap);
    if (rc == STORE_OK && node.kind == STORE_FILE)
        *recent = recent_lines(node.content ? node.content : "", node.content_len, n_recent);
    else if (rc == STORE_OK || rc == STORE_ENOTFOUND)
        *recent = strdup("");
    store_node_clear(&node);
    if (rc != STORE_OK && rc != STORE_ENOTFOUND) {
        free(*overview);
        *overview = NULL;
        return rc;
    }
    if (!*recent) {
        free(*overview);
        *overview = NULL;
        snprintf(err, err_cap, "out of memory");
        return STORE_ENOMEM;
    }
    return STORE_OK;
}
