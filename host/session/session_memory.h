/*
 * Writing extracted memories into viking://user/{uid}/memories/{category}/{slug}.md with dedupe
 * against the memories already there: a memory whose words are (nearly) all in an existing one
 * of its category is skipped, one with the same title or close enough to an existing one is
 * merged into it (its content appended), anything else is created. Every decision goes into the
 * memory diff. Writes of all sessions are serialised here, so two commits never merge into the
 * same memory at once and lose one another's part.
 */
#ifndef SKALD_SESSION_MEMORY_H
#define SKALD_SESSION_MEMORY_H

#include <stddef.h>

#include <jansson.h>

#include "session/session_extract.h"
#include "store/store.h"

/* Thresholds on word sets (lower-cased words; bytes >= 0x80 count as letters). */
#define MEMORY_SKIP_CONTAINMENT 0.9 /* share of the new memory's words already in one */
#define MEMORY_MERGE_JACCARD 0.5    /* overlap that makes two memories one */

/* Word-set Jaccard similarity of two texts, 0..1 (0 when either has no word). */
double session_memory_jaccard(const char *a, const char *b);
/* Share of a's words that b contains, 0..1 (0 when a has no word). */
double session_memory_containment(const char *a, const char *b);

struct memory_counts {
    unsigned created[EXTRACT_N_CATEGORIES];
    unsigned merged[EXTRACT_N_CATEGORIES];
    unsigned skipped[EXTRACT_N_CATEGORIES];
};

/* Applies ex's memories for (account, user). diff is an object whose arrays "adds", "updates"
 * and "skipped" get one entry per memory. Touched category directories are marked for an L0/L1
 * refresh (the caller queues the jobs). Returns a store status. */
int session_memory_apply(struct store *st, const char *account, const char *user,
                         const struct extract_result *ex, json_t *diff, struct memory_counts *out,
                         char *err, size_t err_cap);

#endif
