#include "metrics/metrics_http.h"

#include <stdatomic.h>
#include <string.h>

#include "metrics/metrics_text.h"

/* Routes beyond the table are counted as unmatched; codes beyond it as code "other". */
#define MAX_ROUTES 128
#define MAX_CODES 32
#define ROUTE_UNMATCHED_SLOT 0
#define ROUTE_HEALTH_SLOT 1
#define CODE_OTHER_SLOT 0

static const double bucket_bounds[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                       0.1,    0.25,  0.5,    1,     2.5,  5,     10, 30, 60};
#define N_BUCKETS (sizeof bucket_bounds / sizeof bucket_bounds[0])

static _Atomic(const char *) route_names[MAX_ROUTES] = {METRICS_ROUTE_UNMATCHED, "/health"};
static atomic_uint code_values[MAX_CODES];
static atomic_ullong requests[MAX_ROUTES][MAX_CODES];
static atomic_ullong buckets[MAX_ROUTES][N_BUCKETS + 1]; /* last: above every bound */
static atomic_ullong duration_sum_ns[MAX_ROUTES];
static atomic_ullong health_requests;
static atomic_llong in_flight;

/* Finds or claims the slot of a route. Claims go in order with a compare-and-swap, so two threads
 * registering the same route agree on one slot. */
static size_t route_slot(const char *route)
{
    if (!route)
        return ROUTE_UNMATCHED_SLOT;
    for (size_t i = 0; i < MAX_ROUTES; i++) {
        const char *cur = atomic_load_explicit(&route_names[i], memory_order_acquire);
        if (cur == route)
            return i;
        if (!cur) {
            const char *expected = NULL;
            if (atomic_compare_exchange_strong(&route_names[i], &expected, route))
                return i;
            cur = expected;
        }
        if (strcmp(cur, route) == 0)
            return i;
    }
    return ROUTE_UNMATCHED_SLOT;
}

static size_t code_slot(unsigned code)
{
    for (size_t i = 1; i < MAX_CODES; i++) {
        unsigned cur = atomic_load_explicit(&code_values[i], memory_order_acquire);
        if (cur == code)
            return i;
        if (cur == 0) {
            unsigned expected = 0;
            if (atomic_compare_exchange_strong(&code_values[i], &expected, code) || expected == code)
                return i;
        }
    }
    return CODE_OTHER_SLOT;
}

void metrics_http_health(void)
{
    atomic_fetch_add_explicit(&health_requests, 1, memory_order_relaxed);
}

void metrics_http_observe(const char *route, unsigned code, int64_t duration_ns)
{
    size_t r = route_slot(route), c = code_slot(code);
    atomic_fetch_add_explicit(&requests[r][c], 1, memory_order_relaxed);
    double s = (double)duration_ns / 1e9;
    size_t b = 0;
    while (b < N_BUCKETS && s > bucket_bounds[b])
        b++;
    atomic_fetch_add_explicit(&buckets[r][b], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&duration_sum_ns[r], duration_ns > 0 ? (unsigned long long)duration_ns : 0,
                              memory_order_relaxed);
}

void metrics_http_in_flight_add(int delta)
{
    atomic_fetch_add_explicit(&in_flight, delta, memory_order_relaxed);
}

static void write_route_label(FILE *out, size_t r)
{
    fputs("route=", out);
    metrics_text_label_value(out, atomic_load(&route_names[r]));
}

void metrics_http_write(FILE *out)
{
    metrics_text_family(out, "skald_http_requests_total", "counter",
                        "HTTP requests answered, by route pattern and status code.");
    unsigned long long health = atomic_load(&health_requests);
    for (size_t r = 0; r < MAX_ROUTES && atomic_load(&route_names[r]); r++) {
        for (size_t c = 0; c < MAX_CODES; c++) {
            unsigned long long n = atomic_load(&requests[r][c]);
            unsigned code = atomic_load(&code_values[c]);
            if (r == ROUTE_HEALTH_SLOT && code == 200)
                n += health, health = 0;
            if (n == 0)
                continue;
            fputs("skald_http_requests_total{", out);
            write_route_label(out, r);
            if (c == CODE_OTHER_SLOT)
                fprintf(out, ",code=\"other\"} %llu\n", n);
            else
                fprintf(out, ",code=\"%u\"} %llu\n", code, n);
        }
    }
    if (health > 0)
        fprintf(out, "skald_http_requests_total{route=\"/health\",code=\"200\"} %llu\n", health);

    metrics_text_family(out, "skald_http_request_duration_seconds", "histogram",
                        "Time from a request's first byte to its completion (/health is not timed).");
    for (size_t r = 0; r < MAX_ROUTES && atomic_load(&route_names[r]); r++) {
        unsigned long long counts[N_BUCKETS + 1], total = 0;
        for (size_t b = 0; b <= N_BUCKETS; b++)
            total += counts[b] = atomic_load(&buckets[r][b]);
        if (total == 0)
            continue;
        unsigned long long cumulative = 0;
        for (size_t b = 0; b <= N_BUCKETS; b++) {
            cumulative += counts[b];
            fputs("skald_http_request_duration_seconds_bucket{", out);
            write_route_label(out, r);
            if (b < N_BUCKETS) {
                fputs(",le=\"", out);
                metrics_text_value(out, bucket_bounds[b]);
                fprintf(out, "\"} %llu\n", cumulative);
            } else {
                fprintf(out, ",le=\"+Inf\"} %llu\n", cumulative);
            }
        }
        fputs("skald_http_request_duration_seconds_sum{", out);
        write_route_label(out, r);
        fputs("} ", out);
        metrics_text_value(out, (double)atomic_load(&duration_sum_ns[r]) / 1e9);
        fputs("\nskald_http_request_duration_seconds_count{", out);
        write_route_label(out, r);
        fprintf(out, "} %llu\n", cumulative);
    }

    metrics_text_family(out, "skald_http_requests_in_flight", "gauge",
                        "Requests received and not yet completed (/health excluded).");
    long long f = atomic_load(&in_flight);
    metrics_text_sample(out, "skald_http_requests_in_flight", (double)(f > 0 ? f : 0));
}
