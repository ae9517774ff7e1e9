#include "http/access_log.h"

#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "core/clock.h"
#include "core/log.h"
#include "metrics/metrics_http.h"

#define STATUS_CLIENT_CLOSED 499

int http_access_id_valid(const char *id)
{
    size_t n = 0;
    for (const char *p = id; *p; p++, n++) {
        char c = *p;
        int ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                 c == '.' || c == '_' || c == ':' || c == '-';
        if (!ok || n == 128)
            return 0;
    }
    return n > 0;
}

/* xorshift128+ per HTTP thread, seeded from the kernel: ids need to be unique, not secret, and
 * making one must not block or take a lock. */
static uint64_t id_random(void)
{
    static _Thread_local uint64_t s[2];
    static _Thread_local int seeded;
    if (!seeded) {
        if (getrandom(s, sizeof s, GRND_NONBLOCK) != (ssize_t)sizeof s) {
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            s[0] = (uint64_t)ts.tv_nsec * 0x9e3779b97f4a7c15ULL ^ (uint64_t)(uintptr_t)&seeded;
            s[1] = (uint64_t)ts.tv_sec * 0xbf58476d1ce4e5b9ULL ^ (uint64_t)clock_monotonic_ns();
        }
        if (!s[0] && !s[1])
            s[1] = 1;
        seeded = 1;
    }
    uint64_t x = s[0], y = s[1];
    s[0] = y;
    x ^= x << 23;
    s[1] = x ^ y ^ (x >> 17) ^ (y >> 26);
    return s[1] + y;
}

static void id_generate(char out[HTTP_REQUEST_ID_CAP])
{
    uint64_t hi = id_random(), lo = id_random();
    hi = (hi & ~0xf000ULL) | 0x4000ULL;                   /* version 4 */
    lo = (lo & ~(0xc000ULL << 48)) | (0x8000ULL << 48);   /* RFC 4122 variant */
    snprintf(out, HTTP_REQUEST_ID_CAP, "%08llx-%04llx-%04llx-%04llx-%012llx",
             (unsigned long long)(hi >> 32), (unsigned long long)((hi >> 16) & 0xffff),
             (unsigned long long)(hi & 0xffff), (unsigned long long)(lo >> 48),
             (unsigned long long)(lo & 0xffffffffffffULL));
}

void http_access_begin(struct http_access *a, struct MHD_Connection *conn)
{
    const char *client = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Request-ID");
    if (client && http_access_id_valid(client))
        snprintf(a->id, sizeof a->id, "%s", client);
    else
        id_generate(a->id);
    a->route = NULL;
    a->status = 0;
    metrics_http_in_flight_add(1);
}

void http_access_respond(struct http_access *a, struct MHD_Response *resp, unsigned status,
                         int64_t started_ns)
{
    char took[32];
    snprintf(took, sizeof took, "%.6f", (double)(clock_monotonic_ns() - started_ns) / 1e9);
    MHD_add_response_header(resp, "X-Request-ID", a->id);
    MHD_add_response_header(resp, "X-Process-Time", took);
    a->status = status;
}

void http_access_end(const struct http_access *a, const char *method, const char *url,
                     int64_t started_ns)
{
    int64_t took_ns = clock_monotonic_ns() - started_ns;
    unsigned status = a->status ? a->status : STATUS_CLIENT_CLOSED;
    metrics_http_in_flight_add(-1);
    metrics_http_observe(a->route, status, took_ns);
    if (!log_enabled(LOG_LEVEL_INFO))
        return;
    struct log_field f[] = {
        LOG_STR("request_id", a->id), LOG_STR("method", method),  LOG_STR("path", url),
        LOG_INT("status", status),    LOG_NUM("latency_ms", (double)took_ns / 1e6),
    };
    log_fields(LOG_LEVEL_INFO, "request", f, sizeof f / sizeof f[0]);
}
