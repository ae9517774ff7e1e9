/*
 * skald-mock-provider: a scriptable stand-in for a model provider (OpenAI-style /embeddings and
 * /chat/completions, Jina/Cohere-style /rerank) on 127.0.0.1, for the remote plugins' tests.
 *
 *   skald-mock-provider [--port N] [--port-file FILE] [--dims N] [--delay-ms N]
 *                       [--from-arrival 1]
 *
 * --port 0 (the default) takes a free port; the port is written to FILE once listening.
 * --from-arrival 1 (for benchmarks): a delay runs from the request's arrival and the mock's own
 * parsing happens inside it, so a call is answered delay_ms after it was sent, not later.
 * Control routes:
 *   POST /_script {"steps":[{"mode":M, "count":N, "delay_ms":D, "retry_after":S, "message":T,
 *                  "status":C}, ...]}
 *        replaces the script. Each model request takes the first step (count: how many requests
 *        it serves, default 1, -1 = every one from then on); with no step left the default
 *        applies (ok after --delay-ms). Modes: ok, slow (ok after delay_ms), hang (no answer until
 *        the client leaves or the mock stops), 429 (Retry-After when retry_after is given: a
 *        number or a string), 500, error (status C), malformed (200 with broken JSON),
 *        wrong_dims (one value too many per vector), fewer (one vector fewer than inputs).
 *        message replaces the error text of 429, 500 and error. A request with
 *        "encoding_format":"base64" gets its vectors as base64 of little-endian float32.
 *   GET  /_stats  {"requests","in_flight","max_in_flight","connections","paths":{...},
 *                  "answers":{"200":N,...},"abandoned"}
 *   POST /_reset  zeroes the counters (max_in_flight restarts from what is in flight now) and
 *                 clears the script.
 *   GET  /_last   the last model request: {"path","body","authorization","headers":{x-*}}
 * Threads: one per connection (libmicrohttpd's own), so a slow or hanging answer holds only its
 * own; a waiting answer watches its socket and gives up when the client hangs up, so in_flight
 * counts requests someone still waits for.
 */
#include <arpa/inet.h>
#include <jansson.h>
#include <math.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MOCK_MAX_STEPS 64
#define MOCK_MAX_BODY (16u << 20)
#define MOCK_PATHS 3

static const char *const mock_path_names[MOCK_PATHS] = {"/embeddings", "/chat/completions",
                                                        "/rerank"};

struct mock_step {
    char mode[16];
    long count;
    long delay_ms;
    char retry_after[64]; /* "" = no header */
    char message[2048];   /* "" = the default text */
    unsigned status;      /* for mode "error" */
};

/* Everything below is guarded by mock_lock. */
static pthread_mutex_t mock_lock = PTHREAD_MUTEX_INITIALIZER;
static struct mock_step mock_steps[MOCK_MAX_STEPS];
static size_t mock_n_steps;
static long mock_requests, mock_in_flight, mock_max_in_flight, mock_connections, mock_abandoned;
static long mock_by_path[MOCK_PATHS];
static json_t *mock_answers; /* {"status": count} */
static json_t *mock_last;    /* the last model request */

static long mock_default_delay_ms;
static long mock_dims = 64;
static atomic_int mock_stopping;

struct mock_request {
    char *data;
    size_t len;
    int too_big;
    int64_t arrival_ns; /* CLOCK_MONOTONIC at the first call for this request */
};

static int mock_from_arrival;

static int64_t mock_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static struct mock_step mock_next_step(void)
{
    struct mock_step s = {.mode = "ok", .count = 1, .delay_ms = mock_default_delay_ms};
    pthread_mutex_lock(&mock_lock);
    if (mock_n_steps > 0) {
        s = mock_steps[0];
        if (mock_steps[0].count > 0 && --mock_steps[0].count == 0) {
            memmove(&mock_steps[0], &mock_steps[1], (mock_n_steps - 1) * sizeof mock_steps[0]);
            mock_n_steps--;
        }
    }
    pthread_mutex_unlock(&mock_lock);
    return s;
}

/* Whether the client closed its end of connection c. */
static int mock_client_gone(struct MHD_Connection *c)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
    if (!ci)
        return 0;
    struct pollfd p = {.fd = ci->connect_fd, .events = POLLIN | POLLRDHUP};
    if (poll(&p, 1, 0) <= 0)
        return 0;
    if (p.revents & (POLLRDHUP | POLLHUP | POLLERR))
        return 1;
    char byte;
    return recv(ci->connect_fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT) == 0;
}

