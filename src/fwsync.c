/*
 * src/fwsync.c - the master keeps the kernel's firewall and NAT (table
 * inet edged) in step with the generation in force.
 *
 * A generation's table is compiled when its file is loaded (gen_load).
 * Before a new generation's worker starts, its table replaces the old
 * one in one transaction: if the kernel refuses it, the reload is
 * rejected and the old table is still in force, untouched.  If the
 * reload fails later (the new worker does not come up), the old
 * generation's table goes back.  A table identical to the one in force
 * is not sent at all, so counters and conntrack-dependent state are not
 * disturbed by reloads that change something else.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fw_apply.h"
#include "fw_nft.h"
#include "log.h"
#include "master_int.h"

int
master_fw_sync(struct master *m, const struct gen *g, char *err,
    size_t errsize)
{
	const struct fw_conf *fw = &g->conf->fw;
	char *copy;

	if (m->fw_applied != NULL && strcmp(m->fw_applied, g->fw_text) == 0)
		return 0;
	/* Nothing to put in the kernel and nothing put there yet: a table
	 * an earlier run left goes, if we may; a load balancer alone does
	 * not need root for it. */
	if (!fw_active(fw) && m->fw_applied == NULL && geteuid() != 0) {
		m->fw_applied = strdup("");
		return 0;
	}
	if (m->fwk == NULL && (m->fwk = fw_kernel_open()) == NULL) {
		snprintf(err, errsize, "cannot make a libnftables context");
		return -1;
	}
	if ((copy = strdup(g->fw_text)) == NULL) {
		snprintf(err, errsize, "out of memory");
		return -1;
	}
	if (fw_kernel_replace(m->fwk, g->fw_text, NULL, err, errsize) < 0) {
		free(copy);
		return -1;
	}
	free(m->fw_applied);
	m->fw_applied = copy;
	if (fw_active(fw))
		log_info("firewall: table inet %s applied (%zu rules, %zu NAT "
		    "rules, %zu groups)", FW_TABLE, fw->nrules, fw->nnats,
		    fw->ngroups);
	else
		log_info("firewall: no firewall or NAT configured; table inet "
		    "%s removed", FW_TABLE);
	if (fw_wants_forwarding(fw) && fw_enable_forwarding(err, errsize) < 0)
		log_warn("firewall: cannot turn IP forwarding on: %s", err);
	return 0;
}

void
master_fw_restore(struct master *m)
{
	char err[1024];

	if (m->gen == NULL || m->fw_applied == NULL ||
	    strcmp(m->fw_applied, m->gen->fw_text) == 0)
		return;
	if (master_fw_sync(m, m->gen, err, sizeof(err)) < 0)
		log_err("firewall: cannot put the running configuration's "
		    "table back: %s", err);
	else
		log_info("firewall: the running configuration's table is back");
}
