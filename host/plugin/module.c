#include "plugin/module.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Size of the descriptor as ABI 1.0 defined it: a plugin's struct_size may not be smaller. */
#define DESC_V1_SIZE (offsetof(struct skald_plugin_desc, ops) + sizeof(const void *))
#define DESC_MAX_SIZE (64u * 1024u)

/* Loaded modules, keyed by the configured path. The only global state of the loader: a .so is
 * process-wide, so its bookkeeping is too. */
static pthread_mutex_t module_registry_lock = PTHREAD_MUTEX_INITIALIZER;
static struct plugin_module **module_registry;
static size_t module_registry_len;

static const char *const kind_names[] = {"unknown", "embedding", "vlm", "rerank", "vector", "queue"};

const char *plugin_kind_name(uint32_t kind)
{
    return kind >= 1 && kind <= 5 ? kind_names[kind] : kind_names[0];
}

uint32_t plugin_kind_from_name(const char *name)
{
    for (uint32_t k = 1; k <= 5; k++)
        if (strcmp(kind_names[k], name) == 0)
            return k;
    return 0;
}

static int valid_plugin_name(const char *name)
{
    size_t n = 0;
    for (const char *p = name; *p; p++, n++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_'))
            return 0;
    return n >= 1 && n <= 63;
}

/* Minimal ops size and required functions per kind, as ABI 1.0 defines them. */
static int ops_check(uint32_t kind, const void *ops, const char **missing, size_t *host_size)
{
    uint32_t size = *(const uint32_t *)ops;
    size_t need;
#define REQUIRE(type, field)                                                                       \
    do {                                                                                           \
        if (!((const type *)ops)->field) {                                                         \
            *missing = #field;                                                                     \
            return -1;                                                                             \
        }                                                                                          \
    } while (0)
    switch (kind) {
    case SKALD_KIND_EMBEDDING:
        need = offsetof(struct skald_embedding_ops, embed) + sizeof(void *);
        *host_size = sizeof(struct skald_embedding_ops);
        if (size < need)
            break;
        REQUIRE(struct skald_embedding_ops, create);
        REQUIRE(struct skald_embedding_ops, destroy);
        REQUIRE(struct skald_embedding_ops, dimensions);
        REQUIRE(struct skald_embedding_ops, max_batch);
        REQUIRE(struct skald_embedding_ops, embed);
        return 0;
    case SKALD_KIND_VLM:
        need = offsetof(struct skald_vlm_ops, complete) + sizeof(void *);
        *host_size = sizeof(struct skald_vlm_ops);
        if (size < need)
            break;
        REQUIRE(struct skald_vlm_ops, create);
        REQUIRE(struct skald_vlm_ops, destroy);
        REQUIRE(struct skald_vlm_ops, complete);
        return 0;
    case SKALD_KIND_RERANK:
        need = offsetof(struct skald_rerank_ops, score) + sizeof(void *);
        *host_size = sizeof(struct skald_rerank_ops);
        if (size < need)
            break;
        REQUIRE(struct skald_rerank_ops, create);
        REQUIRE(struct skald_rerank_ops, destroy);
        REQUIRE(struct skald_rerank_ops, score);
        return 0;
    case SKALD_KIND_VECTOR:
        need = offsetof(struct skald_vector_ops, durable) + sizeof(void *);
        *host_size = sizeof(struct skald_vector_ops);
        if (size < need)
            break;
        REQUIRE(struct skald_vector_ops, create);
        REQUIRE(struct skald_vector_ops, destroy);
        REQUIRE(struct skald_vector_ops, dimensions);
        REQUIRE(struct skald_vector_ops, upsert);
        REQUIRE(struct skald_vector_ops, remove);
        REQUIRE(struct skald_vector_ops, remove_prefix);
        REQUIRE(struct skald_vector_ops, search);
        REQUIRE(struct skald_vector_ops, list);
        REQUIRE(struct skald_vector_ops, count);
        REQUIRE(struct skald_vector_ops, checkpoint);
        REQUIRE(struct skald_vector_ops, durable);
        return 0;
    case SKALD_KIND_QUEUE:
        need = offsetof(struct skald_queue_ops, remove) + sizeof(void *);
        *host_size = sizeof(struct skald_queue_ops);
        if (size < need)
            break;
        REQUIRE(struct skald_queue_ops, create);
        REQUIRE(struct skald_queue_ops, destroy);
        REQUIRE(struct skald_queue_ops, storage_id);
        REQUIRE(struct skald_queue_ops, durable);
        REQUIRE(struct skald_queue_ops, enqueue);
        REQUIRE(struct skald_queue_ops, lease);
        REQUIRE(struct skald_queue_ops, ack);
        REQUIRE(struct skald_queue_ops, nack);
        REQUIRE(struct skald_queue_ops, extend);
        REQUIRE(struct skald_queue_ops, release);
        REQUIRE(struct skald_queue_ops, stats);
        REQUIRE(struct skald_queue_ops, export_items);
        REQUIRE(struct skald_queue_ops, import_items);
        REQUIRE(struct skald_queue_ops, remove);
        return 0;
    default:
        *missing = "kind";
        return -1;
    }
#undef REQUIRE
    *missing = "struct_size";
    return -1;
}

/* Checks the descriptor and fills m from it. */
static int module_adopt_descriptor(struct plugin_module *m, const struct skald_plugin_desc *d,
                                   char *err, size_t err_cap)
{
    const char *path = m->path;
    if (d->magic != SKALD_PLUGIN_MAGIC) {
        snprintf(err, err_cap, "%s: not a skald plugin (bad magic 0x%08x)", path, d->magic);
        return -1;
    }
    if (d->abi_major != SKALD_ABI_MAJOR) {
        snprintf(err, err_cap,
                 "%s: plugin ABI %u.%u is not supported by this skald (ABI %d.%d): major version differs",
                 path, d->abi_major, d->abi_minor, SKALD_ABI_MAJOR, SKALD_ABI_MINOR);
        return -1;
    }
    if (d->abi_minor > SKALD_ABI_MINOR) {
        snprintf(err, err_cap,
                 "%s: plugin ABI %u.%u is newer than this skald (ABI %d.%d): upgrade skald or rebuild the plugin",
                 path, d->abi_major, d->abi_minor, SKALD_ABI_MAJOR, SKALD_ABI_MINOR);
        return -1;
    }
    if (d->struct_size < DESC_V1_SIZE || d->struct_size > DESC_MAX_SIZE) {
        snprintf(err, err_cap, "%s: descriptor size %u is not valid for ABI %u.%u", path,
                 d->struct_size, d->abi_major, d->abi_minor);
        return -1;
    }
    if (d->kind < SKALD_KIND_EMBEDDING || d->kind > SKALD_KIND_QUEUE) {
        snprintf(err, err_cap, "%s: unknown plugin kind %u", path, d->kind);
        return -1;
    }
    if (!d->name || !valid_plugin_name(d->name) || !d->version) {
        snprintf(err, err_cap, "%s: plugin name must match [a-z0-9_]{1,63} and version be set", path);
        return -1;
    }
    if (!d->ops) {
        snprintf(err, err_cap, "%s: plugin %s has no ops table", path, d->name);
        return -1;
    }
    const char *missing = NULL;
    size_t host_size = 0;
    if (ops_check(d->kind, d->ops, &missing, &host_size) != 0) {
        snprintf(err, err_cap, "%s: %s plugin %s: ops table is incomplete (%s)", path,
                 plugin_kind_name(d->kind), d->name, missing);
        return -1;
    }
    /* Fields the plugin's header did not have read as NULL. */
    uint32_t plugin_size = *(const uint32_t *)d->ops;
    memset(&m->ops_copy, 0, sizeof m->ops_copy);
    memcpy(&m->ops_copy, d->ops, plugin_size < host_size ? plugin_size : host_size);
    m->ops = &m->ops_copy;
    m->kind = d->kind;
    m->abi_major = d->abi_major;
    m->abi_minor = d->abi_minor;
    m->name = d->name;
    m->version = d->version;
    m->description = d->description ? d->description : "";
    return 0;
}

/* Copies src into cache_dir so a rebuilt file is loaded as a new object. Returns the malloc'ed
 * copy path or NULL with err. */
static char *module_cache_copy(const char *src, const char *cache_dir, const struct stat *st,
                               char *err, size_t err_cap)
{
    if (mkdir(cache_dir, 0755) != 0 && errno != EEXIST) {
        snprintf(err, err_cap, "cannot create %s: %s", cache_dir, strerror(errno));
        return NULL;
    }
    const char *base = strrchr(src, '/');
    base = base ? base + 1 : src;
    size_t len = strlen(cache_dir) + strlen(base) + 64;
    char *dst = malloc(len);
    if (!dst) {
        snprintf(err, err_cap, "out of memory");
        return NULL;
    }
    snprintf(dst, len, "%s/%llu.%lld.%s", cache_dir, (unsigned long long)st->st_ino,
             (long long)st->st_mtim.tv_sec * 1000000000LL + st->st_mtim.tv_nsec, base);
    int in = open(src, O_RDONLY | O_CLOEXEC);
    int out = in >= 0 ? open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755) : -1;
    int ok = in >= 0 && out >= 0;
    char buf[65536];
    while (ok) {
        ssize_t n = read(in, buf, sizeof buf);
        if (n == 0)
            break;
        if (n < 0 || write(out, buf, (size_t)n) != n)
            ok = 0;
    }
    if (out >= 0 && close(out) != 0)
        ok = 0;
    if (in >= 0)
        close(in);
    if (!ok) {
        snprintf(err, err_cap, "cannot copy %s to %s: %s", src, dst, strerror(errno));
        unlink(dst);
        free(dst);
        return NULL;
    }
    return dst;
}

