/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Self-protection, the agent's half (the kernel's is in bpf/):
 *   - the agent binary's identity in the config map, so that the kernel
 *     recognises a restarted agent (see agent_procs there);
 *   - the ids of Permafrost's maps (only the agent gets writable fds);
 *   - implicit protect rules for Permafrost's own files;
 *   - pinned maps (<pin dir>/maps-v<PF_MAPS_VERSION>/<map>), reused by the
 *     next agent, so rules, approvals, counters and undelivered events
 *     survive a restart;
 *   - adoption of a previous agent's pinned link set of the same build;
 *   - the agent's cgroups and oom_score_adj.
 * The agent's own (needs libbpf). */
#ifndef PF_SELFPROT_H
#define PF_SELFPROT_H

#include "err.h"

#include <stddef.h>
#include <stdint.h>
#include <bpf/libbpf.h>

#include "permafrost.h"
#include "resolve.h"

/* The config map's one read-modify-write (maps.c): reads the entry, lets
 * @edit change it, writes it back. -errno. */
int pf_config_edit(int fd, void (*edit)(struct pf_config *c, const void *data), const void *data);

struct pf_self_paths {
	const char *policy, *signers, *state_dir, *log_path, *pin_dir;
	const char *boot_id_file; /* pf_boot_id's fallback (a restart must not pass for a reboot) */
	int enabled; /* policy self-protect: add the implicit rules */
};

struct pf_self {
	char exe[4096];
	uint64_t exe_dev, exe_ino;
	uint64_t paths_hash;
	char maps_dir[600];
	int maps_existed; /* the pinned maps were there before this agent */
	int pinned_mode;  /* their config's mode (enum pf_mode), when they were */
	int pinned_selfprot; /* and whether self-protection was on */
	char cg_rel[4096]; /* the cgroup recorded in agent_cgroups */
	int cg_known;
};

/* Fills @s (exe identity, paths hash, maps dir). */
int pf_self_init(struct pf_self *s, const struct pf_self_paths *p, struct pf_err *err);

/* Before loading: refuses (-EBUSY / -EPERM with a message) when the pinned
 * config shows another live agent, or a frozen host run by an agent with
 * other paths (a second permafrostd must not take over with a policy of
 * its choosing). */
int pf_self_check_pinned(struct pf_self *s, struct pf_err *err);

/* After loading onto pinned maps, before resolving: @path (the state or
 * log directory) must be the object the pinned rules protect as
 * Permafrost's own, else something is mounted over it in this mount
 * namespace (-ESTALE with @err). Nothing to compare (0): no pinned maps,
 * or self-protection off in them. */
int pf_self_check_own_dir(const struct pf_self *s, struct bpf_object *obj, const char *what,
			  const char *path, struct pf_err *err);

/* Before loading: pins every map of @obj under s->maps_dir (reusing what
 * is there); a pinned ring buffer keeps its size (warned about when the
 * policy asks for another). */
int pf_self_pin_maps(struct pf_self *s, struct bpf_object *obj, uint64_t *ringbuf_size,
		     struct pf_err *err);

/* After loading: the config's agent identity and lock flag, the own-map
 * ids, this process in agent_procs, the agent's cgroups; with reused maps
 * the stale approvals are cleared (the agent reinstalls the live ones). */
int pf_self_setup(struct pf_self *s, struct bpf_object *obj, int lock_kernel, int self_protect,
		  struct pf_err *err);

/* Re-records the agent's cgroups when it has been moved (or cgroup v2
 * mounted since): called from the main loop, about once a second. */
void pf_self_refresh(struct pf_self *s, struct bpf_object *obj);

/* Adds the implicit protect rules for Permafrost's own files to @r (and
 * finishes it). */
int pf_self_add_rules(struct pf_resolved *r, const struct pf_self_paths *p,
		      const struct pf_self *s, struct pf_err *err);

/* Can the pinned link set @dir be adopted as it is? 1: complete and the
 * same programs (tags) as @obj's, using the pinned maps; 0: a complete set
 * of another build; -1: incomplete (a link pin missing or unreadable). */
int pf_self_set_status(const struct pf_self *s, struct bpf_object *obj, const char *dir);

/* Removes the map pins (when the agent stops thawed). */
void pf_self_unpin_maps(const struct pf_self *s);

/* Why a directory in bpffs could not be made (@err: positive errno), for
 * the message that names the fix. */
const char *pf_self_pin_hint(int err);

/* oom_score_adj -1000 (needs CAP_SYS_RESOURCE: call before dropping it). */
int pf_self_oom_protect(struct pf_err *err);

#endif
