/*
 * Skills (OpenViking section 2.10): a skill is a directory {root}/{name}/ holding SKILL.md (YAML
 * front matter name/description, then Markdown) and any auxiliary files, where {root} is the
 * caller's viking://user/{uid}/skills or the account-shared viking://agent/skills. Skills are
 * stored and indexed like resources (L0/L1 for the directory, vectors for every node) with
 * context type `skill`, so find and skills/find reach them. Adding a skill that exists replaces
 * it: new nodes first, then what the new version no longer has, so a crash never leaves the skill
 * missing. All handlers run on workers.
 */
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/clock.h"
#include "http/api_call.h"
#include "http/index_wait.h"
#include "http/router.h"
#include "http/task_view.h"
#include "ingest/ingest_status.h"
#include "ingest/upload_store.h"
#include "ingest/zip_import.h"
#include "pipeline/index_sync.h"
#include "retrieval/retrieval.h"
#include "retrieval/retrieval_json.h"
#include "retrieval/retrieval_score.h"
#include "skills/skill_doc.h"

#define SKILLS_AGENT_ROOT "viking://agent/skills"
#define SKILL_MD "SKILL.md"
#define SKILLS_MAX_FILES 512      /* files listed by GET /skills/{name} */
#define SKILLS_LIST_DEFAULT 1000

static const char *const add_fields[] = {"data", "temp_file_id", "wait", "timeout", "target_uri",
                                         "source_metadata", "telemetry", NULL};
static const char *const find_fields[] = {"query", "limit", "score_threshold", "level",
                                          "target_uri", "telemetry", NULL};
static const char *const validate_fields[] = {"data", "strict", "source_path", "skill_dir_name",
                                              "target_uri", NULL};

/* Replacing a skill is a read-modify-write of its subtree: one at a time in this process. */
static pthread_mutex_t skills_lock = PTHREAD_MUTEX_INITIALIZER;

/* ---- roots and names ---- */

static void skills_user_root(const struct api_call *c, char *out, size_t cap)
{
    snprintf(out, cap, "viking://user/%s/skills", c->who.user);
}

/* The skills root a target_uri names (the caller's own or the agent's), or the caller's own for
 * none. 400 for any other place, -1 after the reply. */
static int skills_root(struct api_call *c, const char *loc, const char *target, char *out,
                       size_t cap)
{
    char user_root[VIKING_URI_MAX + 1], uri[VIKING_URI_MAX + 1];
    skills_user_root(c, user_root, sizeof user_root);
    if (!target || !*target) {
        snprintf(out, cap, "%s", user_root);
        return 0;
    }
    if (api_uri(c, loc, target, uri) != 0)
        return -1;
    if (viking_uri_is_under(uri, SKILLS_AGENT_ROOT)) {
        snprintf(out, cap, "%s", SKILLS_AGENT_ROOT);
        return 0;
    }
    if (viking_uri_is_under(uri, user_root)) {
        snprintf(out, cap, "%s", user_root);
        return 0;
    }
    http_reply_error(c->reply, "INVALID_ARGUMENT",
                     json_pack("{s:s, s:[s, s]}", "field", "target_uri", "allowed", user_root,
                               SKILLS_AGENT_ROOT),
                     "Unsupported skill target URI: %s", target);
    return -1;
}

/* 1 when uri is a directory, 0 when missing (or a file), -1 after the reply. */
static int skills_is_dir(struct api_call *c, const char *uri)
{
    struct store_node n = {0};
    char err[512];
    int rc = store_get(c->store, c->who.account, uri, 0, &n, err, sizeof err);
    int dir = rc == STORE_OK && n.kind == STORE_DIR;
    store_node_clear(&n);
    if (rc != STORE_OK && rc != STORE_ENOTFOUND) {
        api_store_error(c, rc, uri, err);
        return -1;
    }
    return dir;
}

/* Finds an installed skill: under target_uri's root when given, else the caller's root, then
 * the agent's. Writes its directory and root; 404 (or another error) and -1 otherwise. */
