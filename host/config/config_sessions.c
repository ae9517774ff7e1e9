/* The [sessions] section: session lanes, their liveness watchdog and the model-bound work cap. */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "config/config_internal.h"

struct sessions_key {
    const char *name;
    unsigned min, max;
    size_t offset; /* into struct session_config */
};

#define SESSIONS_KEY(n, lo, hi) {#n, lo, hi, offsetof(struct session_config, n)}

static const struct sessions_key sessions_keys[] = {
    SESSIONS_KEY(watch_interval_ms, 50, 3600000),
    SESSIONS_KEY(stuck_warn_ms, 100, 86400000),
    SESSIONS_KEY(stuck_abort_ms, 0, 86400000),
    SESSIONS_KEY(abort_settle_ms, 0, 600000),
    SESSIONS_KEY(max_extractions, 1, 64),
    SESSIONS_KEY(max_attempts, 1, 100),
};

static int sessions_parse(const char *v, unsigned min, unsigned max, unsigned *out)
{
    if (!*v || strspn(v, "0123456789") != strlen(v))
        return -1;
    errno = 0;
    unsigned long long n = strtoull(v, NULL, 10);
    if (errno || n < min || n > max)
        return -1;
    *out = (unsigned)n;
    return 0;
}

int config_sessions_build(const struct raw_entry *raw, size_t n_raw, struct config *cfg,
                          const struct err_ctx *ec)
{
    struct session_config *s = &cfg->sessions;
    /* OpenClaw's defaults (session-liveness.md section 3): warn 2 min, tick 30 s. */
    *s = (struct session_config){.watch_interval_ms = 30000, .stuck_warn_ms = 120000,
                                 .stuck_abort_ms = 0, .abort_settle_ms = 15000,
                                 .max_extractions = 2, .max_attempts = 5};
    for (size_t i = 0; i < n_raw; i++) {
        const struct raw_entry *e = &raw[i];
        if (strcmp(e->section, "sessions") != 0)
            continue;
        size_t k = 0;
        while (k < sizeof sessions_keys / sizeof sessions_keys[0] &&
               strcmp(sessions_keys[k].name, e->key) != 0)
            k++;
        if (k == sizeof sessions_keys / sizeof sessions_keys[0])
            return config_error(ec, e->line, "sessions", e->key, "unknown key");
        const struct sessions_key *key = &sessions_keys[k];
        if (sessions_parse(e->value, key->min, key->max,
                           (unsigned *)((char *)s + key->offset)) != 0)
            return config_error(ec, e->line, "sessions", e->key,
                                "'%s' is not a whole number from %u to %u", e->value, key->min,
                                key->max);
    }
    /* An explicit abort threshold never undercuts the warning; unset, it is the wider window
     * (at least 5 minutes and 3x the warning) so merely slow work is not cut off. */
    if (s->stuck_abort_ms == 0) {
        unsigned long long three = 3ULL * s->stuck_warn_ms;
        s->stuck_abort_ms = three > 300000 ? (three > 86400000 ? 86400000 : (unsigned)three) : 300000;
    } else if (s->stuck_abort_ms < s->stuck_warn_ms) {
        s->stuck_abort_ms = s->stuck_warn_ms;
    }
    return 0;
}
