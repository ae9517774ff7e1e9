#include "ctl_output.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_COLUMNS 16

/* A cell's text: strings bare, null empty, everything else compact JSON. Caller frees. */
static char *cell_text(json_t *v)
{
    if (!v || json_is_null(v))
        return strdup("");
    if (json_is_string(v))
        return strdup(json_string_value(v));
    return json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
}

static int print_object(json_t *obj)
{
    const char *key;
    json_t *v;
    json_object_foreach(obj, key, v) {
        char *t = cell_text(v);
        if (!t)
            return -1;
        int n = printf("%s: %s\n", key, t);
        free(t);
        if (n < 0)
            return -1;
    }
    return 0;
}

/* An array of plain values (glob's URIs): one per line, no header. */
static int print_lines(json_t *arr)
{
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v) {
        char *t = cell_text(v);
        if (!t)
            return -1;
        int n = printf("%s\n", t);
        free(t);
        if (n < 0)
            return -1;
    }
    return 0;
}

static int print_table(json_t *arr, const char *const *columns)
{
    if (json_array_size(arr) > 0 && !json_is_object(json_array_get(arr, 0)))
        return print_lines(arr);
    const char *cols[MAX_COLUMNS];
    size_t ncols = 0;
    if (columns) {
        while (columns[ncols] && ncols < MAX_COLUMNS) {
            cols[ncols] = columns[ncols];
            ncols++;
        }
    } else {
        const char *key;
        json_t *v;
        json_object_foreach(json_array_get(arr, 0), key, v) {
            if (ncols == MAX_COLUMNS)
                break;
            cols[ncols++] = key;
        }
    }
    size_t rows = json_array_size(arr);
    /* Widths need every cell first: two passes over the texts, which are kept in one array. */
    char **cells = calloc(rows * ncols + 1, sizeof *cells);
    size_t width[MAX_COLUMNS];
    int rc = -1;
    if (!cells)
        return -1;
    for (size_t c = 0; c < ncols; c++)
        width[c] = strlen(cols[c]);
    for (size_t r = 0; r < rows; r++) {
        json_t *row = json_array_get(arr, r);
        for (size_t c = 0; c < ncols; c++) {
            char *t = cell_text(json_object_get(row, cols[c]));
            if (!t)
                goto out;
            cells[r * ncols + c] = t;
            if (strlen(t) > width[c])
                width[c] = strlen(t);
        }
    }
    for (size_t c = 0; c < ncols; c++)
        if (printf("%-*s%s", c + 1 < ncols ? (int)width[c] : 0, cols[c], c + 1 < ncols ? "  " : "\n") < 0)
            goto out;
    for (size_t r = 0; r < rows; r++)
        for (size_t c = 0; c < ncols; c++)
            if (printf("%-*s%s", c + 1 < ncols ? (int)width[c] : 0, cells[r * ncols + c],
                       c + 1 < ncols ? "  " : "\n") < 0)
                goto out;
    rc = 0;
out:
    for (size_t i = 0; i < rows * ncols; i++)
        free(cells[i]);
    free(cells);
    return rc;
}

int ctl_print(json_t *result, int json, const char *const *columns)
{
    if (json) {
        if (json_dumpf(result, stdout, JSON_INDENT(2) | JSON_ENCODE_ANY) != 0)
            return -1;
        return putchar('\n') == EOF ? -1 : 0;
    }
    if (json_is_string(result)) {
        const char *s = json_string_value(result);
        size_t len = json_string_length(result);
        if (fwrite(s, 1, len, stdout) != len)
            return -1;
        /* Keeps the shell prompt on its own line for content without a final newline. */
        if (len > 0 && s[len - 1] != '\n' && putchar('\n') == EOF)
            return -1;
        return 0;
    }
    if (json_is_array(result))
        return print_table(result, columns);
    if (json_is_object(result))
        return print_object(result);
    return ctl_print(result, 1, NULL);
}