static int skills_locate(struct api_call *c, const char *name, const char *target, char *uri,
                         char *root)
{
    if (!skill_name_valid(name)) {
        api_invalid(c, "path.skill_name", "a skill name is 1 to 64 letters, digits, '_' or '-'");
        return -1;
    }
    char roots[2][VIKING_URI_MAX + 1];
    size_t n = 0;
    if (target && *target) {
        if (skills_root(c, "query.target_uri", target, roots[0], sizeof roots[0]) != 0)
            return -1;
        n = 1;
    } else {
        skills_user_root(c, roots[0], sizeof roots[0]);
        snprintf(roots[1], sizeof roots[1], "%s", SKILLS_AGENT_ROOT);
        n = 2;
    }
    /* Roots are short and names at most 64 bytes: the joins fit. */
    for (size_t i = 0; i < n; i++) {
        viking_uri_join(roots[i], name, uri, VIKING_URI_MAX + 1);
        int dir = skills_is_dir(c, uri);
        if (dir < 0)
            return -1;
        if (dir) {
            memcpy(root, roots[i], strlen(roots[i]) + 1);
            return 0;
        }
    }
    viking_uri_join(roots[0], name, uri, VIKING_URI_MAX + 1);
    http_reply_error(c->reply, "NOT_FOUND", json_pack("{s:s, s:s}", "type", "skill", "resource", uri),
                     "Skill not found: %s", uri);
    return -1;
}

/* ---- what a skill is made of ---- */

struct skill_input {
    struct skill_doc doc;
    struct import_tree files; /* auxiliary files, relative to the skill directory */
};

static void skill_input_clear(struct skill_input *in)
{
    skill_doc_clear(&in->doc);
    import_tree_free(&in->files);
}

static int skill_invalid(struct api_call *c, const char *why)
{
    http_reply_error(c->reply, "SKILL_INVALID", NULL, "Invalid skill: %s", why);
    return -1;
}

/* An uploaded .zip: SKILL.md at its top (or under its one top folder) plus auxiliary files. */
static int skill_from_zip(struct api_call *c, const char *path, struct skill_input *in)
{
    char err[1024];
    struct zip_import_limits lim = {0, atomic_load(&c->req->app->max_body), 0};
    int rc = zip_import_path(path, &lim, &in->files, err, sizeof err);
    if (rc != INGEST_OK) {
        http_reply_error(c->reply, ingest_status_code(rc), NULL, "Cannot read the skill archive: %s", err);
        return -1;
    }
    char top[IMPORT_NAME_MAX + 1];
    if (import_tree_find(&in->files, SKILL_MD) < 0 &&
        import_tree_single_root(&in->files, top, sizeof top) &&
        import_tree_strip_root(&in->files, err, sizeof err) != INGEST_OK) {
        http_reply_error(c->reply, "INTERNAL", NULL, "%s", err);
        return -1;
    }
    long at = import_tree_find(&in->files, SKILL_MD);
    if (at < 0 || in->files.entries[at].is_dir)
        return skill_invalid(c, "the archive has no SKILL.md at its top");
    char why[256];
    if (skill_doc_parse((const char *)in->files.entries[at].bytes, &in->doc, why, sizeof why) != 0)
        return skill_invalid(c, why);
    return 0;
}

static int skill_from_upload(struct api_call *c, const char *id, struct skill_input *in)
{
    char path[PATH_MAX], err[1024];
    int rc = upload_store_resolve(c->req->app->boot.data_dir, id, UPLOAD_TTL_DEFAULT_S, path,
                                  sizeof path, err, sizeof err);
    if (rc != INGEST_OK) {
        http_reply_error(c->reply, ingest_status_code(rc), json_pack("{s:s}", "temp_file_id", id),
                         "Invalid temp_file_id: %s", err);
        return -1;
    }
    size_t len = strlen(path);
    if (len > 4 && strcasecmp(path + len - 4, ".zip") == 0)
        return skill_from_zip(c, path, in);
    FILE *f = fopen(path, "rb");
    char *text = NULL;
    size_t n = 0;
    uint64_t max = atomic_load(&c->req->app->max_body);
    if (f) {
        text = malloc(max + 1);
        n = text ? fread(text, 1, max + 1, f) : 0;
        fclose(f);
    }
    if (!text) {
        http_reply_error(c->reply, "INTERNAL", NULL, "cannot read upload %s", id);
        return -1;
    }
    text[n > max ? max : n] = '\0';
    char why[256];
    rc = n > max || strlen(text) != n ? -1 : skill_doc_parse(text, &in->doc, why, sizeof why);
    free(text);
    if (rc != 0)
        return skill_invalid(c, n > max ? "SKILL.md is larger than max_body" : why);
    return 0;
}

