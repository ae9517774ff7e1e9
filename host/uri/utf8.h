/* UTF-8 decoding for the URI and name rules: strict (no overlong forms, surrogates or values past
 * U+10FFFF). */
#ifndef SKALD_URI_UTF8_H
#define SKALD_URI_UTF8_H

#include <stddef.h>

/* Length (2..4) of the valid multi-byte sequence starting at p, with its code point in *cp; 0 if
 * p does not start one. Reads past p only while the continuation bytes are valid, so a NUL ends
 * the look-ahead. */
size_t viking_utf8_sequence(const unsigned char *p, unsigned *cp);

#endif
