/*
 * POST /api/v1/search/grep (POSIX extended regex over the lines of the files under a URI) and
 * POST /api/v1/search/glob (shell patterns over the URIs under a URI, `**` spanning segments).
 * Both walk the caller's account only.
 */
#include <fnmatch.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/api_call.h"
#include "http/router.h"

#define SEARCH_NODE_LIMIT_DEFAULT 256
#define SEARCH_NODE_LIMIT_MAX 100000
#define GREP_LEVEL_LIMIT_DEFAULT 10
/* A matching line longer than this is cut in the answer (not in the match). */
#define GREP_LINE_MAX 2000

struct grep_run {
    const struct identity *who;
    regex_t re;
    long long limit;
    const char *exclude; /* canonical URI or NULL */
    json_t *matches;
    uint64_t files_scanned;
    int oom;
};

/* One file: every line (split on '\n', a trailing '\r' dropped) tested on its own. */
static int grep_file(struct grep_run *g, const struct store_node *node)
{
    g->files_scanned++;
    const char *p = node->content ? node->content : "";
    const char *end = p + node->content_len;
    long long line_no = 0;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
        line_no++;
        size_t keep = len > 0 && p[len - 1] == '\r' ? len - 1 : len;
        char *line = strndup(p, keep);
        if (!line) {
            g->oom = 1;
            return 1;
        }
        if (strlen(line) == keep && regexec(&g->re, line, 0, NULL, 0) == 0) {
            size_t shown = keep > GREP_LINE_MAX ? GREP_LINE_MAX : keep;
            while (shown < keep && shown > 0 && ((unsigned char)line[shown] & 0xC0) == 0x80)
                shown--;
            json_t *m = json_pack("{s:s, s:I, s:s%}", "uri", node->uri, "line", (json_int_t)line_no,
                                  "content", line, shown);
            if (!m || json_array_append_new(g->matches, m) != 0)
                g->oom = 1;
        }
        free(line);
        if (g->oom || (long long)json_array_size(g->matches) >= g->limit)
            return 1;
        if (!nl)
            break;
        p = nl + 1;
    }
    return 0;
}

static int grep_visit(void *arg, const struct store_node *node)
{
    struct grep_run *g = arg;
    /* Another user's subtree is walked past, not shown. */
    if (node->kind != STORE_FILE || (g->exclude && viking_uri_is_under(node->uri, g->exclude)) ||
        viking_uri_access(g->who, node->uri) != 0)
        return 0;
    return grep_file(g, node);
}

static void search_grep(struct http_request *req, struct generation *gen, struct http_reply *reply)
{
    struct api_call c;
    if (api_begin(req, gen, reply, &c) != 0)
        return;
    json_t *body = api_body(&c, NULL);
    if (!body)
        return;
    const char *raw_uri = NULL, *pattern = NULL, *raw_exclude = NULL;
    int icase = 0;
    long long limit = 0, levels = 0;
    char uri[VIKING_URI_MAX + 1], exclude[VIKING_URI_MAX + 1];
    int rc = api_field_string(&c, body, "uri", 1, &raw_uri);
    if (rc == 0)
        rc = api_field_string(&c, body, "pattern", 1, &pattern);
    if (rc == 0)
        rc = api_field_bool(&c, body, "case_insensitive", 0, &icase);
    if (rc == 0)
        rc = api_field_int(&c, body, "node_limit", SEARCH_NODE_LIMIT_DEFAULT, 1,
                           SEARCH_NODE_LIMIT_MAX, &limit);
    if (rc == 0)
        rc = api_field_int(&c, body, "level_limit", GREP_LEVEL_LIMIT_DEFAULT, 1, 1000, &levels);
    if (rc == 0)
        rc = api_field_string(&c, body, "exclude_uri", 0, &raw_exclude);
    if (rc == 0)
        rc = api_uri(&c, "body.uri", raw_uri, uri);
    if (rc == 0 && raw_exclude && *raw_exclude)
        rc = api_uri(&c, "body.exclude_uri", raw_exclude, exclude);
    struct grep_run g = {
        .who = &c.who, .limit = limit, .exclude = raw_exclude && *raw_exclude ? exclude : NULL};
    int compiled = 0;
    if (rc == 0) {
        int rerc = regcomp(&g.re, pattern, REG_EXTENDED | REG_NOSUB | (icase ? REG_ICASE : 0));
        if (rerc != 0) {
            char why[256];
            regerror(rerc, &g.re, why, sizeof why);
            api_invalid(&c, "body.pattern", "not a valid regular expression: %s", why);
            rc = -1;
        } else {
            compiled = 1;
        }
    }
    json_decref(body);
    if (rc != 0)
        goto done;
    g.matches = json_array();
    if (!g.matches) {
        http_reply_error(reply, "INTERNAL", NULL, "out of memory");
        goto done;
    }
    char err[512];
    struct store_node root = {0};
    int src = store_get(c.store, c.who.account, uri, 1, &root, err, sizeof err);
    if (src == STORE_OK) {
        if (root.kind == STORE_FILE)
            grep_visit(&g, &root);
        else
            src = store_walk(c.store, c.who.account, uri, (unsigned)levels, 1, grep_visit, &g, err,
                             sizeof err);
    }
    store_node_clear(&root);
    if (src != STORE_OK) {
        api_store_error(&c, src, uri, err);
        goto done;
    }
    if (g.oom) {
        http_reply_error(reply, "INTERNAL", NULL, "out of memory");
        goto done;
    }
    size_t n = json_array_size(g.matches);
    http_reply_ok(reply, json_pack("{s:O, s:I, s:I, s:I}", "matches", g.matches, "count",
                                   (json_int_t)n, "match_count", (json_int_t)n, "files_scanned",
                                   (json_int_t)g.files_scanned));
done:
    if (compiled)
        regfree(&g.re);
    json_decref(g.matches);
}

