/* Address classes for the fetch SSRF policy. */
#include "ingest/addr_policy.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

struct v4_range {
    uint32_t net;
    unsigned bits;
    enum addr_class cls;
    const char *kind;
};

#define V4(a, b, c, d) (((uint32_t)(a) << 24) | ((uint32_t)(b) << 16) | ((uint32_t)(c) << 8) | (uint32_t)(d))

static const struct v4_range v4_ranges[] = {
    {V4(0, 0, 0, 0), 8, ADDR_BLOCKED, "unspecified"},
    {V4(10, 0, 0, 0), 8, ADDR_PRIVATE, "private"},
    {V4(100, 64, 0, 0), 10, ADDR_PRIVATE, "shared (CGNAT)"},
    {V4(127, 0, 0, 0), 8, ADDR_PRIVATE, "loopback"},
    {V4(169, 254, 0, 0), 16, ADDR_BLOCKED, "link-local"},
    {V4(172, 16, 0, 0), 12, ADDR_PRIVATE, "private"},
    {V4(192, 0, 0, 0), 24, ADDR_BLOCKED, "reserved"},
    {V4(192, 0, 2, 0), 24, ADDR_BLOCKED, "documentation"},
    {V4(192, 88, 99, 0), 24, ADDR_BLOCKED, "reserved"},
    {V4(192, 168, 0, 0), 16, ADDR_PRIVATE, "private"},
    {V4(198, 18, 0, 0), 15, ADDR_PRIVATE, "benchmarking"},
    {V4(198, 51, 100, 0), 24, ADDR_BLOCKED, "documentation"},
    {V4(203, 0, 113, 0), 24, ADDR_BLOCKED, "documentation"},
    {V4(224, 0, 0, 0), 4, ADDR_BLOCKED, "multicast"},
    {V4(255, 255, 255, 255), 32, ADDR_BLOCKED, "broadcast"},
    {V4(240, 0, 0, 0), 4, ADDR_BLOCKED, "reserved"},
};

static enum addr_class classify_v4(uint32_t a, const char **kind)
{
    for (size_t i = 0; i < sizeof v4_ranges / sizeof v4_ranges[0]; i++) {
        const struct v4_range *r = &v4_ranges[i];
        uint32_t mask = r->bits == 0 ? 0 : ~(uint32_t)0 << (32 - r->bits);
        if ((a & mask) == r->net) {
            *kind = r->kind;
            return r->cls;
        }
    }
    *kind = "public";
    return ADDR_PUBLIC;
}

static uint32_t v4_at(const uint8_t *b)
{
    return ((uint32_t)b[0] << 24) | ((uint32_t)b[1] << 16) | ((uint32_t)b[2] << 8) | b[3];
}

static int prefix_is(const uint8_t *a, const uint8_t *p, unsigned bits)
{
    unsigned full = bits / 8, rest = bits % 8;
    if (memcmp(a, p, full) != 0)
        return 0;
    if (rest == 0)
        return 1;
    uint8_t mask = (uint8_t)(0xFF << (8 - rest));
    return (a[full] & mask) == (p[full] & mask);
}

static enum addr_class classify_v6(const uint8_t *a, const char **kind)
{
    static const uint8_t zero[16] = {0};
    static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF};
    static const uint8_t nat64[12] = {0x00, 0x64, 0xFF, 0x9B};
    static const uint8_t nat64_local[6] = {0x00, 0x64, 0xFF, 0x9B, 0x00, 0x01};
    static const uint8_t sixto4[2] = {0x20, 0x02};
    static const uint8_t teredo[4] = {0x20, 0x01, 0x00, 0x00};
    static const uint8_t doc[4] = {0x20, 0x01, 0x0D, 0xB8};
    static const uint8_t discard[8] = {0x01, 0x00};
    static const uint8_t ula[1] = {0xFC}, linklocal[2] = {0xFE, 0x80}, sitelocal[2] = {0xFE, 0xC0};

    if (memcmp(a, zero, 15) == 0 && (a[15] == 0 || a[15] == 1)) {
        *kind = a[15] ? "loopback" : "unspecified";
        return a[15] ? ADDR_PRIVATE : ADDR_BLOCKED;
    }
    if (prefix_is(a, mapped, 96) || prefix_is(a, nat64, 96))
        return classify_v4(v4_at(a + 12), kind);
    if (prefix_is(a, sixto4, 16))
        return classify_v4(v4_at(a + 2), kind);
    if (prefix_is(a, zero, 96)) {
        *kind = "reserved"; /* deprecated IPv4-compatible form */
        return ADDR_BLOCKED;
    }
    if (prefix_is(a, nat64_local, 48) || prefix_is(a, ula, 7)) {
        *kind = "unique local";
        return ADDR_PRIVATE;
    }
    if (prefix_is(a, sitelocal, 10)) {
        *kind = "site-local";
        return ADDR_PRIVATE;
    }
    if (prefix_is(a, linklocal, 10)) {
        *kind = "link-local";
        return ADDR_BLOCKED;
    }
    if (a[0] == 0xFF) {
        *kind = "multicast";
        return ADDR_BLOCKED;
    }
    if (prefix_is(a, doc, 32) || prefix_is(a, teredo, 32) || prefix_is(a, discard, 64)) {
        *kind = "reserved";
        return ADDR_BLOCKED;
    }
    *kind = "public";
    return ADDR_PUBLIC;
}

enum addr_class addr_classify(const struct sockaddr *sa, socklen_t len, const char **kind)
{
    const char *k = "unknown family";
    enum addr_class c = ADDR_BLOCKED;
    if (sa && sa->sa_family == AF_INET && len >= (socklen_t)sizeof(struct sockaddr_in)) {
        struct sockaddr_in in;
        memcpy(&in, sa, sizeof in);
        c = classify_v4(ntohl(in.sin_addr.s_addr), &k);
    } else if (sa && sa->sa_family == AF_INET6 && len >= (socklen_t)sizeof(struct sockaddr_in6)) {
        struct sockaddr_in6 in6;
        memcpy(&in6, sa, sizeof in6);
        c = classify_v6(in6.sin6_addr.s6_addr, &k);
    }
    if (kind)
        *kind = k;
    return c;
}

int addr_policy_allows(const struct sockaddr *sa, socklen_t len, int allow_private, char *why,
                       size_t why_cap)
{
    const char *kind;
    enum addr_class c = addr_classify(sa, len, &kind);
    if (c == ADDR_PUBLIC || (c == ADDR_PRIVATE && allow_private))
        return 1;
    char text[INET6_ADDRSTRLEN] = "?";
    if (sa && sa->sa_family == AF_INET && len >= (socklen_t)sizeof(struct sockaddr_in)) {
        struct sockaddr_in in;
        memcpy(&in, sa, sizeof in);
        inet_ntop(AF_INET, &in.sin_addr, text, sizeof text);
    } else if (sa && sa->sa_family == AF_INET6 && len >= (socklen_t)sizeof(struct sockaddr_in6)) {
        struct sockaddr_in6 in6;
        memcpy(&in6, sa, sizeof in6);
        inet_ntop(AF_INET6, &in6.sin6_addr, text, sizeof text);
    }
    snprintf(why, why_cap, "%s is not a public address (%s%s)", text, kind,
             c == ADDR_PRIVATE ? "; private targets are not allowed" : "");
    return 0;
}
