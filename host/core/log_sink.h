/* Where finished log lines go: stderr directly, or through the async ring (see core/log.h). */
#ifndef SKALD_CORE_LOG_SINK_H
#define SKALD_CORE_LOG_SINK_H

#include <stddef.h>

/* Writes or queues one whole line (ending in '\n'). Never blocks once the writer runs. */
void log_sink_emit(const char *line, size_t len);

#endif
