/*
 * vlm_openai: chat completions from any OpenAI-compatible endpoint: POST
 * {base_url}/chat/completions with model, messages, temperature and max_tokens. A message with
 * images goes as content parts (text, then one image_url part per image) for models that take
 * them. Own keys: temperature (0.2, used when a request leaves it to the plugin), max_tokens (4096,
 * a cap on what one request may ask for).
 */
#include <stdlib.h>
#include <string.h>

#include <skald/plugin.h>

#include "plugin_util.h"
#include "remote_client.h"

struct vlm_openai {
    struct remote_client *client;
    double temperature;
    uint32_t max_tokens;
};

static int vlm_openai_create(const struct skald_host *host, void **instance, char *err,
                             size_t err_cap)
{
    static const char *const keys[] = {"temperature", "max_tokens", NULL};
    double temperature = 0;
    uint64_t max_tokens = 0;
    struct vlm_openai *v = calloc(1, sizeof *v);
    if (!v)
        return plugin_fail(err, err_cap, SKALD_ENOMEM, "out of memory");
    int rc = remote_client_create(host, "vlm_openai", keys, &v->client, err, err_cap);
    if (rc == SKALD_OK)
        rc = plugin_config_double(host, "temperature", 0.2, 0.0, 2.0, &temperature, err, err_cap);
    if (rc == SKALD_OK)
        rc = plugin_config_u64(host, "max_tokens", 4096, 1, 1u << 20, &max_tokens, err, err_cap);
    if (rc != SKALD_OK) {
        if (v->client)
            remote_client_destroy(v->client);
        free(v);
        return rc;
    }
    v->temperature = temperature;
    v->max_tokens = (uint32_t)max_tokens;
    *instance = v;
    return SKALD_OK;
}

static void vlm_openai_destroy(void *instance)
{
    struct vlm_openai *v = instance;
    remote_client_destroy(v->client);
    free(v);
}

/* {"type":"image_url","image_url":{"url":...}} */
static json_t *vlm_openai_image_part(const char *url)
{
    json_t *part = json_object(), *image = json_object();
    if (!part || !image || !url || json_object_set_new(image, "url", json_string(url)) ||
        json_object_set_new(part, "type", json_string("image_url"))) {
        json_decref(part);
        json_decref(image);
        return NULL;
    }
    if (json_object_set_new(part, "image_url", image)) {
        json_decref(part);
        return NULL;
    }
    return part;
}

/* A message's content: a plain string, or a text part and image parts when it carries images. */
static json_t *vlm_openai_content(const struct skald_vlm_message *m)
{
    const char *text = m->content ? m->content : "";
    if (m->n_images == 0)
        return json_string(text);
    json_t *parts = json_array(), *text_part = json_object();
    int bad = !parts || !text_part || json_object_set_new(text_part, "type", json_string("text")) ||
              json_object_set_new(text_part, "text", json_string(text));
    if (!bad) {
        bad = json_array_append_new(parts, text_part);
        text_part = NULL;
    }
    for (size_t i = 0; i < m->n_images && !bad; i++)
        bad = json_array_append_new(parts, vlm_openai_image_part(m->image_urls[i]));
    json_decref(text_part);
    if (bad) {
        json_decref(parts);
        return NULL;
    }
    return parts;
}

static int vlm_openai_add_message(json_t *messages, const char *role, json_t *content)
{
    json_t *m = json_object();
    if (!m || !content || json_object_set_new(m, "role", json_string(role))) {
        json_decref(m);
        json_decref(content);
        return -1;
    }
    if (json_object_set_new(m, "content", content)) {
        json_decref(m);
        return -1;
    }
    return json_array_append_new(messages, m);
}

static json_t *vlm_openai_request(const struct vlm_openai *v, const struct skald_vlm_request *req)
{
    json_t *messages = json_array();
    int bad = !messages || !req->messages || req->n_messages == 0;
    if (!bad && req->system)
        bad = vlm_openai_add_message(messages, "system", json_string(req->system));
    for (size_t i = 0; i < req->n_messages && !bad; i++) {
        const struct skald_vlm_message *m = &req->messages[i];
        if (!m->role) {
            bad = 1;
            break;
        }
        /* An OpenAI "tool" message needs the tool_call_id of an assistant call, which the ABI
         * does not carry; its text goes as the user's. */
        const char *role = strcmp(m->role, "tool") == 0 ? "user" : m->role;
        bad = vlm_openai_add_message(messages, role, vlm_openai_content(m));
    }
    uint32_t max_tokens = req->max_tokens > 0 && req->max_tokens < v->max_tokens ? req->max_tokens
                                                                                 : v->max_tokens;
    double temperature = req->temperature >= 0 ? req->temperature : v->temperature;
    json_t *body = bad ? NULL : json_object();
    if (body && (json_object_set_new(body, "model",
                                     json_string(remote_client_config(v->client)->model)) ||
                 json_object_set(body, "messages", messages) ||
                 json_object_set_new(body, "temperature", json_real(temperature)) ||
                 json_object_set_new(body, "max_tokens", json_integer(max_tokens)))) {
        json_decref(body);
        body = NULL;
    }
    json_decref(messages);
    return body;
}

static const char *vlm_openai_text(json_t *answer)
{
    json_t *choice = json_array_get(json_object_get(answer, "choices"), 0);
    return json_string_value(json_object_get(json_object_get(choice, "message"), "content"));
}

static int vlm_openai_check(void *arg, json_t *answer, char *why, size_t why_cap)
{
    (void)arg;
    if (!vlm_openai_text(answer))
        return plugin_fail(why, why_cap, SKALD_EUNAVAILABLE,
                           "the answer has no choices[0].message.content text");
    return SKALD_OK;
}

static int vlm_openai_complete(void *instance, const struct skald_call_ctx *ctx,
                               const struct skald_vlm_request *req, skald_text_sink sink,
                               void *sink_arg)
{
    struct vlm_openai *v = instance;
    int rc = remote_client_check(v->client, ctx);
    if (rc != SKALD_OK)
        return rc;
    json_t *body = vlm_openai_request(v, req);
    if (!body)
        return remote_client_refuse(v->client, ctx, SKALD_EINVAL,
                                    "no messages, a message without a role, or text that is not "
                                    "valid UTF-8");
    json_t *answer = NULL;
    rc = remote_client_post(v->client, ctx, "/chat/completions", body, vlm_openai_check, NULL,
                            &answer);
    json_decref(body);
    if (rc != SKALD_OK)
        return rc;
    const char *text = vlm_openai_text(answer);
    if (sink(sink_arg, text, strlen(text)) != 0)
        rc = remote_client_refuse(v->client, ctx, SKALD_ECANCELLED,
                                  "the caller stopped the output");
    json_decref(answer);
    return rc;
}

static const struct skald_vlm_ops vlm_openai_ops = {
    sizeof(struct skald_vlm_ops),
    vlm_openai_create,
    vlm_openai_destroy,
    vlm_openai_complete,
};

SKALD_PLUGIN_DEFINE(SKALD_KIND_VLM, "vlm_openai", "1.0.0",
                    "OpenAI-compatible /chat/completions over HTTP: bounded, retried, with a "
                    "circuit breaker; images passed as image_url parts",
                    &vlm_openai_ops)
