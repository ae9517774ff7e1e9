/* The temp upload folder: random ids, name sidecars, write-then-rename, TTL sweep. */
#include "ingest/upload_store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ingest/ingest_status.h"

#define ID_PREFIX "upload_"
#define ID_HEX 32
#define PART_SUFFIX ".part"
#define NAME_SUFFIX ".name"

static int uploads_dir(const char *data_dir, char *out, size_t cap, char *err, size_t err_cap)
{
    int n = snprintf(out, cap, "%s/uploads", data_dir);
    if (n < 0 || (size_t)n >= cap) {
        snprintf(err, err_cap, "data dir path is too long");
        return INGEST_EINVAL;
    }
    return INGEST_OK;
}

/* The last path component of filename: clients send "C:\\dir\\a.md" as well as "dir/a.md". */
static const char *base_of(const char *filename)
{
    const char *base = filename;
    for (const char *s = filename; *s; s++)
        if (*s == '/' || *s == '\\')
            base = s + 1;
    return base;
}

/* The lower-cased alphanumeric characters of filename's extension, at most UPLOAD_EXT_MAX. */
static void sanitized_ext(const char *filename, char *out)
{
    out[0] = '\0';
    if (!filename)
        return;
    const char *base = base_of(filename);
    const char *dot = strrchr(base, '.');
    if (!dot || dot == base)
        return;
    size_t n = 0;
    for (const char *s = dot + 1; *s && n < UPLOAD_EXT_MAX; s++) {
        char c = *s;
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
            out[n++] = c;
    }
    out[n] = '\0';
}

static int random_hex(char out[ID_HEX + 1], char *err, size_t err_cap)
{
    unsigned char raw[ID_HEX / 2];
    size_t got = 0;
    while (got < sizeof raw) {
        ssize_t n = getrandom(raw + got, sizeof raw - got, 0);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            snprintf(err, err_cap, "getrandom: %s", strerror(errno));
            return INGEST_EIO;
        }
        got += (size_t)n;
    }
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < sizeof raw; i++) {
        out[2 * i] = digits[raw[i] >> 4];
        out[2 * i + 1] = digits[raw[i] & 15];
    }
    out[ID_HEX] = '\0';
    return INGEST_OK;
}

int upload_writer_begin(struct upload_writer *w, const char *data_dir, const char *filename,
                        uint64_t max_bytes, char *err, size_t err_cap)
{
    memset(w, 0, sizeof *w);
    w->fd = -1;
    w->max_bytes = max_bytes;
    char dir[PATH_MAX], ext[UPLOAD_EXT_MAX + 1], hex[ID_HEX + 1];
    int rc = uploads_dir(data_dir, dir, sizeof dir, err, err_cap);
    if (rc != INGEST_OK)
        return rc;
    if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
        snprintf(err, err_cap, "cannot create %s: %s", dir, strerror(errno));
        return INGEST_EIO;
    }
    if ((rc = random_hex(hex, err, err_cap)) != INGEST_OK)
        return rc;
    sanitized_ext(filename, ext);
    snprintf(w->id, sizeof w->id, ID_PREFIX "%s%s%s", hex, ext[0] ? "." : "", ext);
    /* A name longer than any file name is not one a client really had: keep none. */
    if (filename && strlen(base_of(filename)) < sizeof w->name)
        strcpy(w->name, base_of(filename));
    int a = snprintf(w->final_path, sizeof w->final_path, "%s/%s", dir, w->id);
    int b = snprintf(w->tmp_path, sizeof w->tmp_path, "%s/.%s" PART_SUFFIX, dir, w->id);
    int c = snprintf(w->name_path, sizeof w->name_path, "%s/.%s" NAME_SUFFIX, dir, w->id);
    if (a < 0 || b < 0 || c < 0 || (size_t)a >= sizeof w->final_path ||
        (size_t)b >= sizeof w->tmp_path || (size_t)c >= sizeof w->name_path) {
        snprintf(err, err_cap, "data dir path is too long");
        w->tmp_path[0] = '\0';
        w->name_path[0] = '\0';
        return INGEST_EINVAL;
    }
    if (!w->name[0])
        w->name_path[0] = '\0'; /* no name, no sidecar */
    w->fd = open(w->tmp_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (w->fd < 0) {
        snprintf(err, err_cap, "cannot create %s: %s", w->tmp_path, strerror(errno));
        w->tmp_path[0] = '\0';
        w->name_path[0] = '\0';
        return INGEST_EIO;
    }
    return INGEST_OK;
}

