/* Zip archives into import trees: every member checked first, then read with counted bytes. */
#include "ingest/zip_import.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zip.h>

#include "ingest/doc_type.h"
#include "ingest/ingest_status.h"

#define READ_EXTRA 1 /* asked for beyond the declared size, to notice a member that lies */

/* What pass one decided for a member. */
struct member_plan {
    const char *name;  /* as stored (libzip's string, valid while the archive is open) */
    char *path;        /* sanitised relative path; NULL = skip */
    int is_dir;
    int sniff;         /* no extension: text or not is decided from the bytes */
    zip_uint64_t size; /* declared */
};

struct zip_job {
    zip_t *za;
    const struct zip_import_limits *lim;
    struct import_tree *out;
    struct member_plan *plans;
    zip_int64_t count;
    char *err;
    size_t err_cap;
};

static int check_member_name(const char *name, char *err, size_t err_cap)
{
    if (name[0] == '/' || (((name[0] | 0x20) >= 'a' && (name[0] | 0x20) <= 'z') && name[1] == ':')) {
        snprintf(err, err_cap, "zip member '%s' has an absolute path", name);
        return INGEST_EUNSAFE;
    }
    if (strchr(name, '\\')) {
        snprintf(err, err_cap, "zip member '%s' has a backslash in its path", name);
        return INGEST_EUNSAFE;
    }
    for (const char *seg = name; seg; seg = strchr(seg, '/') ? strchr(seg, '/') + 1 : NULL) {
        size_t n = strcspn(seg, "/");
        if (n == 2 && seg[0] == '.' && seg[1] == '.') {
            snprintf(err, err_cap, "zip member '%s' has a '..' segment", name);
            return INGEST_EUNSAFE;
        }
    }
    return INGEST_OK;
}

/* The sanitised relative path of a member into out, or "" when it is skipped (hidden, macOS
 * metadata, or nothing but "." and empty segments). */
static void member_path(const char *name, int is_dir, char *out, size_t cap)
{
    out[0] = '\0';
    size_t used = 0;
    for (const char *seg = name; *seg;) {
        size_t n = strcspn(seg, "/");
        const char *next = seg[n] ? seg + n + 1 : seg + n;
        int last = *next == '\0';
        if (n == 0 || (n == 1 && seg[0] == '.')) {
            seg = next;
            continue;
        }
        if (seg[0] == '.' || (n == 8 && strncmp(seg, "__MACOSX", 8) == 0)) {
            out[0] = '\0';
            return;
        }
        char raw[1024], clean[IMPORT_NAME_MAX + 1];
        snprintf(raw, sizeof raw, "%.*s", (int)n, seg);
        import_name_segment(raw, last && !is_dir, clean, sizeof clean);
        int w = snprintf(out + used, cap - used, "%s%s", used ? "/" : "", clean);
        if (w < 0 || (size_t)w >= cap - used) {
            out[0] = '\0';
            return;
        }
        used += (size_t)w;
        seg = next;
    }
}

static int unix_mode_type(zip_t *za, zip_uint64_t i, unsigned *type)
{
    zip_uint8_t opsys;
    zip_uint32_t attr;
    *type = 0;
    if (zip_file_get_external_attributes(za, i, 0, &opsys, &attr) != 0)
        return -1;
    if (opsys == ZIP_OPSYS_UNIX)
        *type = (attr >> 16) & S_IFMT;
    return 0;
}

