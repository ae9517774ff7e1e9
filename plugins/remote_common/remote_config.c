#include "remote_config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plugin_util.h"

static const char *const remote_common_keys[] = {
    "base_url",      "model",           "api_key",          "api_key_env",
    "headers",       "connect_timeout", "timeout",          "max_retries",
    "retry_backoff", "max_concurrent",  "breaker_failures", "breaker_cooldown",
    NULL};

static int remote_check_keys(const struct skald_host *host, const char *const *plugin_keys,
                             char *err, size_t err_cap)
{
    for (size_t i = 0; i < host->config_count; i++) {
        const char *key = host->config[i].key;
        int known = 0;
        for (const char *const *k = remote_common_keys; *k && !known; k++)
            known = strcmp(*k, key) == 0;
        for (const char *const *k = plugin_keys; k && *k && !known; k++)
            known = strcmp(*k, key) == 0;
        if (!known)
            return plugin_fail(err, err_cap, SKALD_EINVAL, "unknown key '%s'", key);
    }
    return SKALD_OK;
}

static int remote_add_header(struct curl_slist **list, const char *line)
{
    struct curl_slist *n = curl_slist_append(*list, line);
    if (!n)
        return -1;
    *list = n;
    return 0;
}

/* `headers = Name: value; Other: value`. A header may carry a credential (Azure's api-key), so a
 * bad one is named by its position, never quoted. */
static int remote_parse_headers(const char *spec, struct curl_slist **list, char *err,
                                size_t err_cap)
{
    char *copy = strdup(spec);
    if (!copy)
        return plugin_fail(err, err_cap, SKALD_ENOMEM, "out of memory");
    int rc = SKALD_OK;
    unsigned position = 0;
    char *save = NULL;
    for (char *h = strtok_r(copy, ";", &save); h && rc == SKALD_OK; h = strtok_r(NULL, ";", &save)) {
        position++;
        while (*h == ' ' || *h == '\t')
            h++;
        size_t len = strlen(h);
        while (len > 0 && (h[len - 1] == ' ' || h[len - 1] == '\t'))
            h[--len] = '\0';
        if (len == 0)
            continue;
        char *colon = strchr(h, ':');
        if (!colon || colon == h || strpbrk(h, "\r\n") || strcspn(h, " \t") < (size_t)(colon - h))
            rc = plugin_fail(err, err_cap, SKALD_EINVAL,
                             "key 'headers': header %u is not 'Name: value' (headers are "
                             "separated by ';')",
                             position);
        else if (remote_add_header(list, h) != 0)
            rc = plugin_fail(err, err_cap, SKALD_ENOMEM, "out of memory");
    }
    memset(copy, 0, strlen(spec));
    free(copy);
    return rc;
}

static int remote_seconds_ms(const struct skald_host *host, const char *key, double def,
                             double max, int64_t *out, char *err, size_t err_cap)
{
    double s;
    int rc = plugin_config_double(host, key, def, 0.001, max, &s, err, err_cap);
    if (rc == SKALD_OK)
        *out = (int64_t)(s * 1000.0 + 0.5);
    return rc;
}

static int remote_auth_header(const struct skald_host *host, struct curl_slist **list, char *err,
                              size_t err_cap)
{
    const char *key = skald_config_get(host, "api_key");
    const char *env = skald_config_get(host, "api_key_env");
    if (key && env)
        return plugin_fail(err, err_cap, SKALD_EINVAL,
                           "keys 'api_key' and 'api_key_env' are exclusive: set one");
    if (env) {
        key = getenv(env);
        if (!key || !*key)
            return plugin_fail(err, err_cap, SKALD_EINVAL,
                               "key 'api_key_env': environment variable '%s' is not set", env);
    }
    if (!key || !*key)
        return SKALD_OK; /* local providers (vLLM, Ollama) need none */
    if (strpbrk(key, "\r\n"))
        return plugin_fail(err, err_cap, SKALD_EINVAL, "key '%s': the API key contains a line break",
                           env ? "api_key_env" : "api_key");
    size_t len = strlen("Authorization: Bearer ") + strlen(key) + 1;
    char *line = malloc(len);
    if (!line)
        return plugin_fail(err, err_cap, SKALD_ENOMEM, "out of memory");
    snprintf(line, len, "Authorization: Bearer %s", key);
    int bad = remote_add_header(list, line);
    /* curl_slist_append copied it; the key must not linger in freed memory. */
    memset(line, 0, len);
    free(line);
    return bad ? plugin_fail(err, err_cap, SKALD_ENOMEM, "out of memory") : SKALD_OK;
}

