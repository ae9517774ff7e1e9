#include "http/router.h"

#include <stdlib.h>
#include <string.h>

/* Matches path against pattern segment by segment; a "*" segment matches one non-empty segment
 * and is copied into params. Returns 1 on a match (params filled), 0 otherwise (params empty). */
static int route_path_match(const char *pattern, const char *path, struct http_args *params)
{
    const char *p = pattern, *s = path;
    size_t n = 0;
    while (*p && *s) {
        if (p[0] == '*' && (p[1] == '/' || p[1] == '\0')) {
            size_t len = strcspn(s, "/");
            if (len == 0 || n == HTTP_MAX_PATH_PARAMS)
                goto no;
            params->params[n] = strndup(s, len);
            if (!params->params[n])
                goto no;
            n++;
            p++;
            s += len;
            continue;
        }
        if (*p != *s)
            goto no;
        p++;
        s++;
    }
    if (*p == '\0' && *s == '\0') {
        params->n_params = n;
        return 1;
    }
no:
    for (size_t i = 0; i < n; i++) {
        free(params->params[i]);
        params->params[i] = NULL;
    }
    return 0;
}

enum route_match router_find(const char *method, const char *path, const struct route **out,
                             struct http_args *params)
{
    static const struct route *const tables[] = {
        routes_system, routes_system_data, routes_debug, routes_fs, routes_content,
        routes_resources, routes_tasks, routes_search_text, routes_observer, routes_metrics,
        routes_search, routes_skills, routes_sessions, routes_lanes};
    int path_seen = 0;
    for (size_t t = 0; t < sizeof tables / sizeof tables[0]; t++) {
        for (const struct route *r = tables[t]; r->path; r++) {
            struct http_args scratch = {0};
            if (!route_path_match(r->path, path, &scratch))
                continue;
            path_seen = 1;
            if (strcmp(r->method, method) == 0) {
                for (size_t i = 0; i < scratch.n_params; i++)
                    params->params[i] = scratch.params[i];
                params->n_params = scratch.n_params;
                *out = r;
                return ROUTE_FOUND;
            }
            for (size_t i = 0; i < scratch.n_params; i++)
                free(scratch.params[i]);
        }
    }
    return path_seen ? ROUTE_WRONG_METHOD : ROUTE_NO_PATH;
}
