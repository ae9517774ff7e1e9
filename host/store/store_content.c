#include "store/store_content.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/sha256.h"

#define TEMP_PREFIX ".tmp-"

static int content_path(const struct store *st, const char *name, char *out, size_t cap,
                        char *err, size_t err_cap)
{
    if ((size_t)snprintf(out, cap, "%s/%s", st->content_dir, name) >= cap)
        return store_errf(err, err_cap, STORE_EIO, "%s: path too long", st->content_dir);
    return STORE_OK;
}

static int write_all(int fd, const char *data, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, data, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        data += n;
        len -= (size_t)n;
    }
    return 0;
}

static int fsync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    int saved = errno;
    close(fd);
    errno = saved;
    return rc;
}

/* Writes content/<hash> unless a complete one is there. */
static int content_ensure(struct store *st, const struct store_body *b, char *err, size_t err_cap)
{
    char path[4096], tmp[4096];
    int rc = content_path(st, b->hash, path, sizeof path, err, err_cap);
    if (rc == STORE_OK)
        rc = content_path(st, TEMP_PREFIX "XXXXXX", tmp, sizeof tmp, err, err_cap);
    if (rc != STORE_OK)
        return rc;
    struct stat sb;
    if (stat(path, &sb) == 0 && (uint64_t)sb.st_size == b->len)
        return STORE_OK;
    int fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0)
        return store_errf(err, err_cap, STORE_EIO, "%s: %s", tmp, strerror(errno));
    const char *step = "write";
    int ok = write_all(fd, b->data, b->len) == 0;
    if (ok && !(ok = fsync(fd) == 0))
        step = "fsync";
    int saved = errno;
    if (close(fd) != 0 && ok) {
        ok = 0;
        saved = errno;
        step = "close";
    }
    if (ok && !(ok = rename(tmp, path) == 0)) {
        saved = errno;
        step = "rename";
    }
    if (!ok) {
        unlink(tmp);
        return store_errf(err, err_cap, STORE_EIO, "%s: %s: %s", path, step, strerror(saved));
    }
    if (fsync_dir(st->content_dir) != 0)
        return store_errf(err, err_cap, STORE_EIO, "%s: fsync: %s", st->content_dir,
                          strerror(errno));
    return STORE_OK;
}

int store_body_prepare(struct store *st, struct store_body *b, const char *data, size_t len,
                       char *err, size_t err_cap)
{
    b->data = data ? data : "";
    b->len = data ? len : 0;
    b->on_disk = b->len > STORE_INLINE_MAX;
    sha256_hex(b->data, b->len, b->hash);
    return b->on_disk ? content_ensure(st, b, err, err_cap) : STORE_OK;
}

int store_body_attach(struct store_txn *tx, const struct store_body *b, char *err, size_t err_cap)
{
    if (!b->on_disk)
        return STORE_OK;
    /* A concurrent collection may have removed an identical body since prepare; it ran under the
     * write lock we now hold, so after this check the file stays until our row commits. */
    int rc = content_ensure(tx->st, b, err, err_cap);
    if (rc == STORE_OK)
        rc = store_txn_collect(tx, b->hash, err, err_cap);
    return rc;
}

int store_body_bind(sqlite3_stmt *s, int content_idx, int file_idx, const struct store_body *b)
{
    int src;
    if (b->on_disk) {
        src = sqlite3_bind_null(s, content_idx);
        if (src == SQLITE_OK)
            src = sqlite3_bind_text(s, file_idx, b->hash, -1, SQLITE_STATIC);
        return src;
    }
    src = b->len ? sqlite3_bind_blob64(s, content_idx, b->data, b->len, SQLITE_STATIC)
                 : sqlite3_bind_zeroblob(s, content_idx, 0);
    if (src == SQLITE_OK)
        src = sqlite3_bind_null(s, file_idx);
    return src;
}