/* Writes the name sidecar. Not synced: it is only a display name, and if a power cut loses it
 * the import falls back to naming the resource after the id. */
static int write_name(const struct upload_writer *w, char *err, size_t err_cap)
{
    int fd = open(w->name_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        snprintf(err, err_cap, "cannot create %s: %s", w->name_path, strerror(errno));
        return INGEST_EIO;
    }
    const char *p = w->name;
    size_t left = strlen(w->name);
    while (left > 0) {
        ssize_t n = write(fd, p, left);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            snprintf(err, err_cap, "cannot write %s: %s", w->name_path, strerror(errno));
            close(fd);
            return INGEST_EIO;
        }
        p += n;
        left -= (size_t)n;
    }
    if (close(fd) != 0) {
        snprintf(err, err_cap, "cannot close %s: %s", w->name_path, strerror(errno));
        return INGEST_EIO;
    }
    return INGEST_OK;
}

int upload_writer_write(struct upload_writer *w, const void *data, size_t len, char *err,
                        size_t err_cap)
{
    if (w->fd < 0) {
        snprintf(err, err_cap, "upload is not open");
        return INGEST_EINVAL;
    }
    if (w->max_bytes && (len > w->max_bytes || w->written > w->max_bytes - len)) {
        snprintf(err, err_cap, "upload is over the %llu-byte limit",
                 (unsigned long long)w->max_bytes);
        return INGEST_ETOOBIG;
    }
    const unsigned char *p = data;
    size_t left = len;
    while (left > 0) {
        ssize_t n = write(w->fd, p, left);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            snprintf(err, err_cap, "cannot write %s: %s", w->tmp_path, strerror(errno));
            return INGEST_EIO;
        }
        p += n;
        left -= (size_t)n;
    }
    w->written += len;
    return INGEST_OK;
}

int upload_writer_commit(struct upload_writer *w, char *id_out, size_t id_cap, char *err,
                         size_t err_cap)
{
    if (w->fd < 0) {
        snprintf(err, err_cap, "upload is not open");
        return INGEST_EINVAL;
    }
    if (id_cap <= strlen(w->id)) {
        snprintf(err, err_cap, "id buffer is too small");
        upload_writer_abort(w);
        return INGEST_EINVAL;
    }
    /* Synced before the rename: after a power cut the id names complete bytes or nothing. */
    if (fdatasync(w->fd) != 0) {
        snprintf(err, err_cap, "cannot sync %s: %s", w->tmp_path, strerror(errno));
        upload_writer_abort(w);
        return INGEST_EIO;
    }
    int fd = w->fd;
    w->fd = -1;
    if (close(fd) != 0) {
        snprintf(err, err_cap, "cannot close %s: %s", w->tmp_path, strerror(errno));
        upload_writer_abort(w);
        return INGEST_EIO;
    }
    /* Before the rename: an id never exists without its name. */
    if (w->name_path[0]) {
        int rc = write_name(w, err, err_cap);
        if (rc != INGEST_OK) {
            upload_writer_abort(w);
            return rc;
        }
    }
    if (rename(w->tmp_path, w->final_path) != 0) {
        snprintf(err, err_cap, "cannot rename %s: %s", w->tmp_path, strerror(errno));
        upload_writer_abort(w);
        return INGEST_EIO;
    }
    w->tmp_path[0] = '\0';
    w->name_path[0] = '\0';
    strcpy(id_out, w->id);
    return INGEST_OK;
}

void upload_writer_abort(struct upload_writer *w)
{
    if (w->fd >= 0) {
        close(w->fd);
        w->fd = -1;
    }
    if (w->tmp_path[0]) {
        unlink(w->tmp_path);
        w->tmp_path[0] = '\0';
    }
    /* Before commit writes it the sidecar does not exist (ENOENT): the random id makes its
     * path ours alone, so unlinking it unconditionally removes nothing else. */
    if (w->name_path[0]) {
        unlink(w->name_path);
        w->name_path[0] = '\0';
    }
}

int upload_store_save(const char *data_dir, const char *filename, const void *bytes, size_t len,
                      uint64_t max_bytes, char *id_out, size_t id_cap, char *err, size_t err_cap)
{
    struct upload_writer w;
    int rc = upload_writer_begin(&w, data_dir, filename, max_bytes, err, err_cap);
    if (rc == INGEST_OK)
        rc = upload_writer_write(&w, bytes, len, err, err_cap);
    if (rc == INGEST_OK)
        return upload_writer_commit(&w, id_out, id_cap, err, err_cap);
    upload_writer_abort(&w);
    return rc;
}

