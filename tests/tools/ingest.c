/*
 * skald-ingest: imports generated Markdown documents through the API the way a client does,
 * one document at a time per client thread: POST /api/v1/resources/temp_upload (multipart),
 * then POST /api/v1/resources with the temp_file_id. Documents are deterministic (~--size bytes,
 * a title, sections and sentences drawn from a fixed vocabulary by index), so runs compare.
 * Prints one JSON line {"ok","failed","seconds","docs_per_s"}; exits 0 when every document was
 * accepted (or with --allow-failures). For the integration tests and tests/bench.
 */
#include <curl/curl.h>
#include <getopt.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define INGEST_MAX_CLIENTS 256

struct ingest_opts {
    const char *base;
    const char *parent;
    const char *prefix;
    const char *account;
    const char *marker; /* put into document --marker-index only */
    const char *processing_mode; /* sent as processing_mode when set */
    const char *skip_file;
    long marker_index;
    long start, count;
    int clients;
    size_t size;
    int allow_failures;
};

struct ingest_state {
    const struct ingest_opts *o;
    atomic_long next;
    atomic_long ok, failed;
    char *skip; /* indices to skip: skip[i - start] != 0 */
    pthread_mutex_t print_lock;
};

struct buf {
    char *data;
    size_t len;
};

static size_t on_body(char *p, size_t size, size_t n, void *arg)
{
    struct buf *b = arg;
    size_t add = size * n;
    char *grown = realloc(b->data, b->len + add + 1);
    if (!grown)
        return 0;
    memcpy(grown + b->len, p, add);
    b->data = grown;
    b->len += add;
    b->data[b->len] = '\0';
    return add;
}

static const char *const words[] = {
    "context",   "database", "agent",     "memory",   "resource", "vector",   "summary",
    "overview",  "queue",    "durable",   "index",    "search",   "session",  "retrieval",
    "embedding", "layer",    "directory", "document", "section",  "pipeline", "abstract",
    "crash",     "restart",  "lease",     "shard",    "bucket",   "token",    "stream",
    "window",    "cache",    "policy",    "signal"};

/* The document of index i: about size bytes of Markdown. */
static char *make_doc(const struct ingest_opts *o, long i, size_t *len)
{
    size_t cap = o->size + 512;
    char *d = malloc(cap);
    if (!d)
        return NULL;
    size_t n = (size_t)snprintf(d, cap, "# %s %ld\n\nThis is document %ld of the %s set.\n",
                                o->prefix, i, i, o->prefix);
    if (o->marker && i == o->marker_index)
        n += (size_t)snprintf(d + n, cap - n, "\n%s\n", o->marker);
    unsigned long seed = (unsigned long)i * 2654435761ul + 12345;
    int section = 0;
    while (n + 200 < o->size) {
        if (n * 4 / o->size >= (size_t)section + 1 || section == 0)
            n += (size_t)snprintf(d + n, cap - n, "\n## Section %d\n\n", ++section);
        for (int s = 0; s < 3 && n + 100 < cap; s++) {
            for (int w = 0; w < 9; w++) {
                seed = seed * 6364136223846793005ul + 1442695040888963407ul;
                const char *word = words[(seed >> 33) % (sizeof words / sizeof words[0])];
                if (w == 0)
                    n += (size_t)snprintf(d + n, cap - n, "%c%s", word[0] - 32, word + 1);
                else
                    n += (size_t)snprintf(d + n, cap - n, " %s", word);
            }
            n += (size_t)snprintf(d + n, cap - n, ". ");
        }
        n += (size_t)snprintf(d + n, cap - n, "\n");
    }
    *len = n;
    return d;
}

/* Pulls "temp_file_id":"..." out of a JSON answer without a JSON library. */
static int find_id(const char *json, char *out, size_t cap)
{
    const char *k = json ? strstr(json, "\"temp_file_id\"") : NULL;
    const char *q = k ? strchr(k + 14, '"') : NULL;
    const char *e = q ? strchr(q + 1, '"') : NULL;
    if (!e || (size_t)(e - q - 1) >= cap)
        return -1;
    memcpy(out, q + 1, (size_t)(e - q - 1));
    out[e - q - 1] = '\0';
    return 0;
}

