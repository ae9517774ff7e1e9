/*
 * embed_hash: the embedded default embedder. Feature hashing of words and character n-grams into a
 * fixed-size signed vector, L2-normalised. No model, no network: texts that share words or word
 * pieces get a high inner product, which is enough for a working store out of the box. Production
 * deployments point [embedding] at a model plugin instead.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <skald/plugin.h>

#include "plugin_util.h"
#include "text_tokens.h"

/* Char n-grams weigh less than whole words: they catch shared stems and typos without letting
 * frequent fragments drown the words themselves. */
#define EMBED_HASH_NGRAM_WEIGHT 0.5f

struct embed_hash {
    const struct skald_host *host; /* borrowed; valid until destroy */
    uint32_t dims;
    uint32_t max_batch;
    uint32_t ngram; /* 0 = words only */
};

struct embed_hash_text {
    const struct embed_hash *eh;
    float *out; /* dims floats of the text being embedded */
};

static void embed_hash_add(const struct embed_hash *eh, float *out, uint64_t h, float weight)
{
    /* The top bit picks the sign, so unrelated features cancel out on average instead of piling
     * up in one direction. */
    float sign = (h >> 63) ? -1.0f : 1.0f;
    out[(h & 0x7fffffffffffffffULL) % eh->dims] += sign * weight;
}

static int embed_hash_token(void *arg, const char *tok, size_t len)
{
    struct embed_hash_text *t = arg;
    const struct embed_hash *eh = t->eh;
    embed_hash_add(eh, t->out, text_hash(tok, len), 1.0f);
    if (eh->ngram == 0 || len < eh->ngram)
        return 0;
    /* Byte n-grams of the word; the 'g' prefix keeps them apart from whole words of equal text. */
    char gram[TEXT_TOKEN_MAX + 1];
    gram[0] = 'g';
    for (size_t i = 0; i + eh->ngram <= len; i++) {
        memcpy(gram + 1, tok + i, eh->ngram);
        embed_hash_add(eh, t->out, text_hash(gram, eh->ngram + 1), EMBED_HASH_NGRAM_WEIGHT);
    }
    return 0;
}

static int embed_hash_create(const struct skald_host *host, void **instance, char *err,
                             size_t err_cap)
{
    static const char *const keys[] = {"dims", "max_batch", "ngram", NULL};
    uint64_t dims, max_batch, ngram;
    int rc = plugin_config_check_keys(host, keys, err, err_cap);
    if (rc == SKALD_OK)
        rc = plugin_config_u64(host, "dims", 512, 1, 65536, &dims, err, err_cap);
    if (rc == SKALD_OK)
        rc = plugin_config_u64(host, "max_batch", 256, 1, 65536, &max_batch, err, err_cap);
    if (rc == SKALD_OK)
        rc = plugin_config_u64(host, "ngram", 3, 0, 16, &ngram, err, err_cap);
    if (rc != SKALD_OK)
        return rc;
    struct embed_hash *eh = calloc(1, sizeof *eh);
    if (!eh)
        return plugin_fail(err, err_cap, SKALD_ENOMEM, "out of memory");
    eh->host = host;
    eh->dims = (uint32_t)dims;
    eh->max_batch = (uint32_t)max_batch;
    eh->ngram = (uint32_t)ngram;
    *instance = eh;
    return SKALD_OK;
}

static void embed_hash_destroy(void *instance)
{
    free(instance);
}

static uint32_t embed_hash_dimensions(void *instance)
{
    return ((struct embed_hash *)instance)->dims;
}

static uint32_t embed_hash_max_batch(void *instance)
{
    return ((struct embed_hash *)instance)->max_batch;
}

static int embed_hash_embed(void *instance, const struct skald_call_ctx *ctx,
                            const char *const *texts, size_t n, float *out)
{
    struct embed_hash *eh = instance;
    if (n > eh->max_batch)
        return plugin_call_fail(ctx, SKALD_EINVAL, "batch of %zu texts exceeds max_batch %u", n,
                                eh->max_batch);
    for (size_t i = 0; i < n; i++) {
        int rc = skald_call_check(ctx, eh->host->now_monotonic_ns());
        if (rc != SKALD_OK)
            return rc;
        if (!texts[i])
            return plugin_call_fail(ctx, SKALD_EINVAL, "text %zu is NULL", i);
        struct embed_hash_text t = {eh, out + i * eh->dims};
        memset(t.out, 0, eh->dims * sizeof(float));
        text_tokens_each(texts[i], embed_hash_token, &t);
        double norm = 0;
        for (uint32_t d = 0; d < eh->dims; d++)
            norm += (double)t.out[d] * t.out[d];
        /* A text without any word (empty, punctuation only) stays the zero vector: it matches
         * nothing rather than something arbitrary. */
        if (norm > 0) {
            float inv = (float)(1.0 / sqrt(norm));
            for (uint32_t d = 0; d < eh->dims; d++)
                t.out[d] *= inv;
        }
    }
    eh->host->metric_add(eh->host, "texts_embedded", (double)n);
    return SKALD_OK;
}

static const struct skald_embedding_ops embed_hash_ops = {
    sizeof(struct skald_embedding_ops), embed_hash_create,    embed_hash_destroy,
    embed_hash_dimensions,              embed_hash_max_batch, embed_hash_embed,
};

SKALD_PLUGIN_DEFINE(SKALD_KIND_EMBEDDING, "embed_hash", "1.0.0",
                    "feature-hashing embedder (words + char n-grams), no model or network",
                    &embed_hash_ops)
