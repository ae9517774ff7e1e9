/*
 * Memory extraction: asking the VLM plugin which long-term memories a conversation holds, and
 * reading its answer defensively. The answer is expected as JSON ({"memories":[{category, title,
 * content}]}, a bare array, or one object per line); whatever part of it is valid is kept and
 * every part that is not is reported as a warning, so a half-broken answer still yields its good
 * memories and never fails the commit.
 */
#ifndef SKALD_SESSION_EXTRACT_H
#define SKALD_SESSION_EXTRACT_H

#include <stddef.h>

#include <jansson.h>

#include "plugin/instance.h"

#define EXTRACT_N_CATEGORIES 5
/* profile, preferences, entities, events, cases. */
extern const char *const session_extract_categories[EXTRACT_N_CATEGORIES];

#define EXTRACT_TITLE_MAX 200
#define EXTRACT_CONTENT_MAX (16u * 1024u)

struct extract_item {
    int category;  /* index into session_extract_categories */
    char *title;   /* owned, non-empty, at most EXTRACT_TITLE_MAX bytes */
    char *content; /* owned, non-empty */
};

struct extract_result {
    struct extract_item *items;
    size_t n;
    json_t *warnings;    /* array of strings: the parts of the answer that were refused */
    size_t prompt_bytes; /* for the token estimates */
    size_t answer_bytes;
};

/* Index of a category name (case-insensitive; singular forms accepted), -1 when unknown. */
int session_extract_category(const char *name);

/* Reads a model's answer into out (items of the categories whose bit is set in allowed_mask,
 * the others reported). Returns 0, or -1 when out of memory. */
int session_extract_parse(const char *text, size_t len, unsigned allowed_mask,
                          struct extract_result *out);

/* Asks the model about transcript (cut to its last 32 KiB when longer) and parses the answer.
 * Returns a skald status of the call; ctx->err says why. */
int session_extract_run(struct plugin_instance *vlm, const struct skald_call_ctx *ctx,
                        const char *transcript, size_t len, unsigned allowed_mask,
                        struct extract_result *out);

void session_extract_clear(struct extract_result *r);

#endif
