#include "core/log_sink.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/log.h"

/* Room for a burst of request lines while stderr is slow; past it lines are dropped. */
#define LOG_RING_CAP (1u << 20)
#define LOG_CHUNK_CAP (64u * 1024)

static struct {
    pthread_mutex_t lock;
    pthread_cond_t wake;
    char *buf;          /* ring of whole lines */
    size_t head, len;   /* oldest byte, bytes queued */
    int stop;
    pthread_t thread;
} sink = {.lock = PTHREAD_MUTEX_INITIALIZER, .wake = PTHREAD_COND_INITIALIZER};

static atomic_int sink_running;
static atomic_ullong sink_dropped;

static void write_all(const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(STDERR_FILENO, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return;
        p += w;
        n -= (size_t)w;
    }
}

void log_sink_emit(const char *line, size_t len)
{
    if (!atomic_load_explicit(&sink_running, memory_order_acquire)) {
        /* One write() per line keeps lines from different threads whole. */
        write_all(line, len);
        return;
    }
    pthread_mutex_lock(&sink.lock);
    if (!sink.buf) {
        /* The writer stopped after this caller looked. */
        pthread_mutex_unlock(&sink.lock);
        write_all(line, len);
        return;
    }
    if (LOG_RING_CAP - sink.len >= len) {
        size_t tail = (sink.head + sink.len) % LOG_RING_CAP;
        size_t first = len < LOG_RING_CAP - tail ? len : LOG_RING_CAP - tail;
        memcpy(sink.buf + tail, line, first);
        memcpy(sink.buf, line + first, len - first);
        sink.len += len;
        pthread_cond_signal(&sink.wake);
    } else {
        atomic_fetch_add_explicit(&sink_dropped, 1, memory_order_relaxed);
    }
    pthread_mutex_unlock(&sink.lock);
}

static void *sink_main(void *arg)
{
    (void)arg;
    static char chunk[LOG_CHUNK_CAP];
    pthread_mutex_lock(&sink.lock);
    for (;;) {
        while (sink.len == 0 && !sink.stop)
            pthread_cond_wait(&sink.wake, &sink.lock);
        if (sink.len == 0)
            break;
        size_t n = sink.len < LOG_CHUNK_CAP ? sink.len : LOG_CHUNK_CAP;
        size_t first = n < LOG_RING_CAP - sink.head ? n : LOG_RING_CAP - sink.head;
        memcpy(chunk, sink.buf + sink.head, first);
        memcpy(chunk + first, sink.buf, n - first);
        sink.head = (sink.head + n) % LOG_RING_CAP;
        sink.len -= n;
        pthread_mutex_unlock(&sink.lock);
        write_all(chunk, n);
        pthread_mutex_lock(&sink.lock);
    }
    pthread_mutex_unlock(&sink.lock);
    return NULL;
}

int log_async_start(char *err, size_t err_cap)
{
    if (atomic_load(&sink_running))
        return 0;
    char *buf = malloc(LOG_RING_CAP);
    if (!buf) {
        snprintf(err, err_cap, "out of memory");
        return -1;
    }
    pthread_mutex_lock(&sink.lock);
    sink.buf = buf;
    sink.head = sink.len = 0;
    sink.stop = 0;
    pthread_mutex_unlock(&sink.lock);
    int rc = pthread_create(&sink.thread, NULL, sink_main, NULL);
    if (rc != 0) {
        snprintf(err, err_cap, "cannot start the log writer: %s", strerror(rc));
        pthread_mutex_lock(&sink.lock);
        sink.buf = NULL;
        pthread_mutex_unlock(&sink.lock);
        free(buf);
        return -1;
    }
    atomic_store_explicit(&sink_running, 1, memory_order_release);
    return 0;
}

void log_async_stop(void)
{
    if (!atomic_load(&sink_running))
        return;
    pthread_mutex_lock(&sink.lock);
    sink.stop = 1;
    pthread_cond_signal(&sink.wake);
    pthread_mutex_unlock(&sink.lock);
    pthread_join(sink.thread, NULL);
    /* Lines emitted from here on are written directly; a late emit that saw the writer running
     * still finds the ring under the lock, so it is freed only with the lock held. */
    atomic_store_explicit(&sink_running, 0, memory_order_release);
    pthread_mutex_lock(&sink.lock);
    char *buf = sink.buf;
    if (sink.len > 0 && buf) {
        size_t first = sink.len < LOG_RING_CAP - sink.head ? sink.len : LOG_RING_CAP - sink.head;
        write_all(buf + sink.head, first);
        write_all(buf, sink.len - first);
    }
    sink.buf = NULL;
    sink.len = 0;
    pthread_mutex_unlock(&sink.lock);
    free(buf);
    unsigned long long dropped = atomic_load(&sink_dropped);
    if (dropped > 0)
        log_warn("%llu log lines were dropped because stderr could not keep up", dropped);
}

uint64_t log_dropped(void) { return atomic_load(&sink_dropped); }
