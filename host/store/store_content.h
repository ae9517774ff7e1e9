/*
 * File bodies: hashing, and bodies over STORE_INLINE_MAX kept on disk as
 * <data_dir>/content/<sha256> (content-addressed, so identical bodies share one file). A file is
 * written durably before the row that names it commits, and removed once no row names it any
 * more.
 */
#ifndef SKALD_STORE_CONTENT_H
#define SKALD_STORE_CONTENT_H

#include <stddef.h>
#include <stdint.h>

#include "store/store_db.h"

#define STORE_INLINE_MAX (1024 * 1024) /* larger bodies live on disk */

/* A body about to be stored. data is borrowed from the caller. */
struct store_body {
    const char *data;
    size_t len;
    char hash[65]; /* hex SHA-256 */
    int on_disk;   /* len > STORE_INLINE_MAX */
};

/* Hashes the body and, when it goes to disk, writes content/<hash> (temp file, fsync, rename,
 * fsync of the folder); nothing is written when that file is already there. */
int store_body_prepare(struct store *st, struct store_body *b, const char *data, size_t len,
                       char *err, size_t err_cap);
/* Inside the transaction that stores b: makes sure its file is (still) there, and names it for
 * collection so that a rolled-back transaction leaves no unreferenced file. */
int store_body_attach(struct store_txn *tx, const struct store_body *b, char *err, size_t err_cap);
/* Binds b as the content (?content_idx, inline BLOB or NULL) and content_file (?file_idx). */
int store_body_bind(sqlite3_stmt *s, int content_idx, int file_idx, const struct store_body *b);

/* Reads content/<hash>, which must hold len bytes, into a malloc'ed buffer with a NUL after the
 * bytes (owned by the caller). STORE_ENOTFOUND when the file is gone. */
int store_content_read(struct store *st, const char *hash, uint64_t len, char **out, char *err,
                       size_t err_cap);
/* Removes content/<hash> unless a row names it. The caller holds the write lock. */
int store_content_collect(struct store *st, struct store_conn *c, const char *hash, char *err,
                          size_t err_cap);
/* At open, before anyone else uses the store: removes temp files and bodies no row names (left
 * by a crash between writing a file and committing or removing its row). */
int store_content_sweep(struct store *st, struct store_conn *c, char *err, size_t err_cap);

#endif
