/*
 * The storing half of POST /api/v1/resources: an import tree, already parsed, goes under its
 * planned root URI in one store transaction, with an add_resource task for it and its pipeline
 * jobs queued. Everything that can refuse the request (parent missing, target busy, a file in
 * the way) is checked before anything is written.
 */
#ifndef SKALD_HTTP_RESOURCE_ADD_H
#define SKALD_HTTP_RESOURCE_ADD_H

#include <stddef.h>

#include "http/api_call.h"
#include "ingest/import_tree.h"

struct resource_add_req {
    const char *to;        /* canonical exact root URI, or NULL */
    const char *parent;    /* canonical parent directory when `to` is NULL */
    int create_parent;     /* create a missing parent instead of answering 404 */
    int vectors_only;      /* processing_mode = vectors_only: no L0/L1 */
    const char *tags_json; /* JSON array of "k=v", or NULL */
    int tags_append;       /* tag_mode = append: merge into existing nodes' tags */
};

struct resource_add_out {
    char root_uri[VIKING_URI_MAX + 1];
    char task_id[40];
    size_t context_count; /* nodes stored: the root and everything under it */
};

/* Plans the root (`to`, or {parent}/{tree's root name} with _1, _2... when taken), stores the
 * tree and creates the task, then queues the jobs. Returns 0, or -1 with the error reply
 * written to c (nothing stored, unless the failure came after the store: then 500). */
int resource_add_store(struct api_call *c, const struct resource_add_req *r,
                       const struct import_tree *tree, struct resource_add_out *out);

#endif
