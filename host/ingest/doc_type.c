/* Document types by extension, MIME type and a look at the bytes. */
#include "ingest/doc_type.h"

#include <string.h>
#include <strings.h>

#include "ingest/import_name.h"

struct ext_type {
    const char *ext;
    enum doc_type type;
};

static const struct ext_type ext_types[] = {
    {"md", DOC_TYPE_MARKDOWN},   {"markdown", DOC_TYPE_MARKDOWN}, {"mdown", DOC_TYPE_MARKDOWN},
    {"mkd", DOC_TYPE_MARKDOWN},  {"mdx", DOC_TYPE_MARKDOWN},

    {"txt", DOC_TYPE_TEXT},      {"text", DOC_TYPE_TEXT},         {"rst", DOC_TYPE_TEXT},
    {"log", DOC_TYPE_TEXT},      {"adoc", DOC_TYPE_TEXT},         {"asciidoc", DOC_TYPE_TEXT},
    {"org", DOC_TYPE_TEXT},      {"tex", DOC_TYPE_TEXT},

    {"json", DOC_TYPE_DATA},     {"jsonl", DOC_TYPE_DATA},        {"ndjson", DOC_TYPE_DATA},
    {"yaml", DOC_TYPE_DATA},     {"yml", DOC_TYPE_DATA},          {"toml", DOC_TYPE_DATA},
    {"csv", DOC_TYPE_DATA},      {"tsv", DOC_TYPE_DATA},          {"xml", DOC_TYPE_DATA},
    {"ini", DOC_TYPE_DATA},      {"cfg", DOC_TYPE_DATA},          {"conf", DOC_TYPE_DATA},
    {"properties", DOC_TYPE_DATA},

    {"c", DOC_TYPE_CODE},        {"h", DOC_TYPE_CODE},            {"cc", DOC_TYPE_CODE},
    {"cpp", DOC_TYPE_CODE},      {"cxx", DOC_TYPE_CODE},          {"hpp", DOC_TYPE_CODE},
    {"hh", DOC_TYPE_CODE},       {"cs", DOC_TYPE_CODE},           {"go", DOC_TYPE_CODE},
    {"rs", DOC_TYPE_CODE},       {"java", DOC_TYPE_CODE},         {"kt", DOC_TYPE_CODE},
    {"kts", DOC_TYPE_CODE},      {"scala", DOC_TYPE_CODE},        {"swift", DOC_TYPE_CODE},
    {"m", DOC_TYPE_CODE},        {"mm", DOC_TYPE_CODE},           {"py", DOC_TYPE_CODE},
    {"pyi", DOC_TYPE_CODE},      {"rb", DOC_TYPE_CODE},           {"php", DOC_TYPE_CODE},
    {"pl", DOC_TYPE_CODE},       {"pm", DOC_TYPE_CODE},           {"lua", DOC_TYPE_CODE},
    {"r", DOC_TYPE_CODE},        {"jl", DOC_TYPE_CODE},           {"js", DOC_TYPE_CODE},
    {"mjs", DOC_TYPE_CODE},      {"cjs", DOC_TYPE_CODE},          {"ts", DOC_TYPE_CODE},
    {"tsx", DOC_TYPE_CODE},      {"jsx", DOC_TYPE_CODE},          {"vue", DOC_TYPE_CODE},
    {"svelte", DOC_TYPE_CODE},   {"sh", DOC_TYPE_CODE},           {"bash", DOC_TYPE_CODE},
    {"zsh", DOC_TYPE_CODE},      {"fish", DOC_TYPE_CODE},         {"ps1", DOC_TYPE_CODE},
    {"bat", DOC_TYPE_CODE},      {"sql", DOC_TYPE_CODE},          {"html", DOC_TYPE_CODE},
    {"htm", DOC_TYPE_CODE},      {"css", DOC_TYPE_CODE},          {"scss", DOC_TYPE_CODE},
    {"sass", DOC_TYPE_CODE},     {"less", DOC_TYPE_CODE},         {"proto", DOC_TYPE_CODE},
    {"graphql", DOC_TYPE_CODE},  {"gql", DOC_TYPE_CODE},          {"dart", DOC_TYPE_CODE},
    {"ex", DOC_TYPE_CODE},       {"exs", DOC_TYPE_CODE},          {"erl", DOC_TYPE_CODE},
    {"hs", DOC_TYPE_CODE},       {"ml", DOC_TYPE_CODE},           {"clj", DOC_TYPE_CODE},
    {"el", DOC_TYPE_CODE},       {"vim", DOC_TYPE_CODE},          {"zig", DOC_TYPE_CODE},
    {"nim", DOC_TYPE_CODE},      {"gradle", DOC_TYPE_CODE},       {"cmake", DOC_TYPE_CODE},
    {"mk", DOC_TYPE_CODE},       {"tf", DOC_TYPE_CODE},           {"hcl", DOC_TYPE_CODE},

    {"zip", DOC_TYPE_ZIP},
};

