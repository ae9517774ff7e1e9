/* Asking the VLM plugin for an abstract (L0, one or two sentences) or an overview (L1) of a text. */
#ifndef SKALD_PIPELINE_SUMMARIZE_H
#define SKALD_PIPELINE_SUMMARIZE_H

#include <stddef.h>

#include "plugin/instance.h"

enum summary_kind { SUMMARY_ABSTRACT = 0, SUMMARY_OVERVIEW = 1 };

/* Longest input handed to the model; longer documents are cut (their start carries the title
 * and lead). */
#define SUMMARY_MAX_INPUT (32u * 1024u)

/* Summarises text (len bytes, titled `name`) into *out (malloc'd, NUL-terminated; the caller
 * frees). Returns a skald status; ctx->err says why on failure. */
int summarize(struct plugin_instance *vlm, const struct skald_call_ctx *ctx, enum summary_kind kind,
              const char *name, const char *text, size_t len, char **out);

#endif
