/*
 * The remote plugins against skald-mock-provider, one failure mode per test, checked the way a user
 * would: the status code, what the error message says, how many requests the provider received
 * and how long the call took against its deadline.
 */
#include <curl/curl.h>
#include <jansson.h>
#include <math.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/clock.h"
#include "plugin/instance.h"
#include "plugin/module.h"

#define DIMS 64
#define MS 1000000LL

static char work_dir[] = "/tmp/skald-remote-test.XXXXXX";
static pid_t mock_pid;
static char base_url[64];

/* ---- the mock provider ---- */

static size_t collect_body(char *data, size_t size, size_t n, void *arg)
{
    char **buf = arg;
    size_t old = *buf ? strlen(*buf) : 0;
    char *grown = realloc(*buf, old + size * n + 1);
    if (!grown)
        return 0;
    memcpy(grown + old, data, size * n);
    grown[old + size * n] = '\0';
    *buf = grown;
    return size * n;
}

/* GET (body NULL) or POST to the mock; returns the parsed answer. One kept-alive connection, so
 * the test's own requests do not show in the mock's connection count. */
static CURL *mock_control;

static json_t *mock_call(const char *path, const char *body)
{
    char url[128];
    snprintf(url, sizeof url, "%s%s", base_url, path);
    char *answer = NULL;
    CURL *e = mock_control;
    curl_easy_reset(e);
    curl_easy_setopt(e, CURLOPT_URL, url);
    if (body)
        curl_easy_setopt(e, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, collect_body);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, &answer);
    CURLcode rc = curl_easy_perform(e);
    if (rc != CURLE_OK)
        fail_msg("mock %s: %s", path, curl_easy_strerror(rc));
    json_t *j = json_loads(answer ? answer : "", 0, NULL);
    free(answer);
    assert_non_null(j);
    return j;
}

static void mock_script(const char *steps)
{
    char body[4096];
    snprintf(body, sizeof body, "{\"steps\":%s}", steps);
    json_decref(mock_call("/_script", body));
}

static long mock_stat(const char *name)
{
    json_t *s = mock_call("/_stats", NULL);
    long v = (long)json_integer_value(json_object_get(s, name));
    json_decref(s);
    return v;
}

/* Waits (up to 3 s) until the mock's counter `name` reaches at least want; returns its value. */
static long mock_wait_stat(const char *name, long want)
{
    long v = 0;
    for (int i = 0; i < 300 && (v = mock_stat(name)) < want; i++)
        usleep(10 * 1000);
    return v;
}

static int start_mock(void **state)
{
    (void)state;
    if (!mkdtemp(work_dir))
        return -1;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    mock_control = curl_easy_init();
    if (!mock_control)
        return -1;
    char port_file[128];
    snprintf(port_file, sizeof port_file, "%s/port", work_dir);
    mock_pid = fork();
    if (mock_pid < 0)
        return -1;
    if (mock_pid == 0) {
        execl(SKALD_TEST_MOCK_PROVIDER, "skald-mock-provider", "--port-file", port_file, "--dims",
              "64", (char *)NULL);
        _exit(127);
    }
    for (int i = 0; i < 500; i++) {
        FILE *f = fopen(port_file, "r");
        unsigned port = 0;
        if (f) {
            int got = fscanf(f, "%u", &port);
            fclose(f);
            if (got == 1 && port > 0) {
                snprintf(base_url, sizeof base_url, "http://127.0.0.1:%u", port);
                return 0;
            }
        }
        usleep(10 * 1000);
    }
    return -1;
}

static int stop_mock(void **state)
{
    (void)state;
    if (mock_pid > 0) {
        kill(mock_pid, SIGTERM);
        waitpid(mock_pid, NULL, 0);
    }
    char path[128];
    snprintf(path, sizeof path, "%s/port", work_dir);
    unlink(path);
    char cache[128];
    snprintf(cache, sizeof cache, "%s/cache", work_dir);
    rmdir(cache);
    rmdir(work_dir);
    curl_easy_cleanup(mock_control);
    curl_global_cleanup();
    return 0;
}

static int reset_mock(void **state)
{
    (void)state;
    json_decref(mock_call("/_reset", ""));
    return 0;
}

/* ---- plugin instances ---- */

/* Creates an instance of plugin `name` with base_url and model set, plus extra "key", "value"
 * pairs (NULL-terminated); NULL with err filled when create() refuses. */
