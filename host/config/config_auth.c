/* The [auth] and [keys] sections and the key file: validated into the config's auth table. No
 * message written here contains a key, a key hash or any part of a key line's values. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/auth_key_spec.h"
#include "auth/auth_table.h"
#include "config/config_internal.h"

/* One [keys] line, from the config file or the key file. */
struct key_line {
    char *label;
    char *spec; /* may hold a plain key: wiped before it is freed */
    int line;
    const char *path; /* the file it came from, for messages */
};

struct key_lines {
    struct key_line *items;
    size_t n, cap;
};

static void key_lines_free(struct key_lines *kl)
{
    for (size_t i = 0; i < kl->n; i++) {
        free(kl->items[i].label);
        explicit_bzero(kl->items[i].spec, strlen(kl->items[i].spec));
        free(kl->items[i].spec);
    }
    free(kl->items);
}

static int key_lines_add(struct key_lines *kl, const char *label, const char *spec, int line,
                         const char *path)
{
    if (kl->n == kl->cap) {
        size_t cap = kl->cap ? kl->cap * 2 : 16;
        struct key_line *items = realloc(kl->items, cap * sizeof *items);
        if (!items)
            return -1;
        kl->items = items;
        kl->cap = cap;
    }
    struct key_line *k = &kl->items[kl->n];
    k->label = strdup(label);
    k->spec = strdup(spec);
    if (!k->label || !k->spec) {
        free(k->label);
        if (k->spec)
            explicit_bzero(k->spec, strlen(k->spec));
        free(k->spec);
        return -1;
    }
    k->line = line;
    k->path = path;
    kl->n++;
    return 0;
}

/* What [auth] says, before the table is built. */
struct auth_settings {
    int mode_set;
    enum auth_mode mode;
    int mode_line;
    const struct raw_entry *root; /* the root key entry in force, NULL when none */
    const struct raw_entry *key_file;
};

static int is_root_key_name(const char *k)
{
    return strcmp(k, "root_api_key") == 0 || strcmp(k, "root_api_key_env") == 0 ||
           strcmp(k, "root_api_key_sha256") == 0;
}

static int read_auth_section(const struct raw_entry *raw, size_t n_raw, struct auth_settings *a,
                             const struct err_ctx *ec)
{
    for (size_t i = 0; i < n_raw; i++) {
        const struct raw_entry *e = &raw[i];
        if (strcmp(e->section, "auth") != 0)
            continue;
        if (strcmp(e->key, "mode") == 0) {
            if (strcmp(e->value, "dev") == 0)
                a->mode = AUTH_MODE_DEV;
            else if (strcmp(e->value, "api_key") == 0)
                a->mode = AUTH_MODE_API_KEY;
            else
                return config_error(ec, e->line, "auth", e->key, "'%s' is not dev or api_key",
                                    e->value);
            a->mode_set = 1;
            a->mode_line = e->line;
        } else if (is_root_key_name(e->key)) {
            if (a->root && strcmp(a->root->key, e->key) != 0)
                return config_error(ec, e->line, "auth", e->key,
                                    "set only one of root_api_key, root_api_key_env and "
                                    "root_api_key_sha256 (%s is set too)",
                                    a->root->key);
            a->root = e;
        } else if (strcmp(e->key, "key_file") == 0) {
            a->key_file = e;
        } else {
            return config_error(ec, e->line, "auth", e->key, "unknown key");
        }
    }
    return 0;
}

static int env_name_valid(const char *s)
{
    if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || *s == '_'))
        return 0;
    for (; *s; s++)
        if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
              *s == '_'))
            return 0;
    return 1;
}

