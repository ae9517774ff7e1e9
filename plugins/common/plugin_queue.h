/* The argument checks both in-tree queues make before touching their storage, so that the
 * volatile and the durable queue refuse exactly the same calls, and the deadline-aware lock they
 * take around each call. */
#ifndef SKALD_PLUGIN_QUEUE_H
#define SKALD_PLUGIN_QUEUE_H

#include <pthread.h>
#include <stddef.h>

#include <skald/plugin.h>

/* 1 for a topic of 1..64 characters from [A-Za-z0-9._-], else 0. */
int plugin_queue_topic_valid(const char *topic);

/* ctx's deadline and cancel flag, then every item's topic and payload. SKALD_OK or a status with
 * ctx's message set. */
int plugin_queue_check_new(const struct skald_call_ctx *ctx, const struct skald_host *host,
                           const struct skald_queue_new_item *items, size_t n);
/* The same for imported items, whose state must be a known one too. */
int plugin_queue_check_import(const struct skald_call_ctx *ctx, const struct skald_host *host,
                              const struct skald_queue_import_item *items, size_t n);
/* ctx's deadline and cancel flag, then the topic, owner and lease length of a lease call. */
int plugin_queue_check_lease(const struct skald_call_ctx *ctx, const struct skald_host *host,
                             const char *topic, const char *owner, int64_t lease_ms);

/* Takes lock, re-checking ctx's deadline and cancel flag every 20 ms while another call holds
 * it. SKALD_OK (the caller unlocks) or a status with ctx's message set. */
int plugin_queue_lock(pthread_mutex_t *lock, const struct skald_host *host,
                      const struct skald_call_ctx *ctx);

#endif
