/* SHA-256 (FIPS 180-4), for content hashes and for keeping API keys only as hashes. */
#ifndef SKALD_CORE_SHA256_H
#define SKALD_CORE_SHA256_H

#include <stddef.h>
#include <stdint.h>

struct sha256 {
    uint32_t h[8];
    uint64_t total;    /* bytes hashed so far */
    uint8_t block[64];
    size_t used;       /* bytes waiting in block */
};

void sha256_init(struct sha256 *s);
void sha256_update(struct sha256 *s, const void *data, size_t len);
void sha256_final(struct sha256 *s, uint8_t digest[32]);

/* The hex digest of data, lower case, NUL-terminated. */
void sha256_hex(const void *data, size_t len, char out[65]);

#endif