/* Pass one: every check that needs no content, and the plan for each member. */
static int plan_members(struct zip_job *j, uint64_t max_total)
{
    uint64_t declared = 0;
    for (zip_int64_t i = 0; i < j->count; i++) {
        struct member_plan *p = &j->plans[i];
        zip_stat_t st;
        zip_stat_init(&st);
        if (zip_stat_index(j->za, (zip_uint64_t)i, 0, &st) != 0 || !(st.valid & ZIP_STAT_NAME)) {
            snprintf(j->err, j->err_cap, "cannot read zip member %lld: %s", (long long)i,
                     zip_strerror(j->za));
            return INGEST_EINVAL;
        }
        p->name = st.name;
        int rc = check_member_name(st.name, j->err, j->err_cap);
        if (rc != INGEST_OK)
            return rc;
        unsigned type;
        if (unix_mode_type(j->za, (zip_uint64_t)i, &type) != 0) {
            snprintf(j->err, j->err_cap, "cannot read attributes of zip member '%s'", st.name);
            return INGEST_EINVAL;
        }
        if (type == S_IFLNK) {
            snprintf(j->err, j->err_cap, "zip member '%s' is a symbolic link", st.name);
            return INGEST_EUNSAFE;
        }
        if (type != 0 && type != S_IFREG && type != S_IFDIR) {
            snprintf(j->err, j->err_cap, "zip member '%s' is not a regular file or directory",
                     st.name);
            return INGEST_EUNSAFE;
        }
        size_t nlen = strlen(st.name);
        p->is_dir = type == S_IFDIR || (nlen > 0 && st.name[nlen - 1] == '/');
        if ((st.valid & ZIP_STAT_ENCRYPTION_METHOD) && st.encryption_method != ZIP_EM_NONE) {
            snprintf(j->err, j->err_cap, "zip member '%s' is encrypted", st.name);
            return INGEST_EUNSAFE;
        }
        if (p->is_dir) {
            char path[4096];
            member_path(st.name, 1, path, sizeof path);
            if (path[0] && !(p->path = strdup(path)))
                goto nomem;
            continue;
        }
        if (!(st.valid & ZIP_STAT_SIZE) || st.size > max_total - declared) {
            snprintf(j->err, j->err_cap,
                     "zip members expand to more than %llu bytes (at member '%s')",
                     (unsigned long long)max_total, st.name);
            return INGEST_ETOOBIG;
        }
        declared += st.size;
        p->size = st.size;
        if ((st.valid & ZIP_STAT_COMP_METHOD) &&
            !zip_compression_method_supported(st.comp_method, 0)) {
            snprintf(j->err, j->err_cap, "zip member '%s' uses an unsupported compression method",
                     st.name);
            return INGEST_EINVAL;
        }
        char path[4096];
        member_path(st.name, 0, path, sizeof path);
        if (!path[0])
            continue;
        enum doc_type t = doc_type_from_name(path);
        const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
        if (t == DOC_TYPE_UNSUPPORTED && !strchr(base, '.')) {
            p->sniff = 1;
        } else if (t == DOC_TYPE_UNSUPPORTED || t == DOC_TYPE_ZIP) {
            if (j->lim->strict) {
                snprintf(j->err, j->err_cap, "zip member '%s': unsupported file type", st.name);
                return INGEST_EUNSUPPORTED;
            }
            if (import_tree_warn(j->out, "skipped '%s': unsupported file type", st.name) != 0)
                goto nomem;
            continue;
        }
        if (!(p->path = strdup(path)))
            goto nomem;
    }
    return INGEST_OK;
nomem:
    snprintf(j->err, j->err_cap, "out of memory");
    return INGEST_ENOMEM;
}