/* Length of the id at the start of s ("upload_<hex>[.<ext>]"), or 0 when s does not start
 * with one. */
static size_t id_prefix_len(const char *s)
{
    if (strncmp(s, ID_PREFIX, sizeof ID_PREFIX - 1) != 0)
        return 0;
    size_t i = sizeof ID_PREFIX - 1;
    for (size_t k = 0; k < ID_HEX; k++, i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return 0;
    if (s[i] != '.')
        return i;
    size_t n = 0;
    while ((s[i + 1 + n] >= 'a' && s[i + 1 + n] <= 'z') ||
           (s[i + 1 + n] >= '0' && s[i + 1 + n] <= '9'))
        n++;
    return n >= 1 && n <= UPLOAD_EXT_MAX ? i + 1 + n : i;
}

int upload_store_check_id(const char *id, char *err, size_t err_cap)
{
    if (!id || !id[0]) {
        snprintf(err, err_cap, "empty temp_file_id");
        return INGEST_EDENIED;
    }
    if (strchr(id, '/') || strchr(id, '\\') || strstr(id, "..")) {
        snprintf(err, err_cap, "temp_file_id must be a plain file name (no '/', '\\' or '..')");
        return INGEST_EDENIED;
    }
    size_t n = id_prefix_len(id);
    if (n == 0 || id[n] != '\0') {
        snprintf(err, err_cap, "invalid temp_file_id");
        return INGEST_EDENIED;
    }
    return INGEST_OK;
}

int upload_store_resolve(const char *data_dir, const char *id, int64_t ttl_s, char *path_out,
                         size_t path_cap, char *err, size_t err_cap)
{
    int rc = upload_store_check_id(id, err, err_cap);
    if (rc != INGEST_OK)
        return rc;
    char dir[PATH_MAX];
    if ((rc = uploads_dir(data_dir, dir, sizeof dir, err, err_cap)) != INGEST_OK)
        return rc;
    int n = snprintf(path_out, path_cap, "%s/%s", dir, id);
    if (n < 0 || (size_t)n >= path_cap) {
        snprintf(err, err_cap, "upload path is too long");
        return INGEST_EINVAL;
    }
    struct stat st;
    if (lstat(path_out, &st) != 0) {
        if (errno != ENOENT) {
            snprintf(err, err_cap, "cannot stat %s: %s", path_out, strerror(errno));
            return INGEST_EIO;
        }
        snprintf(err, err_cap, "unknown temp_file_id %s", id);
        return INGEST_ENOTFOUND;
    }
    if (!S_ISREG(st.st_mode)) {
        snprintf(err, err_cap, "temp_file_id %s is not an upload", id);
        return INGEST_EDENIED;
    }
    if (ttl_s > 0 && (int64_t)time(NULL) - (int64_t)st.st_mtime > ttl_s) {
        snprintf(err, err_cap, "temp_file_id %s has expired", id);
        return INGEST_ENOTFOUND;
    }
    return INGEST_OK;
}

int upload_store_original_name(const char *data_dir, const char *id, char *out, size_t cap,
                               char *err, size_t err_cap)
{
    int rc = upload_store_check_id(id, err, err_cap);
    if (rc != INGEST_OK)
        return rc;
    char dir[PATH_MAX], path[PATH_MAX];
    if ((rc = uploads_dir(data_dir, dir, sizeof dir, err, err_cap)) != INGEST_OK)
        return rc;
    int n = snprintf(path, sizeof path, "%s/.%s" NAME_SUFFIX, dir, id);
    if (n < 0 || (size_t)n >= sizeof path) {
        snprintf(err, err_cap, "upload path is too long");
        return INGEST_EINVAL;
    }
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
        if (errno != ENOENT) {
            snprintf(err, err_cap, "cannot open %s: %s", path, strerror(errno));
            return INGEST_EIO;
        }
        snprintf(err, err_cap, "temp_file_id %s has no original name", id);
        return INGEST_ENOTFOUND;
    }
    /* One byte more than fits, to tell a name that is too long from one that fills out. */
    size_t got = 0;
    rc = INGEST_OK;
    while (got < cap) {
        ssize_t r = read(fd, out + got, cap - got);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            snprintf(err, err_cap, "cannot read %s: %s", path, strerror(errno));
            rc = INGEST_EIO;
            break;
        }
        if (r == 0)
            break;
        got += (size_t)r;
    }
    if (close(fd) != 0 && rc == INGEST_OK) {
        snprintf(err, err_cap, "cannot close %s: %s", path, strerror(errno));
        rc = INGEST_EIO;
    }
    if (rc != INGEST_OK)
        return rc;
    if (got == cap) {
        snprintf(err, err_cap, "original name of %s is too long", id);
        return INGEST_EINVAL;
    }
    out[got] = '\0';
    if (got == 0) {
        snprintf(err, err_cap, "temp_file_id %s has no original name", id);
        return INGEST_ENOTFOUND;
    }
    return INGEST_OK;
}

