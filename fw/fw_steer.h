/*
 * fw/fw_steer.h - service insertion's runtime in the master: each
 * appliance monitored (ping, a TCP connect or an HTTP(S) GET answered
 * 200, every interval; down after fall failures in a row, up after rise
 * successes), and the policy
 * routing that sends each hop of a chain to its appliance (fw_route.h)
 * kept in step with their health: a hop whose appliance is down goes to
 * the next one up in the chain (failure open; none up: routed as usual)
 * or to a blackhole (failure closed).
 */
#ifndef EDGED_FW_STEER_H
#define EDGED_FW_STEER_H

#include <ev.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "fw_conf.h"

struct fw_steer;
struct fw_fetcher;

/* fetcher: the master's (fw_fetch.h), for the http monitors; it outlives
 * s.  changed(arg): an appliance's health changed, or the appliances did
 * (for the metrics) */
struct fw_steer *fw_steer_new(struct ev_loop *loop, struct fw_fetcher *fetcher,
    void (*changed)(void *), void *arg);
/* the monitors stopped; the rules and routes left in force (as the
 * table is, when edged stops) */
void fw_steer_free(struct fw_steer *s);
/* c's appliances and chains in force from now on: an appliance kept by
 * name (and address, interface, monitor) keeps its health, a new one
 * starts up; the rules of the chains that went removed, the routes of
 * every hop set.  Errors are logged. */
void fw_steer_sync(struct fw_steer *s, const struct fw_conf *c);
/* every rule and route of edged's steering removed (edgectl firewall
 * flush), the monitors stopped until the next sync */
void fw_steer_clear(struct fw_steer *s);
/* `edgectl show steering`: the chains (packets steered into each, from
 * packets[i], the counter of chain i of the configuration in force, of
 * which there are npackets), their hops, each appliance's health and
 * where its hop goes now; text or JSON */
void fw_steer_show(const struct fw_steer *s, const uint64_t *packets,
    size_t npackets, bool json, FILE *out);

/* the appliances' health, Prometheus text (edged_service_appliance_up) */
void fw_steer_metrics(const struct fw_steer *s, FILE *out);

#endif /* EDGED_FW_STEER_H */
