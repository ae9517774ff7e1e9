/*
 * skald-jsonq PATH < doc.json: prints the value at PATH (".a.b[2].c"); strings bare, others as
 * compact JSON. Exit 1 if the path is absent or the input is not JSON. For test scripts.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
    if (argc != 2 || argv[1][0] != '.') {
        fprintf(stderr, "usage: skald-jsonq .path.to[0].value < file.json\n");
        return 2;
    }
    json_error_t jerr;
    json_t *doc = json_loadf(stdin, 0, &jerr);
    if (!doc) {
        fprintf(stderr, "skald-jsonq: not JSON: %s\n", jerr.text);
        return 1;
    }
    json_t *cur = doc;
    const char *p = argv[1];
    while (*p && cur) {
        if (*p == '.') {
            p++;
            if (!*p)
                break;
            size_t n = strcspn(p, ".[");
            char key[256];
            snprintf(key, sizeof key, "%.*s", (int)n, p);
            cur = json_object_get(cur, key);
            p += n;
        } else if (*p == '[') {
            char *end = NULL;
            long idx = strtol(p + 1, &end, 10);
            if (!end || *end != ']')
                cur = NULL;
            else {
                cur = json_array_get(cur, (size_t)idx);
                p = end + 1;
            }
        } else {
            cur = NULL;
        }
    }
    int rc = 1;
    if (cur) {
        if (json_is_string(cur)) {
            puts(json_string_value(cur));
        } else {
            char *s = json_dumps(cur, JSON_COMPACT | JSON_ENCODE_ANY);
            if (s)
                puts(s);
            free(s);
        }
        rc = 0;
    }
    json_decref(doc);
    return rc;
}