/* Whether name is "." + an id + suffix; the id into id_out. The suffix is cut off first:
 * otherwise ".part" or ".name" after an id without extension would read as its extension. */
static int is_hidden_of_id(const char *name, const char *suffix, char id_out[UPLOAD_ID_MAX])
{
    size_t len = strlen(name), sl = strlen(suffix);
    if (name[0] != '.' || len < 1 + sl || len - 1 - sl >= UPLOAD_ID_MAX ||
        strcmp(name + len - sl, suffix) != 0)
        return 0;
    size_t n = len - 1 - sl;
    memcpy(id_out, name + 1, n);
    id_out[n] = '\0';
    return n > 0 && id_prefix_len(id_out) == n;
}

/* Removes dir/name when it is a regular file older than ttl_s (any age when ttl_s < 0);
 * counts it in *removed. */
static int sweep_file(int dfd, const char *dir, const char *name, int64_t now, int64_t ttl_s,
                      size_t *removed, char *err, size_t err_cap)
{
    struct stat st;
    if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode))
        return INGEST_OK;
    if (ttl_s >= 0 && now - (int64_t)st.st_mtime <= ttl_s)
        return INGEST_OK;
    if (unlinkat(dfd, name, 0) == 0) {
        (*removed)++;
    } else if (errno != ENOENT) {
        snprintf(err, err_cap, "cannot remove %s/%s: %s", dir, name, strerror(errno));
        return INGEST_EIO;
    }
    return INGEST_OK;
}

int upload_store_sweep(const char *data_dir, int64_t ttl_s, size_t *removed, char *err,
                       size_t err_cap)
{
    if (removed)
        *removed = 0;
    char dir[PATH_MAX];
    int rc = uploads_dir(data_dir, dir, sizeof dir, err, err_cap);
    if (rc != INGEST_OK)
        return rc;
    DIR *d = opendir(dir);
    if (!d) {
        if (errno == ENOENT)
            return INGEST_OK;
        snprintf(err, err_cap, "cannot open %s: %s", dir, strerror(errno));
        return INGEST_EIO;
    }
    int64_t now = (int64_t)time(NULL);
    int dfd = dirfd(d);
    size_t count = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        char id[UPLOAD_ID_MAX], sidecar[1 + sizeof e->d_name + sizeof NAME_SUFFIX];
        struct stat st;
        size_t before = count;
        int one = INGEST_OK;
        size_t n = id_prefix_len(e->d_name);
        if (n > 0 && e->d_name[n] == '\0') {
            one = sweep_file(dfd, dir, e->d_name, now, ttl_s, &count, err, err_cap);
            /* The upload went (it was counted): its name goes with it, whatever its age. */
            if (one == INGEST_OK && count > before) {
                snprintf(sidecar, sizeof sidecar, ".%s" NAME_SUFFIX, e->d_name);
                one = sweep_file(dfd, dir, sidecar, now, -1, &count, err, err_cap);
            }
        } else if (is_hidden_of_id(e->d_name, PART_SUFFIX, id)) {
            one = sweep_file(dfd, dir, e->d_name, now, ttl_s, &count, err, err_cap);
        } else if (is_hidden_of_id(e->d_name, NAME_SUFFIX, id)) {
            /* A name whose upload still exists goes with that upload; an orphan (a crash
             * between sidecar and rename) goes like an upload, once past the TTL. */
            if (fstatat(dfd, id, &st, AT_SYMLINK_NOFOLLOW) != 0 && errno == ENOENT)
                one = sweep_file(dfd, dir, e->d_name, now, ttl_s, &count, err, err_cap);
        }
        if (one != INGEST_OK)
            rc = one;
    }
    closedir(d);
    if (removed)
        *removed = count;
    return rc;
}
