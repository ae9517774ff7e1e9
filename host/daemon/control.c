#include "daemon/control.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/log.h"
#include "daemon/notify.h"
#include "metrics/metrics_route.h"

/* How often the control thread looks at reload requests and drained generations. */
#define CONTROL_TICK_NS (50 * 1000000L)

void control_apply_server_settings(struct app *app, const struct server_config *server)
{
    atomic_store(&app->max_body, server->max_body);
    atomic_store(&app->debug_routes, server->debug_routes);
    log_set_level(server->log_level);
    log_set_format(server->log_format);
    metrics_route_set_enabled(server->metrics);
}

/* The phase systemd's STATUS= shows between reloads. */
static const char *control_phase(const struct app *app)
{
    int r = atomic_load(&app->recovery);
    return r == RECOVERY_DONE || r == RECOVERY_FAILED ? NOTIFY_PHASE_SERVING : NOTIFY_PHASE_RECOVERING;
}

/* Keys bound at startup (the socket, the lock, the thread counts) cannot change in place. */
static int restart_only_changed(const struct app *app, const struct config *cfg, char *err,
                                size_t err_cap)
{
    const struct server_config *now = &app->boot, *next = &cfg->server;
    const char *section = "server", *key = NULL;
    if (strcmp(now->listen_host, next->listen_host) != 0 || now->listen_port != next->listen_port)
        key = "listen";
    else if (strcmp(now->data_dir, next->data_dir) != 0)
        key = "data_dir";
    else if (now->workers != next->workers)
        key = "workers";
    else if (now->pipeline_threads != next->pipeline_threads)
        key = "pipeline_threads";
    else if (now->auth_mode != next->auth_mode)
        section = "auth", key = "mode";
    if (!key)
        return 0;
    snprintf(err, err_cap, "%s: [%s] %s: changing it requires a restart", cfg->path, section, key);
    return 1;
}

int control_reload(struct app *app, char *err, size_t err_cap)
{
    struct runtime *rt = &app->runtime;
    struct config *cfg = NULL;
    struct generation *g = NULL;
    notify_reloading();
    if (config_load(app->config_path, app->overrides, app->n_overrides, &cfg, err, err_cap) != 0)
        goto fail;
    if (restart_only_changed(app, cfg, err, err_cap)) {
        config_free(cfg);
        goto fail;
    }
    if (runtime_build(rt, cfg, &g, err, err_cap) != 0)
        goto fail;
    runtime_publish(rt, g);
    control_apply_server_settings(app, &g->config->server);
    runtime_record_reload(rt, 1, NULL);
    log_info("reload: configuration %s loaded as generation %llu", app->config_path,
             (unsigned long long)g->id);
    notify_ready(control_phase(app));
    return 0;
fail:
    runtime_record_reload(rt, 0, err);
    log_error("reload failed, the previous configuration keeps serving: %s", err);
    notify_ready(control_phase(app));
    return -1;
}

int control_request_reload(struct app *app, char *err, size_t err_cap)
{
    pthread_mutex_lock(&app->reload_lock);
    if (atomic_load(&app->shutting_down)) {
        pthread_mutex_unlock(&app->reload_lock);
        snprintf(err, err_cap, "server is shutting down");
        return -1;
    }
    uint64_t ticket = ++app->reload_requested;
    while (app->reload_completed < ticket)
        pthread_cond_wait(&app->reload_done, &app->reload_lock);
    int ok = app->reload_last_ok;
    snprintf(err, err_cap, "%s", app->reload_last_error);
    pthread_mutex_unlock(&app->reload_lock);
    return ok ? 0 : -1;
}

/* One reload answers every request made before it started. */
static void control_serve_reload_requests(struct app *app)
{
    pthread_mutex_lock(&app->reload_lock);
    uint64_t upto = app->reload_requested;
    int pending = upto > app->reload_completed;
    pthread_mutex_unlock(&app->reload_lock);
    if (!pending)
        return;
    char err[1024] = "";
    log_info("reload requested over HTTP");
    int ok = control_reload(app, err, sizeof err) == 0;
    pthread_mutex_lock(&app->reload_lock);
    app->reload_last_ok = ok;
    snprintf(app->reload_last_error, sizeof app->reload_last_error, "%s", err);
    app->reload_completed = upto;
    pthread_cond_broadcast(&app->reload_done);
    pthread_mutex_unlock(&app->reload_lock);
}

/* Waiters must not hang on a control thread that has stopped. */
static void control_fail_reload_requests(struct app *app)
{
    pthread_mutex_lock(&app->reload_lock);
    app->reload_last_ok = 0;
    snprintf(app->reload_last_error, sizeof app->reload_last_error, "server is shutting down");
    app->reload_completed = app->reload_requested;
    pthread_cond_broadcast(&app->reload_done);
    pthread_mutex_unlock(&app->reload_lock);
}

void control_loop(struct app *app)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGHUP);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    for (;;) {
        struct timespec tick = {0, CONTROL_TICK_NS};
        int sig = sigtimedwait(&set, NULL, &tick);
        if (sig == SIGTERM || sig == SIGINT) {
            log_info("%s received: shutting down", sig == SIGTERM ? "SIGTERM" : "SIGINT");
            break;
        }
        if (sig == SIGHUP) {
            char err[1024];
            log_info("SIGHUP received: reloading %s", app->config_path);
            control_reload(app, err, sizeof err);
        } else if (sig < 0 && errno != EAGAIN && errno != EINTR) {
            log_error("sigtimedwait: %s", strerror(errno));
        }
        control_serve_reload_requests(app);
        runtime_reap(&app->runtime);
        notify_status(control_phase(app));
    }
    atomic_store(&app->shutting_down, 1);
    control_fail_reload_requests(app);
}
