/* Retrieval and text search: find, search, grep, glob. */
#include "ctl_cmd.h"
#include "ctl_output.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

struct find_opts {
    long limit; /* 0: the server's default */
    const char *target;
    const char *session; /* search only */
};

static int find_opt(int opt, const char *arg, void *ctx)
{
    struct find_opts *o = ctx;
    if (opt == 't' || opt == 's') {
        *(opt == 't' ? &o->target : &o->session) = arg;
        return 0;
    }
    if (opt != 'n')
        return -1;
    char *end;
    errno = 0;
    o->limit = strtol(arg, &end, 10);
    return errno || end == arg || *end || o->limit < 1 ? -1 : 0;
}

/* The hits of all three groups in one table, in the server's order within each group. */
static json_t *find_hits(json_t *result)
{
    static const char *const groups[] = {"resources", "memories", "skills"};
    json_t *all = json_array();
    if (!all)
        return NULL;
    for (size_t i = 0; i < sizeof groups / sizeof groups[0]; i++) {
        json_t *group = json_object_get(result, groups[i]);
        if (json_is_array(group) && json_array_extend(all, group) != 0) {
            json_decref(all);
            return NULL;
        }
    }
    return all;
}

/* find and search share everything but the route and search's --session. */
static int retrieve(const struct ctl *c, int argc, char **argv, const char *usage, const char *route,
                    const struct option *longopts, const char *shortopts)
{
    static const char *const cols[] = {"context_type", "score", "uri", "abstract", NULL};
    struct find_opts o = {0};
    int pos;
    int rc = ctl_args(argc, argv, usage, shortopts, longopts, find_opt, &o, 1, 1, &pos);
    if (rc != CTL_OK)
        return rc < 0 ? CTL_OK : rc;
    json_t *body =
        json_pack("{s:s, s:s*, s:s*}", "query", argv[pos], "target_uri", o.target, "session_id", o.session);
    if (!body || (o.limit > 0 && json_object_set_new(body, "limit", json_integer(o.limit)) != 0)) {
        json_decref(body);
        fprintf(stderr, "skaldctl: the query, target or session is not valid UTF-8\n");
        return CTL_USAGE;
    }
    json_t *result;
    char err[1024];
    rc = ctl_call(c, "POST", route, body, &result, err, sizeof err);
    json_decref(body);
    if (rc != CTL_OK) {
        fprintf(stderr, "skaldctl: %s\n", err);
        return rc;
    }
    json_t *shown = c->json ? json_incref(result) : find_hits(result);
    rc = shown && ctl_print(shown, c->json, cols) == 0 ? CTL_OK : CTL_SERVER_ERROR;
    if (rc != CTL_OK)
        fprintf(stderr, "skaldctl: cannot write the output\n");
    json_decref(shown);
    json_decref(result);
    return rc;
}

int ctl_cmd_find(const struct ctl *c, int argc, char **argv)
{
    static const struct option longopts[] = {{"help", no_argument, NULL, 'h'},
                                             {"limit", required_argument, NULL, 'n'},
                                             {"target", required_argument, NULL, 't'},
                                             {NULL, 0, NULL, 0}};
    return retrieve(c, argc, argv, "find QUERY [--limit N] [--target URI]", "/api/v1/search/find", longopts,
                    "n:t:");
}

int ctl_cmd_search(const struct ctl *c, int argc, char **argv)
{
    static const struct option longopts[] = {{"help", no_argument, NULL, 'h'},
                                             {"limit", required_argument, NULL, 'n'},
                                             {"target", required_argument, NULL, 't'},
                                             {"session", required_argument, NULL, 's'},
                                             {NULL, 0, NULL, 0}};
    return retrieve(c, argc, argv, "search QUERY [--session ID] [--limit N] [--target URI]",
                    "/api/v1/search/search", longopts, "n:t:s:");
}

int ctl_cmd_grep(const struct ctl *c, int argc, char **argv)
{
    static const char *const cols[] = {"uri", "line", "content", NULL};
    int pos;
    int rc = ctl_args(argc, argv, "grep PATTERN URI", NULL, NULL, NULL, NULL, 2, 2, &pos);
    if (rc != CTL_OK)
        return rc < 0 ? CTL_OK : rc;
    json_t *body = json_pack("{s:s, s:s}", "pattern", argv[pos], "uri", argv[pos + 1]);
    if (!body) {
        fprintf(stderr, "skaldctl: the pattern or URI is not valid UTF-8\n");
        return CTL_USAGE;
    }
    return ctl_run(c, "POST", "/api/v1/search/grep", body, "matches", cols);
}

int ctl_cmd_glob(const struct ctl *c, int argc, char **argv)
{
    int pos;
    int rc = ctl_args(argc, argv, "glob PATTERN [URI]", NULL, NULL, NULL, NULL, 1, 2, &pos);
    if (rc != CTL_OK)
        return rc < 0 ? CTL_OK : rc;
    const char *uri = argc - pos > 1 ? argv[pos + 1] : NULL;
    json_t *body = json_pack("{s:s, s:s*}", "pattern", argv[pos], "uri", uri);
    if (!body) {
        fprintf(stderr, "skaldctl: the pattern or URI is not valid UTF-8\n");
        return CTL_USAGE;
    }
    return ctl_run(c, "POST", "/api/v1/search/glob", body, "matches", NULL);
}