static struct plugin_instance *try_instancev(const char *name, char *err, size_t err_cap,
                                             va_list ap)
{
    char file[512], cache[160];
    snprintf(file, sizeof file, "%s/%s.so", SKALD_TEST_PLUGIN_DIR, name);
    snprintf(cache, sizeof cache, "%s/cache", work_dir);
    struct skald_config_entry cfg[32] = {{"base_url", base_url}, {"model", "mock-model"}};
    size_t n = 2;
    for (const char *k; n < 32 && (k = va_arg(ap, const char *)) != NULL; n++)
        cfg[n] = (struct skald_config_entry){k, va_arg(ap, const char *)};
    struct plugin_module *m = plugin_module_open(file, cache, err, err_cap);
    if (!m)
        fail_msg("%s", err);
    struct plugin_instance *inst = NULL;
    if (plugin_instance_create(m, plugin_kind_name(m->kind), cfg, n, work_dir, &inst, err,
                               err_cap) != 0)
        inst = NULL;
    plugin_module_unref(m);
    return inst;
}

static struct plugin_instance *try_instance(const char *name, char *err, size_t err_cap, ...)
{
    va_list ap;
    va_start(ap, err_cap);
    struct plugin_instance *inst = try_instancev(name, err, err_cap, ap);
    va_end(ap);
    return inst;
}

/* Same, failing the test when create() refuses. */
static struct plugin_instance *instance(const char *name, ...)
{
    char err[512] = "";
    va_list ap;
    va_start(ap, name);
    struct plugin_instance *inst = try_instancev(name, err, sizeof err, ap);
    va_end(ap);
    if (!inst)
        fail_msg("create %s: %s", name, err);
    return inst;
}

struct call {
    struct skald_call_ctx ctx;
    char err[1024];
    atomic_int cancel;
};

/* A call context with a deadline deadline_ms from now (0 = none). */
static void call_init(struct call *c, int64_t deadline_ms)
{
    memset(c, 0, sizeof *c);
    c->ctx = (struct skald_call_ctx){sizeof c->ctx, 0,
                                     deadline_ms ? clock_monotonic_ns() + deadline_ms * MS : 0,
                                     &c->cancel, c->err, sizeof c->err};
}

static int embed(struct plugin_instance *inst, struct call *c, size_t n, float *out)
{
    static const char *const texts[] = {"first text", "second text", "third text", "fourth"};
    return plugin_instance_ops(inst, embedding)->embed(inst->handle, &c->ctx, texts, n, out);
}

static int embed_once(struct plugin_instance *inst, int64_t deadline_ms, char *err, size_t cap)
{
    struct call c;
    float out[2 * DIMS];
    call_init(&c, deadline_ms);
    int rc = embed(inst, &c, 2, out);
    snprintf(err, cap, "%s", c.err);
    return rc;
}

struct metric_find {
    const char *name;
    double value;
    int found;
};

static void metric_visit(void *arg, const struct plugin_metric *m)
{
    struct metric_find *f = arg;
    if (strcmp(m->name, f->name) == 0) {
        f->value = m->value;
        f->found = 1;
    }
}

static double metric(struct plugin_instance *inst, const char *name)
{
    struct metric_find f = {name, 0, 0};
    plugin_instance_metrics_visit(inst, metric_visit, &f);
    if (!f.found)
        fail_msg("metric %s not published", name);
    return f.value;
}

#define assert_contains(haystack, needle)                                                          \
    do {                                                                                           \
        if (!strstr((haystack), (needle)))                                                         \
            fail_msg("'%s' does not contain '%s'", (haystack), (needle));                          \
    } while (0)

/* ---- answers that do not fit ---- */

static void wrong_dimension_is_a_clear_error(void **state)
{
    (void)state;
    struct plugin_instance *inst = instance("embed_openai", "dimensions", "64", NULL);
    mock_script("[{\"mode\":\"wrong_dims\"}]");
    char err[1024];
    assert_int_equal(embed_once(inst, 5000, err, sizeof err), SKALD_EINVAL);
    assert_contains(err, "embed_openai (model mock-model)");
    assert_contains(err, "/embeddings");
    assert_contains(err, "dimension 65");
    assert_contains(err, "dimensions = 64");
    assert_int_equal(mock_stat("requests"), 1); /* not retried: it would not help */
    plugin_instance_destroy(inst);
}

static void fewer_vectors_is_a_clear_error(void **state)
{
    (void)state;
    struct plugin_instance *inst = instance("embed_openai", "dimensions", "64", NULL);
    mock_script("[{\"mode\":\"fewer\"}]");
    char err[1024];
    assert_int_equal(embed_once(inst, 5000, err, sizeof err), SKALD_EUNAVAILABLE);
    assert_contains(err, "embed_openai (model mock-model)");
    assert_contains(err, "1 vectors for 2 input texts");
    assert_int_equal(mock_stat("requests"), 1);
    assert_int_equal((int)metric(inst, "failures"), 1);
    plugin_instance_destroy(inst);
}

