/*
 * The temp upload folder, <data_dir>/uploads/: what POST /api/v1/resources/temp_upload saves and
 * a later POST /api/v1/resources names by its temp_file_id. Ids are "upload_<32 hex>.<ext>":
 * random (not guessable, not bound to the uploader, as upstream) with the original file's
 * sanitised extension, so a resolved file still says its type.
 *
 * A file appears under its id only complete: bytes go to a hidden ".upload_<hex>.<ext>.part",
 * are synced, then renamed. A crash leaves at most a .part file, which the sweep removes once
 * older than the TTL. Every call does disk I/O: worker threads only. Thread-safe (no state).
 */
#ifndef SKALD_INGEST_UPLOAD_STORE_H
#define SKALD_INGEST_UPLOAD_STORE_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#define UPLOAD_EXT_MAX 16                      /* longest kept extension */
#define UPLOAD_ID_MAX (7 + 32 + 1 + UPLOAD_EXT_MAX + 1)
#define UPLOAD_TTL_DEFAULT_S (12 * 3600)       /* server.temp_upload.ttl_seconds upstream */

/* One upload being written. Fill it with upload_writer_begin(); end it with exactly one of
 * upload_writer_commit() or upload_writer_abort() (abort is also safe after either). */
struct upload_writer {
    int fd;
    uint64_t written, max_bytes;
    char id[UPLOAD_ID_MAX];
    char tmp_path[PATH_MAX];
    char final_path[PATH_MAX];
};

/* Creates <data_dir>/uploads if needed and opens a new hidden .part file for an upload whose
 * original name is `filename` (only its extension is used; NULL or "" for none). max_bytes
 * bounds what upload_writer_write() accepts (0 = no limit). */
int upload_writer_begin(struct upload_writer *w, const char *data_dir, const char *filename,
                        uint64_t max_bytes, char *err, size_t err_cap);
/* Appends bytes. INGEST_ETOOBIG once the total would pass max_bytes (nothing of this chunk is
 * written); the caller then aborts. */
int upload_writer_write(struct upload_writer *w, const void *data, size_t len, char *err,
                        size_t err_cap);
/* Syncs, closes and renames the file to its id; copies the id to id_out (cap >= UPLOAD_ID_MAX).
 * On failure the .part file is removed. */
int upload_writer_commit(struct upload_writer *w, char *id_out, size_t id_cap, char *err,
                         size_t err_cap);
/* Closes and removes the .part file of an unfinished upload. */
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

/* Removes uploads and leftover .part files last modified more than ttl_s seconds ago; counts
 * them in *removed (may be NULL). A missing folder is not an error. */
int upload_store_sweep(const char *data_dir, int64_t ttl_s, size_t *removed, char *err,
                       size_t err_cap);

#endif
