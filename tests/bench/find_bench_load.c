/*
 * find_bench_load: fills a vector_flat store for the find benchmark straight through the plugin
 * (no HTTP, no pipeline): N records of DIMS random unit vectors laid out like the pipeline's
 * (a directory's L0 and L1 plus 98 files per folder, the same metadata fields), in batches of
 * 2,000 per upsert. Also writes the same vectors as raw float32 (for the bare scan and FAISS) and
 * the query's embedding by the embed_hash plugin, so every method ranks the same data.
 * usage: find_bench_load PLUGIN_DIR DATA_DIR N DIMS VECTORS_OUT QUERY_OUT "QUERY TEXT"
 */
#include <dlfcn.h>
#include <math.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <skald/plugin.h>

#define BATCH 2000
#define PER_FOLDER 100 /* records per folder: its L0, its L1 and 98 files */

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void host_log(const struct skald_host *h, enum skald_log_level level, const char *fmt, ...)
{
    (void)h;
    if (level > SKALD_LOG_WARN)
        return;
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

static void host_metric(const struct skald_host *h, const char *name, double v)
{
    (void)h;
    (void)name;
    (void)v;
}

static const void *load_ops(const char *dir, const char *name, uint32_t kind)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.so", dir, name);
    void *lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    skald_plugin_entry_fn entry = lib ? (skald_plugin_entry_fn)dlsym(lib, SKALD_PLUGIN_ENTRY_SYMBOL) : NULL;
    const struct skald_plugin_desc *d = entry ? entry() : NULL;
    if (!d || d->magic != SKALD_PLUGIN_MAGIC || d->kind != kind) {
        fprintf(stderr, "find_bench_load: cannot load %s: %s\n", path, lib ? "not a plugin of that kind" : dlerror());
        return NULL;
    }
    return d->ops;
}

static struct skald_host make_host(const char *section, const struct skald_config_entry *cfg,
                                   size_t n, const char *data_dir)
{
    struct skald_host h = {sizeof h, SKALD_ABI_MAJOR, SKALD_ABI_MINOR, host_log, now_ns, wall_ms,
                           host_metric, host_metric, section, cfg, n, data_dir, NULL};
    return h;
}

/* xorshift64*: the same vectors on every run. */
static uint64_t rng_state = 0x9E3779B97F4A7C15ULL;
static float rnd(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return (float)((rng_state * 2685821657736338717ULL) >> 40) / (float)(1 << 24) * 2.0f - 1.0f;
}