static const struct ext_type mime_types[] = {
    {"text/markdown", DOC_TYPE_MARKDOWN},
    {"text/x-markdown", DOC_TYPE_MARKDOWN},
    {"text/plain", DOC_TYPE_TEXT},
    {"application/json", DOC_TYPE_DATA},
    {"application/x-ndjson", DOC_TYPE_DATA},
    {"application/yaml", DOC_TYPE_DATA},
    {"application/x-yaml", DOC_TYPE_DATA},
    {"text/yaml", DOC_TYPE_DATA},
    {"text/x-yaml", DOC_TYPE_DATA},
    {"application/toml", DOC_TYPE_DATA},
    {"text/csv", DOC_TYPE_DATA},
    {"application/xml", DOC_TYPE_DATA},
    {"text/xml", DOC_TYPE_DATA},
    {"text/html", DOC_TYPE_CODE},
    {"application/xhtml+xml", DOC_TYPE_CODE},
    {"application/javascript", DOC_TYPE_CODE},
    {"text/javascript", DOC_TYPE_CODE},
    {"text/css", DOC_TYPE_CODE},
    {"application/zip", DOC_TYPE_ZIP},
    {"application/x-zip-compressed", DOC_TYPE_ZIP},
};

enum doc_type doc_type_from_name(const char *name)
{
    if (!name)
        return DOC_TYPE_UNSUPPORTED;
    char ext[IMPORT_NAME_EXT_MAX + 1];
    import_name_ext(name, ext, sizeof ext);
    if (!ext[0])
        return DOC_TYPE_UNSUPPORTED;
    for (size_t i = 0; i < sizeof ext_types / sizeof ext_types[0]; i++)
        if (strcmp(ext, ext_types[i].ext) == 0)
            return ext_types[i].type;
    return DOC_TYPE_UNSUPPORTED;
}

enum doc_type doc_type_from_content_type(const char *content_type)
{
    if (!content_type)
        return DOC_TYPE_UNSUPPORTED;
    while (*content_type == ' ' || *content_type == '\t')
        content_type++;
    size_t n = strcspn(content_type, "; \t");
    for (size_t i = 0; i < sizeof mime_types / sizeof mime_types[0]; i++)
        if (strlen(mime_types[i].ext) == n && strncasecmp(content_type, mime_types[i].ext, n) == 0)
            return mime_types[i].type;
    if (n > 5 && strncasecmp(content_type, "text/", 5) == 0)
        return DOC_TYPE_TEXT;
    return DOC_TYPE_UNSUPPORTED;
}

int doc_type_bytes_are_text(const void *bytes, size_t len)
{
    return len == 0 || memchr(bytes, '\0', len) == NULL;
}

enum doc_type doc_type_detect(const char *name, const char *content_type, const void *bytes,
                              size_t len)
{
    enum doc_type t = doc_type_from_name(name);
    if (t == DOC_TYPE_UNSUPPORTED)
        t = doc_type_from_content_type(content_type);
    if (t == DOC_TYPE_UNSUPPORTED && name) {
        char ext[IMPORT_NAME_EXT_MAX + 1];
        import_name_ext(name, ext, sizeof ext);
        const char *base = strrchr(name, '/');
        base = base ? base + 1 : name;
        if (!ext[0] && !strchr(base, '.') && base[0])
            t = DOC_TYPE_TEXT;
    }
    if (t != DOC_TYPE_ZIP && t != DOC_TYPE_UNSUPPORTED && !doc_type_bytes_are_text(bytes, len))
        return DOC_TYPE_UNSUPPORTED;
    return t;
}

const char *doc_type_name(enum doc_type type)
{
    switch (type) {
    case DOC_TYPE_MARKDOWN: return "markdown";
    case DOC_TYPE_TEXT: return "text";
    case DOC_TYPE_DATA: return "data";
    case DOC_TYPE_CODE: return "code";
    case DOC_TYPE_ZIP: return "zip";
    default: return "unsupported";
    }
}