/* Reads member i, counting the bytes it really yields against its declared size and the total. */
static int read_member(struct zip_job *j, zip_int64_t i, uint64_t *total, uint64_t max_total,
                       unsigned char **out)
{
    const struct member_plan *p = &j->plans[i];
    zip_file_t *zf = zip_fopen_index(j->za, (zip_uint64_t)i, 0);
    if (!zf) {
        snprintf(j->err, j->err_cap, "cannot open zip member '%s': %s", p->name,
                 zip_strerror(j->za));
        return INGEST_EINVAL;
    }
    size_t want = (size_t)p->size + READ_EXTRA;
    unsigned char *buf = malloc(want + 1);
    if (!buf) {
        zip_fclose(zf);
        snprintf(j->err, j->err_cap, "out of memory for zip member '%s'", p->name);
        return INGEST_ENOMEM;
    }
    size_t got = 0;
    int rc = INGEST_OK;
    for (;;) {
        zip_int64_t n = zip_fread(zf, buf + got, want - got);
        if (n < 0) {
            snprintf(j->err, j->err_cap, "cannot read zip member '%s': %s", p->name,
                     zip_file_strerror(zf));
            rc = INGEST_EINVAL;
            break;
        }
        if (n == 0)
            break;
        got += (size_t)n;
        if (got > p->size) {
            snprintf(j->err, j->err_cap, "zip member '%s' expands past its declared %llu bytes",
                     p->name, (unsigned long long)p->size);
            rc = INGEST_ETOOBIG;
            break;
        }
        if (got > max_total - *total) {
            snprintf(j->err, j->err_cap, "zip members expand to more than %llu bytes",
                     (unsigned long long)max_total);
            rc = INGEST_ETOOBIG;
            break;
        }
    }
    zip_fclose(zf);
    if (rc == INGEST_OK && got < p->size) {
        snprintf(j->err, j->err_cap, "zip member '%s' is shorter than its declared %llu bytes",
                 p->name, (unsigned long long)p->size);
        rc = INGEST_EINVAL;
    }
    if (rc != INGEST_OK) {
        free(buf);
        return rc;
    }
    *total += got;
    buf[got] = '\0';
    *out = buf;
    return INGEST_OK;
}

/* Adds a file, renaming it "<stem>_N.<ext>" when the sanitised path is already taken. */
static int add_unique(struct zip_job *j, const char *name, const char *path, unsigned char *bytes,
                      size_t len)
{
    if (import_tree_find(j->out, path) < 0)
        return import_tree_add_file_owned(j->out, path, bytes, len, j->err, j->err_cap);
    const char *slash = strrchr(path, '/');
    const char *dot = strrchr(slash ? slash : path, '.');
    size_t stem = dot && dot != (slash ? slash + 1 : path) ? (size_t)(dot - path) : strlen(path);
    for (int k = 1; k < 100; k++) {
        char alt[4200];
        snprintf(alt, sizeof alt, "%.*s_%d%s", (int)stem, path, k, path + stem);
        if (import_tree_find(j->out, alt) >= 0)
            continue;
        if (import_tree_warn(j->out, "'%s' stored as '%s': its sanitised name was taken", name,
                             alt) != 0) {
            free(bytes);
            snprintf(j->err, j->err_cap, "out of memory");
            return INGEST_ENOMEM;
        }
        return import_tree_add_file_owned(j->out, alt, bytes, len, j->err, j->err_cap);
    }
    free(bytes);
    snprintf(j->err, j->err_cap, "too many zip members map to '%s'", path);
    return INGEST_EINVAL;
}

/* Pass two: directories and file contents, in archive order. */
static int read_members(struct zip_job *j, uint64_t max_total)
{
    uint64_t total = 0;
    for (zip_int64_t i = 0; i < j->count; i++) {
        struct member_plan *p = &j->plans[i];
        if (!p->path)
            continue;
        int rc;
        if (p->is_dir) {
            rc = import_tree_add_dir(j->out, p->path, j->err, j->err_cap);
            if (rc == INGEST_EEXIST)
                rc = INGEST_EINVAL;
            if (rc != INGEST_OK)
                return rc;
            continue;
        }
        unsigned char *bytes;
        if ((rc = read_member(j, i, &total, max_total, &bytes)) != INGEST_OK)
            return rc;
        if (p->sniff && !doc_type_bytes_are_text(bytes, (size_t)p->size)) {
            free(bytes);
            if (j->lim->strict) {
                snprintf(j->err, j->err_cap, "zip member '%s': unsupported (binary) file", p->name);
                return INGEST_EUNSUPPORTED;
            }
            if (import_tree_warn(j->out, "skipped '%s': binary file", p->name) != 0) {
                snprintf(j->err, j->err_cap, "out of memory");
                return INGEST_ENOMEM;
            }
            continue;
        }
        rc = add_unique(j, p->name, p->path, bytes, (size_t)p->size);
        if (rc == INGEST_EEXIST)
            rc = INGEST_EINVAL;
        if (rc != INGEST_OK)
            return rc;
    }
    return INGEST_OK;
}

