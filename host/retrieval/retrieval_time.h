/*
 * Times in find/search bodies (`since`, `until`, time values of the filter DSL), all UTC:
 * relative ("90s", "30m", "2h", "7d", "1w": that long before now), ISO-8601
 * ("2026-11-25T01:02:03Z", fractions and "+hh:mm" offsets allowed) or a date ("2026-11-25").
 * Pure string work: safe on any thread.
 */
#ifndef SKALD_RETRIEVAL_TIME_H
#define SKALD_RETRIEVAL_TIME_H

#include <stdint.h>

/* Parses text into wall-clock ms. A date alone means its first millisecond, or its last with
 * end_of_day (so `until: 2026-11-25` includes that whole day). Returns 0, or -1 when text is
 * none of the forms above. */
int retrieval_time_parse(const char *text, int64_t now_ms, int end_of_day, int64_t *out_ms);

#endif
