#include "http/router.h"

#include <string.h>

enum route_match router_find(const char *method, const char *path, const struct route **out)
{
    static const struct route *const tables[] = {routes_system, routes_debug};
    int path_seen = 0;
    for (size_t t = 0; t < sizeof tables / sizeof tables[0]; t++) {
        for (const struct route *r = tables[t]; r->path; r++) {
            if (strcmp(r->path, path) != 0)
                continue;
            path_seen = 1;
            if (strcmp(r->method, method) == 0) {
                *out = r;
                return ROUTE_FOUND;
            }
        }
    }
    return path_seen ? ROUTE_WRONG_METHOD : ROUTE_NO_PATH;
}
