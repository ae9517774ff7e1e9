/* Maps ingest statuses to the error codes of the OpenViking envelope. */
#include "ingest/ingest_status.h"

const char *ingest_status_code(int status)
{
    switch (status) {
    case INGEST_OK: return "OK";
    case INGEST_EINVAL:
    case INGEST_EUNSAFE:
    case INGEST_EUNSUPPORTED:
    case INGEST_EFETCH: return "INVALID_ARGUMENT";
    /* The reference answers an unknown or invalid temp_file_id with 403, never 404. */
    case INGEST_EDENIED:
    case INGEST_ENOTFOUND: return "PERMISSION_DENIED";
    case INGEST_ETOOBIG: return "PAYLOAD_TOO_LARGE";
    case INGEST_EEXIST: return "ALREADY_EXISTS";
    case INGEST_ETIMEDOUT: return "DEADLINE_EXCEEDED";
    case INGEST_ECANCELLED: return "UNAVAILABLE";
    default: return "INTERNAL";
    }
}
