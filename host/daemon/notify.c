#include "daemon/notify.h"

#include <errno.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/log.h"

static struct {
    pthread_mutex_t lock;       /* serialises sends, so STATUS changes arrive in order */
    int fd;                     /* -1: notifications off */
    struct sockaddr_un addr;
    socklen_t addr_len;
    uint64_t watchdog_usec;
    char last_status[64];
    int send_failed_logged;
} notify = {.lock = PTHREAD_MUTEX_INITIALIZER, .fd = -1};

static int parse_u64(const char *s, uint64_t *out)
{
    if (!s || !*s)
        return -1;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end || s[0] == '-')
        return -1;
    *out = v;
    return 0;
}

int notify_init(char *err, size_t err_cap)
{
    const char *path = getenv("NOTIFY_SOCKET");
    uint64_t wd = 0, wd_pid = 0;
    if (parse_u64(getenv("WATCHDOG_USEC"), &wd) != 0)
        wd = 0;
    /* The watchdog applies to us only when it names our PID (or names none). */
    if (getenv("WATCHDOG_PID") && (parse_u64(getenv("WATCHDOG_PID"), &wd_pid) != 0 ||
                                   wd_pid != (uint64_t)getpid()))
        wd = 0;
    int rc = 0;
    if (path && *path) {
        size_t len = strlen(path);
        if ((path[0] != '/' && path[0] != '@') || len >= sizeof notify.addr.sun_path) {
            snprintf(err, err_cap, "NOTIFY_SOCKET '%s' is not an absolute path or @abstract name", path);
            rc = -1;
        } else {
            memset(&notify.addr, 0, sizeof notify.addr);
            notify.addr.sun_family = AF_UNIX;
            memcpy(notify.addr.sun_path, path, len);
            if (path[0] == '@')
                notify.addr.sun_path[0] = '\0';
            /* An abstract name is exactly its bytes; a path is NUL-terminated. */
            notify.addr_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len +
                                          (path[0] == '/' ? 1 : 0));
            notify.fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
            if (notify.fd < 0) {
                snprintf(err, err_cap, "notify socket: %s", strerror(errno));
                rc = -1;
            } else {
                struct timeval tv = {.tv_sec = 1};
                if (setsockopt(notify.fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv) != 0)
                    log_warn("notify socket: cannot set a send timeout: %s", strerror(errno));
                notify.watchdog_usec = wd;
            }
        }
    }
    unsetenv("NOTIFY_SOCKET");
    unsetenv("WATCHDOG_USEC");
    unsetenv("WATCHDOG_PID");
    return rc;
}

void notify_close(void)
{
    pthread_mutex_lock(&notify.lock);
    if (notify.fd >= 0)
        close(notify.fd);
    notify.fd = -1;
    pthread_mutex_unlock(&notify.lock);
}

int notify_enabled(void) { return notify.fd >= 0; }

uint64_t notify_watchdog_usec(void) { return notify.fd >= 0 ? notify.watchdog_usec : 0; }

/* Sends text as one datagram; lock held. */
static void send_locked(const char *text)
{
    if (notify.fd < 0)
        return;
    ssize_t n;
    do
        n = sendto(notify.fd, text, strlen(text), MSG_NOSIGNAL, (const struct sockaddr *)&notify.addr,
                   notify.addr_len);
    while (n < 0 && errno == EINTR);
    if (n < 0 && !notify.send_failed_logged) {
        /* Once: a supervisor that went away would otherwise fill the log every ping. */
        notify.send_failed_logged = 1;
        log_warn("notify: cannot send to NOTIFY_SOCKET: %s", strerror(errno));
    }
}

static void send_with_status(const char *head, const char *phase)
{
    char text[256];
    pthread_mutex_lock(&notify.lock);
    snprintf(text, sizeof text, "%sSTATUS=%s", head, phase);
    snprintf(notify.last_status, sizeof notify.last_status, "%s", phase);
    send_locked(text);
    pthread_mutex_unlock(&notify.lock);
}

void notify_ready(const char *phase) { send_with_status("READY=1\n", phase); }

void notify_status(const char *phase)
{
    if (notify.fd < 0)
        return;
    pthread_mutex_lock(&notify.lock);
    int same = strcmp(notify.last_status, phase) == 0;
    pthread_mutex_unlock(&notify.lock);
    if (!same)
        send_with_status("", phase);
}

void notify_reloading(void)
{
    char head[96];
    snprintf(head, sizeof head, "RELOADING=1\nMONOTONIC_USEC=%lld\n",
             (long long)(clock_monotonic_ns() / 1000));
    send_with_status(head, NOTIFY_PHASE_RELOADING);
}

void notify_stopping(void) { send_with_status("STOPPING=1\n", NOTIFY_PHASE_STOPPING); }

void notify_watchdog(void)
{
    pthread_mutex_lock(&notify.lock);
    send_locked("WATCHDOG=1");
    pthread_mutex_unlock(&notify.lock);
}