static int root_key_hash(const struct raw_entry *e, uint8_t hash[AUTH_KEY_HASH_LEN],
                         const struct err_ctx *ec)
{
    if (strcmp(e->key, "root_api_key_sha256") == 0) {
        if (auth_key_hash_from_hex(e->value, hash) != 0)
            return config_error(ec, e->line, "auth", e->key, "not 64 hex digits");
        return 0;
    }
    const char *key = e->value;
    if (strcmp(e->key, "root_api_key_env") == 0) {
        if (!env_name_valid(e->value))
            return config_error(ec, e->line, "auth", e->key,
                                "'%s' is not an environment variable name", e->value);
        key = getenv(e->value);
        if (!key || !*key)
            return config_error(ec, e->line, "auth", e->key,
                                "environment variable %s is not set or empty", e->value);
    } else if (!*key) {
        return config_error(ec, e->line, "auth", e->key, "must not be empty");
    }
    auth_key_hash(key, hash);
    return 0;
}

/* Collects key file lines: "label = spec", optionally under a [keys] header. */
struct key_file_reader {
    struct key_lines *out;
    const char *path;
    int line;
    int oom;
    int bad_section_line;
    char bad_section[64];
};

static int key_file_handler(void *user, const char *section, const char *name, const char *value)
{
    struct key_file_reader *r = user;
    if (*section && strcmp(section, "keys") != 0) {
        if (!r->bad_section_line) {
            r->bad_section_line = r->line;
            snprintf(r->bad_section, sizeof r->bad_section, "%s", section);
        }
        return 0;
    }
    if (key_lines_add(r->out, name, value, r->line, r->path) != 0) {
        r->oom = 1;
        return 0;
    }
    return 1;
}

static int read_key_file(const char *path, const struct raw_entry *at, struct key_lines *out,
                         const struct err_ctx *ec)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return config_error(ec, at->line, "auth", "key_file", "cannot open %s: %s", path,
                            strerror(errno));
    struct key_file_reader r = {.out = out, .path = path};
    int too_long = 0;
    int rc = config_ini_parse(f, &r.line, &too_long, key_file_handler, &r);
    int read_failed = ferror(f);
    fclose(f);
    struct err_ctx kec = {path, ec->err, ec->cap};
    if (r.oom)
        return config_error(&kec, -1, NULL, NULL, "out of memory");
    if (r.bad_section_line)
        return config_error(&kec, r.bad_section_line, r.bad_section, NULL,
                            "only [keys] lines belong in a key file");
    if (rc == -2)
        return config_error(&kec, too_long, "keys", NULL, "line longer than %d characters",
                            INI_MAX_LINE - 1);
    if (rc < 0 || read_failed)
        return config_error(&kec, -1, NULL, NULL, "cannot read the file");
    if (rc > 0)
        return config_error(&kec, rc, "keys", NULL,
                            "syntax error (expected label = account=... user=... key_sha256=...)");
    return 0;
}

/* 127.0.0.0/8, ::1 (also as ::ffff:127.x.y.z) and "localhost". */
static int listen_is_loopback(const char *host)
{
    if (strcmp(host, "localhost") == 0)
        return 1;
    struct in_addr v4;
    if (inet_pton(AF_INET, host, &v4) == 1)
        return (ntohl(v4.s_addr) >> 24) == 127;
    struct in6_addr v6;
    if (inet_pton(AF_INET6, host, &v6) == 1) {
        static const uint8_t loopback[16] = {[15] = 1};
        static const uint8_t v4_mapped[12] = {[10] = 0xff, [11] = 0xff};
        return memcmp(v6.s6_addr, loopback, 16) == 0 ||
               (memcmp(v6.s6_addr, v4_mapped, 12) == 0 && v6.s6_addr[12] == 127);
    }
    return 0;
}

