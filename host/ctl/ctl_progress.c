/* Long operations: the request, which waits server-side, runs on a thread while this one polls
 * the queue observer and shows jobs done out of jobs known on stderr, so stdout keeps only the
 * result (clean for -o json). */
#include "ctl_cmd.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define POLL_NS 200000000LL        /* observer polls while the request runs */
#define PLAIN_EVERY_NS 1000000000LL /* at most one plain line a second */
#define BAR_WIDTH 30

struct op {
    const struct ctl *c;
    const char *method, *path;
    json_t *body;
    json_t *result;
    char err[1024];
    int rc;
    int done; /* under lock */
    pthread_mutex_t lock;
    pthread_cond_t cond; /* CLOCK_MONOTONIC */
};

/* The observer's queue totals: what is queued now and what this server process has finished. */
struct jobs {
    long long pending, in_progress, finished;
};

struct progress {
    int tty;
    int have_base;
    long long base;              /* jobs finished before the operation started */
    long long done, total;       /* last shown; -1 before the first */
    int64_t last_plain_ns;
};

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void *op_main(void *arg)
{
    struct op *o = arg;
    json_t *result = NULL;
    int rc = ctl_call(o->c, o->method, o->path, o->body, &result, o->err, sizeof o->err);
    pthread_mutex_lock(&o->lock);
    o->rc = rc;
    o->result = result;
    o->done = 1;
    pthread_cond_signal(&o->cond);
    pthread_mutex_unlock(&o->lock);
    return NULL;
}

/* Reads the "TOTAL" row of GET /api/v1/observer/queue (pending, in progress, processed,
 * requeued, errors). 0, or -1 when the observer cannot be read: the operation then goes on
 * without progress. */
static int jobs_poll(const struct ctl *c, struct jobs *out)
{
    json_t *result;
    char err[1024];
    if (ctl_call(c, "GET", "/api/v1/observer/queue", NULL, &result, err, sizeof err) != CTL_OK)
        return -1;
    const char *text = json_string_value(json_object_get(result, "status"));
    int rc = -1;
    for (const char *line = text; line && *line;
         line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
        long long processed, requeued, errors;
        if (strncmp(line, "TOTAL ", 6) == 0 &&
            sscanf(line + 6, "%lld %lld %lld %lld %lld", &out->pending, &out->in_progress,
                   &processed, &requeued, &errors) == 5) {
            /* Dead jobs are finished too: nothing will run them again. */
            out->finished = processed + errors;
            rc = 0;
            break;
        }
    }
    json_decref(result);
    return rc;
}

static void progress_draw(struct progress *p, long long done, long long total, int last)
{
    if (p->tty) {
        char bar[BAR_WIDTH + 1];
        int fill = total > 0 ? (int)(done * BAR_WIDTH / total) : 0;
        memset(bar, '#', (size_t)fill);
        memset(bar + fill, '-', (size_t)(BAR_WIDTH - fill));
        bar[BAR_WIDTH] = '\0';
        /* \r redraws the line in place; \033[K clears what a longer previous line left. */
        fprintf(stderr, "\r[%s] %lld/%lld jobs\033[K%s", bar, done, total, last ? "\n" : "");
        fflush(stderr);
    } else {
        fprintf(stderr, "skaldctl: %lld/%lld jobs done\n", done, total);
    }
    p->done = done;
    p->total = total;
}

/* One observation: the bar is redrawn every time on a terminal; a plain line is written only
 * when the numbers changed and a second has passed (or at the end). */
static void progress_update(struct progress *p, const struct ctl *c, int last)
{
    struct jobs j;
    if (jobs_poll(c, &j) != 0) {
        if (last && p->tty && p->done >= 0)
            fputc('\n', stderr);
        return;
    }
    if (!p->have_base) {
        p->base = j.finished;
        p->have_base = 1;
    }
    long long done = j.finished - p->base;
    /* A restarted server counts from zero again. */
    if (done < 0) {
        p->base = j.finished;
        done = 0;
    }
    long long total = done + j.pending + j.in_progress;
    if (p->tty) {
        progress_draw(p, done, total, last);
        return;
    }
    int64_t now = now_ns();
    int changed = done != p->done || total != p->total;
    /* Before any job is known there is nothing to tell but at the end. */
    int due = last || p->done < 0 || now - p->last_plain_ns >= PLAIN_EVERY_NS;
    if (changed && due && (total > 0 || last)) {
        progress_draw(p, done, total, last);
        p->last_plain_ns = now;
    }
}

int ctl_run_progress(const struct ctl *c, const char *method, const char *path, json_t *body,
                     const char *pick, const char *const *columns)
{
    struct progress p = {.tty = isatty(STDERR_FILENO), .done = -1, .total = -1};
    struct op o = {.c = c, .method = method, .path = path, .body = body};
    pthread_condattr_t ca;
    int thread_ok = 0;
    if (pthread_condattr_init(&ca) == 0) {
        if (pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) == 0 &&
            pthread_cond_init(&o.cond, &ca) == 0) {
            if (pthread_mutex_init(&o.lock, NULL) == 0)
                thread_ok = 1;
            else
                pthread_cond_destroy(&o.cond);
        }
        pthread_condattr_destroy(&ca);
    }
    /* The baseline comes before the request, so jobs it queues all count as this operation's. */
    progress_update(&p, c, 0);
    pthread_t tid;
    if (thread_ok && pthread_create(&tid, NULL, op_main, &o) != 0) {
        pthread_mutex_destroy(&o.lock);
        pthread_cond_destroy(&o.cond);
        thread_ok = 0;
    }
    if (!thread_ok) {
        /* No thread: the operation still runs, only without progress while it does. */
        o.rc = ctl_call(c, method, path, body, &o.result, o.err, sizeof o.err);
    } else {
        pthread_mutex_lock(&o.lock);
        while (!o.done) {
            struct timespec until;
            clock_gettime(CLOCK_MONOTONIC, &until);
            int64_t ns = until.tv_nsec + POLL_NS;
            until.tv_sec += (time_t)(ns / 1000000000LL);
            until.tv_nsec = (long)(ns % 1000000000LL);
            int w = 0;
            while (!o.done && w != ETIMEDOUT)
                w = pthread_cond_timedwait(&o.cond, &o.lock, &until);
            if (o.done)
                break;
            pthread_mutex_unlock(&o.lock);
            progress_update(&p, c, 0);
            pthread_mutex_lock(&o.lock);
        }
        pthread_mutex_unlock(&o.lock);
        pthread_join(tid, NULL);
        pthread_mutex_destroy(&o.lock);
        pthread_cond_destroy(&o.cond);
    }
    if (p.have_base)
        progress_update(&p, c, 1);
    json_decref(body);
    return ctl_report(c, o.rc, o.result, o.err, pick, columns);
}