static long post(CURL *c, const char *url, struct curl_slist *headers, curl_mime *mime,
                 const char *json, struct buf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(c, CURLOPT_MIMEPOST, mime);
    if (!mime) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, json);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(json));
    }
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, b);
    long status = 0;
    if (curl_easy_perform(c) != CURLE_OK)
        return 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    return status;
}

static int ingest_one(struct ingest_state *st, CURL *c, struct curl_slist *json_headers,
                      struct curl_slist *plain_headers, long i, struct buf *b)
{
    const struct ingest_opts *o = st->o;
    size_t len;
    char *doc = make_doc(o, i, &len);
    char name[256], url[1024], id[256], *body = NULL;
    if (!doc)
        return -1;
    snprintf(name, sizeof name, "%s_%05ld.md", o->prefix, i);
    curl_mime *mime = curl_mime_init(c);
    curl_mimepart *part = mime ? curl_mime_addpart(mime) : NULL;
    int rc = -1;
    if (part && curl_mime_name(part, "file") == CURLE_OK &&
        curl_mime_data(part, doc, len) == CURLE_OK && curl_mime_filename(part, name) == CURLE_OK &&
        curl_mime_type(part, "text/markdown") == CURLE_OK) {
        snprintf(url, sizeof url, "%s/api/v1/resources/temp_upload", o->base);
        long status = post(c, url, plain_headers, mime, NULL, b);
        curl_easy_setopt(c, CURLOPT_MIMEPOST, NULL);
        if (status == 200 && find_id(b->data, id, sizeof id) == 0 &&
            asprintf(&body,
                     "{\"temp_file_id\":\"%s\",\"parent\":\"%s\",\"source_name\":\"%s\","
                     "\"create_parent\":true%s%s%s}",
                     id, o->parent, name, o->processing_mode ? ",\"processing_mode\":\"" : "",
                     o->processing_mode ? o->processing_mode : "",
                     o->processing_mode ? "\"" : "") > 0) {
            snprintf(url, sizeof url, "%s/api/v1/resources", o->base);
            status = post(c, url, json_headers, NULL, body, b);
            rc = status == 200 ? 0 : -1;
        }
        if (rc != 0) {
            pthread_mutex_lock(&st->print_lock);
            fprintf(stderr, "skald-ingest: %s: HTTP %ld %s\n", name, status,
                    b->data ? b->data : "");
            pthread_mutex_unlock(&st->print_lock);
        }
    }
    free(body);
    curl_mime_free(mime);
    free(doc);
    return rc;
}

static void *ingest_thread(void *arg)
{
    struct ingest_state *st = arg;
    const struct ingest_opts *o = st->o;
    CURL *c = curl_easy_init();
    struct curl_slist *json_headers = NULL, *plain_headers = NULL;
    char account[256] = "";
    if (o->account)
        snprintf(account, sizeof account, "X-OpenViking-Account: %s", o->account);
    json_headers = curl_slist_append(json_headers, "Content-Type: application/json");
    if (account[0]) {
        json_headers = curl_slist_append(json_headers, account);
        plain_headers = curl_slist_append(plain_headers, account);
    }
    plain_headers = curl_slist_append(plain_headers, "Expect:");
    struct buf b = {0};
    if (c) {
        curl_easy_setopt(c, CURLOPT_TIMEOUT, 120L);
        curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    }
    for (;;) {
        long i = atomic_fetch_add(&st->next, 1);
        if (i >= o->start + o->count)
            break;
        if (st->skip && st->skip[i - o->start])
            continue;
        if (c && ingest_one(st, c, json_headers, plain_headers, i, &b) == 0)
            atomic_fetch_add(&st->ok, 1);
        else
            atomic_fetch_add(&st->failed, 1);
    }
    free(b.data);
    curl_slist_free_all(json_headers);
    curl_slist_free_all(plain_headers);
    if (c)
        curl_easy_cleanup(c);
    return NULL;
}