static int add_user_keys(struct auth_table *t, const struct key_lines *kl, const struct err_ctx *ec)
{
    for (size_t i = 0; i < kl->n; i++) {
        const struct key_line *k = &kl->items[i];
        struct err_ctx kec = {k->path, ec->err, ec->cap};
        if (!auth_id_valid(k->label, 0))
            return config_error(&kec, k->line, "keys", k->label,
                                "a label is 1-64 of A-Z a-z 0-9 _ . @ - (at most one @)");
        for (size_t j = 0; j < i; j++)
            if (strcmp(kl->items[j].label, k->label) == 0)
                return config_error(&kec, k->line, "keys", k->label,
                                    "label used twice (also %s:%d)", kl->items[j].path,
                                    kl->items[j].line);
        struct auth_key_spec spec;
        char why[256];
        int rc = auth_key_spec_parse(k->spec, &spec, why, sizeof why);
        if (rc == 0)
            rc = auth_table_add_user(t, spec.hash, k->label, spec.account, spec.user, spec.role,
                                     why, sizeof why);
        explicit_bzero(spec.hash, sizeof spec.hash);
        if (rc != 0)
            return config_error(&kec, k->line, "keys", k->label, "%s", why);
    }
    return 0;
}

int config_auth_build(const struct raw_entry *raw, size_t n_raw, const char *cfg_dir,
                      int listen_line, struct config *cfg, const struct err_ctx *ec)
{
    struct auth_settings a = {0};
    struct key_lines keys = {0};
    char *key_file_path = NULL;
    uint8_t root_hash[AUTH_KEY_HASH_LEN];
    int result = -1;
    if (read_auth_section(raw, n_raw, &a, ec) != 0)
        goto done;
    if (a.root && root_key_hash(a.root, root_hash, ec) != 0)
        goto done;
    for (size_t i = 0; i < n_raw; i++)
        if (strcmp(raw[i].section, "keys") == 0 &&
            key_lines_add(&keys, raw[i].key, raw[i].value, raw[i].line, ec->path) != 0) {
            config_error(ec, -1, NULL, NULL, "out of memory");
            goto done;
        }
    if (a.key_file) {
        if (!*a.key_file->value) {
            config_error(ec, a.key_file->line, "auth", "key_file", "must not be empty");
            goto done;
        }
        key_file_path = config_path_join(cfg_dir, a.key_file->value);
        if (!key_file_path) {
            config_error(ec, -1, NULL, NULL, "out of memory");
            goto done;
        }
        if (read_key_file(key_file_path, a.key_file, &keys, ec) != 0)
            goto done;
    }

    int has_keys = a.root || keys.n > 0;
    enum auth_mode mode = a.mode_set ? a.mode : has_keys ? AUTH_MODE_API_KEY : AUTH_MODE_DEV;
    if (mode == AUTH_MODE_DEV && has_keys) {
        config_error(ec, a.mode_line, "auth", "mode",
                     "dev mode checks no key, but keys are configured; set mode = api_key or "
                     "remove them");
        goto done;
    }
    if (mode == AUTH_MODE_API_KEY && !has_keys) {
        config_error(ec, a.mode_line, "auth", "mode",
                     "api_key mode needs root_api_key (or root_api_key_env, root_api_key_sha256) "
                     "or at least one [keys] entry");
        goto done;
    }
    if (mode == AUTH_MODE_DEV && !listen_is_loopback(cfg->server.listen_host)) {
        if (a.mode_set)
            config_error(ec, a.mode_line, "auth", "mode",
                         "dev mode serves without keys; listen on a loopback address or set "
                         "[auth] root_api_key");
        else
            config_error(ec, listen_line, "server", "listen",
                         "dev mode serves without keys; listen on a loopback address or set "
                         "[auth] root_api_key");
        goto done;
    }

    cfg->auth = auth_table_new(mode);
    if (!cfg->auth) {
        config_error(ec, -1, NULL, NULL, "out of memory");
        goto done;
    }
    cfg->server.auth_mode = mode;
    if (a.root) {
        char why[256];
        if (auth_table_set_root(cfg->auth, root_hash, why, sizeof why) != 0) {
            config_error(ec, a.root->line, "auth", a.root->key, "%s", why);
            goto done;
        }
    }
    if (add_user_keys(cfg->auth, &keys, ec) != 0)
        goto done;
    result = 0;
done:
    explicit_bzero(root_hash, sizeof root_hash);
    key_lines_free(&keys);
    free(key_file_path);
    return result;
}