static void skill_input_init(struct skill_input *in)
{
    memset(in, 0, sizeof *in);
    import_tree_init(&in->files);
}

/* data (SKILL.md text or {name, description, content}) or temp_file_id into in (initialised). */
static int skill_input_load(struct api_call *c, json_t *body, struct skill_input *in)
{
    json_t *data = json_object_get(body, "data");
    const char *temp_id;
    if (api_field_string(c, body, "temp_file_id", 0, &temp_id) != 0)
        return -1;
    char why[256];
    int rc;
    if (json_is_string(data))
        rc = skill_doc_parse(json_string_value(data), &in->doc, why, sizeof why);
    else if (json_is_object(data))
        rc = skill_doc_from_object(data, &in->doc, why, sizeof why);
    else if (data && !json_is_null(data))
        return skill_invalid(c, "data must be a SKILL.md string or an object");
    else if (temp_id && *temp_id)
        rc = skill_from_upload(c, temp_id, in) == 0 ? 0 : -2;
    else {
        api_invalid(c, "body", "Either 'data' or 'temp_file_id' must be provided");
        return -1;
    }
    if (rc == -2) /* answered already */
        return -1;
    if (rc != 0)
        return skill_invalid(c, why);
    const char *bad = skill_doc_invalid(&in->doc);
    return bad ? skill_invalid(c, bad) : 0;
}

/* ---- storing ---- */

struct skill_nodes {
    struct store_put_node *nodes;
    char **uris;
    size_t n;
};

static void skill_nodes_free(struct skill_nodes *s)
{
    for (size_t i = 0; s->uris && i < s->n; i++)
        free(s->uris[i]);
    free(s->uris);
    free(s->nodes);
}

static int skill_nodes_add(struct skill_nodes *s, const char *uri, enum store_kind kind,
                           const char *content, size_t len)
{
    if (!(s->uris[s->n] = strdup(uri)))
        return -1;
    s->nodes[s->n] = (struct store_put_node){
        .uri = s->uris[s->n], .kind = kind, .content = content, .content_len = len,
        .semantic = kind == STORE_DIR ? STORE_PROC_PENDING : STORE_PROC_NONE,
        .vectors = STORE_PROC_PENDING};
    s->n++;
    return 0;
}

/* The skill directory, SKILL.md, then the auxiliary entries (parents first). */
static int skill_nodes_build(const char *dir, const struct skill_input *in, struct skill_nodes *s,
                             size_t *aux_files)
{
    size_t cap = in->files.count + 2;
    s->nodes = calloc(cap, sizeof *s->nodes);
    s->uris = calloc(cap, sizeof *s->uris);
    *aux_files = 0;
    char uri[VIKING_URI_MAX + 1];
    if (!s->nodes || !s->uris || skill_nodes_add(s, dir, STORE_DIR, NULL, 0) != 0 ||
        viking_uri_join(dir, SKILL_MD, uri, sizeof uri) != 0 ||
        skill_nodes_add(s, uri, STORE_FILE, in->doc.text, strlen(in->doc.text)) != 0)
        return -1;
    for (size_t i = 0; i < in->files.count; i++) {
        const struct import_entry *e = &in->files.entries[i];
        if (strcmp(e->rel_path, SKILL_MD) == 0)
            continue;
        if (viking_uri_join(dir, e->rel_path, uri, sizeof uri) != 0 ||
            skill_nodes_add(s, uri, e->is_dir ? STORE_DIR : STORE_FILE, (const char *)e->bytes,
                            e->len) != 0)
            return -1;
        *aux_files += !e->is_dir;
    }
    return 0;
}

struct skill_stale {
    const struct skill_nodes *keep;
    char **uris;
    size_t n, cap;
    int oom;
};

static int skill_stale_visit(void *arg, const struct store_node *node)
{
    struct skill_stale *s = arg;
    for (size_t i = 0; i < s->keep->n; i++)
        if (strcmp(s->keep->uris[i], node->uri) == 0)
            return 0;
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 16;
        char **grown = realloc(s->uris, cap * sizeof *grown);
        if (!grown) {
            s->oom = 1;
            return 1;
        }
        s->uris = grown;
        s->cap = cap;
    }
    if (!(s->uris[s->n] = strdup(node->uri))) {
        s->oom = 1;
        return 1;
    }
    s->n++;
    return 0;
}