static void malformed_json_is_a_clear_error(void **state)
{
    (void)state;
    struct plugin_instance *inst = instance("embed_openai", "dimensions", "64", NULL);
    mock_script("[{\"mode\":\"malformed\"}]");
    char err[1024];
    assert_int_equal(embed_once(inst, 5000, err, sizeof err), SKALD_EUNAVAILABLE);
    assert_contains(err, "malformed JSON in the answer (HTTP 200)");
    assert_int_equal(mock_stat("requests"), 1);
    plugin_instance_destroy(inst);
}

static void provider_message_named_and_truncated(void **state)
{
    (void)state;
    char steps[2048], long_msg[1201];
    memset(long_msg, 'x', 1200);
    long_msg[1200] = '\0';
    memcpy(long_msg, "quota exceeded ", 15);
    snprintf(steps, sizeof steps, "[{\"mode\":\"500\",\"message\":\"%s\"}]", long_msg);
    mock_script(steps);
    struct plugin_instance *inst =
        instance("embed_openai", "dimensions", "64", "max_retries", "0", NULL);
    char err[1024];
    assert_int_equal(embed_once(inst, 5000, err, sizeof err), SKALD_EUNAVAILABLE);
    assert_contains(err, "embed_openai (model mock-model): POST /embeddings: HTTP 500: quota exceeded");
    char *x = strstr(err, "quota exceeded");
    assert_true(strlen(x) <= 200 + 1);
    assert_contains(err, "...");

    /* A 4xx is the request's fault: not retried, SKALD_EINVAL. */
    json_decref(mock_call("/_reset", ""));
    mock_script("[{\"mode\":\"error\",\"status\":404,\"message\":\"model 'mock-model' not found\"}]");
    plugin_instance_destroy(inst);
    inst = instance("embed_openai", "dimensions", "64", NULL);
    assert_int_equal(embed_once(inst, 5000, err, sizeof err), SKALD_EINVAL);
    assert_contains(err, "HTTP 404: model 'mock-model' not found");
    assert_int_equal(mock_stat("requests"), 1);
    plugin_instance_destroy(inst);
}

/* ---- retries ---- */

static void server_error_then_success_after_retry(void **state)
{
    (void)state;
    struct plugin_instance *inst =
        instance("embed_openai", "dimensions", "64", "retry_backoff", "0.05", NULL);
    mock_script("[{\"mode\":\"500\"}]");
    char err[1024];
    assert_int_equal(embed_once(inst, 5000, err, sizeof err), SKALD_OK);
    assert_int_equal(mock_stat("requests"), 2);
    assert_int_equal((int)metric(inst, "calls"), 1);
    assert_int_equal((int)metric(inst, "retries"), 1);
    assert_int_equal((int)metric(inst, "failures"), 0);
    plugin_instance_destroy(inst);
}

static void retry_after_is_honoured(void **state)
{
    (void)state;
    struct plugin_instance *inst =
        instance("embed_openai", "dimensions", "64", "retry_backoff", "0.01", NULL);
    mock_script("[{\"mode\":\"429\",\"retry_after\":1}]");
    char err[1024];
    int64_t t0 = clock_monotonic_ns();
    assert_int_equal(embed_once(inst, 10000, err, sizeof err), SKALD_OK);
    int64_t took_ms = (clock_monotonic_ns() - t0) / MS;
    print_message("429 with Retry-After: 1, then 200: the call took %lld ms\n", (long long)took_ms);
    assert_true(took_ms >= 1000); /* the back-off alone would be 5 to 10 ms */
    assert_int_equal(mock_stat("requests"), 2);
    plugin_instance_destroy(inst);
}

static void retry_after_past_deadline_fails_at_once(void **state)
{
    (void)state;
    struct plugin_instance *inst = instance("embed_openai", "dimensions", "64", NULL);
    mock_script("[{\"mode\":\"429\",\"retry_after\":30}]");
    char err[1024];
    int64_t t0 = clock_monotonic_ns();
    assert_int_equal(embed_once(inst, 2000, err, sizeof err), SKALD_EUNAVAILABLE);
    assert_true((clock_monotonic_ns() - t0) / MS < 1000);
    assert_contains(err, "HTTP 429: rate limit reached");
    assert_contains(err, "Retry-After");
    assert_contains(err, "would pass the call's deadline");
    /* The pause applies to the next call too: it fails without asking the provider again. */
    assert_int_equal(embed_once(inst, 2000, err, sizeof err), SKALD_EUNAVAILABLE);
    assert_contains(err, "asked to slow down");
    assert_int_equal(mock_stat("requests"), 1);
    plugin_instance_destroy(inst);
}