/* Waits until CLOCK_MONOTONIC reaches until_ns in slices of at most 10 ms. Returns 0, or -1 when
 * the client left. */
static int mock_wait_until(struct MHD_Connection *c, int64_t until_ns)
{
    for (int64_t left; (left = until_ns - mock_now_ns()) > 0 && !atomic_load(&mock_stopping);) {
        if (mock_client_gone(c))
            return -1;
        struct timespec ts = {0, left < 10000000 ? (long)left : 10000000L};
        nanosleep(&ts, NULL);
    }
    return 0;
}

/* Waits ms (forever when ms < 0) in 10 ms slices. Returns 0, or -1 when the client left. */
static int mock_wait(struct MHD_Connection *c, long ms)
{
    for (long waited = 0; (ms < 0 || waited < ms) && !atomic_load(&mock_stopping); waited += 10) {
        if (mock_client_gone(c))
            return -1;
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    return 0;
}

static uint64_t mock_hash(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

/* A unit vector that depends on the text only, like a real model's. */
static json_t *mock_vector(const char *text, long dims)
{
    json_t *v = json_array();
    double *x = calloc((size_t)dims, sizeof *x);
    if (!v || !x) {
        free(x);
        json_decref(v);
        return NULL;
    }
    uint64_t h = mock_hash(text);
    double norm = 0;
    for (long d = 0; d < dims; d++) {
        h = h * 6364136223846793005ULL + 1442695040888963407ULL;
        x[d] = (double)(h >> 11) / (double)(1ULL << 53) - 0.5;
        norm += x[d] * x[d];
    }
    for (long d = 0; d < dims; d++)
        json_array_append_new(v, json_real(x[d] / (norm > 0 ? sqrt(norm) : 1)));
    free(x);
    return v;
}

/* A vector as OpenAI's encoding_format "base64" sends it: little-endian float32, base64. */
static json_t *mock_vector_base64(json_t *v)
{
    static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t n = json_array_size(v), len = n * 4;
    unsigned char *raw = malloc(len ? len : 1);
    char *text = malloc((len + 2) / 3 * 4 + 1);
    json_t *out = NULL;
    if (raw && text) {
        for (size_t d = 0; d < n; d++) {
            float f = (float)json_real_value(json_array_get(v, d));
            uint32_t bits;
            memcpy(&bits, &f, 4);
            for (int b = 0; b < 4; b++)
                raw[d * 4 + (size_t)b] = (unsigned char)(bits >> (8 * b));
        }
        size_t o = 0;
        for (size_t i = 0; i < len; i += 3) {
            uint32_t w = (uint32_t)raw[i] << 16 | (i + 1 < len ? (uint32_t)raw[i + 1] << 8 : 0) |
                         (i + 2 < len ? raw[i + 2] : 0);
            text[o++] = abc[w >> 18 & 63];
            text[o++] = abc[w >> 12 & 63];
            text[o++] = i + 1 < len ? abc[w >> 6 & 63] : '=';
            text[o++] = i + 2 < len ? abc[w & 63] : '=';
        }
        text[o] = '\0';
        out = json_string(text);
    }
    free(raw);
    free(text);
    json_decref(v);
    return out;
}

static json_t *mock_embeddings(json_t *req, const struct mock_step *s)
{
    const char *format = json_string_value(json_object_get(req, "encoding_format"));
    int base64 = format && strcmp(format, "base64") == 0;
    json_t *input = json_object_get(req, "input");
    json_t *dims_j = json_object_get(req, "dimensions");
    long dims = json_is_integer(dims_j) ? (long)json_integer_value(dims_j) : mock_dims;
    if (strcmp(s->mode, "wrong_dims") == 0)
        dims++;
    size_t n = json_array_size(input);
    if (strcmp(s->mode, "fewer") == 0 && n > 0)
        n--;
    json_t *data = json_array();
    for (size_t i = 0; i < n; i++) {
        const char *text = json_string_value(json_array_get(input, i));
        json_array_append_new(data, json_pack("{s:s, s:I, s:o}", "object", "embedding", "index",
                                              (json_int_t)i, "embedding",
                                              base64 ? mock_vector_base64(mock_vector(
                                                           text ? text : "", dims))
                                                     : mock_vector(text ? text : "", dims)));
    }
    return json_pack("{s:s, s:o, s:O}", "object", "list", "data", data, "model",
                     json_object_get(req, "model"));
}

/* Echoes the size of the last message's text and how many images the request carried. */
static json_t *mock_chat(json_t *req)
{
    json_t *messages = json_object_get(req, "messages");
    const char *last = "";
    size_t images = 0, i, k;
    json_t *m, *part;
    json_array_foreach(messages, i, m)
    {
        json_t *content = json_object_get(m, "content");
        if (json_is_string(content))
            last = json_string_value(content);
        json_array_foreach(content, k, part)
        {
            const char *type = json_string_value(json_object_get(part, "type"));
            if (type && strcmp(type, "image_url") == 0)
                images++;
            else if (type && strcmp(type, "text") == 0)
                last = json_string_value(json_object_get(part, "text"));
        }
    }
    char reply[160];
    snprintf(reply, sizeof reply, "mock summary of %zu bytes and %zu images: %.60s",
             strlen(last ? last : ""), images, last ? last : "");
    return json_pack("{s:s, s:[{s:i, s:{s:s, s:s}, s:s}]}", "object", "chat.completion",
                     "choices", "index", 0, "message", "role", "assistant", "content", reply,
                     "finish_reason", "stop");
}

/* Score: the share of the query's words found in the document. */
static json_t *mock_rerank(json_t *req)
{
    const char *query = json_string_value(json_object_get(req, "query"));
    json_t *docs = json_object_get(req, "documents");
    json_t *results = json_array();
    size_t i;
    json_t *d;
    json_array_foreach(docs, i, d)
    {
        const char *doc = json_string_value(d);
        double score = 0, words = 0;
        char *q = strdup(query ? query : ""), *save = NULL;
        for (char *w = q ? strtok_r(q, " ", &save) : NULL; w; w = strtok_r(NULL, " ", &save)) {
            words++;
            if (doc && strcasestr(doc, w))
                score++;
        }
        free(q);
        json_array_append_new(results, json_pack("{s:I, s:f}", "index", (json_int_t)i,
                                                 "relevance_score", words ? score / words : 0));
    }
    return json_pack("{s:o}", "results", results);
}

/* Whether req has the fields its route needs, as a strict provider checks. */
static int mock_request_valid(int which, json_t *req)
{
    if (!json_is_string(json_object_get(req, "model")))
        return 0;
    if (which == 0)
        return json_is_array(json_object_get(req, "input"));
    if (which == 1)
        return json_array_size(json_object_get(req, "messages")) > 0;
    return json_is_string(json_object_get(req, "query")) &&
           json_is_array(json_object_get(req, "documents"));
}

static json_t *mock_stats(void)
{
    json_t *paths = json_object();
    pthread_mutex_lock(&mock_lock);
    for (int i = 0; i < MOCK_PATHS; i++)
        json_object_set_new(paths, mock_path_names[i], json_integer(mock_by_path[i]));
    json_t *j = json_pack("{s:I, s:I, s:I, s:I, s:I, s:o, s:O}", "requests",
                          (json_int_t)mock_requests, "in_flight", (json_int_t)mock_in_flight,
                          "max_in_flight", (json_int_t)mock_max_in_flight, "connections",
                          (json_int_t)mock_connections, "abandoned", (json_int_t)mock_abandoned,
                          "paths", paths, "answers", mock_answers);
    pthread_mutex_unlock(&mock_lock);
    return j;
}

static void mock_reset(void)
{
    pthread_mutex_lock(&mock_lock);
    mock_requests = mock_connections = mock_abandoned = 0;
    mock_max_in_flight = mock_in_flight;
    memset(mock_by_path, 0, sizeof mock_by_path);
    json_object_clear(mock_answers);
    mock_n_steps = 0;
    pthread_mutex_unlock(&mock_lock);
}

static int mock_set_script(json_t *req)
{
    json_t *steps = json_object_get(req, "steps");
    if (!json_is_array(steps) || json_array_size(steps) > MOCK_MAX_STEPS)
        return -1;
    struct mock_step parsed[MOCK_MAX_STEPS];
    size_t i;
    json_t *st;
    json_array_foreach(steps, i, st)
    {
        struct mock_step *s = &parsed[i];
        memset(s, 0, sizeof *s);
        const char *mode = json_string_value(json_object_get(st, "mode"));
        json_t *count = json_object_get(st, "count"), *delay = json_object_get(st, "delay_ms");
        json_t *ra = json_object_get(st, "retry_after"), *status = json_object_get(st, "status");
        const char *message = json_string_value(json_object_get(st, "message"));
        snprintf(s->mode, sizeof s->mode, "%s", mode ? mode : "ok");
        s->count = json_is_integer(count) ? (long)json_integer_value(count) : 1;
        s->delay_ms = json_is_integer(delay) ? (long)json_integer_value(delay) : 0;
        if (json_is_number(ra))
            snprintf(s->retry_after, sizeof s->retry_after, "%g", json_number_value(ra));
        else if (json_is_string(ra))
            snprintf(s->retry_after, sizeof s->retry_after, "%s", json_string_value(ra));
        snprintf(s->message, sizeof s->message, "%s", message ? message : "");
        s->status = json_is_integer(status) ? (unsigned)json_integer_value(status) : 400;
        if (s->count == 0 || s->status < 100 || s->status > 599)
            return -1;
    }
    pthread_mutex_lock(&mock_lock);
    memcpy(mock_steps, parsed, json_array_size(steps) * sizeof parsed[0]);
    mock_n_steps = json_array_size(steps);
    pthread_mutex_unlock(&mock_lock);
    return 0;
}

static enum MHD_Result mock_send(struct MHD_Connection *c, unsigned status, const char *body,
                                 const char *retry_after)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(strlen(body), (void *)body, MHD_RESPMEM_MUST_COPY);
    if (!r)
        return MHD_NO;
    MHD_add_response_header(r, "Content-Type", "application/json");
    if (retry_after && retry_after[0])
        MHD_add_response_header(r, "Retry-After", retry_after);
    enum MHD_Result ok = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ok;
}

static enum MHD_Result mock_send_json(struct MHD_Connection *c, unsigned status, json_t *j)
{
    char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    enum MHD_Result ok = mock_send(c, status, text ? text : "{}", NULL);
    free(text);
    return ok;
}

static enum MHD_Result mock_send_error(struct MHD_Connection *c, unsigned status,
                                       const char *message, const char *retry_after)
{
    json_t *j = json_pack("{s:{s:s, s:s}}", "error", "message", message, "type", "mock_error");
    char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    enum MHD_Result ok = mock_send(c, status, text ? text : "{}", retry_after);
    free(text);
    return ok;
}

static enum MHD_Result mock_note_header(void *cls, enum MHD_ValueKind kind, const char *key,
                                        const char *value)
{
    (void)kind;
    if (strncasecmp(key, "x-", 2) == 0)
        json_object_set_new(cls, key, json_string(value));
    return MHD_YES;
}

static void mock_remember(struct MHD_Connection *c, int which, const struct mock_request *b)
{
    const char *auth = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
    json_t *headers = json_object();
    MHD_get_connection_values(c, MHD_HEADER_KIND, mock_note_header, headers);
    json_t *last = json_pack("{s:s, s:s%, s:s?, s:o}", "path", mock_path_names[which], "body",
                             b->data ? b->data : "", b->len, "authorization", auth, "headers",
                             headers);
    pthread_mutex_lock(&mock_lock);
    json_decref(mock_last);
    mock_last = last;
    pthread_mutex_unlock(&mock_lock);
}

static void mock_count_answer(unsigned status)
{
    char key[8];
    snprintf(key, sizeof key, "%u", status);
    pthread_mutex_lock(&mock_lock);
    json_object_set_new(mock_answers, key,
                        json_integer(json_integer_value(json_object_get(mock_answers, key)) + 1));
    pthread_mutex_unlock(&mock_lock);
}

static enum MHD_Result mock_answer(struct MHD_Connection *c, int which, json_t *req,
                                   const struct mock_step *s)
{
    const char *msg = s->message;
    if (strcmp(s->mode, "429") == 0) {
        mock_count_answer(429);
        return mock_send_error(c, 429, msg[0] ? msg : "rate limit reached, slow down",
                               s->retry_after);
    }
    if (strcmp(s->mode, "500") == 0) {
        mock_count_answer(500);
        return mock_send_error(c, 500, msg[0] ? msg : "internal provider error", s->retry_after);
    }
    if (strcmp(s->mode, "error") == 0) {
        mock_count_answer(s->status);
        return mock_send_error(c, s->status, msg[0] ? msg : "scripted error", s->retry_after);
    }
    if (strcmp(s->mode, "malformed") == 0) {
        mock_count_answer(200);
        return mock_send(c, 200, "{\"data\": [ this is not json", NULL);
    }
    if (!mock_request_valid(which, req)) {
        mock_count_answer(400);
        return mock_send_error(c, 400, "request body is not what this route takes", NULL);
    }
    mock_count_answer(200);
    return mock_send_json(c, 200, which == 0   ? mock_embeddings(req, s)
                                  : which == 1 ? mock_chat(req)
                                               : mock_rerank(req));
}

static enum MHD_Result mock_model_route(struct MHD_Connection *c, int which,
                                        const struct mock_request *b)
{
    mock_remember(c, which, b);
    pthread_mutex_lock(&mock_lock);
    mock_requests++;
    mock_by_path[which]++;
    if (++mock_in_flight > mock_max_in_flight)
        mock_max_in_flight = mock_in_flight;
    pthread_mutex_unlock(&mock_lock);
    struct mock_step s = mock_next_step();
    int hang = strcmp(s.mode, "hang") == 0;
    json_t *req = NULL;
    int gone;
    if (mock_from_arrival && !hang) {
        req = b->data ? json_loadb(b->data, b->len, 0, NULL) : NULL;
        gone = mock_wait_until(c, b->arrival_ns + (int64_t)s.delay_ms * 1000000) != 0;
    } else {
        gone = mock_wait(c, hang ? -1 : s.delay_ms) != 0;
        if (!gone)
            req = b->data ? json_loadb(b->data, b->len, 0, NULL) : NULL;
    }
    enum MHD_Result ok = MHD_NO;
    if (!gone && !atomic_load(&mock_stopping))
        ok = mock_answer(c, which, req, &s);
    json_decref(req);
    pthread_mutex_lock(&mock_lock);
    mock_in_flight--;
    if (gone)
        mock_abandoned++;
    pthread_mutex_unlock(&mock_lock);
    return ok;
}

static enum MHD_Result mock_control_route(struct MHD_Connection *c, const char *url,
                                          const char *method, const struct mock_request *b)
{
    if (strcmp(url, "/_stats") == 0)
        return mock_send_json(c, 200, mock_stats());
    if (strcmp(url, "/_last") == 0) {
        pthread_mutex_lock(&mock_lock);
        json_t *last = mock_last ? json_incref(mock_last) : json_object();
        pthread_mutex_unlock(&mock_lock);
        return mock_send_json(c, 200, last);
    }
    if (strcmp(method, "POST") == 0 && strcmp(url, "/_reset") == 0) {
        mock_reset();
        return mock_send(c, 200, "{\"ok\":true}", NULL);
    }
    if (strcmp(method, "POST") == 0 && strcmp(url, "/_script") == 0) {
        json_t *req = b->data ? json_loadb(b->data, b->len, 0, NULL) : NULL;
        int bad = mock_set_script(req);
        json_decref(req);
        return bad ? mock_send_error(c, 400, "bad script", NULL)
                   : mock_send(c, 200, "{\"ok\":true}", NULL);
    }
    return mock_send_error(c, 404, "no such route", NULL);
}

static enum MHD_Result mock_handle(void *cls, struct MHD_Connection *c, const char *url,
                                   const char *method, const char *version, const char *upload,
                                   size_t *upload_size, void **con_cls)
{
    (void)cls, (void)version;
    struct mock_request *b = *con_cls;
    if (!b) {
        /* Answering from the first call would turn keep-alive off (measured-limits.md). */
        b = calloc(1, sizeof *b);
        *con_cls = b;
        if (b)
            b->arrival_ns = mock_now_ns();
        return b ? MHD_YES : MHD_NO;
    }
    if (*upload_size) {
        if (b->too_big || b->len + *upload_size > MOCK_MAX_BODY) {
            b->too_big = 1;
        } else {
            char *g = realloc(b->data, b->len + *upload_size + 1);
            if (!g)
                return MHD_NO;
            memcpy(g + b->len, upload, *upload_size);
            b->data = g;
            b->len += *upload_size;
            b->data[b->len] = '\0';
        }
        *upload_size = 0;
        return MHD_YES;
    }
    if (b->too_big)
        return mock_send_error(c, 413, "request body too large", NULL);
    if (url[0] == '/' && url[1] == '_')
        return mock_control_route(c, url, method, b);
    for (int i = 0; i < MOCK_PATHS; i++)
        if (strcmp(method, "POST") == 0 && strcmp(url, mock_path_names[i]) == 0)
            return mock_model_route(c, i, b);
    return mock_send_error(c, 404, "no such route", NULL);
}

static void mock_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                           enum MHD_RequestTerminationCode code)
{
    (void)cls, (void)c, (void)code;
    struct mock_request *b = *con_cls;
    if (b) {
        free(b->data);
        free(b);
        *con_cls = NULL;
    }
}

