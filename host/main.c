/* skald: the daemon's entry point: arguments, startup order and shutdown. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/config.h"
#include "core/clock.h"
#include "core/log.h"
#include "daemon/app.h"
#include "daemon/control.h"
#include "daemon/lockfile.h"
#include "daemon/notify.h"
#include "daemon/recovery.h"
#include "daemon/watchdog.h"
#include "http/server.h"
#include "http/waiters.h"
#include "pipeline/pipeline.h"
#include "runtime/generation.h"
#include "runtime/workers.h"
#include "session/session_engine.h"
#include "store/store.h"

#define EXIT_USAGE 2
/* After the shutdown deadline: how long cancelled calls get to return, and answers to be sent. */
#define SHUTDOWN_GRACE_NS (300 * 1000000LL)
#define MAX_OVERRIDES 64

static void usage(FILE *out)
{
    fprintf(out, "usage: skald -c FILE [-t] [-o section.key=value]...\n"
                 "  -c FILE   configuration file (INI)\n"
                 "  -t        test the configuration: load and create every plugin, then exit\n"
                 "  -o S.K=V  override key K of section S (repeatable)\n"
                 "  -v        print the version\n"
                 "signals: HUP reloads the configuration, TERM and INT stop gracefully\n");
}

/* mkdir -p */
static int make_dirs(const char *path, char *err, size_t err_cap)
{
    char buf[PATH_MAX];
    if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf) {
        snprintf(err, err_cap, "path too long: %s", path);
        return -1;
    }
    for (char *p = buf + 1;; p++) {
        if (*p == '/' || *p == '\0') {
            char saved = *p;
            *p = '\0';
            if (mkdir(buf, 0755) != 0 && errno != EEXIST) {
                snprintf(err, err_cap, "cannot create %.900s: %s", buf, strerror(errno));
                return -1;
            }
            *p = saved;
            if (saved == '\0')
                break;
        }
    }
    return 0;
}

/* Many keep-alive clients need many descriptors; the soft limit is often 1024. */
static void raise_fd_limit(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
            log_warn("cannot raise the open-file limit: %s", strerror(errno));
    }
}

static int config_test(struct config *cfg)
{
    char err[1024];
    const char *path_copy = cfg->path;
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s", path_copy);
    if (make_dirs(cfg->server.data_dir, err, sizeof err) != 0) {
        fprintf(stderr, "skald: %s: [server] data_dir: %s\n", path, err);
        config_free(cfg);
        return 1;
    }
    struct runtime rt;
    if (runtime_init(&rt, cfg->server.data_dir, err, sizeof err) != 0) {
        fprintf(stderr, "skald: %s\n", err);
        config_free(cfg);
        return 1;
    }
    struct generation *g = NULL;
    int rc = runtime_build(&rt, cfg, &g, err, sizeof err);
    if (rc == 0)
        runtime_discard(&rt, g);
    runtime_destroy(&rt);
    if (rc != 0) {
        fprintf(stderr, "skald: %s\n", err);
        return 1;
    }
    fprintf(stderr, "skald: configuration file %s test is successful\n", path);
    return 0;
}

static int app_init(struct app *app, const struct config *cfg, char *err, size_t err_cap)
{
    app->boot.listen_host = strdup(cfg->server.listen_host);
    app->boot.data_dir = strdup(cfg->server.data_dir);
    if (!app->boot.listen_host || !app->boot.data_dir) {
        snprintf(err, err_cap, "out of memory");
        return -1;
    }
    app->boot.listen_port = cfg->server.listen_port;
    app->boot.workers = cfg->server.workers;
    app->boot.pipeline_threads = cfg->server.pipeline_threads;
    app->boot.auth_mode = cfg->server.auth_mode;
    app->started_ns = clock_monotonic_ns();
    snprintf(app->lease_owner_prefix, sizeof app->lease_owner_prefix, "skald:%ld:%lld:",
             (long)getpid(), (long long)clock_wall_ms());
    pthread_mutex_init(&app->reload_lock, NULL);
    pthread_cond_init(&app->reload_done, NULL);
    app->lock_fd = -1;
    return 0;
}

/* Startup order: lock, HTTP (so /health answers from the first second), plugins, background
 * recovery. Nothing here waits on a model or the network. */