static void too_many_requests_backs_off_then_gives_up(void **state)
{
    (void)state;
    struct plugin_instance *inst = instance("embed_openai", "dimensions", "64", "max_retries",
                                            "3", "retry_backoff", "0.1", NULL);
    mock_script("[{\"mode\":\"429\",\"count\":-1}]");
    char err[1024];
    int64_t t0 = clock_monotonic_ns();
    assert_int_equal(embed_once(inst, 10000, err, sizeof err), SKALD_EUNAVAILABLE);
    int64_t took_ms = (clock_monotonic_ns() - t0) / MS;
    print_message("429 four times, back-off 0.1 s: gave up after %lld ms\n", (long long)took_ms);
    assert_true(took_ms >= 50 + 100 + 200); /* the fixed halves of 0.1, 0.2 and 0.4 s */
    assert_contains(err, "gave up after 3 retries");
    assert_int_equal(mock_stat("requests"), 4);
    assert_int_equal((int)metric(inst, "retries"), 3);
    plugin_instance_destroy(inst);
}

/* ---- deadlines, cancel, own timeout ---- */

static void never_answering_keeps_the_deadline(void **state)
{
    (void)state;
    struct plugin_instance *inst = instance("embed_openai", "dimensions", "64", NULL);
    mock_script("[{\"mode\":\"hang\",\"count\":-1}]");
    struct call c;
    float out[2 * DIMS];
    call_init(&c, 300);
    assert_int_equal(embed(inst, &c, 2, out), SKALD_ETIMEDOUT);
    int64_t late_ms = (clock_monotonic_ns() - c.ctx.deadline_ns) / MS;
    print_message("never-answering provider: returned %lld ms after the deadline\n",
                  (long long)late_ms);
    assert_true(late_ms <= 100);
    assert_contains(c.err, "deadline passed while waiting for the answer");
    /* The dropped request really was dropped: the provider sees its client leave. */
    assert_int_equal(mock_wait_stat("abandoned", 1), 1);
    plugin_instance_destroy(inst);
}

struct canceller {
    struct call *c;
    int64_t raised_ns;
};

static void *raise_cancel(void *arg)
{
    struct canceller *k = arg;
    usleep(200 * 1000);
    k->raised_ns = clock_monotonic_ns();
    atomic_store(&k->c->cancel, 1);
    return NULL;
}

static void cancel_ends_a_hanging_call(void **state)
{
    (void)state;
    struct plugin_instance *inst = instance("embed_openai", "dimensions", "64", NULL);
    mock_script("[{\"mode\":\"hang\",\"count\":-1}]");
    struct call c;
    float out[2 * DIMS];
    call_init(&c, 30000);
    struct canceller k = {&c, 0};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, raise_cancel, &k), 0);
    int rc = embed(inst, &c, 2, out);
    int64_t late_ms = (clock_monotonic_ns() - k.raised_ns) / MS;
    pthread_join(t, NULL);
    assert_int_equal(rc, SKALD_ECANCELLED);
    assert_true(late_ms <= 100);
    assert_contains(c.err, "call cancelled");
    /* A cancelled call says nothing about the provider. */
    assert_int_equal((int)metric(inst, "consecutive_failures"), 0);
    plugin_instance_destroy(inst);
}

static void own_timeout_bounds_a_call_without_deadline(void **state)
{
    (void)state;
    struct plugin_instance *inst =
        instance("embed_openai", "dimensions", "64", "timeout", "0.3", NULL);
    mock_script("[{\"mode\":\"hang\",\"count\":-1}]");
    struct call c;
    float out[2 * DIMS];
    call_init(&c, 0);
    int64_t t0 = clock_monotonic_ns();
    assert_int_equal(embed(inst, &c, 2, out), SKALD_EUNAVAILABLE);
    int64_t took_ms = (clock_monotonic_ns() - t0) / MS;
    assert_true(took_ms >= 300 && took_ms <= 400);
    assert_contains(c.err, "timeout (0.3 s) passed while waiting for the answer");
    plugin_instance_destroy(inst);
}

/* ---- circuit breaker ---- */

