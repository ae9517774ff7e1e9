#include "session/session_store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "session/session_message.h"

int session_ref_init(struct session_ref *r, const char *account, const char *user, const char *id)
{
    memset(r, 0, sizeof *r);
    if (!auth_id_valid(id, 0) || strlen(account) > AUTH_ID_MAX || strlen(user) > AUTH_ID_MAX)
        return -1;
    strcpy(r->account, account);
    strcpy(r->user, user);
    strcpy(r->id, id);
    int n = snprintf(r->uri, sizeof r->uri, "viking://user/%s/sessions/%s", user, id);
    return n > 0 && (size_t)n < sizeof r->uri ? 0 : -1;
}

int session_path(const char *base, const char *rel, char *out)
{
    int n = snprintf(out, VIKING_URI_MAX + 1, "%s/%s", base, rel);
    return n > 0 && n <= VIKING_URI_MAX ? 0 : -1;
}

int session_archive_uri(const struct session_ref *r, unsigned index, char *out)
{
    int n = snprintf(out, VIKING_URI_MAX + 1, "%s/" SESSION_HISTORY "/archive_%03u", r->uri, index);
    return n > 0 && n <= VIKING_URI_MAX ? 0 : -1;
}

unsigned session_archive_index(const char *name)
{
    if (strncmp(name, "archive_", 8) != 0 || !name[8] || strlen(name + 8) > 9 ||
        strspn(name + 8, "0123456789") != strlen(name + 8))
        return 0;
    return (unsigned)strtoul(name + 8, NULL, 10);
}

int session_read_file(struct store *st, const char *account, const char *uri, char **out,
                      size_t *len, char *err, size_t err_cap)
{
    struct store_node n = {0};
    int rc = store_get(st, account, uri, 1, &n, err, err_cap);
    if (rc == STORE_OK && n.kind != STORE_FILE)
        rc = STORE_EISDIR;
    if (rc == STORE_OK) {
        *out = n.content ? n.content : strdup("");
        if (len)
            *len = n.content ? n.content_len : 0;
        n.content = NULL;
        if (!*out) {
            snprintf(err, err_cap, "out of memory");
            rc = STORE_ENOMEM;
        }
    }
    store_node_clear(&n);
    return rc;
}

int session_read_json(struct store *st, const char *account, const char *uri, json_t **out,
                      char *err, size_t err_cap)
{
    char *text = NULL;
    size_t len = 0;
    int rc = session_read_file(st, account, uri, &text, &len, err, err_cap);
    if (rc != STORE_OK)
        return rc;
    json_error_t jerr;
    *out = json_loadb(text, len, 0, &jerr);
    free(text);
    if (!json_is_object(*out)) {
        json_decref(*out);
        *out = NULL;
        snprintf(err, err_cap, "%s: not a JSON object", uri);
        return STORE_EIO;
    }
    return STORE_OK;
}

/* The ids file: one id per line, into an object used as a set. */
static json_t *ids_parse(const char *text)
{
    json_t *set = json_object();
    for (const char *p = text; set && *p;) {
        size_t n = strcspn(p, "\n");
        if (n > 0 && n <= SESSION_MESSAGE_ID_MAX) {
            char id[SESSION_MESSAGE_ID_MAX + 1];
            memcpy(id, p, n);
            id[n] = '\0';
            if (json_object_set_new(set, id, json_true()) != 0) {
                json_decref(set);
                return NULL;
            }
        }
        p += n;
        if (*p == '\n')
            p++;
    }
    return set;
}

