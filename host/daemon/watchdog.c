#include "daemon/watchdog.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/log.h"
#include "daemon/notify.h"

/* The longest a /health probe may take, whatever the period. */
#define WATCHDOG_PROBE_MAX_NS (2 * 1000000000LL)

struct watchdog {
    struct app *app;
    int64_t half_period_ns;
    struct sockaddr_storage addr;
    socklen_t addr_len;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake;        /* CLOCK_MONOTONIC; signalled by stop */
    int stop;                   /* guarded by lock */
};

/* Advanced by each probe task a worker runs. Static, so a probe still queued when the watchdog
 * stops touches nothing freed. */
static atomic_ullong watchdog_worker_ticks;

static void worker_probe(void *arg)
{
    (void)arg;
    atomic_fetch_add(&watchdog_worker_ticks, 1);
}

/* Where to reach our own server: the listen address, or loopback when it is a wildcard. */
static int resolve_self(struct watchdog *w, char *err, size_t err_cap)
{
    const char *host = w->app->boot.listen_host;
    if (strcmp(host, "0.0.0.0") == 0)
        host = "127.0.0.1";
    else if (strcmp(host, "::") == 0)
        host = "::1";
    char port[8];
    snprintf(port, sizeof port, "%u", w->app->boot.listen_port);
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV}, *res = NULL;
    int gai = getaddrinfo(host, port, &hints, &res);
    if (gai != 0) {
        snprintf(err, err_cap, "watchdog: cannot resolve %s: %s", host, gai_strerror(gai));
        return -1;
    }
    memcpy(&w->addr, res->ai_addr, res->ai_addrlen);
    w->addr_len = res->ai_addrlen;
    freeaddrinfo(res);
    return 0;
}

/* Waits until fd is ready for `events` or the deadline passes; 1 when ready. */
static int wait_fd(int fd, short events, int64_t deadline_ns)
{
    for (;;) {
        int64_t left_ms = (deadline_ns - clock_monotonic_ns()) / 1000000;
        if (left_ms <= 0)
            return 0;
        struct pollfd p = {.fd = fd, .events = events};
        int n = poll(&p, 1, (int)left_ms);
        if (n > 0)
            return 1;
        if (n < 0 && errno != EINTR)
            return 0;
    }
}

/* GET /health on our own socket; 1 when it answers 200 before the deadline. */
static int http_alive(const struct watchdog *w, int64_t deadline_ns)
{
    static const char probe[] = "GET /health HTTP/1.1\r\nHost: watchdog\r\nConnection: close\r\n\r\n";
    int fd = socket(w->addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return 0;
    int alive = 0;
    if (connect(fd, (const struct sockaddr *)&w->addr, w->addr_len) != 0) {
        int soerr = 0;
        socklen_t len = sizeof soerr;
        if (errno != EINPROGRESS || !wait_fd(fd, POLLOUT, deadline_ns) ||
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) != 0 || soerr != 0)
            goto out;
    }
    if (send(fd, probe, sizeof probe - 1, MSG_NOSIGNAL) != (ssize_t)(sizeof probe - 1))
        goto out;
    char head[16];
    size_t got = 0;
    while (got < 12 && wait_fd(fd, POLLIN, deadline_ns)) {
        ssize_t n = recv(fd, head + got, 12 - got, 0);
        if (n <= 0 && !(n < 0 && (errno == EINTR || errno == EAGAIN)))
            break;
        if (n > 0)
            got += (size_t)n;
    }
    alive = got == 12 && memcmp(head, "HTTP/1.", 7) == 0 && memcmp(head + 8, " 200", 4) == 0;
out:
    close(fd);
    return alive;
}

/* Sleeps until `until_ns` or a stop; 1 when stopped. */
static int sleep_until(struct watchdog *w, int64_t until_ns)
{
    struct timespec ts = clock_timespec_at(until_ns);
    pthread_mutex_lock(&w->lock);
    while (!w->stop && pthread_cond_timedwait(&w->wake, &w->lock, &ts) != ETIMEDOUT)
        ;
    int stop = w->stop;
    pthread_mutex_unlock(&w->lock);
    return stop;
}

static void *watchdog_main(void *arg)
{
    struct watchdog *w = arg;
    unsigned long long expected = atomic_load(&watchdog_worker_ticks) + 1;
    int probe_queued = workers_submit(w->app->workers, worker_probe, NULL) == 0;
    int was_alive = 1;
    int64_t next = clock_monotonic_ns();
    int64_t probe_budget = w->half_period_ns / 2 < WATCHDOG_PROBE_MAX_NS ? w->half_period_ns / 2
                                                                       : WATCHDOG_PROBE_MAX_NS;
    for (;;) {
        next += w->half_period_ns;
        int64_t now = clock_monotonic_ns();
        if (next < now)
            next = now;
        if (sleep_until(w, next))
            break;
        int http_ok = http_alive(w, clock_monotonic_ns() + probe_budget);
        int workers_ok = probe_queued && atomic_load(&watchdog_worker_ticks) >= expected;
        if (workers_ok || !probe_queued) {
            /* One probe at a time: a stuck pool is not flooded with them. */
            expected = atomic_load(&watchdog_worker_ticks) + 1;
            probe_queued = workers_submit(w->app->workers, worker_probe, NULL) == 0;
        }
        int alive = http_ok && workers_ok;
        if (alive)
            notify_watchdog();
        if (alive != was_alive) {
            if (alive)
                log_info("watchdog: the HTTP server and the worker pool answer again");
            else
                log_warn("watchdog: not pinging systemd: %s",
                         !http_ok ? "the HTTP server did not answer /health"
                                  : "no worker picked up a task for half a period");
        }
        was_alive = alive;
    }
    return NULL;
}

struct watchdog *watchdog_start(struct app *app, uint64_t period_usec, char *err, size_t err_cap)
{
    struct watchdog *w = calloc(1, sizeof *w);
    if (!w) {
        snprintf(err, err_cap, "out of memory");
        return NULL;
    }
    w->app = app;
    w->half_period_ns = (int64_t)(period_usec * 1000 / 2);
    if (w->half_period_ns < 1000000)
        w->half_period_ns = 1000000;
    if (resolve_self(w, err, err_cap) != 0) {
        free(w);
        return NULL;
    }
    int rc = clock_cond_init(&w->wake);
    if (rc != 0) {
        snprintf(err, err_cap, "cannot make a condition variable: %s", strerror(rc));
        free(w);
        return NULL;
    }
    pthread_mutex_init(&w->lock, NULL);
    rc = pthread_create(&w->thread, NULL, watchdog_main, w);
    if (rc != 0) {
        snprintf(err, err_cap, "cannot start the watchdog thread: %s", strerror(rc));
        pthread_mutex_destroy(&w->lock);
        pthread_cond_destroy(&w->wake);
        free(w);
        return NULL;
    }
    return w;
}

void watchdog_stop(struct watchdog *w)
{
    if (!w)
        return;
    pthread_mutex_lock(&w->lock);
    w->stop = 1;
    pthread_cond_signal(&w->wake);
    pthread_mutex_unlock(&w->lock);
    pthread_join(w->thread, NULL);
    pthread_mutex_destroy(&w->lock);
    pthread_cond_destroy(&w->wake);
    free(w);
}