static void breaker_opens_fails_fast_then_probes(void **state)
{
    (void)state;
    struct plugin_instance *inst =
        instance("embed_openai", "dimensions", "64", "max_retries", "0", "breaker_failures", "2",
                 "breaker_cooldown", "0.4", NULL);
    mock_script("[{\"mode\":\"500\",\"count\":-1}]");
    char err[1024];
    assert_int_equal(embed_once(inst, 5000, err, sizeof err), SKALD_EUNAVAILABLE);
    assert_int_equal((int)metric(inst, "breaker_state"), 0);
    assert_int_equal(embed_once(inst, 5000, err, sizeof err), SKALD_EUNAVAILABLE);
    assert_int_equal((int)metric(inst, "breaker_state"), 1);

    int64_t t0 = clock_monotonic_ns();
    assert_int_equal(embed_once(inst, 5000, err, sizeof err), SKALD_EUNAVAILABLE);
    assert_true((clock_monotonic_ns() - t0) / MS < 100);
    assert_contains(err, "circuit breaker open");
    assert_contains(err, "last failure: embed_openai (model mock-model): POST /embeddings: HTTP 500");
    assert_int_equal(mock_stat("requests"), 2);
    assert_int_equal((int)metric(inst, "breaker_rejections"), 1);
    assert_int_equal((int)metric(inst, "failures"), 3);

    usleep(450 * 1000); /* past the cool-down: the next call is the probe */
    mock_script("[]");
    assert_int_equal(embed_once(inst, 5000, err, sizeof err), SKALD_OK);
    assert_int_equal((int)metric(inst, "breaker_state"), 0);
    assert_int_equal(mock_stat("requests"), 3);
    plugin_instance_destroy(inst);
}

struct probe_arg {
    struct plugin_instance *inst;
    int rc;
};

static void *probe_call(void *arg)
{
    struct probe_arg *p = arg;
    char err[1024];
    p->rc = embed_once(p->inst, 5000, err, sizeof err);
    return NULL;
}

static void half_open_lets_one_probe_through(void **state)
{
    (void)state;
    struct plugin_instance *inst =
        instance("embed_openai", "dimensions", "64", "max_retries", "0", "breaker_failures", "1",
                 "breaker_cooldown", "0.2", NULL);
    mock_script("[{\"mode\":\"500\"},{\"mode\":\"slow\",\"delay_ms\":400}]");
    char err[1024];
    assert_int_equal(embed_once(inst, 5000, err, sizeof err), SKALD_EUNAVAILABLE);
    usleep(250 * 1000);
    struct probe_arg p = {inst, -100};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, probe_call, &p), 0);
    assert_int_equal(mock_wait_stat("in_flight", 1), 1);
    assert_int_equal(embed_once(inst, 5000, err, sizeof err), SKALD_EUNAVAILABLE);
    assert_contains(err, "circuit breaker half-open, a probe call is out");
    assert_int_equal((int)metric(inst, "breaker_state"), 2);
    pthread_join(t, NULL);
    assert_int_equal(p.rc, SKALD_OK);
    assert_int_equal((int)metric(inst, "breaker_state"), 0);
    assert_int_equal(mock_stat("requests"), 2);
    plugin_instance_destroy(inst);
}

/* ---- concurrency and connections ---- */

struct load_arg {
    struct plugin_instance *inst;
    int calls;
    int failed;
};

static void *load_calls(void *arg)
{
    struct load_arg *l = arg;
    char err[1024];
    for (int i = 0; i < l->calls; i++)
        if (embed_once(l->inst, 10000, err, sizeof err) != SKALD_OK)
            l->failed++;
    return NULL;
}

/* threads calling inst `calls` times each; returns how many calls failed. */
static int run_load(struct plugin_instance *inst, int threads, int calls)
{
    pthread_t t[16];
    struct load_arg a[16];
    int failed = 0;
    for (int i = 0; i < threads; i++) {
        a[i] = (struct load_arg){inst, calls, 0};
        assert_int_equal(pthread_create(&t[i], NULL, load_calls, &a[i]), 0);
    }
    for (int i = 0; i < threads; i++) {
        pthread_join(t[i], NULL);
        failed += a[i].failed;
    }
    return failed;
}

static void max_concurrent_bounds_what_the_provider_sees(void **state)
{
    (void)state;
    struct plugin_instance *inst =
        instance("embed_openai", "dimensions", "64", "max_concurrent", "2", NULL);
    mock_script("[{\"mode\":\"slow\",\"delay_ms\":100,\"count\":-1}]");
    assert_int_equal(run_load(inst, 6, 2), 0);
    assert_int_equal(mock_stat("requests"), 12);
    assert_int_equal(mock_stat("max_in_flight"), 2);
    plugin_instance_destroy(inst);
}

