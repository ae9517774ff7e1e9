/*
 * Status codes shared by the import modules (host/ingest/): every public function returns one,
 * plus a message in a buffer the caller owns. ingest_status_code() names the OpenViking error
 * code a route answers with (its HTTP status comes from http_error_status()).
 */
#ifndef SKALD_INGEST_STATUS_H
#define SKALD_INGEST_STATUS_H

enum ingest_status {
    INGEST_OK = 0,
    INGEST_EINVAL = -1,       /* malformed input: multipart syntax, a damaged zip, a bad URL */
    INGEST_EDENIED = -2,      /* refused: an invalid upload id, a non-public address */
    INGEST_ENOTFOUND = -3,    /* a well-formed upload id with no file (expired or never made) */
    INGEST_ETOOBIG = -4,      /* a size or count limit was exceeded */
    INGEST_EUNSAFE = -5,      /* a zip member escaping the root, a symlink, an encrypted member */
    INGEST_EUNSUPPORTED = -6, /* a file type that cannot be imported, under `strict` */
    INGEST_EEXIST = -7,       /* the same path twice in one import tree */
    INGEST_ETIMEDOUT = -8,    /* a URL fetch ran past its time limit */
    INGEST_EFETCH = -9,       /* a URL fetch failed: DNS, connection, HTTP status >= 400 */
    INGEST_ECANCELLED = -10,  /* the caller's cancel flag was raised */
    INGEST_EIO = -11,         /* disk or library failure */
    INGEST_ENOMEM = -12
};

/* The OpenViking error code for a status: INVALID_ARGUMENT, PERMISSION_DENIED,
 * PAYLOAD_TOO_LARGE, DEADLINE_EXCEEDED, ... ("INTERNAL" for EIO/ENOMEM and unknown values). */
const char *ingest_status_code(int status);

#endif
