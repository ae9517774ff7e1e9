/*
 * HTTP request metrics, recorded on the HTTP threads: lock-free and allocation-free (fixed tables
 * of atomics indexed by route and status), so counting never slows a request down. Route labels
 * are the routes' path patterns (static strings), which keeps their number bounded.
 */
#ifndef SKALD_METRICS_HTTP_H
#define SKALD_METRICS_HTTP_H

#include <stdint.h>
#include <stdio.h>

/* Label of requests that matched no route (unknown path, wrong method, body over the limit). */
#define METRICS_ROUTE_UNMATCHED "unmatched"

/* One answered /health (the fast path has no request object and is not timed). */
void metrics_http_health(void);
/* One finished request: route pattern (a static string, or NULL for unmatched), HTTP status,
 * and the time from its first byte to its completion. */
void metrics_http_observe(const char *route, unsigned code, int64_t duration_ns);
/* Requests between their first handler call and completion, /health excluded. */
void metrics_http_in_flight_add(int delta);

/* Writes the skald_http_* families. */
void metrics_http_write(FILE *out);

#endif