/* ---- glob ---- */

/* Whether path (segments split by '/') matches pattern segment by segment: `**` matches zero or
 * more whole segments, any other segment is an fnmatch pattern for exactly one segment. */
static int glob_match(const char *pat, const char *path)
{
    if (*pat == '\0')
        return *path == '\0';
    const char *pat_end = strchr(pat, '/');
    size_t pat_len = pat_end ? (size_t)(pat_end - pat) : strlen(pat);
    const char *pat_next = pat_end ? pat_end + 1 : pat + pat_len;
    if (pat_len == 2 && pat[0] == '*' && pat[1] == '*') {
        if (glob_match(pat_next, path))
            return 1;
        if (*path == '\0')
            return 0;
        const char *slash = strchr(path, '/');
        return glob_match(pat, slash ? slash + 1 : path + strlen(path));
    }
    if (*path == '\0')
        return 0;
    const char *path_end = strchr(path, '/');
    size_t path_len = path_end ? (size_t)(path_end - path) : strlen(path);
    char seg_pat[VIKING_URI_MAX + 1], seg[VIKING_URI_MAX + 1];
    if (pat_len > VIKING_URI_MAX || path_len > VIKING_URI_MAX)
        return 0;
    memcpy(seg_pat, pat, pat_len);
    seg_pat[pat_len] = '\0';
    memcpy(seg, path, path_len);
    seg[path_len] = '\0';
    if (fnmatch(seg_pat, seg, 0) != 0)
        return 0;
    /* A pattern that ends here matches only a path that ends here too. */
    if (!pat_end)
        return path_end == NULL;
    return path_end && glob_match(pat_next, path_end + 1);
}

struct glob_run {
    const struct identity *who;
    const char *pattern;
    int absolute;    /* the pattern is a whole viking:// URI */
    size_t base_len; /* length of the search root's URI plus its '/' */
    long long limit;
    json_t *matches;
    int oom;
};

static int glob_visit(void *arg, const struct store_node *node)
{
    struct glob_run *g = arg;
    const char *subject = g->absolute ? node->uri : node->uri + g->base_len;
    if (viking_uri_access(g->who, node->uri) != 0 || !glob_match(g->pattern, subject))
        return 0;
    if (json_array_append_new(g->matches, json_string(node->uri)) != 0) {
        g->oom = 1;
        return 1;
    }
    return (long long)json_array_size(g->matches) >= g->limit;
}

static void search_glob(struct http_request *req, struct generation *gen, struct http_reply *reply)
{
    struct api_call c;
    if (api_begin(req, gen, reply, &c) != 0)
        return;
    json_t *body = api_body(&c, NULL);
    if (!body)
        return;
    const char *pattern = NULL, *raw_uri = NULL;
    long long limit;
    char uri[VIKING_URI_MAX + 1];
    int rc = api_field_string(&c, body, "pattern", 1, &pattern);
    if (rc == 0)
        rc = api_field_string(&c, body, "uri", 0, &raw_uri);
    if (rc == 0)
        rc = api_field_int(&c, body, "node_limit", SEARCH_NODE_LIMIT_DEFAULT, 1,
                           SEARCH_NODE_LIMIT_MAX, &limit);
    if (rc == 0)
        rc = api_uri(&c, "body.uri", raw_uri && *raw_uri ? raw_uri : "viking://", uri);
    if (rc == 0 && !*pattern) {
        api_invalid(&c, "body.pattern", "must not be empty");
        rc = -1;
    }
    char *pat = rc == 0 ? strdup(pattern) : NULL;
    json_decref(body);
    if (rc != 0)
        return;
    struct glob_run g = {.who = &c.who, .pattern = pat, .limit = limit, .matches = json_array()};
    if (!pat || !g.matches) {
        http_reply_error(reply, "INTERNAL", NULL, "out of memory");
        goto done;
    }
    g.absolute = strncmp(pat, "viking://", 9) == 0;
    /* Relative patterns are matched against the path below the root ("docs/a.md"). */
    g.base_len = strcmp(uri, "viking://") == 0 ? strlen("viking://") : strlen(uri) + 1;
    char err[512];
    int src = store_walk(c.store, c.who.account, uri, 0, 0, glob_visit, &g, err, sizeof err);
    if (src != STORE_OK) {
        api_store_error(&c, src, uri, err);
        goto done;
    }
    if (g.oom) {
        http_reply_error(reply, "INTERNAL", NULL, "out of memory");
        goto done;
    }
    http_reply_ok(reply, json_pack("{s:O, s:I}", "matches", g.matches, "count",
                                   (json_int_t)json_array_size(g.matches)));
done:
    json_decref(g.matches);
    free(pat);
}

const struct route routes_search_text[] = {
    {"POST", "/api/v1/search/grep", 0, NULL, search_grep},
    {"POST", "/api/v1/search/glob", 0, NULL, search_glob},
    {NULL, NULL, 0, NULL, NULL},
};
