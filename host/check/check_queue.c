/* Queue contract: atomic enqueue with dedupe, oldest-first leases that expire, ack/nack/extend by
 * owner only, release, dead items, export/import/remove for a backend swap, not_before, and
 * durability as the plugin declares it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check/check_session.h"

#define CHECK_TOPIC "check.topic"

struct check_queue_seen {
    int64_t ids[16];
    uint32_t attempts[16];
    enum skald_queue_state states[16];
    char errors[16][32];
    size_t n;
};

static int check_queue_collect(void *arg, const struct skald_queue_item *item)
{
    struct check_queue_seen *seen = arg;
    if (seen->n < 16) {
        seen->ids[seen->n] = item->id;
        seen->attempts[seen->n] = item->attempts;
        seen->states[seen->n] = item->state;
        snprintf(seen->errors[seen->n], sizeof seen->errors[0], "%s",
                 item->last_error ? item->last_error : "");
    }
    seen->n++;
    return 0;
}

struct check_queue_totals {
    uint64_t pending, leased, dead;
};

static int check_queue_add_stats(void *arg, const struct skald_queue_topic_stats *st)
{
    struct check_queue_totals *t = arg;
    if (strcmp(st->topic, CHECK_TOPIC) == 0) {
        t->pending += st->pending;
        t->leased += st->leased;
        t->dead += st->dead;
    }
    return 0;
}

static struct check_queue_totals check_queue_totals(struct check_session *s,
                                                    const struct skald_queue_ops *ops, void *h)
{
    struct check_queue_totals t = {0, 0, 0};
    struct skald_call_ctx ctx = check_ctx(s, CHECK_CTX_LIVE);
    if (ops->stats(h, &ctx, check_queue_add_stats, &t) != SKALD_OK)
        t.pending = t.leased = t.dead = UINT64_MAX;
    return t;
}

static size_t check_queue_lease(struct check_session *s, const struct skald_queue_ops *ops,
                                void *h, uint32_t max, int64_t lease_ms, const char *owner,
                                struct check_queue_seen *seen)
{
    memset(seen, 0, sizeof *seen);
    size_t n = 0;
    struct skald_call_ctx ctx = check_ctx(s, CHECK_CTX_LIVE);
    if (ops->lease(h, &ctx, CHECK_TOPIC, max, lease_ms, owner, check_queue_collect, seen, &n) !=
        SKALD_OK)
        return SIZE_MAX;
    return n;
}

#define CHECK_CONC_TOPIC "check.concurrent"
#define CHECK_CONC_ITEMS 400

struct check_queue_conc {
    struct plugin_instance *inst;
    atomic_int claimed[CHECK_CONC_ITEMS + 1]; /* by payload number: times leased */
};

static int check_queue_conc_visit(void *arg, const struct skald_queue_item *item)
{
    struct check_queue_conc *c = arg;
    char num[16] = "";
    size_t len = item->payload_len < sizeof num - 1 ? item->payload_len : sizeof num - 1;
    memcpy(num, item->payload, len);
    int k = atoi(num);
    if (k >= 0 && k < CHECK_CONC_ITEMS)
        atomic_fetch_add(&c->claimed[k], 1);
    else
        atomic_fetch_add(&c->claimed[CHECK_CONC_ITEMS], 1);
    return 0;
}

struct check_queue_leaser {
    struct check_queue_conc *conc;
    int64_t ids[32];
    size_t n;
};

static int check_queue_leaser_visit(void *arg, const struct skald_queue_item *item)
{
    struct check_queue_leaser *l = arg;
    if (l->n < 32)
        l->ids[l->n++] = item->id;
    return check_queue_conc_visit(l->conc, item);
}

