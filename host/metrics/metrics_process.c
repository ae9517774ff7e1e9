#include "metrics/metrics_process.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/clock.h"
#include "metrics/metrics_text.h"

static int read_small_file(const char *path, char *buf, size_t cap)
{
    FILE *f = fopen(path, "re");
    if (!f)
        return -1;
    size_t n = fread(buf, 1, cap - 1, f);
    fclose(f);
    buf[n] = '\0';
    return n > 0 ? 0 : -1;
}

static long long count_open_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    if (!d)
        return -1;
    long long n = 0;
    for (struct dirent *e; (e = readdir(d));)
        if (e->d_name[0] != '.')
            n++;
    closedir(d);
    return n - 1; /* the directory's own descriptor */
}

void metrics_process_write(FILE *out, int64_t started_ns)
{
    char buf[1024];
    long page = sysconf(_SC_PAGESIZE);
    unsigned long long size_pages, rss_pages;
    if (page > 0 && read_small_file("/proc/self/statm", buf, sizeof buf) == 0 &&
        sscanf(buf, "%llu %llu", &size_pages, &rss_pages) == 2) {
        metrics_text_family(out, "skald_process_resident_memory_bytes", "gauge", "Resident set size.");
        metrics_text_sample(out, "skald_process_resident_memory_bytes", (double)rss_pages * (double)page);
        metrics_text_family(out, "skald_process_virtual_memory_bytes", "gauge", "Virtual memory size.");
        metrics_text_sample(out, "skald_process_virtual_memory_bytes", (double)size_pages * (double)page);
    }
    /* Fields after the command name, which may hold spaces and parentheses. */
    const char *after = read_small_file("/proc/self/stat", buf, sizeof buf) == 0 ? strrchr(buf, ')') : NULL;
    unsigned long long utime, stime;
    long long threads;
    long ticks = sysconf(_SC_CLK_TCK);
    if (after && ticks > 0 &&
        sscanf(after + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %*d %*d %*d %*d %lld",
               &utime, &stime, &threads) == 3) {
        metrics_text_family(out, "skald_process_cpu_seconds_total", "counter",
                            "User and system CPU time spent.");
        metrics_text_sample(out, "skald_process_cpu_seconds_total", (double)(utime + stime) / (double)ticks);
        metrics_text_family(out, "skald_process_threads", "gauge", "Threads in the process.");
        metrics_text_sample(out, "skald_process_threads", (double)threads);
    }
    long long fds = count_open_fds();
    if (fds >= 0) {
        metrics_text_family(out, "skald_process_open_fds", "gauge", "Open file descriptors.");
        metrics_text_sample(out, "skald_process_open_fds", (double)fds);
    }
    metrics_text_family(out, "skald_process_uptime_seconds", "gauge", "Seconds since the daemon started.");
    metrics_text_sample(out, "skald_process_uptime_seconds",
                        (double)(clock_monotonic_ns() - started_ns) / 1e9);
}
