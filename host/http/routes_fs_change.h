/*
 * The filesystem routes that change the tree (OpenViking section 2.4): set_tags (also served as
 * POST /api/v1/content/set_tags), mkdir, rm and mv. Each keeps the vector index true: vectors of
 * removed or moved nodes go, moved and retagged nodes are embedded again, and parents' L0/L1 are
 * queued for a refresh. Handlers for the route tables of routes_fs.c and routes_content.c.
 */
#ifndef SKALD_HTTP_ROUTES_FS_CHANGE_H
#define SKALD_HTTP_ROUTES_FS_CHANGE_H

#include "http/request.h"

void routes_fs_set_tags(struct http_request *req, struct generation *gen, struct http_reply *reply);
void routes_fs_mkdir(struct http_request *req, struct generation *gen, struct http_reply *reply);
void routes_fs_rm(struct http_request *req, struct generation *gen, struct http_reply *reply);
void routes_fs_mv(struct http_request *req, struct generation *gen, struct http_reply *reply);

#endif
