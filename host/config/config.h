/*
 * The daemon's INI configuration: [server], [auth] and [keys], plus one section per backend.
 * Parsing, -o overrides, path resolution and validation all happen here, so `skald -t`, startup
 * and SIGHUP agree on what a valid file is. A struct config is immutable once loaded and owned by
 * whoever loaded it.
 */
#ifndef SKALD_CONFIG_H
#define SKALD_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include <skald/plugin.h>

#include "auth/identity.h"
#include "core/log.h"

/* Backend sections, in the order plugins are created (the queue last, so a failed create of
 * another backend never leaves a half-migrated queue). */
enum backend_slot {
    BACKEND_EMBEDDING = 0,
    BACKEND_VLM,
    BACKEND_RERANK,
    BACKEND_VECTOR,
    BACKEND_QUEUE,
    BACKEND_COUNT
};

struct server_config {
    char *listen_host;           /* numeric IPv4/IPv6 address or "localhost" */
    uint16_t listen_port;
    char *data_dir;              /* absolute */
    unsigned workers;
    unsigned pipeline_threads;   /* threads running pipeline jobs; each keeps one call in flight */
    unsigned shutdown_timeout_s;
    char *plugin_dir;            /* absolute */
    uint64_t max_body;           /* bytes */
    unsigned call_timeout_s;
    enum log_level log_level;
    enum log_format log_format;  /* text | json */
    int metrics;                 /* serve GET /metrics */
    int debug_routes;
    /* [auth] mode as resolved; kept here so the copy of restart-only keys made at startup holds
     * it too. */
    enum auth_mode auth_mode;
};

struct backend_config {
    int present;
    int line;                          /* line of the section header */
    char *plugin;                      /* as written, e.g. "embed_hash" */
    char *plugin_path;                 /* <plugin_dir>/<plugin>.so, absolute */
    struct skald_config_entry *entries; /* every key but `plugin`, file order; owned */
    int *entry_lines;                  /* line of each entry, 0 for a -o override */
    size_t n_entries;
};

/* [sessions]: session lanes, their liveness watchdog and the cap on model-bound session work. */
struct session_config {
    unsigned watch_interval_ms; /* watchdog tick */
    unsigned stuck_warn_ms;     /* busy this long without progress: examined and classified */
    unsigned stuck_abort_ms;    /* stalled work past this is cancelled (resolved, never 0) */
    unsigned abort_settle_ms;   /* how long a cancelled call gets to return before a force release */
    unsigned max_extractions;   /* commit phase-2 runs at once, all sessions (restart) */
    unsigned max_attempts;      /* phase-2 attempts before the commit fails for good */
};

struct config {
    char *path; /* absolute path of the file */
    struct server_config server;
    struct session_config sessions;
    struct backend_config backends[BACKEND_COUNT];
    struct auth_table *auth; /* [auth] and [keys]: mode and key hashes; owned, never NULL */
};

/* One `-o section.key=value`, parsed. */
struct config_override {
    const char *section;
    const char *key;
    const char *value;
};

/* Splits "section.key=value" in place-free fashion into *out (pointers into a copy the caller
 * frees with free(*storage)). Returns 0, or -1 with a message. */
int config_override_parse(const char *text, struct config_override *out, char **storage, char *err,
                          size_t err_cap);

/* Loads and validates `path` with overrides applied. On success *out is a new config the caller
 * frees with config_free. On failure returns -1 and err reads "FILE:LINE: [section] key: why". */
int config_load(const char *path, const struct config_override *overrides, size_t n_overrides,
                struct config **out, char *err, size_t err_cap);

void config_free(struct config *cfg);

/* "embedding", "vlm", "rerank", "vector", "queue". */
const char *config_backend_section_name(enum backend_slot slot);
/* The plugin kind a section must hold (enum skald_kind). */
uint32_t config_backend_kind(enum backend_slot slot);
/* Whether the daemon cannot start without this section. */
int config_backend_required(enum backend_slot slot);

#endif
