#include "check/check_session.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/wait.h>
#include <unistd.h>

#include "core/clock.h"

struct skald_call_ctx check_ctx(struct check_session *s, enum check_ctx_mode mode)
{
    int64_t now = clock_monotonic_ns();
    s->err[0] = '\0';
    atomic_store(&s->cancel_flag, 1);
    struct skald_call_ctx ctx = {
        .struct_size = sizeof ctx,
        .deadline_ns = mode == CHECK_CTX_EXPIRED ? now - 1000000 : now + 30LL * 1000000000,
        .cancel = mode == CHECK_CTX_CANCELLED ? &s->cancel_flag : &s->live_flag,
        .err = s->err,
        .err_cap = sizeof s->err,
    };
    return ctx;
}

struct plugin_instance *check_instance_create(struct check_session *s, const char *const *extra,
                                              char *err, size_t err_cap)
{
    size_t n_extra = 0;
    while (extra && extra[2 * n_extra])
        n_extra++;
    struct skald_config_entry *all = calloc(s->config_count + n_extra + 1, sizeof *all);
    if (!all) {
        snprintf(err, err_cap, "out of memory");
        return NULL;
    }
    memcpy(all, s->config, s->config_count * sizeof *all);
    for (size_t i = 0; i < n_extra; i++) {
        all[s->config_count + i].key = extra[2 * i];
        all[s->config_count + i].value = extra[2 * i + 1];
    }
    struct plugin_instance *inst = NULL;
    if (plugin_instance_create(s->module, s->section, all, s->config_count + n_extra, s->data_dir,
                               &inst, err, err_cap) != 0)
        inst = NULL;
    free(all);
    return inst;
}

const char *check_status_name(int rc)
{
    switch (rc) {
    case SKALD_OK: return "SKALD_OK";
    case SKALD_EINVAL: return "SKALD_EINVAL";
    case SKALD_EUNSUPPORTED: return "SKALD_EUNSUPPORTED";
    case SKALD_EUNAVAILABLE: return "SKALD_EUNAVAILABLE";
    case SKALD_ETIMEDOUT: return "SKALD_ETIMEDOUT";
    case SKALD_ECANCELLED: return "SKALD_ECANCELLED";
    case SKALD_EBUSY: return "SKALD_EBUSY";
    case SKALD_ENOMEM: return "SKALD_ENOMEM";
    case SKALD_EINTERNAL: return "SKALD_EINTERNAL";
    case SKALD_ENOTFOUND: return "SKALD_ENOTFOUND";
    case SKALD_EIO: return "SKALD_EIO";
    default: return "unknown status";
    }
}

struct check_thread {
    pthread_t tid;
    int (*fn)(void *arg, int i);
    void *arg;
    int index;
    int rc;
};

static void *check_thread_main(void *p)
{
    struct check_thread *t = p;
    t->rc = t->fn(t->arg, t->index);
    return NULL;
}

int check_threads(int n_threads, int (*fn)(void *arg, int i), void *arg)
{
    struct check_thread *t = calloc((size_t)n_threads, sizeof *t);
    if (!t)
        return n_threads;
    int failed = 0;
    for (int i = 0; i < n_threads; i++) {
        t[i] = (struct check_thread){.fn = fn, .arg = arg, .index = i, .rc = -1};
        if (pthread_create(&t[i].tid, NULL, check_thread_main, &t[i]) != 0)
            t[i].tid = 0;
    }
    for (int i = 0; i < n_threads; i++) {
        if (t[i].tid)
            pthread_join(t[i].tid, NULL);
        if (t[i].rc != 0)
            failed++;
    }
    free(t);
    return failed;
}

int check_in_killed_child(struct check_session *s,
                          int (*fn)(struct check_session *s, struct plugin_instance *inst),
                          char *err, size_t err_cap)
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(err, err_cap, "fork: %s", strerror(errno));
        return -1;
    }
    if (pid == 0) {
        char cerr[512];
        struct plugin_instance *inst = check_instance_create(s, NULL, cerr, sizeof cerr);
        if (!inst || fn(s, inst) != 0)
            _exit(3);
        kill(getpid(), SIGKILL);
        _exit(4);
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) {
            snprintf(err, err_cap, "waitpid: %s", strerror(errno));
            return -1;
        }
    }
    if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
        return 0;
    snprintf(err, err_cap, "the child's call failed (status %d)", status);
    return -1;
}
