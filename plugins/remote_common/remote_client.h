/*
 * One JSON-over-HTTP call to a model provider, made safe to run from a host worker: the circuit
 * breaker, the shared in-flight limit, the provider's shared pause, retries with jittered
 * exponential back-off that honour Retry-After, the call's deadline, cancel flag and `timeout`,
 * connection reuse, and the instance's metrics (calls, failures, retries, breaker state,
 * in-flight, p50/p99 latency). The code path all three remote plugins share.
 */
#ifndef SKALD_REMOTE_CLIENT_H
#define SKALD_REMOTE_CLIENT_H

#include <stddef.h>

#include <jansson.h>
#include <skald/plugin.h>

#include "remote_config.h"

struct remote_client;

/* Parses the common config (remote_config.h) and joins the endpoint shared with the plugin's other
 * instances for the same base_url and model. plugin_name (static) labels messages; host is
 * borrowed for the client's life. Must not touch the network, and does not. */
int remote_client_create(const struct skald_host *host, const char *plugin_name,
                         const char *const *plugin_keys, struct remote_client **out, char *err,
                         size_t err_cap);
void remote_client_destroy(struct remote_client *c);

const struct remote_config *remote_client_config(const struct remote_client *c);

/* Checks a 2xx answer's shape (and may copy what it needs out of it). Returns SKALD_OK, or
 * SKALD_EINVAL (a mismatch with the configuration, e.g. vector length) or SKALD_EUNAVAILABLE (a
 * broken answer) with a short reason in why; the client adds plugin, model and path. */
typedef int (*remote_answer_check)(void *arg, json_t *answer, char *why, size_t why_cap);

/* POSTs body (JSON) to base_url + path. On success the parsed answer passed check and, when answer
 * is not NULL, is stored in *answer for the caller to json_decref. Errors go to ctx->err naming
 * plugin, model, path, the provider's HTTP status and its own message (truncated):
 * SKALD_EUNAVAILABLE for 429/5xx/connection failures once retries are spent, an open breaker, a
 * broken answer or the plugin's own timeout; SKALD_EINVAL for other 4xx answers and what check
 * refuses as such; SKALD_ETIMEDOUT and SKALD_ECANCELLED from the call context. */
int remote_client_post(struct remote_client *c, const struct skald_call_ctx *ctx, const char *path,
                       json_t *body, remote_answer_check check, void *check_arg, json_t **answer);

/* The call context's verdict on entry (SKALD_OK, SKALD_ETIMEDOUT or SKALD_ECANCELLED), with a
 * message naming plugin and model; for calls that may end without a request. */
int remote_client_check(const struct remote_client *c, const struct skald_call_ctx *ctx);

/* Fails a call the plugin refuses before sending: writes "<plugin> (model <m>): <reason>". */
int remote_client_refuse(const struct remote_client *c, const struct skald_call_ctx *ctx, int rc,
                         const char *fmt, ...) __attribute__((format(printf, 4, 5)));

#endif
