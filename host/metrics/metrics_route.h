/* The GET /metrics route (its table is routes_metrics, listed in http/router.h). */
#ifndef SKALD_METRICS_ROUTE_H
#define SKALD_METRICS_ROUTE_H

/* [server] metrics = on|off: when off, /metrics answers 404. Default on. */
void metrics_route_set_enabled(int on);

#endif
