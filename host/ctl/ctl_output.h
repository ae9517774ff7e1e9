#ifndef SKALD_CTL_OUTPUT_H
#define SKALD_CTL_OUTPUT_H

#include <jansson.h>

/* Prints a result: as JSON with -o json; otherwise a string as is, an array of objects as aligned
 * columns (columns: NULL-terminated names, or NULL for the first object's keys), an object as
 * "key: value" lines. Returns 0, or -1 when stdout fails or memory runs out. */
int ctl_print(json_t *result, int json, const char *const *columns);

#endif