static void module_free(struct plugin_module *m)
{
    if (m->dl)
        dlclose(m->dl);
    if (m->loaded_path && strcmp(m->loaded_path, m->path) != 0)
        unlink(m->loaded_path);
    free(m->loaded_path);
    free(m->path);
    free(m);
}

struct plugin_module *plugin_module_open(const char *path, const char *cache_dir, char *err,
                                         size_t err_cap)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        snprintf(err, err_cap, "%s: %s", path, strerror(errno));
        return NULL;
    }
    pthread_mutex_lock(&module_registry_lock);
    int needs_copy = 0;
    for (size_t i = 0; i < module_registry_len; i++) {
        struct plugin_module *m = module_registry[i];
        if (strcmp(m->path, path) != 0)
            continue;
        if (m->dev == (uint64_t)st.st_dev && m->ino == (uint64_t)st.st_ino &&
            m->size == (uint64_t)st.st_size &&
            m->mtime_ns == (int64_t)st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec) {
            m->refs++;
            pthread_mutex_unlock(&module_registry_lock);
            return m;
        }
        needs_copy = 1;
    }
    struct plugin_module *m = calloc(1, sizeof *m);
    if (!m || !(m->path = strdup(path))) {
        free(m);
        pthread_mutex_unlock(&module_registry_lock);
        snprintf(err, err_cap, "out of memory");
        return NULL;
    }
    /* dlopen of a path already loaded returns the old object, so a changed file is copied. */
    m->loaded_path = needs_copy ? module_cache_copy(path, cache_dir, &st, err, err_cap) : strdup(path);
    if (!m->loaded_path) {
        if (!needs_copy)
            snprintf(err, err_cap, "out of memory");
        goto fail;
    }
    m->dl = dlopen(m->loaded_path, RTLD_NOW | RTLD_LOCAL);
    if (!m->dl) {
        const char *why = dlerror();
        snprintf(err, err_cap, "%s: cannot load: %s", path, why ? why : "unknown error");
        goto fail;
    }
    skald_plugin_entry_fn entry;
    *(void **)&entry = dlsym(m->dl, SKALD_PLUGIN_ENTRY_SYMBOL);
    if (!entry) {
        snprintf(err, err_cap, "%s: not a skald plugin (no %s symbol)", path, SKALD_PLUGIN_ENTRY_SYMBOL);
        goto fail;
    }
    const struct skald_plugin_desc *d = entry();
    if (!d) {
        snprintf(err, err_cap, "%s: %s returned no descriptor", path, SKALD_PLUGIN_ENTRY_SYMBOL);
        goto fail;
    }
    if (module_adopt_descriptor(m, d, err, err_cap) != 0)
        goto fail;
    struct plugin_module **reg = realloc(module_registry, (module_registry_len + 1) * sizeof *reg);
    if (!reg) {
        snprintf(err, err_cap, "out of memory");
        goto fail;
    }
    module_registry = reg;
    module_registry[module_registry_len++] = m;
    m->refs = 1;
    m->dev = (uint64_t)st.st_dev;
    m->ino = (uint64_t)st.st_ino;
    m->size = (uint64_t)st.st_size;
    m->mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec;
    pthread_mutex_unlock(&module_registry_lock);
    return m;
fail:
    pthread_mutex_unlock(&module_registry_lock);
    module_free(m);
    return NULL;
}

void plugin_module_ref(struct plugin_module *m)
{
    pthread_mutex_lock(&module_registry_lock);
    m->refs++;
    pthread_mutex_unlock(&module_registry_lock);
}

void plugin_module_unref(struct plugin_module *m)
{
    pthread_mutex_lock(&module_registry_lock);
    int last = --m->refs == 0;
    if (last) {
        for (size_t i = 0; i < module_registry_len; i++) {
            if (module_registry[i] == m) {
                module_registry[i] = module_registry[--module_registry_len];
                break;
            }
        }
        if (module_registry_len == 0) {
            free(module_registry);
            module_registry = NULL;
        }
    }
    pthread_mutex_unlock(&module_registry_lock);
    if (last)
        module_free(m);
}
