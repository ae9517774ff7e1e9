/*
 * Broken plugins for the loader tests: one source, built once per defect with BROKEN_<defect>
 * defined. Each must be refused by plugin_module_open() with a message naming the defect.
 */
#include <stddef.h>

#include <skald/plugin.h>

static int broken_create(const struct skald_host *host, void **instance, char *err, size_t cap)
{
    (void)host, (void)err, (void)cap;
    *instance = NULL;
    return SKALD_OK;
}

static void broken_destroy(void *instance)
{
    (void)instance;
}

#if !defined(BROKEN_missing_fn)
static int broken_score(void *instance, const struct skald_call_ctx *ctx, const char *query,
                        const char *const *docs, size_t n, float *scores)
{
    (void)instance, (void)ctx, (void)query, (void)docs;
    for (size_t i = 0; i < n; i++)
        scores[i] = 0;
    return SKALD_OK;
}
#endif

#if defined(BROKEN_missing_fn)
static const struct skald_rerank_ops broken_ops = {sizeof broken_ops, broken_create,
                                                   broken_destroy, NULL};
#else
static const struct skald_rerank_ops broken_ops = {sizeof broken_ops, broken_create,
                                                   broken_destroy, broken_score};
#endif

#if defined(BROKEN_no_entry)
/* Exports something, but not skald_plugin_entry. */
SKALD_PLUGIN_EXPORT const void *not_the_entry(void);
SKALD_PLUGIN_EXPORT const void *not_the_entry(void)
{
    return &broken_ops;
}
#else
#if defined(BROKEN_bad_magic)
#define BROKEN_MAGIC 0x12345678u
#else
#define BROKEN_MAGIC SKALD_PLUGIN_MAGIC
#endif
#if defined(BROKEN_abi_major_next)
#define BROKEN_MAJOR (SKALD_ABI_MAJOR + 1)
#else
#define BROKEN_MAJOR SKALD_ABI_MAJOR
#endif
#if defined(BROKEN_abi_minor_next)
#define BROKEN_MINOR (SKALD_ABI_MINOR + 1)
#else
#define BROKEN_MINOR SKALD_ABI_MINOR
#endif
static const struct skald_plugin_desc broken_desc = {
    BROKEN_MAGIC, BROKEN_MAJOR, BROKEN_MINOR, sizeof(struct skald_plugin_desc),
    SKALD_KIND_RERANK, "broken", "0.0.0", "a deliberately broken plugin", &broken_ops};
SKALD_PLUGIN_EXPORT const struct skald_plugin_desc *skald_plugin_entry(void);
SKALD_PLUGIN_EXPORT const struct skald_plugin_desc *skald_plugin_entry(void)
{
    return &broken_desc;
}
#endif
