/* The config keys every remote plugin shares (base_url, model, credentials, headers, timeouts,
 * retries, concurrency, breaker), parsed and checked once for all of them. */
#ifndef SKALD_REMOTE_CONFIG_H
#define SKALD_REMOTE_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include <curl/curl.h>
#include <skald/plugin.h>

struct remote_config {
    char *base_url;              /* no trailing slash; owned */
    char *model;                 /* owned */
    struct curl_slist *headers;  /* Content-Type, Authorization (a secret) and `headers`; owned */
    int64_t connect_timeout_ms;  /* connect_timeout: one TCP/TLS connect */
    int64_t timeout_ms;          /* timeout: a whole call, every attempt and back-off included */
    uint32_t max_retries;        /* attempts after the first, on 429/5xx/connection errors */
    int64_t retry_backoff_ms;    /* retry_backoff: the first back-off; doubled per retry, jittered */
    uint32_t max_concurrent;     /* calls in flight to this endpoint, across instances */
    uint32_t breaker_failures;   /* consecutive failed calls that open the breaker */
    int64_t breaker_cooldown_ms; /* how long the breaker stays open before one probe call */
};

/* Parses the common keys from host->config; plugin_keys (NULL-terminated, may be NULL) are the
 * plugin's own keys, accepted here and read by the plugin. base_url and model are required. The
 * API key comes from `api_key` or from the environment variable named by `api_key_env`; neither it
 * nor any `headers` value is ever put in a message. On failure returns SKALD_EINVAL (or
 * SKALD_ENOMEM) with a message naming the key, and *out holds nothing to free. */
int remote_config_parse(const struct skald_host *host, const char *const *plugin_keys,
                        struct remote_config *out, char *err, size_t err_cap);

/* Frees what remote_config_parse allocated; safe on a zeroed struct. */
void remote_config_free(struct remote_config *c);

#endif