static int import_archive(zip_t *za, const struct zip_import_limits *lim, struct import_tree *out,
                          char *err, size_t err_cap)
{
    static const struct zip_import_limits defaults = {0, 0, 0};
    if (!lim)
        lim = &defaults;
    size_t max_members = lim->max_members ? lim->max_members : ZIP_IMPORT_DEFAULT_MAX_MEMBERS;
    uint64_t max_total = lim->max_total_bytes ? lim->max_total_bytes
                                              : ZIP_IMPORT_DEFAULT_MAX_TOTAL_BYTES;
    struct zip_job j = {za, lim, out, NULL, zip_get_num_entries(za, 0), err, err_cap};
    if (j.count < 0) {
        snprintf(err, err_cap, "cannot list the zip: %s", zip_strerror(za));
        return INGEST_EINVAL;
    }
    if ((uint64_t)j.count > max_members) {
        snprintf(err, err_cap, "the zip has %lld members, more than the limit of %zu",
                 (long long)j.count, max_members);
        return INGEST_ETOOBIG;
    }
    j.plans = calloc(j.count ? (size_t)j.count : 1, sizeof *j.plans);
    if (!j.plans) {
        snprintf(err, err_cap, "out of memory");
        return INGEST_ENOMEM;
    }
    int rc = plan_members(&j, max_total);
    if (rc == INGEST_OK)
        rc = read_members(&j, max_total);
    for (zip_int64_t i = 0; i < j.count; i++)
        free(j.plans[i].path);
    free(j.plans);
    if (rc != INGEST_OK)
        import_tree_free(out);
    return rc;
}

int zip_import_buffer(const void *data, size_t len, const struct zip_import_limits *lim,
                      struct import_tree *out, char *err, size_t err_cap)
{
    zip_error_t ze;
    zip_error_init(&ze);
    zip_source_t *src = zip_source_buffer_create(data, len, 0, &ze);
    if (!src) {
        snprintf(err, err_cap, "cannot read the zip: %s", zip_error_strerror(&ze));
        zip_error_fini(&ze);
        return INGEST_ENOMEM;
    }
    zip_t *za = zip_open_from_source(src, ZIP_RDONLY | ZIP_CHECKCONS, &ze);
    if (!za) {
        snprintf(err, err_cap, "not a valid zip: %s", zip_error_strerror(&ze));
        zip_error_fini(&ze);
        zip_source_free(src);
        return INGEST_EINVAL;
    }
    zip_error_fini(&ze);
    int rc = import_archive(za, lim, out, err, err_cap);
    zip_discard(za);
    return rc;
}

int zip_import_path(const char *path, const struct zip_import_limits *lim,
                    struct import_tree *out, char *err, size_t err_cap)
{
    int code = 0;
    zip_t *za = zip_open(path, ZIP_RDONLY | ZIP_CHECKCONS, &code);
    if (!za) {
        zip_error_t ze;
        zip_error_init_with_code(&ze, code);
        snprintf(err, err_cap, "cannot open zip %s: %s", path, zip_error_strerror(&ze));
        zip_error_fini(&ze);
        return code == ZIP_ER_NOENT || code == ZIP_ER_OPEN || code == ZIP_ER_READ ? INGEST_EIO
                                                                                   : INGEST_EINVAL;
    }
    int rc = import_archive(za, lim, out, err, err_cap);
    zip_discard(za);
    return rc;
}
