/*
 * Which network addresses a server-side fetch may connect to (SSRF defence). Pure functions of
 * the address: any thread.
 *
 * Three classes:
 *  - public: fetched freely;
 *  - private: loopback (127/8, ::1), RFC 1918 (10/8, 172.16/12, 192.168/16), shared CGNAT space
 *    (100.64/10), benchmarking (198.18/15), unique local (fc00::/7) and site-local (fec0::/10)
 *    IPv6: fetched only when the configuration allows private targets (an intranet docs server);
 *  - blocked: unspecified (0/8, ::), link-local (169.254/16 including the cloud metadata address
 *    169.254.169.254, fe80::/10), multicast, broadcast and reserved or documentation ranges:
 *    never, whatever the configuration, because no document lives there and the metadata
 *    service is the classic SSRF prize.
 * IPv6 forms that carry an IPv4 address (IPv4-mapped ::ffff:a.b.c.d, NAT64 64:ff9b::/96, 6to4
 * 2002::/16) are judged by that IPv4 address.
 */
#ifndef SKALD_INGEST_ADDR_POLICY_H
#define SKALD_INGEST_ADDR_POLICY_H

#include <stddef.h>
#include <sys/socket.h>

enum addr_class { ADDR_PUBLIC = 0, ADDR_PRIVATE = 1, ADDR_BLOCKED = 2 };

/* Classifies an AF_INET or AF_INET6 address; *kind (may be NULL) gets a word for messages
 * ("loopback", "private", "link-local", "unspecified", "multicast", "reserved", "public", ...).
 * Any other family is ADDR_BLOCKED. */
enum addr_class addr_classify(const struct sockaddr *sa, socklen_t len, const char **kind);

/* Whether a fetch may connect to sa: 1 yes; 0 no, with why set to e.g. "127.0.0.1 is not a
 * public address (loopback; private targets are not allowed)". */
int addr_policy_allows(const struct sockaddr *sa, socklen_t len, int allow_private, char *why,
                       size_t why_cap);

#endif
