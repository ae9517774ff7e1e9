/*
 * The content routes that change stored data (OpenViking section 2.5): write (replace, append,
 * create; then the file's vectors and its directory's L0/L1 are queued, and `wait` waits for
 * them) and reindex (vectors_only, semantic_and_vectors, prune_orphans; an admin_reindex task).
 * Handlers for the route table of routes_content.c.
 */
#ifndef SKALD_HTTP_ROUTES_CONTENT_CHANGE_H
#define SKALD_HTTP_ROUTES_CONTENT_CHANGE_H

#include "http/request.h"

void routes_content_write(struct http_request *req, struct generation *gen,
                          struct http_reply *reply);
void routes_content_reindex(struct http_request *req, struct generation *gen,
                            struct http_reply *reply);

#endif