/* Removes what an earlier version of the skill had and this one has not, with its vectors. */
static int skill_drop_stale(struct api_call *c, const char *dir, const struct skill_nodes *keep,
                            char *err, size_t err_cap)
{
    struct skill_stale s = {keep, NULL, 0, 0, 0};
    int rc = store_walk(c->store, c->who.account, dir, 0, 0, skill_stale_visit, &s, err, err_cap);
    if (rc == STORE_OK && s.oom) {
        snprintf(err, err_cap, "out of memory");
        rc = STORE_ENOMEM;
    }
    for (size_t i = 0; rc == STORE_OK && i < s.n; i++) {
        if (index_forget(c->gen, c->who.account, s.uris[i], err, err_cap) != SKALD_OK) {
            rc = STORE_EIO;
            break;
        }
        rc = store_remove(c->store, c->who.account, s.uris[i], 1, NULL, err, err_cap);
        if (rc == STORE_ENOTFOUND) /* inside a directory removed before */
            rc = STORE_OK;
    }
    for (size_t i = 0; i < s.n; i++)
        free(s.uris[i]);
    free(s.uris);
    return rc;
}

struct skill_stored {
    char dir[VIKING_URI_MAX + 1];
    char task_id[40];
    size_t aux_files;
};

/* Stores the skill under root (replacing an existing one) and queues its processing. */
static int skill_store(struct api_call *c, const char *root, const struct skill_input *in,
                       struct skill_stored *out)
{
    char err[512];
    struct skill_nodes nodes = {0};
    if (viking_uri_join(root, in->doc.name, out->dir, sizeof out->dir) != 0 ||
        skill_nodes_build(out->dir, in, &nodes, &out->aux_files) != 0) {
        skill_nodes_free(&nodes);
        http_reply_error(c->reply, "INVALID_ARGUMENT", NULL,
                         "the skill's files make URIs that are too long or invalid");
        return -1;
    }
    int rc = -1;
    pthread_mutex_lock(&skills_lock);
    int src = store_put(c->store, c->who.account, c->who.user, nodes.nodes, nodes.n, err, sizeof err);
    if (src == STORE_OK)
        src = skill_drop_stale(c, out->dir, &nodes, err, sizeof err);
    if (src != STORE_OK)
        api_store_error(c, src, out->dir, err);
    else if (task_view_start(c, "add_skill", out->dir, out->task_id, sizeof out->task_id) == 0)
        rc = 0;
    pthread_mutex_unlock(&skills_lock);
    skill_nodes_free(&nodes);
    if (rc != 0)
        return -1;
    if (index_enqueue_subtree(c->req->app, c->gen, c->store, c->who.account, out->dir, 0,
                              out->task_id, err, sizeof err) != SKALD_OK) {
        char terr[256];
        store_task_update(c->store, out->task_id, "failed", "queueing", NULL, err, terr, sizeof terr);
        http_reply_error(c->reply, "INTERNAL", NULL,
                         "%s is stored but its processing could not be queued: %s", out->dir, err);
        return -1;
    }
    return 0;
}

static json_t *skill_queue_line(size_t processed, int failed)
{
    return json_pack("{s:I, s:i, s:i, s:[]}", "processed", (json_int_t)processed, "requeue_count",
                     0, "error_count", failed, "errors");
}

/* states: the directory's semantic, its vectors, SKILL.md's vectors. */
static void skill_wait_done(json_t *result, const enum store_proc_state *states, size_t n)
{
    int sem_failed = n > 0 && states[0] == STORE_PROC_FAILED;
    int vec_failed = 0;
    for (size_t i = 1; i < n; i++)
        vec_failed += states[i] == STORE_PROC_FAILED;
    json_object_set_new(result, "queue_status",
                        json_pack("{s:o, s:o}", "Semantic", skill_queue_line(1, sem_failed),
                                  "Embedding", skill_queue_line(n - 1, vec_failed)));
}

