/* One document into an import tree, by type. */
#include "ingest/document_import.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ingest/doc_type.h"
#include "ingest/import_name.h"
#include "ingest/ingest_status.h"

static const struct document_import_opts default_opts;

static enum doc_type detect(const char *name, const char *source_name, const char *content_type,
                            const void *bytes, size_t len)
{
    enum doc_type t = doc_type_from_name(name);
    if (t == DOC_TYPE_UNSUPPORTED && source_name)
        t = doc_type_from_name(source_name);
    if (t == DOC_TYPE_UNSUPPORTED)
        t = doc_type_detect(name, content_type, bytes, len);
    if (t != DOC_TYPE_ZIP && t != DOC_TYPE_UNSUPPORTED && !doc_type_bytes_are_text(bytes, len))
        t = DOC_TYPE_UNSUPPORTED;
    return t;
}

/* Makes the zip's single top folder the root unless the source name names something else. */
static int hoist_zip_root(struct import_tree *out, const char *source_name, char *err,
                          size_t err_cap)
{
    char top[IMPORT_NAME_MAX + 1], stem[IMPORT_NAME_MAX + 1];
    if (!import_tree_single_root(out, top, sizeof top))
        return INGEST_OK;
    if (source_name) {
        import_name_stem(source_name, stem, sizeof stem);
        if (strcmp(stem, top) != 0)
            return INGEST_OK;
    }
    int rc = import_tree_strip_root(out, err, err_cap);
    if (rc == INGEST_OK)
        snprintf(out->root_name, sizeof out->root_name, "%s", top);
    return rc;
}

/* The stored name of a single text/data/code file. */
static void single_file_name(const char *name, enum doc_type type, char *out, size_t cap)
{
    char ext[IMPORT_NAME_EXT_MAX + 1];
    import_name_ext(name, ext, sizeof ext);
    if (!ext[0] && (type == DOC_TYPE_TEXT || type == DOC_TYPE_MARKDOWN)) {
        char with_ext[1024];
        snprintf(with_ext, sizeof with_ext, "%s.%s", name, type == DOC_TYPE_TEXT ? "txt" : "md");
        import_name_segment(with_ext, 1, out, cap);
        return;
    }
    import_name_segment(name, 1, out, cap);
}

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

int document_import(const char *name, const char *source_name, const char *content_type,
                    const void *bytes, size_t len, const struct document_import_opts *opts,
                    struct import_tree *out, char *err, size_t err_cap)
{
    if (!opts)
        opts = &default_opts;
    if (!name || !name[0])
        name = source_name && source_name[0] ? source_name : "document";
    if (source_name && !source_name[0])
        source_name = NULL;
    const char *display = source_name ? source_name : name;
    enum doc_type type = detect(name, source_name, content_type, bytes, len);
    int rc = INGEST_OK;
    import_name_stem(display, out->root_name, sizeof out->root_name);
    switch (type) {
    case DOC_TYPE_MARKDOWN:
        rc = markdown_split(out->root_name, bytes, len, &opts->markdown, "", out, err, err_cap);
        break;
    case DOC_TYPE_TEXT:
    case DOC_TYPE_DATA:
    case DOC_TYPE_CODE: {
        char file[IMPORT_NAME_MAX + 1];
        single_file_name(base_name(display), type, file, sizeof file);
        rc = import_tree_add_file(out, file, bytes, len, err, err_cap);
        break;
    }
    case DOC_TYPE_ZIP: {
        struct zip_import_limits lim = opts->zip;
        lim.strict = opts->strict;
        rc = zip_import_buffer(bytes, len, &lim, out, err, err_cap);
        if (rc == INGEST_OK)
            rc = hoist_zip_root(out, source_name, err, err_cap);
        break;
    }
    default:
        if (opts->strict) {
            snprintf(err, err_cap, "'%s': unsupported file type", display);
            rc = INGEST_EUNSUPPORTED;
        } else if (import_tree_warn(out, "skipped '%s': unsupported file type", display) != 0) {
            snprintf(err, err_cap, "out of memory");
            rc = INGEST_ENOMEM;
        }
        break;
    }
    if (rc != INGEST_OK)
        import_tree_free(out);
    return rc;
}

static int read_whole(const char *path, uint64_t max_bytes, unsigned char **out, size_t *len,
                      char *err, size_t err_cap)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, err_cap, "cannot open %s: %s", path, strerror(errno));
        return errno == ENOENT ? INGEST_ENOTFOUND : INGEST_EIO;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        snprintf(err, err_cap, "%s is not a readable file", path);
        close(fd);
        return INGEST_EIO;
    }
    if (max_bytes && (uint64_t)st.st_size > max_bytes) {
        snprintf(err, err_cap, "%s is over the %llu-byte limit", path,
                 (unsigned long long)max_bytes);
        close(fd);
        return INGEST_ETOOBIG;
    }
    size_t size = (size_t)st.st_size, got = 0;
    unsigned char *buf = malloc(size + 1);
    if (!buf) {
        snprintf(err, err_cap, "out of memory for %zu bytes", size);
        close(fd);
        return INGEST_ENOMEM;
    }
    while (got < size) {
        ssize_t n = read(fd, buf + got, size - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            snprintf(err, err_cap, "cannot read %s: %s", path, n < 0 ? strerror(errno) : "short read");
            free(buf);
            close(fd);
            return INGEST_EIO;
        }
        got += (size_t)n;
    }
    close(fd);
    buf[size] = '\0';
    *out = buf;
    *len = size;
    return INGEST_OK;
}

int document_import_path(const char *path, const char *source_name, uint64_t max_bytes,
                         const struct document_import_opts *opts, struct import_tree *out,
                         char *err, size_t err_cap)
{
    if (!opts)
        opts = &default_opts;
    const char *name = base_name(path);
    if (doc_type_from_name(name) == DOC_TYPE_ZIP ||
        (doc_type_from_name(name) == DOC_TYPE_UNSUPPORTED && source_name &&
         doc_type_from_name(source_name) == DOC_TYPE_ZIP)) {
        if (source_name && !source_name[0])
            source_name = NULL;
        struct zip_import_limits lim = opts->zip;
        lim.strict = opts->strict;
        int rc = zip_import_path(path, &lim, out, err, err_cap);
        if (rc == INGEST_OK) {
            import_name_stem(source_name ? source_name : name, out->root_name,
                             sizeof out->root_name);
            rc = hoist_zip_root(out, source_name, err, err_cap);
            if (rc != INGEST_OK)
                import_tree_free(out);
        }
        return rc;
    }
    unsigned char *bytes;
    size_t len;
    int rc = read_whole(path, max_bytes, &bytes, &len, err, err_cap);
    if (rc != INGEST_OK)
        return rc;
    rc = document_import(name, source_name, NULL, bytes, len, opts, out, err, err_cap);
    free(bytes);
    return rc;
}
