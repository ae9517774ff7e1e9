/*
 * example_embed: an out-of-tree skald embedding plugin, built against the installed ABI header
 * only. It hashes the byte trigrams of each text into `dims` buckets (signed, so collisions tend
 * to cancel) and L2-normalises the result: deterministic, no network, no model.
 *
 * Keys: dims (1..65536, default 256).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <skald/plugin.h>

struct example_embed {
    const struct skald_host *host; /* valid until destroy() returns */
    uint32_t dims;
};

static int example_create(const struct skald_host *host, void **instance, char *err, size_t err_cap)
{
    unsigned long dims = 256;
    for (size_t i = 0; i < host->config_count; i++) {
        const struct skald_config_entry *e = &host->config[i];
        if (strcmp(e->key, "dims") != 0) {
            snprintf(err, err_cap, "unknown key '%s' (known: dims)", e->key);
            return SKALD_EINVAL;
        }
        char *end;
        dims = strtoul(e->value, &end, 10);
        if (*e->value == '\0' || *end != '\0' || dims < 1 || dims > 65536) {
            snprintf(err, err_cap, "dims: '%s' is not a whole number from 1 to 65536", e->value);
            return SKALD_EINVAL;
        }
    }
    struct example_embed *x = calloc(1, sizeof *x);
    if (!x) {
        snprintf(err, err_cap, "out of memory");
        return SKALD_ENOMEM;
    }
    x->host = host;
    x->dims = (uint32_t)dims;
    *instance = x;
    return SKALD_OK;
}

static void example_destroy(void *instance) { free(instance); }

static uint32_t example_dimensions(void *instance)
{
    return ((struct example_embed *)instance)->dims;
}

static uint32_t example_max_batch(void *instance)
{
    (void)instance;
    return 128;
}

/* FNV-1a over three bytes. */
static uint32_t trigram_hash(const unsigned char *p)
{
    uint32_t h = 2166136261u;
    for (int i = 0; i < 3; i++)
        h = (h ^ p[i]) * 16777619u;
    return h;
}

static void embed_one(const struct example_embed *x, const char *text, float *out)
{
    memset(out, 0, x->dims * sizeof *out);
    /* Padded with spaces so short texts still make trigrams. */
    size_t len = strlen(text);
    unsigned char *buf = malloc(len + 4);
    if (buf) {
        buf[0] = ' ';
        memcpy(buf + 1, text, len);
        buf[len + 1] = buf[len + 2] = ' ';
        for (size_t i = 0; i + 3 <= len + 3; i++) {
            uint32_t h = trigram_hash(buf + i);
            out[h % x->dims] += (h >> 31) ? -1.0f : 1.0f;
        }
        free(buf);
    }
    double norm = 0;
    for (uint32_t d = 0; d < x->dims; d++)
        norm += (double)out[d] * out[d];
    if (norm == 0) {
        out[0] = 1.0f; /* never an all-zero vector */
        return;
    }
    float inv = (float)(1.0 / sqrt(norm));
    for (uint32_t d = 0; d < x->dims; d++)
        out[d] *= inv;
}

static int example_embed(void *instance, const struct skald_call_ctx *ctx, const char *const *texts,
                         size_t n, float *out)
{
    const struct example_embed *x = instance;
    for (size_t i = 0; i < n; i++) {
        /* Deadline and cancel flag, checked between texts: a long batch still stops in time. */
        int rc = skald_call_check(ctx, x->host->now_monotonic_ns());
        if (rc != SKALD_OK)
            return rc;
        embed_one(x, texts[i], out + i * x->dims);
    }
    x->host->metric_add(x->host, "texts_embedded", (double)n);
    return SKALD_OK;
}

static const struct skald_embedding_ops example_ops = {
    .struct_size = sizeof example_ops,
    .create = example_create,
    .destroy = example_destroy,
    .dimensions = example_dimensions,
    .max_batch = example_max_batch,
    .embed = example_embed,
};

SKALD_PLUGIN_DEFINE(SKALD_KIND_EMBEDDING, "example_embed", "1.0.0",
                    "example out-of-tree embedder: hashed byte trigrams", &example_ops)
