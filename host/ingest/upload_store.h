/*
 * The temp upload folder, <data_dir>/uploads/: what POST /api/v1/resources/temp_upload saves and
 * a later POST /api/v1/resources names by its temp_file_id. Ids are "upload_<32 hex>.<ext>":
 * random (not guessable, not bound to the uploader, as upstream) with the original file's
 * sanitised extension, so a resolved file still says its type.
 *
 * A file appears under its id only complete: bytes go to a hidden ".upload_<hex>.<ext>.part",
 * are synced, then renamed. A crash leaves at most a .part file, which the sweep removes once
 * older than the TTL. Every call does disk I/O: worker threads only. Thread-safe (no state).
 *
 * The original file name (its last path component) is kept beside the upload in a hidden
 * sidecar ".<id>.name", written before the rename so an id never exists without it; it is only
 * a display name (the default source_name of an import) and never part of a path here.
 */
#ifndef SKALD_INGEST_UPLOAD_STORE_H
#define SKALD_INGEST_UPLOAD_STORE_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#define UPLOAD_EXT_MAX 16                      /* longest kept extension */
#define UPLOAD_ID_MAX (7 + 32 + 1 + UPLOAD_EXT_MAX + 1)
#define UPLOAD_TTL_DEFAULT_S (12 * 3600)       /* server.temp_upload.ttl_seconds upstream */
#define UPLOAD_NAME_MAX (NAME_MAX + 1)         /* longest kept original name, with its NUL */

/* One upload being written. Fill it with upload_writer_begin(); end it with exactly one of
 * upload_writer_commit() or upload_writer_abort() (abort is also safe after either). */
struct upload_writer {
    int fd;
    uint64_t written, max_bytes;
    char id[UPLOAD_ID_MAX];
    char tmp_path[PATH_MAX];
    char final_path[PATH_MAX];
    char name[UPLOAD_NAME_MAX];      /* original name; "" for none (no sidecar) */
    char name_path[PATH_MAX];        /* its sidecar; "" once committed or when none */
};

/* Creates <data_dir>/uploads if needed and opens a new hidden .part file for an upload whose
 * original name is `filename` (NULL or "" for none): its extension goes into the id, its last
 * path component into the sidecar (none when that is empty or longer than NAME_MAX). max_bytes
 * bounds what upload_writer_write() accepts (0 = no limit). */
int upload_writer_begin(struct upload_writer *w, const char *data_dir, const char *filename,
                        uint64_t max_bytes, char *err, size_t err_cap);
/* Appends bytes. INGEST_ETOOBIG once the total would pass max_bytes (nothing of this chunk is
 * written); the caller then aborts. */
int upload_writer_write(struct upload_writer *w, const void *data, size_t len, char *err,
                        size_t err_cap);
/* Syncs and closes the file, writes the name sidecar, renames the file to its id; copies the id
 * to id_out (cap >= UPLOAD_ID_MAX). On failure the .part file and the sidecar are removed. */
int upload_writer_commit(struct upload_writer *w, char *id_out, size_t id_cap, char *err,
                         size_t err_cap);
/* Closes and removes the .part file (and any sidecar) of an unfinished upload. */
void upload_writer_abort(struct upload_writer *w);

/* begin + write + commit of a buffered upload; on any failure nothing is left behind. */
int upload_store_save(const char *data_dir, const char *filename, const void *bytes, size_t len,
                      uint64_t max_bytes, char *id_out, size_t id_cap, char *err, size_t err_cap);

/* Whether id has the generated form (so holds no '/', '\\' or ".."): INGEST_OK or
 * INGEST_EDENIED. */
int upload_store_check_id(const char *id, char *err, size_t err_cap);

/* The path of upload `id` into path_out. INGEST_EDENIED for an id not of the generated form;
 * INGEST_ENOTFOUND when no such upload exists or it is older than ttl_s (0 = no age check).
 * Routes answer both with 403 PERMISSION_DENIED, as upstream. */
int upload_store_resolve(const char *data_dir, const char *id, int64_t ttl_s, char *path_out,
                         size_t path_cap, char *err, size_t err_cap);

/* The original file name of upload `id` into out. INGEST_EDENIED for an id not of the
 * generated form; INGEST_ENOTFOUND when it has no (or an empty) sidecar, e.g. an upload made
 * before names were kept; INGEST_EINVAL when the name does not fit in cap. */
int upload_store_original_name(const char *data_dir, const char *id, char *out, size_t cap,
                               char *err, size_t err_cap);

/* Removes uploads and leftover .part files last modified more than ttl_s seconds ago, each
 * upload with its name sidecar, and sidecars left without an upload once past ttl_s; counts the
 * removed files in *removed (may be NULL). A missing folder is not an error. */
int upload_store_sweep(const char *data_dir, int64_t ttl_s, size_t *removed, char *err,
                       size_t err_cap);

#endif