/* One of eight leasers: leases batches of up to 7 and acks them until the topic is empty. */
static int check_queue_leaser_thread(void *arg, int index)
{
    struct check_queue_conc *c = arg;
    const struct skald_queue_ops *ops = plugin_instance_ops(c->inst, queue);
    char owner[32], err[256];
    snprintf(owner, sizeof owner, "check-conc-%d", index);
    atomic_int never = 0;
    for (;;) {
        struct check_queue_leaser l = {c, {0}, 0};
        size_t n = 0;
        struct skald_call_ctx ctx = {sizeof ctx, 0, 0, &never, err, sizeof err};
        if (ops->lease(c->inst->handle, &ctx, CHECK_CONC_TOPIC, 7, 60000, owner,
                       check_queue_leaser_visit, &l, &n) != SKALD_OK)
            return 1;
        if (n == 0)
            return 0;
        size_t missed = 0;
        if (ops->ack(c->inst->handle, &ctx, l.ids, l.n, owner, &missed) != SKALD_OK || missed)
            return 1;
    }
}

static int check_queue_concurrent(struct check_session *s, struct plugin_instance *inst)
{
    const struct skald_queue_ops *ops = plugin_instance_ops(inst, queue);
    static struct check_queue_conc conc;
    static char payloads[CHECK_CONC_ITEMS][8];
    struct skald_queue_new_item items[CHECK_CONC_ITEMS];
    memset(&conc, 0, sizeof conc);
    conc.inst = inst;
    for (int k = 0; k < CHECK_CONC_ITEMS; k++) {
        snprintf(payloads[k], sizeof payloads[k], "%d", k);
        items[k] = (struct skald_queue_new_item){CHECK_CONC_TOPIC, NULL, payloads[k],
                                                 strlen(payloads[k]), 0};
    }
    struct skald_call_ctx ctx = check_ctx(s, CHECK_CTX_LIVE);
    if (ops->enqueue(inst->handle, &ctx, items, CHECK_CONC_ITEMS, NULL) != SKALD_OK)
        return 8;
    int failed = check_threads(8, check_queue_leaser_thread, &conc);
    for (int k = 0; k <= CHECK_CONC_ITEMS; k++)
        if (atomic_load(&conc.claimed[k]) != (k < CHECK_CONC_ITEMS ? 1 : 0))
            return failed ? failed : 1;
    return failed;
}

/* Run in a child that is killed right after: one acknowledged enqueue. */
static int check_queue_enqueue_one(struct check_session *s, struct plugin_instance *inst)
{
    const struct skald_queue_ops *ops = plugin_instance_ops(inst, queue);
    struct skald_queue_new_item item = {CHECK_TOPIC, NULL, "killed", 6, 0};
    struct skald_call_ctx ctx = check_ctx(s, CHECK_CTX_LIVE);
    return ops->enqueue(inst->handle, &ctx, &item, 1, NULL);
}

