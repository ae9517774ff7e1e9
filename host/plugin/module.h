/*
 * A loaded plugin shared object: dlopen, ABI checks, and a reference count so the library is
 * unloaded (dlclose) only when no instance of any generation uses it any more.
 */
#ifndef SKALD_PLUGIN_MODULE_H
#define SKALD_PLUGIN_MODULE_H

#include <stddef.h>
#include <stdint.h>

#include <skald/plugin.h>

struct plugin_module {
    char *path;          /* the file as named in the config (absolute); owned */
    char *loaded_path;   /* the file actually dlopen'ed (a cache copy when `path` changed on disk
                            while an older copy was loaded); owned */
    void *dl;            /* dlopen handle */
    uint32_t kind;       /* enum skald_kind */
    uint16_t abi_major;  /* as the plugin was built */
    uint16_t abi_minor;
    const char *name;    /* borrowed from the plugin's descriptor; valid while loaded */
    const char *version;
    const char *description;
    /* The kind's ops, copied into a zeroed struct of the host's size: fields beyond the plugin's
     * struct_size read as NULL. Points at one of the union members. */
    const void *ops;
    union {
        struct skald_embedding_ops embedding;
        struct skald_vlm_ops vlm;
        struct skald_rerank_ops rerank;
        struct skald_vector_ops vector;
        struct skald_queue_ops queue;
    } ops_copy;
    int refs; /* guarded by the module registry's lock */
    /* file identity when loaded, to notice a rebuilt plugin on reload */
    uint64_t dev, ino, size;
    int64_t mtime_ns;
};

/*
 * Opens `path` (absolute) or returns the already-loaded module for it with one more reference.
 * When the file changed on disk since that module was loaded, the new file is copied into
 * cache_dir (created if missing) and that copy is opened, so running code is never replaced
 * under a live instance. Checks, in order: dlopen, entry symbol, magic, ABI major equal, ABI minor
 * not newer, descriptor size, known kind, name, ops present with every required function.
 * On failure returns NULL and writes a message naming the file and the failed check (for a
 * version mismatch, both versions) into err.
 */
struct plugin_module *plugin_module_open(const char *path, const char *cache_dir, char *err,
                                         size_t err_cap);
/* Adds a reference. */
void plugin_module_ref(struct plugin_module *m);
/* Drops a reference; at zero the library is dlclose'd and the struct freed. */
void plugin_module_unref(struct plugin_module *m);

/* "embedding", "vlm", "rerank", "vector", "queue", or "unknown". */
const char *plugin_kind_name(uint32_t kind);
/* Inverse of plugin_kind_name; returns 0 for an unknown name. */
uint32_t plugin_kind_from_name(const char *name);

#endif