/* Stores the loaded skill and answers (now, or once processed with wait). */
static void skill_add_answer(struct api_call *c, json_t *body, const char *root,
                             struct skill_input *in, const char *action)
{
    int wait;
    double timeout;
    if (api_field_bool(c, body, "wait", 0, &wait) != 0 ||
        api_field_number(c, body, "timeout", -1, &timeout) != 0)
        return;
    struct skill_stored st;
    if (skill_store(c, root, in, &st) != 0)
        return;
    json_t *result = json_pack("{s:s, s:s, s:s, s:s, s:I}", "status", "success", "uri", st.dir,
                               "root_uri", st.dir, "name", in->doc.name, "auxiliary_files",
                               (json_int_t)st.aux_files);
    if (result && action)
        json_object_set_new(result, "action", json_string(action));
    if (!result) {
        http_reply_error(c->reply, "INTERNAL", NULL, "out of memory");
        return;
    }
    if (!wait) {
        json_object_set_new(result, "task_id", json_string(st.task_id));
        http_reply_ok(c->reply, result);
        return;
    }
    struct index_wait_target t[3] = {{.which = INDEX_WAIT_SEMANTIC}, {.which = INDEX_WAIT_VECTORS},
                                     {.which = INDEX_WAIT_VECTORS}};
    snprintf(t[0].uri, sizeof t[0].uri, "%s", st.dir);
    snprintf(t[1].uri, sizeof t[1].uri, "%s", st.dir);
    viking_uri_join(st.dir, SKILL_MD, t[2].uri, sizeof t[2].uri);
    index_wait_park(c, t, 3, result, skill_wait_done, "add skill", timeout);
}

static void skills_add(struct http_request *req, struct generation *gen, struct http_reply *reply)
{
    struct api_call c;
    if (api_begin(req, gen, reply, &c) != 0)
        return;
    json_t *body = api_body(&c, add_fields);
    if (!body)
        return;
    const char *target;
    char root[VIKING_URI_MAX + 1];
    struct skill_input in;
    skill_input_init(&in);
    if (api_field_string(&c, body, "target_uri", 0, &target) == 0 &&
        skills_root(&c, "body.target_uri", target, root, sizeof root) == 0 &&
        skill_input_load(&c, body, &in) == 0)
        skill_add_answer(&c, body, root, &in, NULL);
    skill_input_clear(&in);
    json_decref(body);
}

static void skills_update(struct http_request *req, struct generation *gen,
                          struct http_reply *reply)
{
    struct api_call c;
    if (api_begin(req, gen, reply, &c) != 0)
        return;
    json_t *body = api_body(&c, add_fields);
    if (!body)
        return;
    const char *name = http_request_param(req, 0), *target;
    char uri[VIKING_URI_MAX + 1], root[VIKING_URI_MAX + 1];
    struct skill_input in;
    skill_input_init(&in);
    if (api_field_string(&c, body, "target_uri", 0, &target) == 0 &&
        skills_locate(&c, name, target, uri, root) == 0 && skill_input_load(&c, body, &in) == 0) {
        if (strcmp(in.doc.name, name) != 0)
            http_reply_error(reply, "INVALID_ARGUMENT",
                             json_pack("{s:s, s:s}", "expected", name, "actual", in.doc.name),
                             "Skill name mismatch: path name is '%s', content name is '%s'", name,
                             in.doc.name);
        else
            skill_add_answer(&c, body, root, &in, "update");
    }
    skill_input_clear(&in);
    json_decref(body);
}

/* ---- reading ---- */

/* SKILL.md of a skill directory, parsed; -1 when missing or not a skill. */
static int skill_read_doc(struct api_call *c, const char *dir, struct skill_doc *doc)
{
    char uri[VIKING_URI_MAX + 1], err[512], why[256];
    struct store_node n = {0};
    memset(doc, 0, sizeof *doc);
    if (viking_uri_join(dir, SKILL_MD, uri, sizeof uri) != 0 ||
        store_get(c->store, c->who.account, uri, 1, &n, err, sizeof err) != STORE_OK ||
        n.kind != STORE_FILE || !n.content || strlen(n.content) != n.content_len) {
        store_node_clear(&n);
        return -1;
    }
    int rc = skill_doc_parse(n.content, doc, why, sizeof why);
    store_node_clear(&n);
    return rc;
}

/* {"type","name","uri","root_uri","skill_md_uri","description","tags","allowed_tools"} */
static json_t *skill_summary(const char *dir, const struct skill_doc *doc)
{
    return json_pack("{s:s, s:s, s:s, s:s, s:s+, s:s, s:O, s:O}", "type", "skill", "name",
                     viking_uri_name(dir), "uri", dir, "root_uri", dir, "skill_md_uri", dir,
                     "/" SKILL_MD, "description", doc->description ? doc->description : "",
                     "tags", doc->tags, "allowed_tools", doc->allowed_tools);
}

struct skill_listing {
    struct api_call *c;
    json_t *skills;
    long long limit;
};