/* Reads document names to skip ("<prefix>_NNNNN" anywhere in the file, e.g. a glob answer). */
static int load_skip(struct ingest_state *st)
{
    const struct ingest_opts *o = st->o;
    FILE *f = fopen(o->skip_file, "r");
    if (!f)
        return -1;
    char *text = NULL;
    size_t cap = 0, len = 0;
    for (;;) {
        if (len + 4096 + 1 > cap) {
            char *grown = realloc(text, cap = cap ? cap * 2 : 65536);
            if (!grown) {
                free(text);
                fclose(f);
                return -1;
            }
            text = grown;
        }
        size_t n = fread(text + len, 1, 4096, f);
        len += n;
        if (n == 0)
            break;
    }
    fclose(f);
    text[len] = '\0';
    st->skip = calloc((size_t)o->count, 1);
    char key[256];
    snprintf(key, sizeof key, "%s_", o->prefix);
    for (const char *p = text; st->skip && (p = strstr(p, key));) {
        p += strlen(key);
        char *end;
        long i = strtol(p, &end, 10);
        if (end != p && i >= o->start && i < o->start + o->count)
            st->skip[i - o->start] = 1;
    }
    free(text);
    return st->skip ? 0 : -1;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    struct ingest_opts o = {.parent = "viking://resources/ingest",
                            .prefix = "doc",
                            .count = 100,
                            .clients = 8,
                            .size = 2048,
                            .marker_index = -1};
    static const struct option longs[] = {{"base", required_argument, 0, 'b'},
                                          {"parent", required_argument, 0, 'p'},
                                          {"prefix", required_argument, 0, 'x'},
                                          {"account", required_argument, 0, 'a'},
                                          {"start", required_argument, 0, 's'},
                                          {"count", required_argument, 0, 'n'},
                                          {"clients", required_argument, 0, 'c'},
                                          {"size", required_argument, 0, 'z'},
                                          {"marker", required_argument, 0, 'm'},
                                          {"marker-index", required_argument, 0, 'i'},
                                          {"skip-file", required_argument, 0, 'k'},
                                          {"allow-failures", no_argument, 0, 'f'},
                                          {"processing-mode", required_argument, 0, 'P'},
                                          {0, 0, 0, 0}};
    int ch;
    while ((ch = getopt_long(argc, argv, "", longs, NULL)) != -1) {
        switch (ch) {
        case 'b': o.base = optarg; break;
        case 'p': o.parent = optarg; break;
        case 'x': o.prefix = optarg; break;
        case 'a': o.account = optarg; break;
        case 's': o.start = atol(optarg); break;
        case 'n': o.count = atol(optarg); break;
        case 'c': o.clients = atoi(optarg); break;
        case 'z': o.size = (size_t)atol(optarg); break;
        case 'm': o.marker = optarg; break;
        case 'i': o.marker_index = atol(optarg); break;
        case 'k': o.skip_file = optarg; break;
        case 'f': o.allow_failures = 1; break;
        case 'P': o.processing_mode = optarg; break;
        default: return 2;
        }
    }
    if (!o.base || o.count < 0 || o.clients < 1 || o.clients > INGEST_MAX_CLIENTS || o.size < 256) {
        fprintf(stderr, "usage: skald-ingest --base URL [--count N] [--clients C] [--size BYTES]"
                        " [--parent URI] [--prefix NAME] [--start K] [--account A]"
                        " [--marker TEXT --marker-index I] [--skip-file F] [--allow-failures]"
                        " [--processing-mode MODE]\n");
        return 2;
    }
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return 1;
    struct ingest_state st = {.o = &o};
    atomic_init(&st.next, o.start);
    pthread_mutex_init(&st.print_lock, NULL);
    if (o.skip_file && load_skip(&st) != 0) {
        perror(o.skip_file);
        return 1;
    }
    pthread_t threads[INGEST_MAX_CLIENTS];
    double t0 = now_s();
    int started = 0;
    for (; started < o.clients; started++)
        if (pthread_create(&threads[started], NULL, ingest_thread, &st) != 0)
            break;
    for (int i = 0; i < started; i++)
        pthread_join(threads[i], NULL);
    double secs = now_s() - t0;
    long ok = atomic_load(&st.ok), failed = atomic_load(&st.failed);
    printf("{\"ok\":%ld,\"failed\":%ld,\"seconds\":%.3f,\"docs_per_s\":%.1f}\n", ok, failed, secs,
           secs > 0 ? (double)ok / secs : 0.0);
    free(st.skip);
    curl_global_cleanup();
    return started == o.clients && (failed == 0 || o.allow_failures) ? 0 : 1;
}