/* A reload creates the new instance before the old one goes: the newest limit holds for both. */
static void newest_instance_limit_holds_for_older_ones(void **state)
{
    (void)state;
    struct plugin_instance *old_inst =
        instance("embed_openai", "dimensions", "64", "max_concurrent", "4", NULL);
    struct plugin_instance *new_inst =
        instance("embed_openai", "dimensions", "64", "max_concurrent", "1", NULL);
    mock_script("[{\"mode\":\"slow\",\"delay_ms\":50,\"count\":-1}]");
    assert_int_equal(run_load(old_inst, 4, 2), 0);
    assert_int_equal(mock_stat("max_in_flight"), 1);
    assert_int_equal((int)metric(old_inst, "max_concurrent"), 1);
    plugin_instance_destroy(new_inst);
    json_decref(mock_call("/_reset", ""));
    mock_script("[{\"mode\":\"slow\",\"delay_ms\":100,\"count\":-1}]");
    assert_int_equal(run_load(old_inst, 4, 2), 0);
    assert_true(mock_stat("max_in_flight") > 1);
    plugin_instance_destroy(old_inst);
}

static void connections_are_reused(void **state)
{
    (void)state;
    struct plugin_instance *inst = instance("embed_openai", "dimensions", "64", NULL);
    char err[1024];
    for (int i = 0; i < 20; i++)
        assert_int_equal(embed_once(inst, 5000, err, sizeof err), SKALD_OK);
    assert_int_equal(mock_stat("requests"), 20);
    assert_int_equal(mock_stat("connections"), 1);
    plugin_instance_destroy(inst);
}

/* ---- config, credentials, metrics ---- */

static void api_key_is_sent_but_never_shown(void **state)
{
    (void)state;
    setenv("SKALD_TEST_REMOTE_KEY", "sk-test-sekret-123", 1);
    struct plugin_instance *inst =
        instance("embed_openai", "dimensions", "64", "api_key_env", "SKALD_TEST_REMOTE_KEY",
                 "headers", "X-Team: blue; X-Trace: on", NULL);
    char err[1024];
    assert_int_equal(embed_once(inst, 5000, err, sizeof err), SKALD_OK);
    json_t *last = mock_call("/_last", NULL);
    assert_string_equal(json_string_value(json_object_get(last, "authorization")),
                        "Bearer sk-test-sekret-123");
    json_t *headers = json_object_get(last, "headers");
    const char *team = json_string_value(json_object_get(headers, "X-Team"));
    if (!team)
        team = json_string_value(json_object_get(headers, "x-team"));
    assert_non_null(team);
    assert_string_equal(team, "blue");
    json_decref(last);

    mock_script("[{\"mode\":\"error\",\"status\":401,\"message\":\"invalid api key\"}]");
    assert_int_equal(embed_once(inst, 5000, err, sizeof err), SKALD_EINVAL);
    assert_contains(err, "HTTP 401: invalid api key");
    assert_null(strstr(err, "sekret"));
    plugin_instance_destroy(inst);

    /* A malformed header is named by position, not quoted: it may hold a credential. */
    char cerr[512];
    assert_null(try_instance("embed_openai", cerr, sizeof cerr, "dimensions", "64", "headers",
                             "api-key sekret-in-header", NULL));
    assert_contains(cerr, "key 'headers': header 1");
    assert_null(strstr(cerr, "sekret"));
    unsetenv("SKALD_TEST_REMOTE_KEY");
}

static void config_errors_name_the_key(void **state)
{
    (void)state;
    char err[512];
    assert_null(try_instance("embed_openai", err, sizeof err, NULL));
    assert_contains(err, "key 'dimensions': required");
    assert_null(try_instance("embed_openai", err, sizeof err, "dimensions", "64", "base_url",
                             "ftp://example", NULL));
    assert_contains(err, "key 'base_url'");
    assert_null(try_instance("rerank_http", err, sizeof err, "api_key", "a", "api_key_env", "B",
                             NULL));
    assert_contains(err, "'api_key' and 'api_key_env' are exclusive");
    assert_null(try_instance("vlm_openai", err, sizeof err, "api_key_env",
                             "SKALD_TEST_NO_SUCH_VARIABLE", NULL));
    assert_contains(err, "environment variable 'SKALD_TEST_NO_SUCH_VARIABLE' is not set");
    assert_null(try_instance("vlm_openai", err, sizeof err, "max_concurrent", "0", NULL));
    assert_contains(err, "key 'max_concurrent'");
    assert_null(try_instance("rerank_http", err, sizeof err, "dimensions", "64", NULL));
    assert_contains(err, "unknown key 'dimensions'");
    assert_null(try_instance("embed_openai", err, sizeof err, "dimensions", "64",
                             "encoding_format", "int8", NULL));
    assert_contains(err, "key 'encoding_format': 'int8' is not float or base64");
}