static int skill_list_visit(void *arg, const struct store_node *node)
{
    struct skill_listing *l = arg;
    if ((long long)json_array_size(l->skills) >= l->limit)
        return 1;
    if (node->kind != STORE_DIR)
        return 0;
    struct skill_doc doc;
    if (skill_read_doc(l->c, node->uri, &doc) == 0) {
        json_array_append_new(l->skills, skill_summary(node->uri, &doc));
        skill_doc_clear(&doc);
    }
    return (long long)json_array_size(l->skills) >= l->limit;
}

static int skills_list_root(struct api_call *c, const char *root, struct skill_listing *l)
{
    char err[512];
    int rc = store_list(c->store, c->who.account, root, skill_list_visit, l, err, sizeof err);
    if (rc == STORE_OK || rc == STORE_ENOTFOUND)
        return 0;
    api_store_error(c, rc, root, err);
    return -1;
}

static void skills_list(struct http_request *req, struct generation *gen, struct http_reply *reply)
{
    struct api_call c;
    if (api_begin(req, gen, reply, &c) != 0)
        return;
    long long limit;
    if (api_query_int(&c, "node_limit", SKILLS_LIST_DEFAULT, 1, 100000, &limit) != 0)
        return;
    const char *target = http_request_query(req, "target_uri");
    struct skill_listing l = {&c, json_array(), limit};
    char root[VIKING_URI_MAX + 1];
    json_t *result = NULL;
    if (target && *target) {
        if (skills_root(&c, "query.target_uri", target, root, sizeof root) == 0 &&
            skills_list_root(&c, root, &l) == 0)
            result = json_pack("{s:s, s:O, s:I}", "root_uri", root, "skills", l.skills, "total",
                               (json_int_t)json_array_size(l.skills));
    } else {
        skills_user_root(&c, root, sizeof root);
        if (skills_list_root(&c, root, &l) == 0 && skills_list_root(&c, SKILLS_AGENT_ROOT, &l) == 0)
            result = json_pack("{s:[s, s], s:O, s:I}", "root_uris", root, SKILLS_AGENT_ROOT,
                               "skills", l.skills, "total", (json_int_t)json_array_size(l.skills));
    }
    if (result)
        http_reply_ok(reply, result);
    else if (!reply->status)
        http_reply_error(reply, "INTERNAL", NULL, "out of memory");
    json_decref(l.skills);
}

struct skill_files {
    const char *dir;
    json_t *files;
};

static int skill_files_visit(void *arg, const struct store_node *node)
{
    struct skill_files *f = arg;
    const char *path = node->uri + strlen(f->dir) + 1;
    const char *kind = node->kind == STORE_DIR ? "directory"
                       : strcmp(path, SKILL_MD) == 0 ? "definition"
                                                     : "auxiliary";
    json_array_append_new(f->files, json_pack("{s:s, s:s, s:s, s:b, s:s, s:I}", "name", node->name,
                                              "uri", node->uri, "path", path, "is_dir",
                                              node->kind == STORE_DIR, "kind", kind, "size",
                                              (json_int_t)node->size));
    return json_array_size(f->files) >= SKILLS_MAX_FILES;
}

static void skills_get(struct http_request *req, struct generation *gen, struct http_reply *reply)
{
    struct api_call c;
    if (api_begin(req, gen, reply, &c) != 0)
        return;
    long long level;
    int include_files, include_content;
    char dir[VIKING_URI_MAX + 1], root[VIKING_URI_MAX + 1], err[512];
    if (api_query_int(&c, "level", -1, -1, 2, &level) != 0 ||
        api_query_bool(&c, "include_files", 1, &include_files) != 0 ||
        api_query_bool(&c, "include_content", level < 0 || level == 2, &include_content) != 0 ||
        skills_locate(&c, http_request_param(req, 0), http_request_query(req, "target_uri"), dir,
                      root) != 0)
        return;
    struct skill_doc doc;
    struct store_node node = {0};
    if (skill_read_doc(&c, dir, &doc) != 0) {
        http_reply_error(reply, "NOT_FOUND", json_pack("{s:s, s:s}", "type", "skill", "resource", dir),
                         "Skill not found: %s (no readable SKILL.md)", dir);
        return;
    }
    int src = store_get(c.store, c.who.account, dir, 0, &node, err, sizeof err);
    json_t *result = src == STORE_OK ? skill_summary(dir, &doc) : NULL;
    if (result && (level < 0 || level == 0))
        json_object_set_new(result, "abstract", json_string(node.l0 ? node.l0 : ""));
    if (result && (level < 0 || level == 1))
        json_object_set_new(result, "overview", json_string(node.l1 ? node.l1 : ""));
    if (result && include_content)
        json_object_set_new(result, "content", json_string(doc.text));
    if (result && include_files) {
        struct skill_files f = {dir, json_array()};
        src = store_walk(c.store, c.who.account, dir, 10, 0, skill_files_visit, &f, err, sizeof err);
        json_object_set_new(result, "files", f.files);
    }
    if (src != STORE_OK) {
        json_decref(result);
        api_store_error(&c, src, dir, err);
    } else if (result) {
        http_reply_ok(reply, result);
    } else {
        http_reply_error(reply, "INTERNAL", NULL, "out of memory");
    }
    store_node_clear(&node);
    skill_doc_clear(&doc);
}

