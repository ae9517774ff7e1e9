/*
 * embed_openai: embeddings from any OpenAI-compatible endpoint (OpenAI, Volcengine Ark, vLLM,
 * Ollama, LiteLLM): POST {base_url}/embeddings with model and an input array. The call fails
 * whole unless there is exactly one vector per input, each of the configured dimension.
 * Own keys: dimensions (required: the host needs the length before any call), max_batch (64),
 * send_dimensions (off; on sends "dimensions" for models that can shorten their vectors).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <skald/plugin.h>

#include "plugin_util.h"
#include "remote_client.h"

/* OpenAI's limit on inputs per request. */
#define EMBED_OPENAI_MAX_BATCH_LIMIT 2048

struct embed_openai {
    struct remote_client *client;
    uint32_t dims;
    uint32_t max_batch;
    int send_dimensions;
};

/* Where one call's answer goes. */
struct embed_openai_out {
    const struct embed_openai *e;
    size_t n;
    float *out;
};

static int embed_openai_create(const struct skald_host *host, void **instance, char *err,
                               size_t err_cap)
{
    static const char *const keys[] = {"dimensions", "max_batch", "send_dimensions", NULL};
    uint64_t dims = 0, max_batch = 0;
    int send_dims = 0;
    struct embed_openai *e = calloc(1, sizeof *e);
    if (!e)
        return plugin_fail(err, err_cap, SKALD_ENOMEM, "out of memory");
    /* The common keys first, so an unknown key is named before a missing one. */
    int rc = remote_client_create(host, "embed_openai", keys, &e->client, err, err_cap);
    if (rc == SKALD_OK && !skald_config_get(host, "dimensions"))
        rc = plugin_fail(err, err_cap, SKALD_EINVAL,
                         "key 'dimensions': required (the length of the model's vectors)");
    if (rc == SKALD_OK)
        rc = plugin_config_u64(host, "dimensions", 0, 1, 65536, &dims, err, err_cap);
    if (rc == SKALD_OK)
        rc = plugin_config_u64(host, "max_batch", 64, 1, EMBED_OPENAI_MAX_BATCH_LIMIT, &max_batch,
                               err, err_cap);
    if (rc == SKALD_OK)
        rc = plugin_config_bool(host, "send_dimensions", 0, &send_dims, err, err_cap);
    if (rc != SKALD_OK) {
        if (e->client)
            remote_client_destroy(e->client);
        free(e);
        return rc;
    }
    e->dims = (uint32_t)dims;
    e->max_batch = (uint32_t)max_batch;
    e->send_dimensions = send_dims;
    *instance = e;
    return SKALD_OK;
}

static void embed_openai_destroy(void *instance)
{
    struct embed_openai *e = instance;
    remote_client_destroy(e->client);
    free(e);
}

static uint32_t embed_openai_dimensions(void *instance)
{
    return ((struct embed_openai *)instance)->dims;
}

static uint32_t embed_openai_max_batch(void *instance)
{
    return ((struct embed_openai *)instance)->max_batch;
}

static json_t *embed_openai_request(const struct embed_openai *e, const char *const *texts,
                                    size_t n)
{
    json_t *input = json_array();
    json_t *body = json_object();
    int bad = !input || !body;
    for (size_t i = 0; i < n && !bad; i++) {
        /* OpenAI refuses an empty input string; a space embeds as "nothing" just as well. */
        const char *t = texts[i] && texts[i][0] ? texts[i] : " ";
        bad = !texts[i] || json_array_append_new(input, json_string(t)) != 0;
    }
    if (!bad)
        bad = json_object_set_new(body, "model",
                                  json_string(remote_client_config(e->client)->model)) ||
              json_object_set_new(body, "encoding_format", json_string("float")) ||
              json_object_set(body, "input", input) ||
              (e->send_dimensions &&
               json_object_set_new(body, "dimensions", json_integer(e->dims)));
    json_decref(input);
    if (bad) {
        json_decref(body);
        return NULL;
    }
    return body;
}

/* Copies data[i].embedding into out, placed by data[i].index (providers may reorder). */
static int embed_openai_check(void *arg, json_t *answer, char *why, size_t why_cap)
{
    struct embed_openai_out *o = arg;
    uint32_t dims = o->e->dims;
    json_t *data = json_object_get(answer, "data");
    if (!json_is_array(data))
        return plugin_fail(why, why_cap, SKALD_EUNAVAILABLE, "the answer has no 'data' array");
    if (json_array_size(data) != o->n)
        return plugin_fail(why, why_cap, SKALD_EUNAVAILABLE,
                           "the answer has %zu vectors for %zu input texts",
                           json_array_size(data), o->n);
    unsigned char *seen = calloc(o->n, 1);
    if (!seen)
        return plugin_fail(why, why_cap, SKALD_ENOMEM, "out of memory");
    int rc = SKALD_OK;
    size_t i;
    json_t *item;
    json_array_foreach(data, i, item)
    {
        json_t *idx = json_object_get(item, "index");
        json_t *vec = json_object_get(item, "embedding");
        size_t at = i;
        if (json_is_integer(idx))
            at = json_integer_value(idx) < 0 ? o->n : (size_t)json_integer_value(idx);
        if (at >= o->n || seen[at] || !json_is_array(vec)) {
            rc = plugin_fail(why, why_cap, SKALD_EUNAVAILABLE,
                             "data[%zu] has no embedding array or a bad or repeated index", i);
            break;
        }
        if (json_array_size(vec) != dims) {
            rc = plugin_fail(why, why_cap, SKALD_EINVAL,
                             "vector %zu has dimension %zu, but dimensions = %u is configured "
                             "(set dimensions to the model's vector length)",
                             at, json_array_size(vec), dims);
            break;
        }
        seen[at] = 1;
        size_t d;
        json_t *x;
        json_array_foreach(vec, d, x)
        {
            double v = json_number_value(x);
            if (!json_is_number(x) || !isfinite(v)) {
                rc = plugin_fail(why, why_cap, SKALD_EUNAVAILABLE,
                                 "vector %zu has a value that is not a finite number", at);
                break;
            }
            o->out[at * dims + d] = (float)v;
        }
        if (rc != SKALD_OK)
            break;
    }
    free(seen);
    return rc;
}

static int embed_openai_embed(void *instance, const struct skald_call_ctx *ctx,
                              const char *const *texts, size_t n, float *out)
{
    struct embed_openai *e = instance;
    if (n > e->max_batch)
        return remote_client_refuse(e->client, ctx, SKALD_EINVAL,
                                    "batch of %zu texts exceeds max_batch %u", n, e->max_batch);
    int rc = remote_client_check(e->client, ctx);
    if (rc != SKALD_OK || n == 0)
        return rc;
    json_t *body = embed_openai_request(e, texts, n);
    if (!body)
        return remote_client_refuse(e->client, ctx, SKALD_EINVAL,
                                    "a text is NULL or not valid UTF-8");
    struct embed_openai_out o = {e, n, out};
    rc = remote_client_post(e->client, ctx, "/embeddings", body, embed_openai_check, &o, NULL);
    json_decref(body);
    return rc;
}

static const struct skald_embedding_ops embed_openai_ops = {
    sizeof(struct skald_embedding_ops), embed_openai_create,    embed_openai_destroy,
    embed_openai_dimensions,            embed_openai_max_batch, embed_openai_embed,
};

SKALD_PLUGIN_DEFINE(SKALD_KIND_EMBEDDING, "embed_openai", "1.0.0",
                    "OpenAI-compatible /embeddings over HTTP: batched, bounded, retried, with a "
                    "circuit breaker",
                    &embed_openai_ops)