int session_live_load(struct store *st, const struct session_ref *r, int with_ids,
                      struct session_live *out, char *err, size_t err_cap)
{
    memset(out, 0, sizeof *out);
    char uri[VIKING_URI_MAX + 1];
    struct store_node dir = {0};
    int rc = store_get(st, r->account, r->uri, 0, &dir, err, err_cap);
    if (rc == STORE_OK && dir.kind != STORE_DIR)
        rc = STORE_ENOTFOUND;
    int64_t created_ms = dir.created_ms;
    store_node_clear(&dir);
    if (rc != STORE_OK)
        return rc;
    if (session_path(r->uri, SESSION_META, uri) != 0)
        return STORE_EINVAL;
    rc = session_read_json(st, r->account, uri, &out->meta, err, err_cap);
    if (rc == STORE_ENOTFOUND) {
        /* A session directory made by hand (mkdir): it gets its meta on the first write. */
        out->meta = session_meta_new(r, created_ms, NULL, NULL, NULL);
        rc = out->meta ? STORE_OK : STORE_ENOMEM;
    }
    char *text = NULL;
    size_t len = 0;
    if (rc == STORE_OK && session_path(r->uri, SESSION_MESSAGES, uri) == 0) {
        rc = session_read_file(st, r->account, uri, &text, &len, err, err_cap);
        if (rc == STORE_ENOTFOUND) {
            rc = STORE_OK;
            out->messages = json_array();
        } else if (rc == STORE_OK) {
            out->messages = session_jsonl_parse(text, len, NULL);
        }
        free(text);
        if (rc == STORE_OK && !out->messages)
            rc = STORE_ENOMEM;
    }
    if (rc == STORE_OK && with_ids && session_path(r->uri, SESSION_IDS, uri) == 0) {
        text = NULL;
        rc = session_read_file(st, r->account, uri, &text, NULL, err, err_cap);
        if (rc == STORE_ENOTFOUND)
            rc = STORE_OK;
        if (rc == STORE_OK && !(out->ids = ids_parse(text ? text : "")))
            rc = STORE_ENOMEM;
        free(text);
    }
    if (rc != STORE_OK) {
        if (rc == STORE_ENOMEM)
            snprintf(err, err_cap, "out of memory");
        session_live_clear(out);
    }
    return rc;
}

void session_live_clear(struct session_live *l)
{
    json_decref(l->meta);
    json_decref(l->messages);
    json_decref(l->ids);
    memset(l, 0, sizeof *l);
}

json_t *session_meta_new(const struct session_ref *r, int64_t now_ms, json_t *memory_policy,
                         json_t *auto_commit_policy, json_t *extraction_config)
{
    char now[32];
    session_iso_time(now_ms, now);
    return json_pack(
        "{s:s, s:s, s:s, s:s, s:s, s:i, s:{s:i}, s:n, s:{s:i, s:i, s:i, s:i, s:i}, s:{s:i}, "
        "s:o, s:o, s:o, s:n, s:n, s:i, s:n}",
        "session_id", r->id, "created_at", now, "updated_at", now, "created_by_account_id",
        r->account, "created_by_user_id", r->user, "commit_count", 0, "memories_extracted",
        "total", 0, "last_commit_at", "llm_token_usage", "prompt_tokens", 0, "completion_tokens",
        0, "total_tokens", 0, "cached_tokens", 0, "reasoning_tokens", 0, "embedding_token_usage",
        "total_tokens", 0, "memory_policy",
        memory_policy ? json_deep_copy(memory_policy) : json_object(), "auto_commit_policy",
        auto_commit_policy ? json_deep_copy(auto_commit_policy) : json_null(),
        "memory_extraction_config",
        extraction_config ? json_deep_copy(extraction_config)
                          : json_pack("{s:{s:[]}}", "events", "tags"),
        "last_message_at", "last_auto_commit_at", "keep_recent_count", 0, "retention_mode");
}

static int batch_add(struct session_batch *b, const char *uri, enum store_kind kind, char *text,
                     size_t len)
{
    if (b->n == sizeof b->nodes / sizeof b->nodes[0] || strlen(uri) > VIKING_URI_MAX) {
        free(text);
        return -1;
    }
    strcpy(b->uris[b->n], uri);
    b->owned[b->n] = text;
    b->nodes[b->n] = (struct store_put_node){b->uris[b->n], kind, text, len, NULL,
                                             STORE_PROC_NONE, STORE_PROC_NONE};
    b->n++;
    return 0;
}

int session_batch_dir(struct session_batch *b, const char *uri)
{
    return batch_add(b, uri, STORE_DIR, NULL, 0);
}