static void skills_delete(struct http_request *req, struct generation *gen,
                          struct http_reply *reply)
{
    struct api_call c;
    if (api_begin(req, gen, reply, &c) != 0)
        return;
    char dir[VIKING_URI_MAX + 1], root[VIKING_URI_MAX + 1], err[512];
    const char *name = http_request_param(req, 0);
    if (skills_locate(&c, name, http_request_query(req, "target_uri"), dir, root) != 0)
        return;
    pthread_mutex_lock(&skills_lock);
    int rc = index_forget(gen, c.who.account, dir, err, sizeof err) == SKALD_OK ? STORE_OK : STORE_EIO;
    if (rc == STORE_OK)
        rc = store_remove(c.store, c.who.account, dir, 1, NULL, err, sizeof err);
    pthread_mutex_unlock(&skills_lock);
    if (rc != STORE_OK) {
        api_store_error(&c, rc, dir, err);
        return;
    }
    /* The root's L0/L1 no longer describes this skill. */
    index_refresh_parent(req->app, gen, c.store, c.who.account, dir, NULL, err, sizeof err);
    http_reply_ok(reply, json_pack("{s:s, s:s, s:s}", "name", name, "uri", dir, "root_uri", dir));
}

static void skills_validate(struct http_request *req, struct generation *gen,
                            struct http_reply *reply)
{
    struct api_call c;
    if (api_begin(req, gen, reply, &c) != 0)
        return;
    json_t *body = api_body(&c, validate_fields);
    if (!body)
        return;
    int strict;
    const char *source, *dir_name;
    if (!json_object_get(body, "data") || json_is_null(json_object_get(body, "data")))
        api_invalid(&c, "body.data", "field required");
    else if (api_field_bool(&c, body, "strict", 0, &strict) == 0 &&
             api_field_string(&c, body, "source_path", 0, &source) == 0 &&
             api_field_string(&c, body, "skill_dir_name", 0, &dir_name) == 0) {
        json_t *result = skill_doc_validate(json_object_get(body, "data"), strict, dir_name, source);
        if (result)
            http_reply_ok(reply, result);
        else
            http_reply_error(reply, "INTERNAL", NULL, "out of memory");
    }
    json_decref(body);
}

/* ---- find ---- */

/* The skill directory a hit belongs to: the child of the root it lies under, or NULL. */
static int skill_dir_of(const char *uri, char *const *roots, size_t n, char *out, size_t cap)
{
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(roots[i]);
        if (strncmp(uri, roots[i], len) != 0 || uri[len] != '/')
            continue;
        const char *slash = strchr(uri + len + 1, '/');
        size_t end = slash ? (size_t)(slash - uri) : strlen(uri);
        if (end >= cap)
            return -1;
        memcpy(out, uri, end);
        out[end] = '\0';
        return 0;
    }
    return -1;
}

static json_t *skills_find_hits(struct api_call *c, const struct retrieval_hits *hits,
                                char *const *roots, size_t n_roots)
{
    json_t *skills = json_array();
    json_t *seen = json_object();
    for (size_t i = 0; skills && seen && i < hits->n; i++) {
        const struct retrieval_hit *h = &hits->items[i];
        char dir[VIKING_URI_MAX + 1];
        struct skill_doc doc;
        if (skill_dir_of(h->rec.uri, roots, n_roots, dir, sizeof dir) != 0 ||
            json_object_get(seen, dir) || skill_read_doc(c, dir, &doc) != 0)
            continue;
        json_object_set_new(seen, dir, json_true());
        json_t *s = skill_summary(dir, &doc);
        skill_doc_clear(&doc);
        if (!s)
            continue;
        json_object_set_new(s, "score", json_real(retrieval_score_wire(h->score)));
        json_object_set_new(s, "match_reason", json_string(h->reranked ? "rerank" : "vector"));
        json_object_set_new(s, "level", json_integer(h->rec.level));
        json_object_set_new(s, "abstract", json_string(h->rec.abstract));
        json_array_append_new(skills, s);
    }
    json_decref(seen);
    return skills;
}

