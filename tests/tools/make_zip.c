/*
 * skald-make-zip OUT.zip ENTRY...: writes a zip with exactly the member names given, including
 * the hostile ones an unpacker must refuse ("../x", "/abs", symlinks), which ordinary zip tools
 * refuse to write. ENTRY is NAME=TEXT (a file holding TEXT), NAME/ (a directory) or
 * NAME->TARGET (a Unix symlink to TARGET). For test scripts.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <zip.h>

static int add_entry(zip_t *z, const char *spec)
{
    const char *arrow = strstr(spec, "->");
    const char *eq = strchr(spec, '=');
    size_t len = strlen(spec);
    if (!arrow && !eq && len > 0 && spec[len - 1] == '/')
        return zip_dir_add(z, spec, ZIP_FL_ENC_UTF_8) < 0 ? -1 : 0;
    const char *text = arrow ? arrow + 2 : eq ? eq + 1 : NULL;
    if (!text)
        return -1;
    char *name = strndup(spec, (size_t)((arrow ? arrow : eq) - spec));
    zip_source_t *src = name ? zip_source_buffer(z, text, strlen(text), 0) : NULL;
    zip_int64_t idx = src ? zip_file_add(z, name, src, ZIP_FL_ENC_UTF_8 | ZIP_FL_OVERWRITE) : -1;
    if (idx < 0 && src)
        zip_source_free(src);
    free(name);
    if (idx < 0)
        return -1;
    if (arrow &&
        zip_file_set_external_attributes(z, (zip_uint64_t)idx, 0, ZIP_OPSYS_UNIX,
                                         (zip_uint32_t)(S_IFLNK | 0777) << 16) < 0)
        return -1;
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: skald-make-zip OUT.zip NAME=TEXT | NAME/ | NAME->TARGET ...\n");
        return 2;
    }
    int zerr = 0;
    zip_t *z = zip_open(argv[1], ZIP_CREATE | ZIP_TRUNCATE, &zerr);
    if (!z) {
        fprintf(stderr, "skald-make-zip: cannot create %s (libzip error %d)\n", argv[1], zerr);
        return 1;
    }
    for (int i = 2; i < argc; i++) {
        if (add_entry(z, argv[i]) != 0) {
            fprintf(stderr, "skald-make-zip: entry '%s': %s\n", argv[i], zip_strerror(z));
            zip_discard(z);
            return 1;
        }
    }
    if (zip_close(z) != 0) {
        fprintf(stderr, "skald-make-zip: writing %s: %s\n", argv[1], zip_strerror(z));
        zip_discard(z);
        return 1;
    }
    return 0;
}
