#include "session/session_view.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "session/session_message.h"
#include "session/session_ops.h"

json_t *session_view_meta(const struct session_ref *r, json_t *meta, json_t *messages)
{
    json_t *out = json_deep_copy(meta);
    if (!out)
        return NULL;
    size_t n = json_array_size(messages), tokens = 0, i;
    json_t *m;
    json_array_foreach(messages, i, m) {
        tokens += session_message_tokens(m);
    }
    json_int_t archived = json_integer_value(json_object_get(meta, "archived_message_count"));
    if (json_object_set_new(out, "message_count", json_integer((json_int_t)n)) != 0 ||
        json_object_set_new(out, "total_message_count", json_integer((json_int_t)n + archived)) != 0 ||
        json_object_set_new(out, "pending_tokens", json_integer((json_int_t)tokens)) != 0 ||
        json_object_set_new(out, "uri", json_string(r->uri)) != 0 ||
        json_object_set_new(out, "user", json_pack("{s:s, s:s}", "account_id", r->account,
                                                   "user_id", r->user)) != 0) {
        json_decref(out);
        return NULL;
    }
    return out;
}

/* Reads the live state under the write lock. */
static enum session_status read_live(struct session_engine *e, const struct session_ref *r,
                                     struct session_live *live, char *err, size_t err_cap)
{
    struct session_lanes *lanes = session_engine_lanes(e);
    struct session_lane *lane = session_lanes_get(lanes, r->account, r->uri);
    if (!lane) {
        snprintf(err, err_cap, "out of memory");
        return SESSION_FAILED;
    }
    session_lane_write_begin(lanes, lane);
    int rc = session_live_load(session_engine_store(e), r, 0, live, err, err_cap);
    session_lane_write_end(lanes, lane);
    session_lanes_put(lanes, lane);
    return rc == STORE_OK ? SESSION_OK : rc == STORE_ENOTFOUND ? SESSION_NOT_FOUND : SESSION_FAILED;
}

enum session_status session_view_get(struct session_engine *e, const struct session_ref *r,
                                     int auto_create, json_t **out, char *err, size_t err_cap)
{
    *out = NULL;
    struct session_live live;
    enum session_status st = read_live(e, r, &live, err, err_cap);
    if (st == SESSION_NOT_FOUND && auto_create) {
        st = session_create(e, r, NULL, NULL, NULL, NULL, err, err_cap);
        if (st == SESSION_OK || st == SESSION_EXISTS)
            st = read_live(e, r, &live, err, err_cap);
    }
    if (st != SESSION_OK)
        return st;
    *out = session_view_meta(r, live.meta, live.messages);
    session_live_clear(&live);
    if (!*out) {
        snprintf(err, err_cap, "out of memory");
        return SESSION_FAILED;
    }
    return SESSION_OK;
}

struct list_item {
    json_t *json;
    int64_t mtime;
};

struct list_ctx {
    struct list_item *items;
    size_t n, cap;
    int oom;
};

static int list_visit(void *arg, const struct store_node *node)
{
    struct list_ctx *c = arg;
    if (node->kind != STORE_DIR)
        return 0;
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 32;
        struct list_item *grown = realloc(c->items, cap * sizeof *grown);
        if (!grown) {
            c->oom = 1;
            return 1;
        }
        c->items = grown;
        c->cap = cap;
    }
    char iso[32];
    session_iso_time(node->updated_ms, iso);
    json_t *j = json_pack("{s:s, s:s, s:b, s:s}", "session_id", node->name, "uri", node->uri,
                          "is_dir", 1, "mod_time", iso);
    if (!j) {
        c->oom = 1;
        return 1;
    }
    c->items[c->n++] = (struct list_item){j, node->updated_ms};
    return 0;
}

static int newest_first(const void *a, const void *b)
{
    const struct list_item *x = a, *y = b;
    return x->mtime < y->mtime ? 1 : x->mtime > y->mtime ? -1 : 0;
}

