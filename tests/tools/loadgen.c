/*
 * skald-loadgen: N concurrent keep-alive connections, each sending M requests one after another,
 * all on one thread with libcurl's multi interface. Prints one JSON line of outcomes and latency,
 * exits 0 only if every request got an HTTP answer (any status). Bounded by --max-seconds.
 */
#include <curl/curl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

struct loadgen_conn {
    CURL *easy;
    int done_requests;
    double started;
};

struct loadgen_opts {
    const char *url;
    const char *method;
    const char *body;
    int connections;
    int requests_per_conn;
    long timeout_ms;
    double max_seconds;
};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static size_t discard_body(char *ptr, size_t size, size_t n, void *arg)
{
    (void)ptr;
    (void)arg;
    return size * n;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void usage(void)
{
    fprintf(stderr, "usage: skald-loadgen --url URL [--connections N] [--requests-per-conn M]\n"
                    "       [--method GET|POST] [--body STR] [--timeout-ms T] [--max-seconds S]\n");
}

static int parse_opts(int argc, char **argv, struct loadgen_opts *o)
{
    static const struct option longopts[] = {
        {"url", required_argument, NULL, 'u'},         {"connections", required_argument, NULL, 'c'},
        {"requests-per-conn", required_argument, NULL, 'r'}, {"method", required_argument, NULL, 'm'},
        {"body", required_argument, NULL, 'b'},        {"timeout-ms", required_argument, NULL, 't'},
        {"max-seconds", required_argument, NULL, 's'}, {NULL, 0, NULL, 0}};
    *o = (struct loadgen_opts){NULL, "GET", NULL, 1, 1, 30000, 120};
    int c;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
        case 'u': o->url = optarg; break;
        case 'c': o->connections = atoi(optarg); break;
        case 'r': o->requests_per_conn = atoi(optarg); break;
        case 'm': o->method = optarg; break;
        case 'b': o->body = optarg; break;
        case 't': o->timeout_ms = atol(optarg); break;
        case 's': o->max_seconds = atof(optarg); break;
        default: return -1;
        }
    }
    if (!o->url || o->connections < 1 || o->connections > 4096 || o->requests_per_conn < 1 ||
        o->max_seconds <= 0)
        return -1;
    return 0;
}

static void conn_start_request(struct loadgen_conn *c, CURLM *multi)
{
    c->started = now_s();
    curl_multi_add_handle(multi, c->easy);
}

int main(int argc, char **argv)
{
    struct loadgen_opts o;
    if (parse_opts(argc, argv, &o) != 0) {
        usage();
        return 2;
    }
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return 2;
    CURLM *multi = curl_multi_init();
    long total = (long)o.connections * o.requests_per_conn;
    struct loadgen_conn *conns = calloc((size_t)o.connections, sizeof *conns);
    double *latencies = calloc((size_t)total, sizeof *latencies);
    if (!multi || !conns || !latencies)
        return 2;
    curl_multi_setopt(multi, CURLMOPT_MAXCONNECTS, (long)o.connections + 16);
    curl_multi_setopt(multi, CURLMOPT_MAX_HOST_CONNECTIONS, (long)o.connections + 16);
    struct curl_slist *headers = curl_slist_append(NULL, "Content-Type: application/json");
    for (int i = 0; i < o.connections; i++) {
        CURL *e = curl_easy_init();
        if (!e)
            return 2;
        curl_easy_setopt(e, CURLOPT_URL, o.url);
        curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, discard_body);
        curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, o.timeout_ms);
        curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(e, CURLOPT_PRIVATE, &conns[i]);
        /* One connection per handle, reused for its requests: the keep-alive pattern of a client. */
        curl_easy_setopt(e, CURLOPT_MAXCONNECTS, 1L);
        if (strcmp(o.method, "POST") == 0) {
            curl_easy_setopt(e, CURLOPT_POSTFIELDS, o.body ? o.body : "{}");
            curl_easy_setopt(e, CURLOPT_HTTPHEADER, headers);
        }
        conns[i].easy = e;
        conn_start_request(&conns[i], multi);
    }
    long answered = 0, transport_errors = 0, sent = o.connections, n_lat = 0;
    long status_counts[600] = {0};
    long opened_total = 0;
    double deadline = now_s() + o.max_seconds;
    int running = 1;
    while (running && now_s() < deadline) {
        curl_multi_perform(multi, &running);
        CURLMsg *msg;
        int left;
        while ((msg = curl_multi_info_read(multi, &left))) {
            if (msg->msg != CURLMSG_DONE)
                continue;
            CURL *e = msg->easy_handle;
            struct loadgen_conn *c;
            curl_easy_getinfo(e, CURLINFO_PRIVATE, (char **)&c);
            long code = 0, opened = 0;
            curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &code);
            curl_easy_getinfo(e, CURLINFO_NUM_CONNECTS, &opened);
            opened_total += opened;
            if (msg->data.result == CURLE_OK && code > 0) {
                answered++;
                status_counts[code < 600 ? code : 0]++;
                latencies[n_lat++] = (now_s() - c->started) * 1000.0;
            } else {
                transport_errors++;
                fprintf(stderr, "skald-loadgen: %s\n", curl_easy_strerror(msg->data.result));
            }
            curl_multi_remove_handle(multi, e);
            if (++c->done_requests < o.requests_per_conn && now_s() < deadline) {
                sent++;
                conn_start_request(c, multi);
                running = 1;
            }
        }
        if (running)
            curl_multi_poll(multi, NULL, 0, 100, NULL);
    }
    qsort(latencies, (size_t)n_lat, sizeof *latencies, cmp_double);
    double p50 = n_lat ? latencies[n_lat / 2] : 0, p99 = n_lat ? latencies[(n_lat * 99) / 100 < n_lat ? (n_lat * 99) / 100 : n_lat - 1] : 0;
    double max = n_lat ? latencies[n_lat - 1] : 0;
    printf("{\"sent\":%ld,\"answered\":%ld,\"status\":{", sent, answered);
    int first = 1;
    for (int s = 0; s < 600; s++) {
        if (!status_counts[s])
            continue;
        printf("%s\"%d\":%ld", first ? "" : ",", s, status_counts[s]);
        first = 0;
    }
    printf("},\"transport_errors\":%ld,\"unfinished\":%ld,\"p50_ms\":%.3f,\"p99_ms\":%.3f,\"max_ms\":%.3f,"
           "\"connections_opened\":%ld}\n",
           transport_errors, total - answered - transport_errors, p50, p99, max, opened_total);
    for (int i = 0; i < o.connections; i++) {
        curl_multi_remove_handle(multi, conns[i].easy);
        curl_easy_cleanup(conns[i].easy);
    }
    curl_slist_free_all(headers);
    curl_multi_cleanup(multi);
    curl_global_cleanup();
    free(conns);
    free(latencies);
    return answered == total ? 0 : 1;
}