static void skills_find(struct http_request *req, struct generation *gen, struct http_reply *reply)
{
    struct api_call c;
    if (api_begin(req, gen, reply, &c) != 0)
        return;
    json_t *body = api_body(&c, find_fields);
    if (!body)
        return;
    const char *target;
    char root[VIKING_URI_MAX + 1], user_root[VIKING_URI_MAX + 1];
    struct retrieval_spec spec;
    struct retrieval_error e;
    int ok = api_field_string(&c, body, "target_uri", 0, &target) == 0 &&
             (!target || !*target || skills_root(&c, "body.target_uri", target, root, sizeof root) == 0);
    skills_user_root(&c, user_root, sizeof user_root);
    /* target points into the body, which loses the field next. */
    int one = ok && target && *target;
    if (ok) {
        json_object_del(body, "target_uri");
        if (retrieval_spec_parse(body, &c.who, clock_wall_ms(), &spec, &e) != 0) {
            retrieval_json_refusal(reply, &e);
            ok = 0;
        }
    }
    json_decref(body);
    if (!ok)
        return;
    /* The skill roots replace the find's default targets. */
    retrieval_targets_free(spec.targets, spec.n_targets);
    spec.targets = calloc(2, sizeof *spec.targets);
    spec.n_targets = spec.targets ? (one ? 1 : 2) : 0;
    if (spec.targets) {
        spec.targets[0] = strdup(one ? root : user_root);
        if (!one)
            spec.targets[1] = strdup(SKILLS_AGENT_ROOT);
    }
    if (!spec.targets || !spec.targets[0] || (!one && !spec.targets[1])) {
        retrieval_spec_clear(&spec);
        http_reply_error(reply, "INTERNAL", NULL, "out of memory");
        return;
    }
    spec.ctypes = RETRIEVAL_CT_SKILL;
    char err[512] = "";
    struct skald_call_ctx ctx;
    http_request_call_ctx(req, gen, &ctx, err, sizeof err);
    struct retrieval_env env = {gen, &c.who, &ctx};
    struct retrieval_hits hits = {0};
    struct retrieval_trace trace = {0};
    int rc = retrieval_find(&env, &spec, spec.query, RETRIEVAL_CT_SKILL, &hits, &trace, err, sizeof err);
    if (rc != SKALD_OK) {
        http_reply_error(reply, http_error_code_for_plugin(rc), NULL, "skill search failed: %s", err);
    } else {
        json_t *skills = skills_find_hits(&c, &hits, spec.targets, spec.n_targets);
        json_t *result = one ? json_pack("{s:s, s:o, s:I}", "root_uri", root, "skills", skills,
                                         "total", (json_int_t)json_array_size(skills))
                             : json_pack("{s:[s, s], s:o, s:I}", "root_uris", user_root,
                                         SKILLS_AGENT_ROOT, "skills", skills, "total",
                                         (json_int_t)json_array_size(skills));
        if (result)
            http_reply_ok(reply, result);
        else
            http_reply_error(reply, "INTERNAL", NULL, "out of memory");
    }
    retrieval_hits_free(&hits);
    retrieval_trace_clear(&trace);
    retrieval_spec_clear(&spec);
}

const struct route routes_skills[] = {
    {"POST", "/api/v1/skills", 0, NULL, skills_add},
    {"GET", "/api/v1/skills", 0, NULL, skills_list},
    {"POST", "/api/v1/skills/find", 0, NULL, skills_find},
    {"POST", "/api/v1/skills/validate", 0, NULL, skills_validate},
    {"GET", "/api/v1/skills/*", 0, NULL, skills_get},
    {"PUT", "/api/v1/skills/*", 0, NULL, skills_update},
    {"DELETE", "/api/v1/skills/*", 0, NULL, skills_delete},
    {NULL, NULL, 0, NULL, NULL},
};
