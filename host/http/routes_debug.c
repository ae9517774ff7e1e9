/*
 * Diagnostic routes, served only with [server] debug_routes = on: they drive a backend directly,
 * which is how the tests and an operator check a plugin through the whole host path.
 */
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "http/json_body.h"
#include "http/router.h"

#define DEBUG_EMBED_MAX_TEXTS 1024
#define DEBUG_ENQUEUE_MAX 100000
#define DEBUG_ENQUEUE_BATCH 1000

static void embed_handle(struct http_request *req, struct generation *gen, struct http_reply *reply)
{
    if (!gen) {
        http_reply_error(reply, "UNAVAILABLE", NULL, "plugins are still being created");
        return;
    }
    json_t *body = http_json_body_object(req, reply);
    if (!body)
        return;
    json_t *texts = json_object_get(body, "texts");
    size_t n = json_array_size(texts);
    if (!json_is_array(texts) || n == 0 || n > DEBUG_EMBED_MAX_TEXTS) {
        http_reply_error(reply, "INVALID_ARGUMENT", NULL,
                         "Invalid request parameters: texts: must be an array of 1 to %d strings",
                         DEBUG_EMBED_MAX_TEXTS);
        json_decref(body);
        return;
    }
    const char **strs = calloc(n, sizeof *strs);
    struct plugin_instance *inst = gen->backends[BACKEND_EMBEDDING]->inst;
    const struct skald_embedding_ops *ops = plugin_instance_ops(inst, embedding);
    uint32_t dims = ops->dimensions(inst->handle);
    uint32_t batch = ops->max_batch(inst->handle);
    float *vectors = malloc(n * dims * sizeof *vectors);
    if (!strs || !vectors) {
        http_reply_error(reply, "RESOURCE_EXHAUSTED", NULL, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        strs[i] = json_string_value(json_array_get(texts, i));
        if (!strs[i]) {
            http_reply_error(reply, "INVALID_ARGUMENT", NULL,
                             "Invalid request parameters: texts.%zu: must be a string", i);
            goto done;
        }
    }
    struct skald_call_ctx ctx;
    char err[512];
    http_request_call_ctx(req, gen, &ctx, err, sizeof err);
    for (size_t off = 0; off < n; off += batch) {
        size_t chunk = n - off < batch ? n - off : batch;
        int rc = ops->embed(inst->handle, &ctx, strs + off, chunk, vectors + off * dims);
        if (rc != SKALD_OK) {
            http_reply_error(reply, http_error_code_for_plugin(rc), NULL, "embedding backend %s: %s",
                             inst->module->name, err[0] ? err : "failed");
            goto done;
        }
    }
    json_t *out = json_array();
    for (size_t i = 0; i < n; i++) {
        json_t *v = json_array();
        for (uint32_t d = 0; d < dims; d++)
            json_array_append_new(v, json_real(vectors[i * dims + d]));
        json_array_append_new(out, v);
    }
    http_reply_ok(reply, json_pack("{s:i, s:o}", "dims", (int)dims, "vectors", out));
done:
    free(strs);
    free(vectors);
    json_decref(body);
}

static void enqueue_handle(struct http_request *req, struct generation *gen, struct http_reply *reply)
{
    if (!gen) {
        http_reply_error(reply, "UNAVAILABLE", NULL, "plugins are still being created");
        return;
    }
    json_t *body = http_json_body_object(req, reply);
    if (!body)
        return;
    const char *topic = json_string_value(json_object_get(body, "topic"));
    const char *payload = json_string_value(json_object_get(body, "payload"));
    json_t *count_j = json_object_get(body, "count");
    json_int_t count = count_j ? json_integer_value(count_j) : 1;
    if (!topic || (count_j && !json_is_integer(count_j)) || count < 1 || count > DEBUG_ENQUEUE_MAX) {
        http_reply_error(reply, "INVALID_ARGUMENT", NULL,
                         "Invalid request parameters: need topic (string) and count (1 to %d)",
                         DEBUG_ENQUEUE_MAX);
        json_decref(body);
        return;
    }
    if (!payload)
        payload = "";
    struct plugin_instance *inst = gen->backends[BACKEND_QUEUE]->inst;
    const struct skald_queue_ops *ops = plugin_instance_ops(inst, queue);
    struct skald_queue_new_item items[DEBUG_ENQUEUE_BATCH];
    for (size_t i = 0; i < DEBUG_ENQUEUE_BATCH; i++)
        items[i] = (struct skald_queue_new_item){topic, NULL, payload, strlen(payload), 0};
    struct skald_call_ctx ctx;
    char err[512];
    http_request_call_ctx(req, gen, &ctx, err, sizeof err);
    json_int_t done = 0;
    while (done < count) {
        size_t chunk = (size_t)(count - done < DEBUG_ENQUEUE_BATCH ? count - done : DEBUG_ENQUEUE_BATCH);
        int rc = ops->enqueue(inst->handle, &ctx, items, chunk, NULL);
        if (rc != SKALD_OK) {
            http_reply_error(reply, http_error_code_for_plugin(rc),
                             json_pack("{s:I}", "enqueued", done), "queue backend %s: %s",
                             inst->module->name, err[0] ? err : "failed");
            json_decref(body);
            return;
        }
        done += (json_int_t)chunk;
    }
    http_reply_ok(reply, json_pack("{s:I}", "enqueued", done));
    json_decref(body);
}

const struct route routes_debug[] = {
    {"POST", "/api/v1/debug/embed", 1, NULL, embed_handle},
    {"POST", "/api/v1/debug/enqueue", 1, NULL, enqueue_handle},
    {NULL, NULL, 0, NULL, NULL},
};
