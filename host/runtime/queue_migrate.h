/* Moves every item of one queue backend into another, so changing the queue plugin on a reload
 * loses nothing. */
#ifndef SKALD_RUNTIME_QUEUE_MIGRATE_H
#define SKALD_RUNTIME_QUEUE_MIGRATE_H

#include <stddef.h>

#include "plugin/instance.h"

/* Copies items from `from` into `to` in batches (import, then remove from the source), until the
 * source is empty. Does nothing when both report the same storage_id. A crash between an import
 * and its remove leaves items in both; deduplicated items are then not imported twice. Returns 0,
 * or -1 with err; items not yet moved stay in the source. */
int queue_migrate(struct plugin_instance *from, struct plugin_instance *to, char *err,
                  size_t err_cap);

#endif