void check_queue(struct check_session *s, struct plugin_instance *inst)
{
    struct check_report *r = &s->report;
    const struct skald_queue_ops *ops = plugin_instance_ops(inst, queue);
    void *h = inst->handle;
    const char *sid = ops->storage_id(h);
    int durable = ops->durable(h);
    printf("note storage %s, %s\n", sid ? sid : "(volatile)", durable ? "durable" : "not durable");

    struct skald_queue_new_item items[3] = {
        {CHECK_TOPIC, "k0", "p0", 2, 0}, {CHECK_TOPIC, NULL, "p1", 2, 0}, {CHECK_TOPIC, NULL, "p2", 2, 0}};
    int64_t ids[3] = {0, 0, 0};
    struct skald_call_ctx ctx = check_ctx(s, CHECK_CTX_LIVE);
    int rc = ops->enqueue(h, &ctx, items, 3, ids);
    if (!check_result(r, rc == SKALD_OK && ids[0] > 0 && ids[1] > 0 && ids[2] > 0 &&
                             ids[0] != ids[1] && ids[1] != ids[2],
                      "enqueue 3 items with distinct ids", "%s: %s", check_status_name(rc), s->err))
        return;
    int64_t dup = 0;
    ctx = check_ctx(s, CHECK_CTX_LIVE);
    rc = ops->enqueue(h, &ctx, items, 1, &dup);
    check_result(r, rc == SKALD_OK && dup == ids[0], "a pending dedupe key gives the existing id",
                 "%s, id %lld (want %lld)", check_status_name(rc), (long long)dup, (long long)ids[0]);
    struct check_queue_totals t = check_queue_totals(s, ops, h);
    check_result(r, t.pending == 3 && t.leased == 0, "stats: 3 pending", "pending %llu leased %llu",
                 (unsigned long long)t.pending, (unsigned long long)t.leased);

    struct check_queue_seen seen;
    size_t n = check_queue_lease(s, ops, h, 2, 60000, "check-A", &seen);
    check_result(r, n == 2 && seen.n == 2 && seen.ids[0] == ids[0] && seen.ids[1] == ids[1] &&
                        seen.attempts[0] == 1 && seen.states[0] == SKALD_QUEUE_LEASED,
                 "lease gives the oldest items, leased, attempt 1", "%zu leased", n);
    size_t missed = 0;
    ctx = check_ctx(s, CHECK_CTX_LIVE);
    rc = ops->ack(h, &ctx, &ids[0], 1, "check-B", &missed);
    check_result(r, rc == SKALD_OK && missed == 1, "ack by another owner is skipped",
                 "%s, missed %zu", check_status_name(rc), missed);
    ctx = check_ctx(s, CHECK_CTX_LIVE);
    rc = ops->ack(h, &ctx, &ids[0], 1, "check-A", &missed);
    check_result(r, rc == SKALD_OK && missed == 0, "ack by the owner removes the item",
                 "%s, missed %zu", check_status_name(rc), missed);
    ctx = check_ctx(s, CHECK_CTX_LIVE);
    rc = ops->nack(h, &ctx, ids[1], "check-A", 0, "boom", 0);
    check_result(r, rc == SKALD_OK, "nack returns the item", "%s: %s", check_status_name(rc), s->err);

    n = check_queue_lease(s, ops, h, 10, 60000, "check-A", &seen);
    int p1_again = n == 2 && seen.ids[0] == ids[1] && seen.attempts[0] == 2 &&
                   strcmp(seen.errors[0], "boom") == 0;
    check_result(r, p1_again, "a nacked item comes back with its attempts and error",
                 "%zu leased, first id %lld attempts %u error '%s'", n, (long long)seen.ids[0],
                 seen.attempts[0], seen.errors[0]);
    ctx = check_ctx(s, CHECK_CTX_LIVE);
    rc = ops->extend(h, &ctx, ids[2], "check-A", 60000);
    check_result(r, rc == SKALD_OK, "extend by the owner", "%s", check_status_name(rc));
    ctx = check_ctx(s, CHECK_CTX_LIVE);
    rc = ops->extend(h, &ctx, ids[2], "check-B", 60000);
    check_result(r, rc == SKALD_ENOTFOUND, "extend by another owner gives SKALD_ENOTFOUND", "got %s",
                 check_status_name(rc));

    uint64_t released = 0;
    ctx = check_ctx(s, CHECK_CTX_LIVE);
    rc = ops->release(h, &ctx, "check-A", &released);
    check_result(r, rc == SKALD_OK && released == 2, "release returns the owner's leases",
                 "%s, released %llu", check_status_name(rc), (unsigned long long)released);
    n = check_queue_lease(s, ops, h, 10, 1, "check-C", &seen);
    struct timespec pause = {0, 30 * 1000 * 1000};
    nanosleep(&pause, NULL);
    size_t again = check_queue_lease(s, ops, h, 10, 60000, "check-D", &seen);
    check_result(r, n == 2 && again == 2, "an expired lease is leased again",
                 "leased %zu, then %zu after expiry", n, again);

    ctx = check_ctx(s, CHECK_CTX_LIVE);
    rc = ops->nack(h, &ctx, ids[1], "check-D", 0, "final", 1);
    t = check_queue_totals(s, ops, h);
    check_result(r, rc == SKALD_OK && t.dead == 1 && t.leased == 1, "nack with dead parks the item",
                 "%s, dead %llu leased %llu", check_status_name(rc), (unsigned long long)t.dead,
                 (unsigned long long)t.leased);

    struct check_queue_seen exported = {.n = 0};
    ctx = check_ctx(s, CHECK_CTX_LIVE);
    rc = ops->export_items(h, &ctx, 0, 100, check_queue_collect, &exported);
    check_result(r, rc == SKALD_OK && exported.n == 2 && exported.ids[0] < exported.ids[1],
                 "export visits every item in id order", "%s, %zu items", check_status_name(rc),
                 exported.n);
    ctx = check_ctx(s, CHECK_CTX_LIVE);
    rc = ops->remove(h, &ctx, exported.ids, exported.n < 16 ? exported.n : 16);
    t = check_queue_totals(s, ops, h);
    check_result(r, rc == SKALD_OK && t.pending + t.leased + t.dead == 0,
                 "remove deletes items in any state", "%s, %llu left", check_status_name(rc),
                 (unsigned long long)(t.pending + t.leased + t.dead));

    struct skald_queue_import_item imports[2] = {
        {CHECK_TOPIC, NULL, "i0", 2, SKALD_QUEUE_PENDING, 3, 0, 1000, "old error"},
        {CHECK_TOPIC, NULL, "i1", 2, SKALD_QUEUE_DEAD, 5, 0, 2000, "dead error"}};
    ctx = check_ctx(s, CHECK_CTX_LIVE);
    rc = ops->import_items(h, &ctx, imports, 2);
    t = check_queue_totals(s, ops, h);
    check_result(r, rc == SKALD_OK && t.pending == 1 && t.dead == 1, "import keeps states",
                 "%s, pending %llu dead %llu", check_status_name(rc), (unsigned long long)t.pending,
                 (unsigned long long)t.dead);
    n = check_queue_lease(s, ops, h, 10, 60000, "check-E", &seen);
    check_result(r, n == 1 && seen.attempts[0] == 4 && strcmp(seen.errors[0], "old error") == 0,
                 "an imported item keeps its attempts and error", "%zu leased, attempts %u", n,
                 seen.attempts[0]);

    struct skald_queue_new_item later = {CHECK_TOPIC, NULL, "later", 5, 0};
    later.not_before_ms = inst->host.now_wall_ms() + 3600 * 1000;
    ctx = check_ctx(s, CHECK_CTX_LIVE);
    rc = ops->enqueue(h, &ctx, &later, 1, NULL);
    n = check_queue_lease(s, ops, h, 10, 60000, "check-F", &seen);
    check_result(r, rc == SKALD_OK && n == 0, "an item is not leased before not_before",
                 "%s, %zu leased", check_status_name(rc), n);

    ctx = check_ctx(s, CHECK_CTX_EXPIRED);
    rc = ops->enqueue(h, &ctx, items + 1, 1, NULL);
    check_result(r, rc == SKALD_ETIMEDOUT, "expired deadline gives SKALD_ETIMEDOUT", "got %s",
                 check_status_name(rc));

    int failed = check_queue_concurrent(s, inst);
    check_result(r, failed == 0, "eight concurrent leasers never share an item and lose none",
                 "%d of 8 leasers failed or the items did not add up", failed);

    if (durable) {
        struct check_queue_totals before = check_queue_totals(s, ops, h);
        char err[512] = "";
        int killed = check_in_killed_child(s, check_queue_enqueue_one, err, sizeof err);
        struct check_queue_totals after = check_queue_totals(s, ops, h);
        check_result(r, killed == 0 && after.pending == before.pending + 1,
                     "durable: an item acknowledged by a process killed with SIGKILL is kept",
                     "%s, pending %llu (want %llu)", killed == 0 ? "child killed" : err,
                     (unsigned long long)after.pending, (unsigned long long)before.pending + 1);
    }
}