int store_content_read(struct store *st, const char *hash, uint64_t len, char **out, char *err,
                       size_t err_cap)
{
    *out = NULL;
    char path[4096];
    int rc = content_path(st, hash, path, sizeof path, err, err_cap);
    if (rc != STORE_OK)
        return rc;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return store_errf(err, err_cap, errno == ENOENT ? STORE_ENOTFOUND : STORE_EIO, "%s: %s",
                          path, strerror(errno));
    struct stat sb;
    if (fstat(fd, &sb) != 0 || (uint64_t)sb.st_size != len || len >= SIZE_MAX) {
        close(fd);
        return store_errf(err, err_cap, STORE_EIO, "%s: expected %llu bytes", path,
                          (unsigned long long)len);
    }
    char *buf = malloc((size_t)len + 1);
    if (!buf) {
        close(fd);
        return store_errf(err, err_cap, STORE_ENOMEM, "out of memory for %llu bytes",
                          (unsigned long long)len);
    }
    size_t got = 0;
    while (got < len) {
        ssize_t n = read(fd, buf + got, (size_t)len - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            int saved = n < 0 ? errno : EIO;
            free(buf);
            close(fd);
            return store_errf(err, err_cap, STORE_EIO, "%s: read: %s", path, strerror(saved));
        }
        got += (size_t)n;
    }
    close(fd);
    buf[len] = '\0';
    *out = buf;
    return STORE_OK;
}

/* 1 when a row names hash, 0 when none, or a negative store status. */
static int content_used(struct store_conn *c, const char *hash, char *err, size_t err_cap)
{
    sqlite3_stmt *s = store_stmt(c, STMT_CONTENT_FILE_USED, err, err_cap);
    if (!s)
        return STORE_EIO;
    sqlite3_bind_text(s, 1, hash, -1, SQLITE_STATIC);
    int src = sqlite3_step(s);
    store_stmt_done(s);
    if (src == SQLITE_ROW)
        return 1;
    if (src == SQLITE_DONE)
        return 0;
    return store_sqlite_err(c, src, "looking up a content file", err, err_cap);
}

int store_content_collect(struct store *st, struct store_conn *c, const char *hash, char *err,
                          size_t err_cap)
{
    int used = content_used(c, hash, err, err_cap);
    if (used != 0)
        return used < 0 ? used : STORE_OK;
    char path[4096];
    int rc = content_path(st, hash, path, sizeof path, err, err_cap);
    if (rc == STORE_OK && unlink(path) != 0 && errno != ENOENT)
        rc = store_errf(err, err_cap, STORE_EIO, "%s: unlink: %s", path, strerror(errno));
    return rc;
}

static int is_hash_name(const char *name)
{
    size_t n = strlen(name);
    return n == 64 && strspn(name, "0123456789abcdef") == 64;
}

int store_content_sweep(struct store *st, struct store_conn *c, char *err, size_t err_cap)
{
    DIR *d = opendir(st->content_dir);
    if (!d)
        return store_errf(err, err_cap, STORE_EIO, "%s: %s", st->content_dir, strerror(errno));
    int rc = STORE_OK;
    struct dirent *e;
    while (rc == STORE_OK && (errno = 0, e = readdir(d)) != NULL) {
        if (strncmp(e->d_name, TEMP_PREFIX, strlen(TEMP_PREFIX)) == 0) {
            char path[4096];
            rc = content_path(st, e->d_name, path, sizeof path, err, err_cap);
            if (rc == STORE_OK && unlink(path) != 0 && errno != ENOENT)
                rc = store_errf(err, err_cap, STORE_EIO, "%s: unlink: %s", path,
                                strerror(errno));
        } else if (is_hash_name(e->d_name)) {
            rc = store_content_collect(st, c, e->d_name, err, err_cap);
        }
    }
    if (rc == STORE_OK && errno != 0)
        rc = store_errf(err, err_cap, STORE_EIO, "%s: readdir: %s", st->content_dir,
                        strerror(errno));
    closedir(d);
    return rc;
}