static int remote_parse_numbers(const struct skald_host *host, struct remote_config *out,
                                char *err, size_t err_cap)
{
    uint64_t retries, concurrent, failures;
    int rc = remote_seconds_ms(host, "connect_timeout", 10, 600, &out->connect_timeout_ms, err,
                               err_cap);
    if (rc == SKALD_OK)
        rc = remote_seconds_ms(host, "timeout", 60, 3600, &out->timeout_ms, err, err_cap);
    if (rc == SKALD_OK)
        rc = remote_seconds_ms(host, "retry_backoff", 0.2, 60, &out->retry_backoff_ms, err,
                               err_cap);
    if (rc == SKALD_OK)
        rc = remote_seconds_ms(host, "breaker_cooldown", 30, 3600, &out->breaker_cooldown_ms, err,
                               err_cap);
    if (rc == SKALD_OK)
        rc = plugin_config_u64(host, "max_retries", 3, 0, 20, &retries, err, err_cap);
    if (rc == SKALD_OK)
        rc = plugin_config_u64(host, "max_concurrent", 4, 1, 1024, &concurrent, err, err_cap);
    if (rc == SKALD_OK)
        rc = plugin_config_u64(host, "breaker_failures", 5, 1, 1000, &failures, err, err_cap);
    if (rc != SKALD_OK)
        return rc;
    out->max_retries = (uint32_t)retries;
    out->max_concurrent = (uint32_t)concurrent;
    out->breaker_failures = (uint32_t)failures;
    return SKALD_OK;
}

int remote_config_parse(const struct skald_host *host, const char *const *plugin_keys,
                        struct remote_config *out, char *err, size_t err_cap)
{
    memset(out, 0, sizeof *out);
    int rc = remote_check_keys(host, plugin_keys, err, err_cap);
    if (rc != SKALD_OK)
        return rc;
    const char *base_url = skald_config_get(host, "base_url");
    const char *model = skald_config_get(host, "model");
    if (!base_url || (strncmp(base_url, "http://", 7) != 0 && strncmp(base_url, "https://", 8) != 0) ||
        strpbrk(base_url, " \t\r\n"))
        return plugin_fail(err, err_cap, SKALD_EINVAL,
                           "key 'base_url': an http:// or https:// URL is required, e.g. "
                           "https://api.openai.com/v1");
    if (!model || !*model)
        return plugin_fail(err, err_cap, SKALD_EINVAL, "key 'model': required");
    rc = remote_parse_numbers(host, out, err, err_cap);
    if (rc != SKALD_OK)
        return rc;

    out->base_url = strdup(base_url);
    out->model = strdup(model);
    /* "Expect:" turns off curl's 100-continue round trip on large bodies. */
    if (!out->base_url || !out->model ||
        remote_add_header(&out->headers, "Content-Type: application/json") != 0 ||
        remote_add_header(&out->headers, "Accept: application/json") != 0 ||
        remote_add_header(&out->headers, "Expect:") != 0) {
        remote_config_free(out);
        return plugin_fail(err, err_cap, SKALD_ENOMEM, "out of memory");
    }
    size_t len = strlen(out->base_url);
    while (len > 0 && out->base_url[len - 1] == '/')
        out->base_url[--len] = '\0';
    rc = remote_auth_header(host, &out->headers, err, err_cap);
    const char *extra = skald_config_get(host, "headers");
    if (rc == SKALD_OK && extra)
        rc = remote_parse_headers(extra, &out->headers, err, err_cap);
    if (rc != SKALD_OK)
        remote_config_free(out);
    return rc;
}

void remote_config_free(struct remote_config *c)
{
    free(c->base_url);
    free(c->model);
    for (struct curl_slist *h = c->headers; h; h = h->next)
        memset(h->data, 0, strlen(h->data));
    curl_slist_free_all(c->headers);
    memset(c, 0, sizeof *c);
}
