#include "check/check_session.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"

struct skald_call_ctx check_ctx(struct check_session *s, enum check_ctx_mode mode)
{
    int64_t now = clock_monotonic_ns();
    s->err[0] = '\0';
    atomic_store(&s->cancel_flag, 1);
    struct skald_call_ctx ctx = {
        .struct_size = sizeof ctx,
        .deadline_ns = mode == CHECK_CTX_EXPIRED ? now - 1000000 : now + 30LL * 1000000000,
        .cancel = mode == CHECK_CTX_CANCELLED ? &s->cancel_flag : &s->live_flag,
        .err = s->err,
        .err_cap = sizeof s->err,
    };
    return ctx;
}

struct plugin_instance *check_instance_create(struct check_session *s, const char *const *extra,
                                              char *err, size_t err_cap)
{
    size_t n_extra = 0;
    while (extra && extra[2 * n_extra])
        n_extra++;
    struct skald_config_entry *all = calloc(s->config_count + n_extra + 1, sizeof *all);
    if (!all) {
        snprintf(err, err_cap, "out of memory");
        return NULL;
    }
    memcpy(all, s->config, s->config_count * sizeof *all);
    for (size_t i = 0; i < n_extra; i++) {
        all[s->config_count + i].key = extra[2 * i];
        all[s->config_count + i].value = extra[2 * i + 1];
    }
    struct plugin_instance *inst = NULL;
    if (plugin_instance_create(s->module, s->section, all, s->config_count + n_extra, s->data_dir,
                               &inst, err, err_cap) != 0)
        inst = NULL;
    free(all);
    return inst;
}

const char *check_status_name(int rc)
{
    switch (rc) {
    case SKALD_OK: return "SKALD_OK";
    case SKALD_EINVAL: return "SKALD_EINVAL";
    case SKALD_EUNSUPPORTED: return "SKALD_EUNSUPPORTED";
    case SKALD_EUNAVAILABLE: return "SKALD_EUNAVAILABLE";
    case SKALD_ETIMEDOUT: return "SKALD_ETIMEDOUT";
    case SKALD_ECANCELLED: return "SKALD_ECANCELLED";
    case SKALD_EBUSY: return "SKALD_EBUSY";
    case SKALD_ENOMEM: return "SKALD_ENOMEM";
    case SKALD_EINTERNAL: return "SKALD_EINTERNAL";
    case SKALD_ENOTFOUND: return "SKALD_ENOTFOUND";
    case SKALD_EIO: return "SKALD_EIO";
    default: return "unknown status";
    }
}
