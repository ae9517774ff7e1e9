/* The route table: which handler answers a method and path, and on which thread. */
#ifndef SKALD_HTTP_ROUTER_H
#define SKALD_HTTP_ROUTER_H

#include "http/request.h"
#include "http/request_args.h"

/* Runs on the HTTP thread: must not block (no backend, SQLite, disk, lock held by a worker). */
typedef void (*http_sync_fn)(struct http_request *req, struct http_reply *reply);

struct route {
    const char *method;
    const char *path;
    int debug_only;         /* served only with [server] debug_routes = on */
    http_sync_fn sync_fn;   /* exactly one of sync_fn and async_fn is set */
    http_async_fn async_fn;
};

enum route_match { ROUTE_FOUND, ROUTE_NO_PATH, ROUTE_WRONG_METHOD };

/* Finds the route for method and path (query string already stripped by libmicrohttpd). A "*"
 * segment in a route's path matches one path segment, copied into params (owned by params). */
enum route_match router_find(const char *method, const char *path, const struct route **out,
                             struct http_args *params);

/* Route tables of each area, defined beside their handlers. */
extern const struct route routes_system[];
extern const struct route routes_system_data[]; /* system wait and consistency */
extern const struct route routes_debug[];
extern const struct route routes_fs[];
extern const struct route routes_content[];
extern const struct route routes_resources[];
extern const struct route routes_tasks[];
extern const struct route routes_search_text[]; /* grep and glob */
extern const struct route routes_search[];      /* find and search (host/retrieval/) */
extern const struct route routes_skills[];
extern const struct route routes_observer[];
extern const struct route routes_metrics[];  /* GET /metrics (host/metrics/) */
extern const struct route routes_sessions[]; /* sessions, messages, commit (host/session/) */
extern const struct route routes_lanes[];    /* observer/lock: session lanes */

#endif