enum session_status session_view_list(struct store *st, const char *account, const char *user,
                                      json_t **out, char *err, size_t err_cap)
{
    char uri[VIKING_URI_MAX + 1];
    snprintf(uri, sizeof uri, "viking://user/%s/sessions", user);
    struct list_ctx c = {0};
    int rc = store_list(st, account, uri, list_visit, &c, err, err_cap);
    if (rc == STORE_ENOTFOUND)
        rc = STORE_OK;
    json_t *arr = rc == STORE_OK && !c.oom ? json_array() : NULL;
    if (arr && c.n)
        qsort(c.items, c.n, sizeof *c.items, newest_first);
    for (size_t i = 0; i < c.n; i++)
        if (!arr || json_array_append_new(arr, c.items[i].json) != 0) {
            json_decref(c.items[i].json);
            if (arr) {
                json_decref(arr);
                arr = NULL;
            }
        }
    free(c.items);
    if (!arr) {
        if (rc == STORE_OK)
            snprintf(err, err_cap, "out of memory");
        return SESSION_FAILED;
    }
    *out = arr;
    return SESSION_OK;
}

/* ---- Context ---- */

struct archive_entry {
    char uri[VIKING_URI_MAX + 1];
    unsigned index;
    struct archive_state state;
};

struct archives {
    struct store *st;
    const char *account;
    struct archive_entry *a;
    size_t n, cap;
    int failed;
};

static int archives_visit(void *arg, const struct store_node *node)
{
    struct archives *h = arg;
    unsigned index = session_archive_index(node->name);
    if (node->kind != STORE_DIR || !index)
        return 0;
    if (h->n == h->cap) {
        size_t cap = h->cap ? h->cap * 2 : 16;
        struct archive_entry *grown = realloc(h->a, cap * sizeof *grown);
        if (!grown) {
            h->failed = 1;
            return 1;
        }
        h->a = grown;
        h->cap = cap;
    }
    struct archive_entry *e = &h->a[h->n];
    snprintf(e->uri, sizeof e->uri, "%s", node->uri);
    e->index = index;
    char err[256];
    if (session_archive_state(h->st, h->account, node->uri, &e->state, err, sizeof err) != STORE_OK) {
        h->failed = 1;
        return 1;
    }
    h->n++;
    return 0;
}

static int by_index(const void *a, const void *b)
{
    const struct archive_entry *x = a, *y = b;
    return x->index < y->index ? -1 : x->index > y->index;
}

static json_t *archive_messages(struct store *st, const char *account, const char *archive_uri)
{
    char uri[VIKING_URI_MAX + 1], err[256];
    char *text = NULL;
    size_t len = 0;
    if (session_path(archive_uri, SESSION_MESSAGES, uri) != 0 ||
        session_read_file(st, account, uri, &text, &len, err, sizeof err) != STORE_OK)
        return json_array();
    json_t *m = session_jsonl_parse(text, len, NULL);
    free(text);
    return m;
}

