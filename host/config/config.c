#include "config/config.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "auth/auth_table.h"
#include "config/config_internal.h"

#ifndef SKALD_DEFAULT_PLUGIN_DIR
#error "SKALD_DEFAULT_PLUGIN_DIR must be defined by the build"
#endif

static const char *const backend_section_names[BACKEND_COUNT] = {"embedding", "vlm", "rerank",
                                                                 "vector", "queue"};
static const uint32_t backend_kinds[BACKEND_COUNT] = {SKALD_KIND_EMBEDDING, SKALD_KIND_VLM,
                                                      SKALD_KIND_RERANK, SKALD_KIND_VECTOR,
                                                      SKALD_KIND_QUEUE};

const char *config_backend_section_name(enum backend_slot slot) { return backend_section_names[slot]; }
uint32_t config_backend_kind(enum backend_slot slot) { return backend_kinds[slot]; }
int config_backend_required(enum backend_slot slot) { return slot != BACKEND_RERANK; }

/* Raw key/value lines before validation, with where they came from. */
struct raw_config {
    struct raw_entry *entries;
    size_t n, cap;
    struct {
        char *name;
        int line;
    } sections[64];
    size_t n_sections;
    int line;           /* line the reader is on */
    int too_long_line;  /* first line longer than inih's buffer, 0 if none */
    int oom;
    char *bad_section;  /* first unknown section seen */
    int bad_section_line;
};

static void raw_free(struct raw_config *raw)
{
    for (size_t i = 0; i < raw->n; i++) {
        free(raw->entries[i].section);
        free(raw->entries[i].key);
        /* Values may be API keys ([auth] root_api_key, [keys] key=): wipe them. */
        explicit_bzero(raw->entries[i].value, strlen(raw->entries[i].value));
        free(raw->entries[i].value);
    }
    free(raw->entries);
    for (size_t i = 0; i < raw->n_sections; i++)
        free(raw->sections[i].name);
    free(raw->bad_section);
}

static int raw_add(struct raw_config *raw, const char *section, const char *key, const char *value,
                   int line)
{
    if (raw->n == raw->cap) {
        size_t cap = raw->cap ? raw->cap * 2 : 32;
        struct raw_entry *e = realloc(raw->entries, cap * sizeof *e);
        if (!e)
            return -1;
        raw->entries = e;
        raw->cap = cap;
    }
    struct raw_entry *e = &raw->entries[raw->n];
    e->section = strdup(section);
    e->key = strdup(key);
    e->value = strdup(value);
    e->line = line;
    if (!e->section || !e->key || !e->value) {
        free(e->section);
        free(e->key);
        free(e->value);
        return -1;
    }
    raw->n++;
    return 0;
}

static int section_known(const char *name)
{
    if (strcmp(name, "server") == 0 || strcmp(name, "auth") == 0 || strcmp(name, "keys") == 0 ||
        strcmp(name, "sessions") == 0)
        return 1;
    for (int i = 0; i < BACKEND_COUNT; i++)
        if (strcmp(name, backend_section_names[i]) == 0)
            return 1;
    return 0;
}

static void raw_note_section(struct raw_config *raw, const char *name, int line)
{
    for (size_t i = 0; i < raw->n_sections; i++)
        if (strcmp(raw->sections[i].name, name) == 0)
            return;
    if (raw->n_sections < sizeof raw->sections / sizeof raw->sections[0]) {
        char *copy = strdup(name);
        if (!copy) {
            raw->oom = 1;
            return;
        }
        raw->sections[raw->n_sections].name = copy;
        raw->sections[raw->n_sections].line = line;
        raw->n_sections++;
    }
}

static int raw_handler(void *user, const char *section, const char *name, const char *value)
{
    struct raw_config *raw = user;
    if (!section_known(section)) {
        if (!raw->bad_section) {
            raw->bad_section = strdup(section);
            raw->bad_section_line = raw->line;
            if (!raw->bad_section)
                raw->oom = 1;
        }
        return 1;
    }
    raw_note_section(raw, section, raw->line);
    if (raw_add(raw, section, name, value, raw->line) != 0) {
        raw->oom = 1;
        return 0;
    }
    return 1;
}

struct counting_reader {
    FILE *file;
    int *line;
    int *too_long_line;
};