static void metrics_show_calls_breaker_in_flight_latency(void **state)
{
    (void)state;
    struct plugin_instance *inst = instance("embed_openai", "dimensions", "64", "max_retries",
                                            "0", "max_concurrent", "3", NULL);
    static const char *const names[] = {"calls", "failures", "retries", "breaker_rejections",
                                        "breaker_state", "in_flight", "waiting", "max_concurrent",
                                        "latency_p50_ms", "latency_p99_ms"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        metric(inst, names[i]); /* present before the first call */
    mock_script("[{\"mode\":\"500\"},{\"mode\":\"slow\",\"delay_ms\":20,\"count\":-1}]");
    char err[1024];
    assert_int_equal(embed_once(inst, 5000, err, sizeof err), SKALD_EUNAVAILABLE);
    for (int i = 0; i < 4; i++)
        assert_int_equal(embed_once(inst, 5000, err, sizeof err), SKALD_OK);
    assert_int_equal((int)metric(inst, "calls"), 5);
    assert_int_equal((int)metric(inst, "failures"), 1);
    assert_int_equal((int)metric(inst, "in_flight"), 0);
    assert_int_equal((int)metric(inst, "max_concurrent"), 3);
    assert_true(metric(inst, "latency_p50_ms") >= 20);
    assert_true(metric(inst, "latency_p99_ms") >= metric(inst, "latency_p50_ms"));
    plugin_instance_destroy(inst);
}

/* ---- request shapes ---- */

static void embed_batches_and_dimensions_key(void **state)
{
    (void)state;
    struct plugin_instance *inst = instance("embed_openai", "dimensions", "64", "max_batch", "3",
                                            "send_dimensions", "on", NULL);
    struct call c;
    float out[4 * DIMS];
    call_init(&c, 5000);
    assert_int_equal(embed(inst, &c, 4, out), SKALD_EINVAL);
    assert_contains(c.err, "exceeds max_batch 3");
    call_init(&c, 5000);
    assert_int_equal(embed(inst, &c, 3, out), SKALD_OK);
    json_t *last = mock_call("/_last", NULL);
    json_t *body = json_loads(json_string_value(json_object_get(last, "body")), 0, NULL);
    assert_int_equal(json_integer_value(json_object_get(body, "dimensions")), 64);
    assert_int_equal(json_array_size(json_object_get(body, "input")), 3);
    assert_string_equal(json_string_value(json_object_get(body, "model")), "mock-model");
    json_decref(body);
    json_decref(last);
    double norm = 0;
    for (int d = 0; d < DIMS; d++)
        norm += (double)out[2 * DIMS + d] * out[2 * DIMS + d];
    assert_true(fabs(norm - 1.0) < 1e-3); /* the third vector landed in its own place */
    plugin_instance_destroy(inst);
}

/* encoding_format = base64: asked for in the request, the same vectors as with float, a wrong
 * length still named. */
static void embed_base64_vectors_match_float_ones(void **state)
{
    (void)state;
    struct plugin_instance *as_float = instance("embed_openai", "dimensions", "64", NULL);
    struct plugin_instance *as_base64 =
        instance("embed_openai", "dimensions", "64", "encoding_format", "base64", NULL);
    float f[3 * DIMS], b[3 * DIMS];
    struct call c;
    call_init(&c, 5000);
    assert_int_equal(embed(as_float, &c, 3, f), SKALD_OK);
    call_init(&c, 5000);
    assert_int_equal(embed(as_base64, &c, 3, b), SKALD_OK);
    json_t *last = mock_call("/_last", NULL);
    json_t *body = json_loads(json_string_value(json_object_get(last, "body")), 0, NULL);
    assert_string_equal(json_string_value(json_object_get(body, "encoding_format")), "base64");
    json_decref(body);
    json_decref(last);
    for (int i = 0; i < 3 * DIMS; i++)
        assert_true(fabsf(f[i] - b[i]) < 1e-6f);
    mock_script("[{\"mode\":\"wrong_dims\"}]");
    char err[1024];
    assert_int_equal(embed_once(as_base64, 5000, err, sizeof err), SKALD_EINVAL);
    assert_contains(err, "dimension 65");
    plugin_instance_destroy(as_float);
    plugin_instance_destroy(as_base64);
}

struct text_sink {
    char text[512];
};

static int sink_text(void *arg, const char *text, size_t len)
{
    struct text_sink *s = arg;
    snprintf(s->text, sizeof s->text, "%.*s", (int)len, text);
    return 0;
}

static void vlm_passes_images_and_caps_tokens(void **state)
{
    (void)state;
    struct plugin_instance *inst = instance("vlm_openai", "max_tokens", "100", NULL);
    const char *images[] = {"https://example.com/a.png", "data:image/png;base64,AAAA"};
    struct skald_vlm_message msg = {"user", "describe these", images, 2};
    struct skald_vlm_request req = {sizeof req, 5000, -1.0, "be brief", &msg, 1};
    struct call c;
    struct text_sink sink = {""};
    call_init(&c, 5000);
    assert_int_equal(plugin_instance_ops(inst, vlm)->complete(inst->handle, &c.ctx, &req,
                                                             sink_text, &sink),
                     SKALD_OK);
    assert_contains(sink.text, "and 2 images: describe these");
    json_t *last = mock_call("/_last", NULL);
    json_t *body = json_loads(json_string_value(json_object_get(last, "body")), 0, NULL);
    assert_int_equal(json_integer_value(json_object_get(body, "max_tokens")), 100);
    assert_true(fabs(json_number_value(json_object_get(body, "temperature")) - 0.2) < 1e-9);
    json_t *messages = json_object_get(body, "messages");
    assert_string_equal(json_string_value(json_object_get(json_array_get(messages, 0), "role")),
                        "system");
    json_t *parts = json_object_get(json_array_get(messages, 1), "content");
    assert_int_equal(json_array_size(parts), 3);
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(json_array_get(parts, 2), "image_url"),
                                          "url")),
        images[1]);
    json_decref(body);
    json_decref(last);
    plugin_instance_destroy(inst);
}

