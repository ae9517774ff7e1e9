/* What every kind's checks share: the loaded module, its config, a scratch data dir, and call
 * contexts with a live, an expired or a cancelled deadline. */
#ifndef SKALD_CHECK_SESSION_H
#define SKALD_CHECK_SESSION_H

#include <stdatomic.h>
#include <stddef.h>

#include <skald/plugin.h>

#include "check/check_report.h"
#include "plugin/instance.h"
#include "plugin/module.h"

struct check_session {
    struct check_report report;
    struct plugin_module *module;         /* one reference, dropped by check_session_close */
    const char *section;                  /* the kind's name, used as the config section */
    struct skald_config_entry *config;    /* from -o key=value; owned */
    size_t config_count;
    const char *data_dir;                 /* scratch dir for the instances */
    atomic_int cancel_flag;               /* raised only in the cancelled context */
    atomic_int live_flag;                 /* never raised */
    char err[512];                        /* error buffer of the contexts below */
};

enum check_ctx_mode { CHECK_CTX_LIVE, CHECK_CTX_EXPIRED, CHECK_CTX_CANCELLED };

/* A call context: live (deadline 30 s ahead), expired (deadline in the past) or cancelled. The
 * error buffer is the session's; it is cleared. */
struct skald_call_ctx check_ctx(struct check_session *s, enum check_ctx_mode mode);

/* Creates an instance from the session's config plus `extra` (may be NULL: key, value pairs,
 * NULL-terminated). Returns NULL with the message in err. */
struct plugin_instance *check_instance_create(struct check_session *s, const char *const *extra,
                                              char *err, size_t err_cap);

/* Runs fn(arg, i) for i in 0..n_threads-1 on that many threads at once; returns how many
 * returned non-zero (or could not be started). */
int check_threads(int n_threads, int (*fn)(void *arg, int i), void *arg);

/* Forks a child that creates a fresh instance on the session's data dir and runs fn on it; when
 * fn returns 0 the child kills itself with SIGKILL, so nothing after the acknowledged call runs.
 * Returns 0 when that happened, -1 (message in err) when fn failed or the child died otherwise. */
int check_in_killed_child(struct check_session *s,
                          int (*fn)(struct check_session *s, struct plugin_instance *inst),
                          char *err, size_t err_cap);

/* Name of a status code, for messages. */
const char *check_status_name(int rc);

/* Kind checks: each adds its results to s->report. */
void check_embedding(struct check_session *s, struct plugin_instance *inst);
void check_vlm(struct check_session *s, struct plugin_instance *inst);
void check_rerank(struct check_session *s, struct plugin_instance *inst);
void check_vector(struct check_session *s, struct plugin_instance *inst);
void check_queue(struct check_session *s, struct plugin_instance *inst);

#endif