int main(int argc, char **argv)
{
    if (argc != 8) {
        fprintf(stderr, "usage: find_bench_load PLUGIN_DIR DATA_DIR N DIMS VECTORS_OUT QUERY_OUT QUERY\n");
        return 2;
    }
    const char *plugin_dir = argv[1], *data_dir = argv[2];
    long n = atol(argv[3]);
    uint32_t dims = (uint32_t)atoi(argv[4]);
    char dims_s[16];
    snprintf(dims_s, sizeof dims_s, "%u", dims);
    const struct skald_vector_ops *vops = load_ops(plugin_dir, "vector_flat", SKALD_KIND_VECTOR);
    const struct skald_embedding_ops *eops = load_ops(plugin_dir, "embed_hash", SKALD_KIND_EMBEDDING);
    if (!vops || !eops || n <= 0 || dims == 0)
        return 1;
    struct skald_config_entry vcfg[] = {{"dims", dims_s}, {"file", "vector_flat.db"}};
    struct skald_config_entry ecfg[] = {{"dims", dims_s}};
    struct skald_host vh = make_host("vector", vcfg, 2, data_dir), eh = make_host("embedding", ecfg, 1, data_dir);
    void *vec = NULL, *emb = NULL;
    char err[512];
    if (vops->create(&vh, &vec, err, sizeof err) != SKALD_OK ||
        eops->create(&eh, &emb, err, sizeof err) != SKALD_OK) {
        fprintf(stderr, "find_bench_load: create: %s\n", err);
        return 1;
    }
    atomic_int never = 0;
    struct skald_call_ctx ctx = {sizeof ctx, 0, 0, &never, err, sizeof err};
    FILE *out = fopen(argv[5], "wb");
    float *vectors = malloc((size_t)BATCH * dims * sizeof *vectors);
    struct skald_vector_record *records = calloc(BATCH, sizeof *records);
    char (*ids)[160] = calloc(BATCH, sizeof *ids), (*uris)[128] = calloc(BATCH, sizeof *uris);
    char (*metas)[384] = calloc(BATCH, sizeof *metas);
    if (!out || !vectors || !records || !ids || !uris || !metas) {
        fprintf(stderr, "find_bench_load: out of memory or cannot write %s\n", argv[5]);
        return 1;
    }
    int64_t t0 = now_ns(), ms = wall_ms();
    for (long base = 0; base < n; base += BATCH) {
        size_t m = (size_t)(n - base < BATCH ? n - base : BATCH);
        for (size_t i = 0; i < m; i++) {
            long r = base + (long)i, folder = r / PER_FOLDER, slot = r % PER_FOLDER;
            int level = slot < 2 ? (int)slot : 2;
            char folder_uri[96];
            snprintf(folder_uri, sizeof folder_uri, "viking://resources/bench/d%ld", folder);
            if (level < 2)
                snprintf(uris[i], sizeof uris[i], "%s", folder_uri);
            else
                snprintf(uris[i], sizeof uris[i], "%s/f%ld.md", folder_uri, slot);
            snprintf(ids[i], sizeof ids[i], "default|%d|%s", level, uris[i]);
            snprintf(metas[i], sizeof metas[i],
                     "{\"level\":%d,\"context_type\":\"resource\",\"abstract\":\"benchmark record %ld "
                     "about queues, leases and vectors\",\"tags\":[],\"owner\":\"default\",\"parent\":"
                     "\"%s\",\"created_ms\":%lld,\"updated_ms\":%lld}",
                     level, r, level < 2 ? "viking://resources/bench" : folder_uri, (long long)ms,
                     (long long)ms);
            float *v = vectors + i * dims, norm = 0;
            for (uint32_t d = 0; d < dims; d++) {
                v[d] = rnd();
                norm += v[d] * v[d];
            }
            norm = 1.0f / sqrtf(norm);
            for (uint32_t d = 0; d < dims; d++)
                v[d] *= norm;
            records[i] = (struct skald_vector_record){ids[i], "default", uris[i], metas[i], v, dims};
        }
        if (vops->upsert(vec, &ctx, records, m) != SKALD_OK) {
            fprintf(stderr, "find_bench_load: upsert: %s\n", err);
            return 1;
        }
        if (fwrite(vectors, sizeof *vectors * dims, m, out) != m) {
            fprintf(stderr, "find_bench_load: writing %s failed\n", argv[5]);
            return 1;
        }
    }
    if (fclose(out) != 0)
        return 1;
    const char *texts[1] = {argv[7]};
    float *q = malloc(dims * sizeof *q);
    FILE *qout = fopen(argv[6], "wb");
    if (!q || !qout || eops->embed(emb, &ctx, texts, 1, q) != SKALD_OK ||
        fwrite(q, sizeof *q, dims, qout) != dims || fclose(qout) != 0) {
        fprintf(stderr, "find_bench_load: embedding the query failed: %s\n", err);
        return 1;
    }
    vops->checkpoint(vec, &ctx);
    vops->destroy(vec);
    eops->destroy(emb);
    fprintf(stderr, "find_bench_load: %ld records of %u dims in %.1f s\n", n, dims,
            (double)(now_ns() - t0) / 1e9);
    free(q);
    free(vectors);
    free(records);
    free(ids);
    free(uris);
    free(metas);
    return 0;
}