static void rerank_scores_follow_the_provider(void **state)
{
    (void)state;
    struct plugin_instance *inst = instance("rerank_http", NULL);
    const char *docs[] = {"cold windy mountains", "banana bread recipe with walnuts", "bread"};
    float scores[3];
    struct call c;
    call_init(&c, 5000);
    assert_int_equal(plugin_instance_ops(inst, rerank)->score(inst->handle, &c.ctx,
                                                             "banana bread recipe", docs, 3,
                                                             scores),
                     SKALD_OK);
    assert_true(scores[1] > scores[2] && scores[2] > scores[0]);
    json_t *last = mock_call("/_last", NULL);
    json_t *body = json_loads(json_string_value(json_object_get(last, "body")), 0, NULL);
    assert_int_equal(json_integer_value(json_object_get(body, "top_n")), 3);
    json_decref(body);
    json_decref(last);
    plugin_instance_destroy(inst);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(wrong_dimension_is_a_clear_error, reset_mock),
        cmocka_unit_test_setup(fewer_vectors_is_a_clear_error, reset_mock),
        cmocka_unit_test_setup(malformed_json_is_a_clear_error, reset_mock),
        cmocka_unit_test_setup(provider_message_named_and_truncated, reset_mock),
        cmocka_unit_test_setup(server_error_then_success_after_retry, reset_mock),
        cmocka_unit_test_setup(retry_after_is_honoured, reset_mock),
        cmocka_unit_test_setup(retry_after_past_deadline_fails_at_once, reset_mock),
        cmocka_unit_test_setup(too_many_requests_backs_off_then_gives_up, reset_mock),
        cmocka_unit_test_setup(never_answering_keeps_the_deadline, reset_mock),
        cmocka_unit_test_setup(cancel_ends_a_hanging_call, reset_mock),
        cmocka_unit_test_setup(own_timeout_bounds_a_call_without_deadline, reset_mock),
        cmocka_unit_test_setup(breaker_opens_fails_fast_then_probes, reset_mock),
        cmocka_unit_test_setup(half_open_lets_one_probe_through, reset_mock),
        cmocka_unit_test_setup(max_concurrent_bounds_what_the_provider_sees, reset_mock),
        cmocka_unit_test_setup(newest_instance_limit_holds_for_older_ones, reset_mock),
        cmocka_unit_test_setup(connections_are_reused, reset_mock),
        cmocka_unit_test_setup(api_key_is_sent_but_never_shown, reset_mock),
        cmocka_unit_test_setup(config_errors_name_the_key, reset_mock),
        cmocka_unit_test_setup(metrics_show_calls_breaker_in_flight_latency, reset_mock),
        cmocka_unit_test_setup(embed_batches_and_dimensions_key, reset_mock),
        cmocka_unit_test_setup(embed_base64_vectors_match_float_ones, reset_mock),
        cmocka_unit_test_setup(vlm_passes_images_and_caps_tokens, reset_mock),
        cmocka_unit_test_setup(rerank_scores_follow_the_provider, reset_mock),
    };
    return cmocka_run_group_tests(tests, start_mock, stop_mock);
}