int session_batch_file(struct session_batch *b, const char *uri, char *text, size_t len)
{
    return batch_add(b, uri, STORE_FILE, text, len);
}

int session_batch_json(struct session_batch *b, const char *uri, json_t *json)
{
    char *text = json_dumps(json, JSON_COMPACT | JSON_ENCODE_ANY);
    return text ? batch_add(b, uri, STORE_FILE, text, strlen(text)) : -1;
}

int session_batch_session_dirs(struct session_batch *b, struct store *st,
                               const struct session_ref *r, char *err, size_t err_cap)
{
    char uris[3][VIKING_URI_MAX + 1];
    snprintf(uris[0], sizeof uris[0], "viking://user/%s", r->user);
    snprintf(uris[1], sizeof uris[1], "viking://user/%s/sessions", r->user);
    snprintf(uris[2], sizeof uris[2], "%s", r->uri);
    for (int i = 0; i < 3; i++) {
        struct store_node n = {0};
        int rc = store_get(st, r->account, uris[i], 0, &n, err, err_cap);
        store_node_clear(&n);
        if (rc == STORE_ENOTFOUND) {
            if (session_batch_dir(b, uris[i]) != 0)
                return STORE_ENOMEM;
        } else if (rc != STORE_OK) {
            return rc;
        }
    }
    return STORE_OK;
}

int session_batch_live(struct session_batch *b, const struct session_ref *r,
                       const struct session_live *l)
{
    char uri[VIKING_URI_MAX + 1];
    size_t len = 0;
    char *text = session_jsonl_dump(l->messages, &len);
    if (!text || session_path(r->uri, SESSION_MESSAGES, uri) != 0 ||
        session_batch_file(b, uri, text, len) != 0)
        return -1;
    if (session_path(r->uri, SESSION_META, uri) != 0 || session_batch_json(b, uri, l->meta) != 0)
        return -1;
    if (!l->ids)
        return 0;
    char *ids = NULL;
    size_t ids_len = 0;
    FILE *f = open_memstream(&ids, &ids_len);
    if (!f)
        return -1;
    const char *key;
    json_t *v;
    json_object_foreach(l->ids, key, v) {
        fprintf(f, "%s\n", key);
    }
    if (fclose(f) != 0) {
        free(ids);
        return -1;
    }
    return session_path(r->uri, SESSION_IDS, uri) == 0 ? session_batch_file(b, uri, ids, ids_len)
                                                        : (free(ids), -1);
}

int session_batch_put(struct session_batch *b, struct store *st, const struct session_ref *r,
                      char *err, size_t err_cap)
{
    int rc = store_put(st, r->account, r->user, b->nodes, b->n, err, err_cap);
    session_batch_free(b);
    return rc;
}

void session_batch_free(struct session_batch *b)
{
    for (size_t i = 0; i < b->n; i++)
        free(b->owned[i]);
    b->n = 0;
}

struct archive_scan {
    struct archive_state *st;
};

static int archive_visit(void *arg, const struct store_node *node)
{
    struct archive_state *s = ((struct archive_scan *)arg)->st;
    if (strcmp(node->name, ".meta.json") == 0)
        s->has_intent = 1;
    else if (strcmp(node->name, ARCHIVE_PENDING) == 0)
        s->pending = 1;
    else if (strcmp(node->name, ARCHIVE_DONE) == 0)
        s->done = 1;
    else if (strcmp(node->name, ARCHIVE_FAILED) == 0)
        s->failed = 1;
    return 0;
}

int session_archive_state(struct store *st, const char *account, const char *archive_uri,
                          struct archive_state *out, char *err, size_t err_cap)
{
    memset(out, 0, sizeof *out);
    struct archive_scan scan = {out};
    int rc = store_list(st, account, archive_uri, archive_visit, &scan, err, err_cap);
    if (rc == STORE_ENOTFOUND || rc == STORE_ENOTDIR)
        return STORE_OK;
    out->exists = rc == STORE_OK;
    return rc;
}
