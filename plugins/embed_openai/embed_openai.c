/*
 * embed_openai: embeddings from any OpenAI-compatible endpoint (OpenAI, Volcengine Ark, vLLM,
 * Ollama, LiteLLM): POST {base_url}/embeddings with model and an input array. The call fails
 * whole unless there is exactly one vector per input, each of the configured dimension.
 * Own keys: dimensions (required: the host needs the length before any call), max_batch (64),
 * send_dimensions (off; on sends "dimensions" for models that can shorten their vectors),
 * encoding_format (float | base64: vectors as base64 of little-endian float32, which OpenAI's own
 * client asks for; decoding it costs a fraction of parsing thousands of JSON numbers). Either
 * shape is accepted in the answer, whichever was asked for.
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
    int base64; /* encoding_format = base64 */
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
    static const char *const keys[] = {"dimensions", "max_batch", "send_dimensions",
                                       "encoding_format", NULL};
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
    const char *format = plugin_config_str(host, "encoding_format", "float");
    if (rc == SKALD_OK && strcmp(format, "float") != 0 && strcmp(format, "base64") != 0)
        rc = plugin_fail(err, err_cap, SKALD_EINVAL,
                         "key 'encoding_format': '%s' is not float or base64", format);
    if (rc != SKALD_OK) {
        if (e->client)
            remote_client_destroy(e->client);
        free(e);
        return rc;
    }
    e->dims = (uint32_t)dims;
    e->max_batch = (uint32_t)max_batch;
    e->send_dimensions = send_dims;
    e->base64 = strcmp(format, "base64") == 0;
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
              json_object_set_new(body, "encoding_format", json_string(e->base64 ? "base64" : "float")) ||
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

/* The value of one base64 character, or -1. */
static int embed_openai_b64_value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    return c == '+' ? 62 : c == '/' ? 63 : -1;
}

/* Decodes a base64 vector of little-endian float32 into out[0..dims). Returns the number of
 * floats it holds (dims when it fits), or -1 when it is not base64 of whole floats. */
static long embed_openai_b64_floats(const char *text, size_t len, float *out, uint32_t dims)
{
    while (len > 0 && text[len - 1] == '=')
        len--;
    size_t bytes = len / 4 * 3 + (len % 4 ? len % 4 - 1 : 0);
    if (len % 4 == 1 || bytes % 4 != 0)
        return -1;
    if (bytes / 4 != dims)
        return (long)(bytes / 4);
    uint32_t acc = 0;
    unsigned bits = 0;
    size_t at = 0;
    unsigned char b[4];
    for (size_t i = 0; i < len; i++) {
        int v = embed_openai_b64_value((unsigned char)text[i]);
        if (v < 0)
            return -1;
        acc = acc << 6 | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            b[at % 4] = (unsigned char)(acc >> bits);
            if (++at % 4 == 0) {
                uint32_t word = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
                                (uint32_t)b[3] << 24;
                memcpy(&out[at / 4 - 1], &word, sizeof word);
            }
        }
    }
    return (long)dims;
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
        if (at >= o->n || seen[at] || !(json_is_array(vec) || json_is_string(vec))) {
            rc = plugin_fail(why, why_cap, SKALD_EUNAVAILABLE,
                             "data[%zu] has no embedding array or a bad or repeated index", i);
            break;
        }
        long got = json_is_string(vec)
                       ? embed_openai_b64_floats(json_string_value(vec), json_string_length(vec),
                                                 &o->out[at * dims], dims)
                       : (long)json_array_size(vec);
        if (got < 0) {
            rc = plugin_fail(why, why_cap, SKALD_EUNAVAILABLE,
                             "vector %zu is a string but not base64 of float32 values", at);
            break;
        }
        if ((uint32_t)got != dims) {
            rc = plugin_fail(why, why_cap, SKALD_EINVAL,
                             "vector %zu has dimension %ld, but dimensions = %u is configured "
                             "(set dimensions to the model's vector length)",
                             at, got, dims);
            break;
        }
        seen[at] = 1;
        if (json_is_string(vec)) {
            for (uint32_t d = 0; d < dims && rc == SKALD_OK; d++)
                if (!isfinite(o->out[at * dims + d]))
                    rc = plugin_fail(why, why_cap, SKALD_EUNAVAILABLE,
                                     "vector %zu has a value that is not a finite number", at);
            if (rc != SKALD_OK)
                break;
            continue;
        }
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
