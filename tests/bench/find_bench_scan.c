/*
 * find_bench_scan: the baseline of the find benchmark, a brute-force exact top-10 inner-product
 * scan of the same vectors in a tight C loop: THREADS threads (the clients), each running
 * REQUESTS scans one query at a time, every latency recorded. Prints one JSON line with the
 * queries per second and the p50/p99 latency.
 * usage: find_bench_scan VECTORS.f32 N DIMS QUERY.f32 THREADS REQUESTS
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define TOP_K 10

struct scan_job {
    const float *data;
    const float *query;
    size_t n, dims;
    int requests;
    double *latencies; /* ms, one per request */
    float checksum;    /* keeps the work from being optimised away */
};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static float dot(const float *restrict a, const float *restrict b, size_t dims)
{
    float partial[8] = {0};
    size_t i = 0;
    for (; i + 8 <= dims; i += 8)
        for (size_t j = 0; j < 8; j++)
            partial[j] += a[i + j] * b[i + j];
    float sum = 0;
    for (; i < dims; i++)
        sum += a[i] * b[i];
    for (size_t j = 0; j < 8; j++)
        sum += partial[j];
    return sum;
}

/* One exact top-k scan (the weakest kept score is the only comparison per record); returns the
 * best score. */
static float scan_once(const struct scan_job *j)
{
    float top[TOP_K] = {0};
    size_t have = 0, weakest = 0;
    for (size_t r = 0; r < j->n; r++) {
        float s = dot(j->query, j->data + r * j->dims, j->dims);
        if (have < TOP_K) {
            top[have++] = s;
            if (have == TOP_K)
                for (size_t k = 1; k < TOP_K; k++)
                    weakest = top[k] < top[weakest] ? k : weakest;
            continue;
        }
        if (s <= top[weakest])
            continue;
        top[weakest] = s;
        for (size_t k = 0; k < TOP_K; k++)
            weakest = top[k] < top[weakest] ? k : weakest;
    }
    float best = top[0];
    for (size_t k = 1; k < have; k++)
        best = top[k] > best ? top[k] : best;
    return best;
}

static void *scan_thread(void *arg)
{
    struct scan_job *j = arg;
    for (int i = 0; i < j->requests; i++) {
        double t = now_s();
        j->checksum += scan_once(j);
        j->latencies[i] = (now_s() - t) * 1000.0;
    }
    return NULL;
}

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    if (argc != 7) {
        fprintf(stderr, "usage: find_bench_scan VECTORS.f32 N DIMS QUERY.f32 THREADS REQUESTS\n");
        return 2;
    }
    size_t n = strtoul(argv[2], NULL, 10), dims = strtoul(argv[3], NULL, 10);
    int threads = atoi(argv[5]), requests = atoi(argv[6]);
    float *data = malloc(n * dims * sizeof *data), *query = malloc(dims * sizeof *query);
    double *lat = calloc((size_t)threads * (size_t)requests, sizeof *lat);
    struct scan_job *jobs = calloc((size_t)threads, sizeof *jobs);
    pthread_t *tids = calloc((size_t)threads, sizeof *tids);
    FILE *fv = fopen(argv[1], "rb"), *fq = fopen(argv[4], "rb");
    if (!data || !query || !lat || !jobs || !tids || !fv || !fq || threads < 1 || requests < 1 ||
        fread(data, sizeof *data * dims, n, fv) != n || fread(query, sizeof *query, dims, fq) != dims) {
        fprintf(stderr, "find_bench_scan: cannot load the vectors\n");
        return 1;
    }
    fclose(fv);
    fclose(fq);
    double t0 = now_s();
    for (int t = 0; t < threads; t++) {
        jobs[t] = (struct scan_job){data, query, n, dims, requests, lat + (size_t)t * requests, 0};
        if (pthread_create(&tids[t], NULL, scan_thread, &jobs[t]) != 0)
            return 1;
    }
    float checksum = 0;
    for (int t = 0; t < threads; t++) {
        pthread_join(tids[t], NULL);
        checksum += jobs[t].checksum;
    }
    double elapsed = now_s() - t0;
    size_t total = (size_t)threads * (size_t)requests;
    qsort(lat, total, sizeof *lat, by_value);
    printf("{\"threads\":%d,\"queries\":%zu,\"qps\":%.1f,\"p50_ms\":%.3f,\"p99_ms\":%.3f,\"checksum\":%.3f}\n",
           threads, total, (double)total / elapsed, lat[total / 2], lat[total * 99 / 100], checksum);
    free(data);
    free(query);
    free(lat);
    free(jobs);
    free(tids);
    return 0;
}