static int run_daemon(struct app *app, struct config *cfg)
{
    char err[1024];
    int exit_code = 1;
    if (make_dirs(cfg->server.data_dir, err, sizeof err) != 0) {
        log_error("%s: [server] data_dir: %s", cfg->path, err);
        config_free(cfg);
        return 1;
    }
    if (app_init(app, cfg, err, sizeof err) != 0 ||
        (app->lock_fd = lockfile_acquire(cfg->server.data_dir, err, sizeof err)) < 0) {
        log_error("%s", err);
        config_free(cfg);
        return 1;
    }
    raise_fd_limit();
    control_apply_server_settings(app, &cfg->server);
    if (runtime_init(&app->runtime, cfg->server.data_dir, err, sizeof err) != 0 ||
        !(app->workers = workers_start(cfg->server.workers, err, sizeof err))) {
        log_error("%s", err);
        config_free(cfg);
        return 1;
    }
    if (waiters_start(app, &app->waiters, err, sizeof err) != 0 ||
        pipeline_start(app, cfg->server.pipeline_threads, &app->pipeline, err, sizeof err) != 0) {
        log_error("%s", err);
        config_free(cfg);
        if (app->waiters) {
            waiters_stop(app->waiters);
            waiters_free(app->waiters);
        }
        workers_stop(app->workers, clock_monotonic_ns());
        runtime_destroy(&app->runtime);
        return 1;
    }
    app->http = http_server_start(app, err, sizeof err);
    if (!app->http) {
        log_error("%s", err);
        config_free(cfg);
        pipeline_stop(app->pipeline, clock_monotonic_ns(), 0);
        waiters_stop(app->waiters);
        waiters_free(app->waiters);
        workers_stop(app->workers, clock_monotonic_ns());
        runtime_destroy(&app->runtime);
        return 1;
    }
    if (log_async_start(err, sizeof err) != 0)
        log_warn("%s; logging directly", err);
    log_info("skald %s listening on %s:%u (pid %ld, data dir %s)", SKALD_VERSION,
             app->boot.listen_host, app->boot.listen_port, (long)getpid(), app->boot.data_dir);
    /* Ready for systemd as soon as HTTP serves: plugins and recovery follow in the background. */
    notify_ready(NOTIFY_PHASE_STARTING);
    struct watchdog *watchdog = NULL;
    if (notify_watchdog_usec() > 0 &&
        !(watchdog = watchdog_start(app, notify_watchdog_usec(), err, sizeof err)))
        log_error("%s; systemd will see no watchdog pings", err);

    struct generation *g = NULL;
    unsigned shutdown_timeout_s = cfg->server.shutdown_timeout_s;
    if (runtime_build(&app->runtime, cfg, &g, err, sizeof err) != 0) {
        log_error("cannot create the plugins: %s", err);
        atomic_store(&app->shutting_down, 1);
    } else {
        runtime_publish(&app->runtime, g);
        atomic_store(&app->plugins_ready, 1);
        recovery_schedule(app);
        control_loop(app);
        exit_code = 0;
    }

    atomic_store(&app->shutting_down, 1);
    notify_stopping();
    watchdog_stop(watchdog);
    struct generation *cur = runtime_acquire(&app->runtime);
    if (cur) {
        shutdown_timeout_s = cur->config->server.shutdown_timeout_s;
        runtime_release(&app->runtime, cur);
    }
    int64_t deadline = clock_monotonic_ns() + (int64_t)shutdown_timeout_s * 1000000000LL;
    http_server_quiesce(app->http);
    /* Requests waiting on background work are answered first, or they would hold the drain. */
    waiters_stop(app->waiters);
    http_server_drain(app->http, deadline, SHUTDOWN_GRACE_NS);
    unsigned stuck_jobs = pipeline_stop(app->pipeline, deadline, SHUTDOWN_GRACE_NS);
    unsigned stuck = workers_stop(app->workers, clock_monotonic_ns() + SHUTDOWN_GRACE_NS);
    stuck_jobs += session_engine_stop(app, deadline, SHUTDOWN_GRACE_NS, stuck > 0);
    if (stuck + stuck_jobs)
        log_warn("%u threads are stuck in backend calls that ignore their deadline", stuck + stuck_jobs);
    /* Pipeline threads poke the waiters when a task settles; free them only once none can. */
    if (stuck_jobs == 0)
        waiters_free(app->waiters);
    http_server_stop(app->http, stuck > 0);
    recovery_release_own_leases(app);
    /* A thread stuck in a plugin call may still reach the store; leave it open for the exit. */
    struct store *st = atomic_load(&app->store);
    if (st && stuck + stuck_jobs == 0)
        store_close(st);
    runtime_destroy(&app->runtime);
    free(app->boot.listen_host);
    free(app->boot.data_dir);
    log_info("skald stopped");
    log_async_stop();
    notify_close();
    return exit_code;
}

int main(int argc, char **argv)
{
    const char *config_path = NULL;
    int test_only = 0;
    struct config_override overrides[MAX_OVERRIDES];
    char *override_storage[MAX_OVERRIDES];
    size_t n_overrides = 0;
    char err[1024];
    int opt;
    while ((opt = getopt(argc, argv, "c:to:vh")) != -1) {
        switch (opt) {
        case 'c': config_path = optarg; break;
        case 't': test_only = 1; break;
        case 'o':
            if (n_overrides == MAX_OVERRIDES) {
                fprintf(stderr, "skald: at most %d -o options\n", MAX_OVERRIDES);
                return EXIT_USAGE;
            }
            if (config_override_parse(optarg, &overrides[n_overrides], &override_storage[n_overrides],
                                      err, sizeof err) != 0) {
                fprintf(stderr, "skald: %s\n", err);
                return EXIT_USAGE;
            }
            n_overrides++;
            break;
        case 'v': printf("skald %s (plugin ABI %d.%d)\n", SKALD_VERSION, SKALD_ABI_MAJOR, SKALD_ABI_MINOR); return 0;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return EXIT_USAGE;
        }
    }
    if (!config_path || optind != argc) {
        usage(stderr);
        return EXIT_USAGE;
    }
    int rc;
    struct config *cfg = NULL;
    if (config_load(config_path, overrides, n_overrides, &cfg, err, sizeof err) != 0) {
        fprintf(stderr, "skald: %s\n", err);
        rc = 1;
    } else if (test_only) {
        log_set_level(LOG_LEVEL_WARN);
        rc = config_test(cfg);
    } else {
        /* Signals are taken by the control thread only: block them before any thread starts. */
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, SIGHUP);
        sigaddset(&set, SIGTERM);
        sigaddset(&set, SIGINT);
        sigaddset(&set, SIGPIPE);
        pthread_sigmask(SIG_BLOCK, &set, NULL);
        if (notify_init(err, sizeof err) != 0)
            log_warn("%s: not notifying systemd", err);
        static struct app app;
        app.config_path = config_path;
        app.overrides = overrides;
        app.n_overrides = n_overrides;
        rc = run_daemon(&app, cfg);
    }
    for (size_t i = 0; i < n_overrides; i++)
        free(override_storage[i]);
    return rc;
}
