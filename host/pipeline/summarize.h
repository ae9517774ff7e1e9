/* Asking the VLM plugin for an abstract (L0, one or two sentences) or an overview (L1) of a text. */
#ifndef SKALD_PIPELINE_SUMMARIZE_H
#define SKALD_PIPELINE_SUMMARIZE_H

#include <stddef.h>

#include "plugin/instance.h"

enum summary_kind { SUMMARY_ABSTRACT = 0, SUMMARY_OVERVIEW = 1 };

/* Longest input handed to the model; longer documents are cut (their start carries the title
 * and lead). */
#define SUMMARY_MAX_INPUT (32u * 1024u)

/* Collects a VLM's streamed answer (the skald_text_sink of a complete() call) into one
 * NUL-terminated buffer, cut at max bytes. buf is malloc'd; the caller frees it. */
struct summary_text {
    char *buf;
    size_t len;
    size_t max;
    int oom; /* set when growing buf failed; the call then stops */
};
int summary_text_collect(void *arg, const char *text, size_t len);

/* Summarises text (len bytes, titled `name`) into *out (malloc'd, NUL-terminated; the caller
 * frees). Returns a skald status; ctx->err says why on failure. */
int summarize(struct plugin_instance *vlm, const struct skald_call_ctx *ctx, enum summary_kind kind,
              const char *name, const char *text, size_t len, char **out);

#endif