static void mock_connection(void *cls, struct MHD_Connection *c, void **socket_context,
                            enum MHD_ConnectionNotificationCode code)
{
    (void)cls, (void)c, (void)socket_context;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        pthread_mutex_lock(&mock_lock);
        mock_connections++;
        pthread_mutex_unlock(&mock_lock);
    }
}

static int mock_parse_args(int argc, char **argv, long *port, const char **port_file)
{
    for (int i = 1; i < argc; i += 2) {
        if (i + 1 >= argc)
            return -1;
        char *end = NULL;
        long v = strtol(argv[i + 1], &end, 10);
        int is_number = end && end != argv[i + 1] && *end == '\0' && v >= 0;
        if (strcmp(argv[i], "--port-file") == 0)
            *port_file = argv[i + 1];
        else if (strcmp(argv[i], "--port") == 0 && is_number && v <= 65535)
            *port = v;
        else if (strcmp(argv[i], "--dims") == 0 && is_number && v > 0 && v <= 65536)
            mock_dims = v;
        else if (strcmp(argv[i], "--delay-ms") == 0 && is_number)
            mock_default_delay_ms = v;
        else if (strcmp(argv[i], "--from-arrival") == 0 && is_number && v <= 1)
            mock_from_arrival = (int)v;
        else
            return -1;
    }
    return 0;
}