static enum session_status context_build(struct session_engine *e, const struct session_ref *r,
                                         struct session_live *live, long long budget, json_t **out,
                                         char *err, size_t err_cap)
{
    struct store *st = session_engine_store(e);
    struct archives h = {.st = st, .account = r->account};
    char history[VIKING_URI_MAX + 1];
    session_path(r->uri, SESSION_HISTORY, history);
    int rc = store_list(st, r->account, history, archives_visit, &h, err, err_cap);
    if ((rc != STORE_OK && rc != STORE_ENOTFOUND) || h.failed) {
        free(h.a);
        return SESSION_FAILED;
    }
    if (h.n)
        qsort(h.a, h.n, sizeof *h.a, by_index);
    size_t used = 0, active = 0, archive_tokens = 0;
    size_t n_live = json_array_size(live->messages), first_live = n_live;
    /* Live messages get the budget first, newest kept. */
    while (first_live > 0) {
        size_t t = session_message_tokens(json_array_get(live->messages, first_live - 1));
        if ((long long)(used + t) > budget)
            break;
        used += t;
        first_live--;
    }
    active = used;
    json_t *earlier = json_array(); /* messages of archives whose phase 2 has not ended */
    size_t included = 0, failed = 0;
    for (size_t i = h.n; earlier && i > 0; i--) {
        struct archive_entry *a = &h.a[i - 1];
        if (a->state.failed && !a->state.pending) {
            failed++;
            continue;
        }
        if (a->state.done)
            continue;
        json_t *msgs = archive_messages(st, r->account, a->uri);
        size_t n = json_array_size(msgs), first = n, tokens = 0;
        while (first > 0) {
            size_t t = session_message_tokens(json_array_get(msgs, first - 1));
            if ((long long)(used + tokens + t) > budget)
                break;
            tokens += t;
            first--;
        }
        if (first < n) {
            included++;
            used += tokens;
            archive_tokens += tokens;
            json_t *kept = json_array();
            for (size_t k = first; kept && k < n; k++)
                json_array_append(kept, json_array_get(msgs, k));
            json_array_extend(kept, earlier);
            json_decref(earlier);
            earlier = kept;
        }
        json_decref(msgs);
    }
    const char *overview = "";
    struct store_node latest = {0};
    for (size_t i = h.n; i > 0; i--)
        if (h.a[i - 1].state.done) {
            if (store_get(st, r->account, h.a[i - 1].uri, 0, &latest, err, err_cap) == STORE_OK &&
                latest.l1) {
                size_t t = (strlen(latest.l1) + 3) / 4;
                if ((long long)(used + t) <= budget) {
                    overview = latest.l1;
                    used += t;
                    archive_tokens += t;
                    included++;
                }
            }
            break;
        }
    json_t *messages = earlier;
    for (size_t k = first_live; messages && k < n_live; k++)
        json_array_append(messages, json_array_get(live->messages, k));
    *out = messages ? json_pack("{s:s, s:[], s:o, s:I, s:{s:I, s:I, s:I, s:I, s:I, s:I}}",
                                "latest_archive_overview", overview, "pre_archive_abstracts",
                                "messages", messages, "estimatedTokens", (json_int_t)used, "stats",
                                "totalArchives", (json_int_t)h.n, "includedArchives",
                                (json_int_t)included, "droppedArchives",
                                (json_int_t)(h.n - included - failed), "failedArchives",
                                (json_int_t)failed, "activeTokens", (json_int_t)active,
                                "archiveTokens", (json_int_t)archive_tokens)
                     : NULL;
    store_node_clear(&latest);
    free(h.a);
    if (!*out) {
        snprintf(err, err_cap, "out of memory");
        return SESSION_FAILED;
    }
    return SESSION_OK;
}

enum session_status session_view_context(struct session_engine *e, const struct session_ref *r,
                                         long long token_budget, json_t **out, char *err,
                                         size_t err_cap)
{
    *out = NULL;
    struct session_live live;
    enum session_status st = read_live(e, r, &live, err, err_cap);
    if (st != SESSION_OK)
        return st;
    st = context_build(e, r, &live, token_budget, out, err, err_cap);
    session_live_clear(&live);
    return st;
}

enum session_status session_view_archive(struct store *st, const struct session_ref *r,
                                         const char *archive_id, json_t **out, char *err,
                                         size_t err_cap)
{
    *out = NULL;
    unsigned index = session_archive_index(archive_id);
    char history[VIKING_URI_MAX + 1], uri[VIKING_URI_MAX + 1];
    struct archive_state as;
    if (!index || session_path(r->uri, SESSION_HISTORY, history) != 0 ||
        session_path(history, archive_id, uri) != 0)
        return SESSION_NOT_FOUND;
    int rc = session_archive_state(st, r->account, uri, &as, err, err_cap);
    if (rc != STORE_OK)
        return SESSION_FAILED;
    if (!as.exists || !as.done)
        return SESSION_NOT_FOUND;
    struct store_node dir = {0};
    rc = store_get(st, r->account, uri, 0, &dir, err, err_cap);
    if (rc != STORE_OK) {
        store_node_clear(&dir);
        return rc == STORE_ENOTFOUND ? SESSION_NOT_FOUND : SESSION_FAILED;
    }
    *out = json_pack("{s:s, s:s, s:s, s:o}", "archive_id", archive_id, "abstract",
                     dir.l0 ? dir.l0 : "", "overview", dir.l1 ? dir.l1 : "", "messages",
                     archive_messages(st, r->account, uri));
    store_node_clear(&dir);
    if (!*out) {
        snprintf(err, err_cap, "out of memory");
        return SESSION_FAILED;
    }
    return SESSION_OK;
}
