/* Writing the Prometheus text exposition format (version 0.0.4): family headers, label values,
 * sample values. Every function writes to a stdio stream (an open_memstream buffer). */
#ifndef SKALD_METRICS_TEXT_H
#define SKALD_METRICS_TEXT_H

#include <stdio.h>

#define METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/* "# HELP name help\n# TYPE name type\n"; type is counter, gauge or histogram. */
void metrics_text_family(FILE *out, const char *name, const char *type, const char *help);
/* A label value between quotes, with \\, \" and \n escaped. */
void metrics_text_label_value(FILE *out, const char *value);
/* A sample value: integers exactly, others with enough digits, NaN and infinities spelled the
 * Prometheus way. */
void metrics_text_value(FILE *out, double v);
/* One sample with no labels: "name value\n". */
void metrics_text_sample(FILE *out, const char *name, double v);

#endif