static int mock_write_port(const char *path, unsigned port)
{
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f)
        return -1;
    int bad = fprintf(f, "%u\n", port) < 0;
    bad |= fclose(f) != 0;
    /* Renamed into place so a reader never sees a half-written file. */
    return bad || rename(tmp, path) != 0 ? -1 : 0;
}

int main(int argc, char **argv)
{
    long port = 0;
    const char *port_file = NULL;
    if (mock_parse_args(argc, argv, &port, &port_file) != 0) {
        fprintf(stderr, "usage: skald-mock-provider [--port N] [--port-file FILE] [--dims N] "
                        "[--delay-ms N] [--from-arrival 1]\n");
        return 2;
    }
    mock_answers = json_object();
    if (!mock_answers) {
        fprintf(stderr, "skald-mock-provider: out of memory\n");
        return 1;
    }
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    struct MHD_Daemon *d = MHD_start_daemon(
        MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL, 0, NULL,
        NULL, mock_handle, NULL, MHD_OPTION_SOCK_ADDR, &addr, MHD_OPTION_NOTIFY_COMPLETED,
        mock_completed, NULL, MHD_OPTION_NOTIFY_CONNECTION, mock_connection, NULL,
        MHD_OPTION_CONNECTION_TIMEOUT, 0u, MHD_OPTION_END);
    if (!d) {
        fprintf(stderr, "skald-mock-provider: cannot listen on 127.0.0.1:%ld\n", port);
        return 1;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    unsigned bound = info ? info->port : 0;
    if (bound == 0 || (port_file && mock_write_port(port_file, bound) != 0)) {
        fprintf(stderr, "skald-mock-provider: cannot learn or publish the port\n");
        MHD_stop_daemon(d);
        return 1;
    }
    printf("skald-mock-provider listening on 127.0.0.1:%u\n", bound);
    fflush(stdout);
    int sig = 0;
    sigwait(&set, &sig);
    atomic_store(&mock_stopping, 1);
    MHD_stop_daemon(d);
    json_decref(mock_answers);
    json_decref(mock_last);
    return 0;
}
