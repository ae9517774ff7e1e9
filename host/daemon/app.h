/*
 * The daemon's process-wide state, owned by main(). Fields fixed at startup are plain; fields read
 * by the HTTP thread while others change them are atomics or behind the runtime lock.
 */
#ifndef SKALD_DAEMON_APP_H
#define SKALD_DAEMON_APP_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "config/config.h"
#include "runtime/generation.h"
#include "runtime/workers.h"

#define SKALD_VERSION "0.1.0"

/* Where startup recovery is; /ready reports it. */
enum recovery_state { RECOVERY_PENDING = 0, RECOVERY_RUNNING = 1, RECOVERY_DONE = 2, RECOVERY_FAILED = 3 };

struct http_server;
struct store;
struct pipeline;
struct waiters;
struct session_engine;

struct app {
    const char *config_path;                 /* as given on the command line */
    const struct config_override *overrides; /* -o options, borrowed from main */
    size_t n_overrides;
    struct server_config boot;               /* restart-only keys as started: listen, data_dir, workers, pipeline_threads, auth mode */

    struct runtime runtime;
    struct workers *workers;
    struct http_server *http;
    _Atomic(struct store *) store;           /* NULL until recovery has opened it */
    struct pipeline *pipeline;
    struct waiters *waiters;                 /* requests parked until background work ends */
    _Atomic(struct session_engine *) sessions; /* commit phase 2 and lanes; NULL until recovery */
    int lock_fd;
    int64_t started_ns;
    char lease_owner_prefix[64];             /* "skald:<pid>:<start>:" — queue leases of this process */

    /* Reloadable [server] keys the HTTP thread reads, refreshed when a generation is published. */
    atomic_ullong max_body;
    atomic_int debug_routes;

    atomic_int plugins_ready;                /* first generation published */
    atomic_int recovery;                     /* enum recovery_state */
    atomic_ullong recovery_jobs;             /* jobs the recovery scan queued again */
    atomic_int shutting_down;

    /* Reloads asked for over HTTP, carried out by the control thread. */
    pthread_mutex_t reload_lock;
    pthread_cond_t reload_done;
    uint64_t reload_requested;               /* requests made */
    uint64_t reload_completed;               /* requests answered */
    int reload_last_ok;
    char reload_last_error[1024];
};

#endif
