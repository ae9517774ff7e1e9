#include "daemon/lockfile.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

/* The holder writes its PID just after locking; a reader racing it may see an empty file, so it
 * retries briefly before reporting "unknown". */
static long lockfile_read_pid(int fd)
{
    for (int attempt = 0; attempt < 20; attempt++) {
        char buf[32] = {0};
        ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
        if (n > 0) {
            char *end = NULL;
            long pid = strtol(buf, &end, 10);
            if (end != buf && pid > 0)
                return pid;
        }
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    return -1;
}

int lockfile_acquire(const char *data_dir, char *err, size_t err_cap)
{
    char path[PATH_MAX];
    if (snprintf(path, sizeof path, "%s/skald.lock", data_dir) >= (int)sizeof path) {
        snprintf(err, err_cap, "data dir path too long");
        return -1;
    }
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
        snprintf(err, err_cap, "cannot open lock file %s: %s", path, strerror(errno));
        return -1;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        int e = errno;
        if (e == EWOULDBLOCK) {
            long pid = lockfile_read_pid(fd);
            if (pid > 0)
                snprintf(err, err_cap, "data dir %s is locked by running process %ld", data_dir, pid);
            else
                snprintf(err, err_cap, "data dir %s is locked by another running process", data_dir);
        } else {
            snprintf(err, err_cap, "cannot lock %s: %s", path, strerror(e));
        }
        close(fd);
        return -1;
    }
    char pid[32];
    int len = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
    if (ftruncate(fd, 0) != 0 || pwrite(fd, pid, (size_t)len, 0) != len) {
        snprintf(err, err_cap, "cannot write PID to %s: %s", path, strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}