/* inih would read the rest of an over-long line as a line of its own; stop there instead. */
static char *counting_read_line(char *str, int num, void *stream)
{
    struct counting_reader *r = stream;
    char *line = fgets(str, num, r->file);
    if (!line)
        return NULL;
    (*r->line)++;
    size_t len = strlen(line);
    if (len == (size_t)num - 1 && line[len - 1] != '\n') {
        int c = getc(r->file);
        if (c != EOF && c != '\n') {
            *r->too_long_line = *r->line;
            return NULL;
        }
    }
    return line;
}

int config_ini_parse(FILE *f, int *line, int *too_long_line, ini_handler handler, void *user)
{
    struct counting_reader reader = {f, line, too_long_line};
    *too_long_line = 0;
    int rc = ini_parse_stream(counting_read_line, &reader, handler, user);
    return *too_long_line ? -2 : rc;
}

int config_error(const struct err_ctx *ec, int line, const char *section, const char *key,
                 const char *fmt, ...)
{
    char where[PATH_MAX + 256];
    char what[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    int n;
    if (line > 0)
        n = snprintf(where, sizeof where, "%s:%d:", ec->path, line);
    else if (line == 0 && key)
        n = snprintf(where, sizeof where, "%s: (-o override)", ec->path);
    else
        n = snprintf(where, sizeof where, "%s:", ec->path);
    if (section && n > 0 && (size_t)n < sizeof where)
        n += snprintf(where + n, sizeof where - (size_t)n, " [%s]", section);
    if (key && n > 0 && (size_t)n < sizeof where)
        snprintf(where + n, sizeof where - (size_t)n, " %s", key);
    /* "FILE:LINE: why" when there is no section or key to name, not "FILE:LINE:: why". */
    size_t len = strlen(where);
    snprintf(ec->err, ec->cap, len && where[len - 1] == ':' ? "%s %s" : "%s: %s", where, what);
    return -1;
}

int config_override_parse(const char *text, struct config_override *out, char **storage, char *err,
                          size_t err_cap)
{
    char *copy = strdup(text);
    if (!copy) {
        snprintf(err, err_cap, "out of memory");
        return -1;
    }
    char *dot = strchr(copy, '.');
    char *eq = strchr(copy, '=');
    if (!dot || !eq || dot > eq || dot == copy || dot + 1 == eq) {
        free(copy);
        snprintf(err, err_cap, "-o '%s': expected section.key=value", text);
        return -1;
    }
    *dot = '\0';
    *eq = '\0';
    out->section = copy;
    out->key = dot + 1;
    out->value = eq + 1;
    *storage = copy;
    return 0;
}

static int apply_override(struct raw_config *raw, const struct config_override *o)
{
    for (size_t i = raw->n; i-- > 0;) {
        struct raw_entry *e = &raw->entries[i];
        if (strcmp(e->section, o->section) == 0 && strcmp(e->key, o->key) == 0) {
            char *v = strdup(o->value);
            if (!v)
                return -1;
            free(e->value);
            e->value = v;
            e->line = 0;
            return 0;
        }
    }
    raw_note_section(raw, o->section, 0);
    return raw_add(raw, o->section, o->key, o->value, 0);
}

char *config_path_join(const char *dir, const char *name)
{
    if (name[0] == '/')
        return strdup(name);
    size_t len = strlen(dir) + 1 + strlen(name) + 1;
    char *p = malloc(len);
    if (p)
        snprintf(p, len, "%s/%s", dir, name);
    return p;
}

static int parse_uint(const char *v, uint64_t min, uint64_t max, uint64_t *out)
{
    char *end = NULL;
    errno = 0;
    if (!*v || *v == '-')
        return -1;
    unsigned long long n = strtoull(v, &end, 10);
    if (errno || end == v)
        return -1;
    uint64_t mult = 1;
    if (*end) {
        if (end[1])
            return -1;
        switch (*end) {
        case 'k': case 'K': mult = 1024ULL; break;
        case 'm': case 'M': mult = 1024ULL * 1024; break;
        case 'g': case 'G': mult = 1024ULL * 1024 * 1024; break;
        default: return -1;
        }
    }
    if (n > UINT64_MAX / mult)
        return -1;
    n *= mult;
    if (n < min || n > max)
        return -1;
    *out = n;
    return 0;
}

static int parse_bool(const char *v, int *out)
{
    static const char *const yes[] = {"1", "on", "true", "yes"};
    static const char *const no[] = {"0", "off", "false", "no"};
    for (int i = 0; i < 4; i++) {
        if (strcasecmp(v, yes[i]) == 0)
            return *out = 1, 0;
        if (strcasecmp(v, no[i]) == 0)
            return *out = 0, 0;
    }
    return -1;
}

/* host:port with a numeric or bracketed IPv6 host; port 1..65535. */
static int parse_listen(const char *v, char **host, uint16_t *port)
{
    const char *colon;
    const char *hstart = v;
    size_t hlen;
    if (v[0] == '[') {
        const char *close = strchr(v, ']');
        if (!close || close[1] != ':')
            return -1;
        hstart = v + 1;
        hlen = (size_t)(close - hstart);
        colon = close + 1;
    } else {
        colon = strrchr(v, ':');
        if (!colon)
            return -1;
        hlen = (size_t)(colon - v);
    }
    uint64_t p;
    if (hlen == 0 || parse_uint(colon + 1, 1, 65535, &p) != 0)
        return -1;
    *host = strndup(hstart, hlen);
    if (!*host)
        return -1;
    *port = (uint16_t)p;
    return 0;
}

static int apply_server_key(struct server_config *s, const struct raw_entry *e, const char *cfg_dir,
                            const struct err_ctx *ec)
{
    uint64_t n;
    const char *k = e->key, *v = e->value;
    if (strcmp(k, "listen") == 0) {
        free(s->listen_host);
        s->listen_host = NULL;
        if (parse_listen(v, &s->listen_host, &s->listen_port) != 0)
            return config_error(ec, e->line, "server", k, "'%s' is not host:port", v);
    } else if (strcmp(k, "data_dir") == 0 || strcmp(k, "plugin_dir") == 0) {
        if (!*v)
            return config_error(ec, e->line, "server", k, "must not be empty");
        char *p = config_path_join(cfg_dir, v);
        if (!p)
            return config_error(ec, e->line, "server", k, "out of memory");
        char **slot = strcmp(k, "data_dir") == 0 ? &s->data_dir : &s->plugin_dir;
        free(*slot);
        *slot = p;
    } else if (strcmp(k, "workers") == 0) {
        if (parse_uint(v, 1, 256, &n) != 0)
            return config_error(ec, e->line, "server", k, "'%s' is not a whole number from 1 to 256", v);
        s->workers = (unsigned)n;
    } else if (strcmp(k, "pipeline_threads") == 0) {
        if (parse_uint(v, 2, 64, &n) != 0)
            return config_error(ec, e->line, "server", k, "'%s' is not a whole number from 2 to 64", v);
        s->pipeline_threads = (unsigned)n;
    } else if (strcmp(k, "shutdown_timeout") == 0) {
        if (parse_uint(v, 1, 3600, &n) != 0)
            return config_error(ec, e->line, "server", k, "'%s' is not a number of seconds from 1 to 3600", v);
        s->shutdown_timeout_s = (unsigned)n;
    } else if (strcmp(k, "call_timeout") == 0) {
        if (parse_uint(v, 1, 3600, &n) != 0)
            return config_error(ec, e->line, "server", k, "'%s' is not a number of seconds from 1 to 3600", v);
        s->call_timeout_s = (unsigned)n;
    } else if (strcmp(k, "max_body") == 0) {
        if (parse_uint(v, 1024, 1ULL << 34, &n) != 0)
            return config_error(ec, e->line, "server", k, "'%s' is not a size from 1k to 16g", v);
        s->max_body = n;
    } else if (strcmp(k, "log_level") == 0) {
        if (log_level_parse(v, &s->log_level) != 0)
            return config_error(ec, e->line, "server", k, "'%s' is not error, warn, info or debug", v);
    } else if (strcmp(k, "debug_routes") == 0) {
        if (parse_bool(v, &s->debug_routes) != 0)
            return config_error(ec, e->line, "server", k, "'%s' is not on or off", v);
    } else if (strcmp(k, "log_format") == 0) {
        if (log_format_parse(v, &s->log_format) != 0)
            return config_error(ec, e->line, "server", k, "'%s' is not text or json", v);
    } else if (strcmp(k, "metrics") == 0) {
        if (parse_bool(v, &s->metrics) != 0)
            return config_error(ec, e->line, "server", k, "'%s' is not on or off", v);
    } else {
        return config_error(ec, e->line, "server", k, "unknown key");
    }
    return 0;
}

static int backend_add_entry(struct backend_config *b, const struct raw_entry *e)
{
    struct skald_config_entry *entries = realloc(b->entries, (b->n_entries + 1) * sizeof *entries);
    if (!entries)
        return -1;
    b->entries = entries;
    int *lines = realloc(b->entry_lines, (b->n_entries + 1) * sizeof *lines);
    if (!lines)
        return -1;
    b->entry_lines = lines;
    char *k = strdup(e->key), *v = strdup(e->value);
    if (!k || !v) {
        free(k);
        free(v);
        return -1;
    }
    b->entries[b->n_entries].key = k;
    b->entries[b->n_entries].value = v;
    b->entry_lines[b->n_entries] = e->line;
    b->n_entries++;
    return 0;
}

static int valid_plugin_name(const char *name)
{
    if (!*name || strlen(name) > 63)
        return 0;
    for (const char *p = name; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_'))
            return 0;
    return 1;
}

/* Line of the last [server] listen entry (the one in force), -1 when it keeps its default. */
static int listen_line(const struct raw_config *raw)
{
    int line = -1;
    for (size_t i = 0; i < raw->n; i++)
        if (strcmp(raw->entries[i].section, "server") == 0 && strcmp(raw->entries[i].key, "listen") == 0)
            line = raw->entries[i].line;
    return line;
}

static int build_config(struct raw_config *raw, const char *abs_path, const char *cfg_dir,
                        struct config *cfg, const struct err_ctx *ec)
{
    struct server_config *s = &cfg->server;
    s->listen_host = strdup("127.0.0.1");
    s->listen_port = 1933;
    s->data_dir = config_path_join(cfg_dir, "data");
    s->plugin_dir = strdup(SKALD_DEFAULT_PLUGIN_DIR);
    s->workers = 4;
    s->pipeline_threads = 4;
    s->shutdown_timeout_s = 10;
    s->max_body = 10ULL * 1024 * 1024;
    s->call_timeout_s = 30;
    s->log_level = LOG_LEVEL_INFO;
    s->debug_routes = 0;
    s->log_format = LOG_FORMAT_TEXT;
    s->metrics = 1;
    cfg->path = strdup(abs_path);
    if (!s->listen_host || !s->data_dir || !s->plugin_dir || !cfg->path)
        return config_error(ec, -1, NULL, NULL, "out of memory");

    for (size_t i = 0; i < raw->n; i++)
        if (strcmp(raw->entries[i].section, "server") == 0 &&
            apply_server_key(s, &raw->entries[i], cfg_dir, ec) != 0)
            return -1;
    if (config_auth_build(raw->entries, raw->n, cfg_dir, listen_line(raw), cfg, ec) != 0 ||
        config_sessions_build(raw->entries, raw->n, cfg, ec) != 0)
        return -1;

    for (int slot = 0; slot < BACKEND_COUNT; slot++) {
        struct backend_config *b = &cfg->backends[slot];
        const char *name = backend_section_names[slot];
        for (size_t i = 0; i < raw->n_sections; i++)
            if (strcmp(raw->sections[i].name, name) == 0) {
                b->present = 1;
                b->line = raw->sections[i].line;
            }
        int plugin_line = b->line;
        for (size_t i = 0; i < raw->n; i++) {
            const struct raw_entry *e = &raw->entries[i];
            if (strcmp(e->section, name) != 0)
                continue;
            if (strcmp(e->key, "plugin") == 0) {
                free(b->plugin);
                b->plugin = strdup(e->value);
                if (!b->plugin)
                    return config_error(ec, -1, NULL, NULL, "out of memory");
                plugin_line = e->line;
            } else if (backend_add_entry(b, e) != 0) {
                return config_error(ec, -1, NULL, NULL, "out of memory");
            }
        }
        if (!b->present) {
            if (config_backend_required((enum backend_slot)slot))
                return config_error(ec, -1, name, NULL, "section is missing (it must name a plugin)");
            continue;
        }
        if (!b->plugin)
            return config_error(ec, b->line, name, "plugin", "missing: name the plugin, e.g. plugin = %s",
                                slot == BACKEND_EMBEDDING ? "embed_hash"
                                : slot == BACKEND_VLM     ? "vlm_extractive"
                                : slot == BACKEND_RERANK  ? "rerank_lexical"
                                : slot == BACKEND_VECTOR  ? "vector_flat"
                                                          : "queue_sqlite");
        if (!valid_plugin_name(b->plugin))
            return config_error(ec, plugin_line, name, "plugin",
                                "'%s' is not a plugin name ([a-z0-9_], the file's name without .so)",
                                b->plugin);
        size_t len = strlen(s->plugin_dir) + strlen(b->plugin) + 5;
        b->plugin_path = malloc(len);
        if (!b->plugin_path)
            return config_error(ec, -1, NULL, NULL, "out of memory");
        snprintf(b->plugin_path, len, "%s/%s.so", s->plugin_dir, b->plugin);
    }
    return 0;
}

int config_load(const char *path, const struct config_override *overrides, size_t n_overrides,
                struct config **out, char *err, size_t err_cap)
{
    struct err_ctx ec = {path, err, err_cap};
    char abs_path[PATH_MAX];
    if (!realpath(path, abs_path))
        return config_error(&ec, -1, NULL, NULL, "cannot open: %s", strerror(errno));
    ec.path = abs_path;
    FILE *f = fopen(abs_path, "r");
    if (!f)
        return config_error(&ec, -1, NULL, NULL, "cannot open: %s", strerror(errno));

    struct raw_config raw = {0};
    int rc = config_ini_parse(f, &raw.line, &raw.too_long_line, raw_handler, &raw);
    int read_failed = ferror(f);
    fclose(f);
    struct config *cfg = NULL;
    int result = -1;
    if (rc == -2) {
        config_error(&ec, raw.too_long_line, NULL, NULL, "line longer than %d characters",
                     INI_MAX_LINE - 1);
        goto done;
    }
    if (rc < 0 || read_failed) {
        config_error(&ec, -1, NULL, NULL, "cannot read the file");
        goto done;
    }
    if (raw.oom) {
        config_error(&ec, -1, NULL, NULL, "out of memory");
        goto done;
    }
    if (rc > 0) {
        config_error(&ec, rc, NULL, NULL, "syntax error (expected [section] or key = value)");
        goto done;
    }
    if (raw.bad_section) {
        config_error(&ec, raw.bad_section_line, raw.bad_section, NULL,
                     "unknown section (known: server, auth, keys, sessions, embedding, vlm, rerank, "
                     "vector, queue)");
        goto done;
    }
    for (size_t i = 0; i < n_overrides; i++) {
        if (!section_known(overrides[i].section)) {
            config_error(&ec, 0, overrides[i].section, overrides[i].key, "unknown section");
            goto done;
        }
        if (apply_override(&raw, &overrides[i]) != 0) {
            config_error(&ec, -1, NULL, NULL, "out of memory");
            goto done;
        }
    }
    cfg = calloc(1, sizeof *cfg);
    if (!cfg) {
        config_error(&ec, -1, NULL, NULL, "out of memory");
        goto done;
    }
    char cfg_dir[PATH_MAX];
    snprintf(cfg_dir, sizeof cfg_dir, "%s", abs_path);
    char *slash = strrchr(cfg_dir, '/');
    if (slash == cfg_dir)
        slash[1] = '\0';
    else if (slash)
        *slash = '\0';
    if (build_config(&raw, abs_path, cfg_dir, cfg, &ec) != 0)
        goto done;
    *out = cfg;
    cfg = NULL;
    result = 0;
done:
    config_free(cfg);
    raw_free(&raw);
    return result;
}

void config_free(struct config *cfg)
{
    if (!cfg)
        return;
    free(cfg->path);
    free(cfg->server.listen_host);
    free(cfg->server.data_dir);
    free(cfg->server.plugin_dir);
    auth_table_free(cfg->auth);
    for (int i = 0; i < BACKEND_COUNT; i++) {
        struct backend_config *b = &cfg->backends[i];
        free(b->plugin);
        free(b->plugin_path);
        for (size_t j = 0; j < b->n_entries; j++) {
            free((char *)b->entries[j].key);
            free((char *)b->entries[j].value);
        }
        free(b->entries);
        free(b->entry_lines);
    }
    free(cfg);
}
