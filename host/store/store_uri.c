#include "store/store_uri.h"

#include <string.h>

#include "store/store_db.h"

const char *const store_scope_names[STORE_SCOPE_COUNT] = {"agent", "resources", "user"};

int store_uri_check(const char *uri, char *err, size_t err_cap)
{
    if (!uri)
        return store_errf(err, err_cap, STORE_EINVAL, "missing uri");
    size_t len = strlen(uri);
    if (strncmp(uri, STORE_ROOT_URI, STORE_ROOT_LEN) != 0)
        return store_errf(err, err_cap, STORE_EINVAL, "'%.200s' is not a viking:// URI", uri);
    if (len > STORE_URI_MAX)
        return store_errf(err, err_cap, STORE_EINVAL, "URI longer than %d bytes", STORE_URI_MAX);
    if (len == STORE_ROOT_LEN)
        return STORE_OK;
    const char *rest = uri + STORE_ROOT_LEN;
    if (rest[0] == '/' || uri[len - 1] == '/' || strstr(rest, "//"))
        return store_errf(err, err_cap, STORE_EINVAL, "'%.200s' is not canonical (empty segment)",
                          uri);
    return STORE_OK;
}

size_t store_uri_parent_len(const char *uri, size_t len)
{
    if (len <= STORE_ROOT_LEN)
        return 0;
    size_t i = len;
    while (i > STORE_ROOT_LEN && uri[i - 1] != '/')
        i--;
    /* A scope root's parent is the root, whose URI keeps its "//". */
    return i > STORE_ROOT_LEN ? i - 1 : STORE_ROOT_LEN;
}

const char *store_uri_name(const char *uri, size_t len)
{
    size_t p = store_uri_parent_len(uri, len);
    if (p == 0)
        return uri + len;
    return uri + (p == STORE_ROOT_LEN ? p : p + 1);
}

int store_uri_is_implicit(const char *uri, size_t len)
{
    if (len < STORE_ROOT_LEN || strncmp(uri, STORE_ROOT_URI, STORE_ROOT_LEN) != 0)
        return 0;
    if (len == STORE_ROOT_LEN)
        return 1;
    for (int i = 0; i < STORE_SCOPE_COUNT; i++) {
        size_t n = strlen(store_scope_names[i]);
        if (len == STORE_ROOT_LEN + n && memcmp(uri + STORE_ROOT_LEN, store_scope_names[i], n) == 0)
            return 1;
    }
    return 0;
}

int store_uri_is_under(const char *uri, const char *prefix)
{
    size_t n = strlen(prefix);
    if (strncmp(uri, prefix, n) != 0)
        return 0;
    if (n == STORE_ROOT_LEN)
        return 1;
    return uri[n] == '\0' || uri[n] == '/';
}
