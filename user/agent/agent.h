/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* permafrostd, the Permafrost agent: what its parts share.
 *
 * One file per concern (docs/architecture.md draws the data paths):
 *   main.c       options, the start-up steps in order, the event loop, stop
 *   basics.c     verbosity, messages on stderr, the boot clock
 *   bpf.c        the kernel's features, the build and programs that fit it,
 *                loading, attaching, pinned link sets
 *   caps.c       the privileges kept once serving
 *   maps.c       writing the kernel's maps: config, rules, guards
 *   rules.c      policy -> resolution -> view check -> maps; reload; check
 *   events.c     ring buffer -> unit lookup -> audit log; lost accounting
 *   records.c    the records the agent itself writes (and their syslog copy)
 *   verify.c     a token checked against this host: signers, identity, clock
 *   approvals.c  a verified token -> the kernel's approvals map, kept, revoked
 *   inbox.c      tokens dropped into STATE_DIR/inbox
 *   freeze.c     mode changes: freeze, thaw
 *   control.c    the control socket: peers, framing, the command table
 *   status.c     the status reply
 *   liveness.c   heartbeat, downtime (gap records), metrics
 *   outage.c     the log's outage kept in the kernel (kill -9), log-gap to syslog
 *   pinned.c     one-entry arrays pinned until reboot (chain head, outage)
 *   selfprot.c   self-protection, the agent's half
 *   aiagents.c   AI agents: their files into the kernel, names for records
 *   airoutes.c   AI agents: the routes out of their trees (sockets, ssh, spools) */
#ifndef PF_AGENT_H
#define PF_AGENT_H

#include "err.h"

#include <limits.h>
#include <stdint.h>
#include <sys/types.h>

#include "permafrost.h"
#include "apstore.h"
#include "approve.h"
#include "ctl.h"
#include "json.h"
#include "kernel.h"
#include "policy.h"
#include "resolve.h"
#include "hostid.h"
#include "selfprot.h"
#include "state.h"
#include "event.h"
#include "util.h"
#include "wallclock.h"
#include "ringread.h"

struct bpf_map;
struct btf;
struct bpf_object;
struct bpf_object_skeleton;
struct ring_buffer;
struct pf_auditlog;

/* Live approvals the agent tracks (the kernel holds their entries). */
#define PF_MAX_APPROVALS 256
/* Systemd units of recent callers' cgroups (a cgroup v2 id names one
 * cgroup for the life of the boot, so entries never go stale). */
#define PF_UNIT_CACHE 64
/* Previous agents' pinned link sets found at start. */
#define PF_MAX_OLD_SETS 8

/* Where everything is; fixed at start. */
struct agent_paths {
	const char *policy, *state_dir, *log, *sock, *pin_dir;
	char log_dir[PATH_MAX];      /* the directory of log */
	char boot_id_file[PATH_MAX]; /* pf_boot_id's fallback, beside the socket */
};

/* The maps the agent reads and writes (bpf/maps.bpf.h). */
struct agent_maps {
	struct bpf_map *config, *rules, *protected_sbs, *guards, *events, *approvals, *lost,
		*counters, *schedule;
};

struct pf_build;

/* The BPF side: the loaded object (one of the two builds, bpf.c), its
 * maps, its pinned link set, self-protection. */
struct agent_kernel {
	const struct pf_build *build;
	void *skel;                       /* the build's skeleton */
	struct bpf_object_skeleton *sk;   /* its programs and links */
	struct bpf_object *obj;
	struct agent_maps maps;
	struct pf_kernel features;        /* check_kernel */
	struct btf *btf;                  /* the kernel's, until loaded */
	/* hooks this kernel has no program of ours for (not enforced here),
	 * space-separated */
	char unenforced[256];
	char pin_set[512];                      /* ours: pin_dir/links-<pid> */
	char old_sets[PF_MAX_OLD_SETS][512];    /* previous agents' sets */
	size_t n_old_sets;
	int64_t load_ns, attach_ns;             /* how long each took at start */
	unsigned n_loaded;                      /* programs this kernel got */
	int adopted;                            /* the previous set adopted */
	struct pf_self self;
	struct pf_self_paths self_paths;
};

struct unit_info {
	uint64_t cgroup_id; /* 0: empty */
	char unit[128];
};

/* Kernel events into the audit log. */
struct agent_events {
	struct pf_ring ring; /* the events map's pages (ringread.h) */
	int ring_open;
	struct pf_auditlog *log;
	int in_outage;        /* the log cannot be written (auditlog.h) */
	uint64_t bat_events;  /* kernel events in the batch being built */
	uint64_t missed_now, missed_past; /* records not written: this outage, earlier ones */
	uint64_t lost_reported; /* the kernel's lost counter, as far as reported */
	uint32_t lost_map_id;   /* which counter: the lost map's id */
	uint64_t logged, bad_samples, log_errors;
	/* from the log's tail at start (events.c, scan_log_tail) */
	uint64_t tail_ev_boot_ns, tail_lost_total;
	uint32_t tail_ev_tid;
	int64_t tail_lost_time;
	uint64_t dup_skipped;
	int cgroot_fd; /* /sys/fs/cgroup (cgroup2) for unit names, or -1 */
	int chain_fd;  /* the chain head's map (chainhead.c), or -1 */
	int outage_fd; /* the log outage's map (outage.c), or -1 */
	uint64_t outage_kept, outage_kept_ev; /* missed and last event as kept there */
	uint64_t bat_last_boot_ns; /* the last kernel event taken from the ring */
	uint32_t bat_last_tid;
	char tail_gap_from[64]; /* the "from" of the log's last log-gap record */
	uint64_t chain_published; /* the seq last written there */
	struct unit_info units[PF_UNIT_CACHE];
	/* boot ns: re-resolve then (an approved change may have replaced a
	 * protected object); 0: none pending */
	int64_t refresh_at;
	/* the first decision of the kernel's runs of repeats, for their
	 * pf_repeat's line (events.c): two per kernel slot, run_newest says
	 * which was seen last */
	struct run_seen *runs;
	unsigned char *run_newest;
	uint64_t repeats_joined, repeats_unjoined; /* pf_repeat lines, with and without */
	int64_t sweep_at; /* boot ns of the next sweep of the runs */
};

struct live_approval {
	int used;
	char id[33];
	char *ticket;
	char *approvers; /* space-separated */
	char *paths;     /* space-separated, as in the token */
	unsigned ops;
	int64_t not_after;
	uint64_t expires_boot;
	struct pf_akey *keys;
	size_t n_keys;
};

struct agent_approvals {
	struct pf_used used; /* spent token ids */
	struct live_approval ap[PF_MAX_APPROVALS];
	struct pf_wallclock clock; /* token checks (wallclock.h) */
	int clock_warned; /* a step back was reported; cleared once caught up */
};

struct agent_inbox {
	char *dir;     /* state_dir/inbox */
	int fd;        /* inotify */
	int pending;   /* a scan stopped at PF_INBOX_MAX_PER_SCAN */
	int64_t next;  /* boot ns of the next periodic scan */
	/* the token decide() accepted last, for report()'s record */
	char token[PF_TOKEN_ID_LEN + 1], ticket[PF_TOKEN_MAX_TICKET + 1];
	char approvers[512], paths[1024];
};

/* Clients served at once; one more is told "busy" and closed. */
#define PF_CTL_MAX_CLIENTS 16

struct ctl_client; /* control.c */

/* Freeze windows in the kernel (schedule.c). */
struct agent_schedule {
	struct pf_schedule prog;       /* what the kernel holds */
	struct pf_schedule in_stretch; /* the stretch in force, as entered */
	int in;                        /* inside it, as last noticed */
	int flag_set;                  /* PF_CFG_SCHEDULE as last written */
	int ticked;                    /* schedule_tick ran once */
	uint64_t gen;                  /* the policy generation programmed for */
	int64_t last_w, last_b;        /* the clocks at the last tick (ns) */
};

struct agent_control {
	int listen_fd;
	gid_t pf_gid; /* the permafrost group, if it exists */
	int have_gid;
	struct ctl_client *clients[PF_CTL_MAX_CLIENTS];
};

struct agent_liveness {
	struct pf_hostid id;  /* read at start and at each freeze (hostid.h) */
	char boot_id[64];     /* pf_boot_id(), read once at start */
	int64_t started_ns;   /* wall clock */
	int64_t heartbeat_at, metrics_at; /* boot ns of the next write */
};

/* How long the steps of the last refresh_rules() took (monotonic ns): for
 * -v at start and for the native apply benchmark. */
struct agent_apply_times {
	int64_t resolve, self, view, rules, guards, ai;
};

struct agent {
	struct agent_paths paths;
	struct pf_policy *pol;
	struct pf_resolved *res;
	struct pf_state st;
	struct agent_kernel k;
	struct agent_events ev;
	struct agent_approvals apr;
	struct agent_inbox inbox;
	struct agent_control ctl;
	struct agent_liveness live;
	struct agent_schedule sched;
	uint64_t pol_gen; /* bumped by every policy reload */
	struct agent_apply_times apply;
	struct pf_key *ai_keys; /* identity of each pol->ai_exes[i] (ino 0: missing) */
	struct ai_tree *ai_trees; /* denials per agent tree (aiagents.c) */
	size_t n_ai_trees, cap_ai_trees;
	int ai_addrs_warned; /* airoutes.c said once the addresses are not all in */
	int sig_fd, epfd;
};

/* A control-socket peer (SO_PEERCRED). */
struct peer {
	uid_t uid;
	gid_t gid;
	pid_t pid;
};

/* basics.c */
extern int pf_verbose;
void warnx_(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int64_t boot_now_ns(void);

/* bpf.c */
int check_kernel(struct agent *a, struct pf_err *err);
/* Opens the build that fits this kernel and sizes its maps (a->k.skel,
 * obj, maps); nothing is in the kernel yet. load_bpf() starts with it. */
int open_bpf(struct agent *a, struct pf_err *err);
int load_bpf(struct agent *a, struct pf_err *err);
void unload_bpf(struct agent *a);
const char *bpf_build_name(const struct agent *a);
void find_old_pins(struct agent *a);
int adopt_or_attach(struct agent *a, struct pf_err *err);
void remove_pins(const char *dir);
unsigned pinned_links(struct agent *a, unsigned *ret_expected);
int drop_capabilities(struct pf_err *err);

/* maps.c */
int config_set_mode(struct agent *a, int mode);
int config_bump_gen(struct agent *a);
int config_set_n_approvals(struct agent *a, uint32_t n);
int maps_apply_rules(struct agent *a, const struct pf_resolved *r, struct pf_err *err);
int maps_apply_guards(struct agent *a, struct pf_err *err);
/* How the last fill of a map wrote its entries: "batched", or "single
 * (REASON)" where the kernel has no batch update. */
const char *maps_fill_how(void);
int maps_rule_of(struct agent *a, uint64_t dev, uint64_t ino, struct pf_rule *ret);
uint64_t percpu_sum(int fd, uint32_t key);
uint64_t counter(struct agent *a, uint32_t decision);
uint64_t lost_total(struct agent *a);

/* rules.c */
int refresh_rules(struct agent *a, struct pf_err *err);
int reload_policy(struct agent *a);
void cmd_check(struct agent *a, const struct pf_msg *req, struct pf_msg *rep,
	       const struct peer *p);

/* records.c */
void log_append(struct agent *a, const struct pf_buf *b);
/* A field of a record the agent writes: a string or a number (numbers are
 * JSON numbers, never strings). */
struct rec_field {
	const char *key;
	const char *str;
	uint64_t num;
	int is_num;
};
#define F_STR(k, v) ((struct rec_field){ .key = (k), .str = (v) })
#define F_NUM(k, v) ((struct rec_field){ .key = (k), .num = (uint64_t)(v), .is_num = 1 })
/* A record the agent writes itself: "decision", "mode", the fields, "pid";
 * a copy to syslog when the policy asks. */
void log_record_n(struct agent *a, const char *decision, const struct rec_field *f, size_t n);
#define log_record(a, decision, ...)                                                     \
	log_record_n((a), (decision), (const struct rec_field[]){ __VA_ARGS__ },         \
		     sizeof((const struct rec_field[]){ __VA_ARGS__ }) / sizeof(struct rec_field))
int syslog_priority(const char *decision);

/* events.c */
int events_open(struct agent *a, struct pf_err *err);
int events_fd(struct agent *a); /* for epoll: readable when samples wait */
uint64_t events_missed(struct agent *a); /* records not written in outages */
void events_status(struct agent *a, struct pf_msg *rep); /* status: the log's outage */
void events_drain(struct agent *a);
int events_set_window(struct agent *a); /* policy event-repeat-window into the config */
void events_sweep(struct agent *a);     /* end the kernel's runs whose window closed */
int events_wait_ms(struct agent *a, int cap); /* the loop's wait: no longer than a sweep's */
void events_check_lost(struct agent *a);
void events_close(struct agent *a);

/* schedule.c */
void schedule_tick(struct agent *a);
/* The schedule's mode now (PF_MODE_OFF outside a stretch). */
int schedule_active(const struct agent *a);
/* The mode in force: the stricter of the manual one and the schedule's. */
int agent_mode(const struct agent *a);
/* A thaw inside a stretch lifts it until the next start: 1 (and a
 * sentence in @note), 0 when no stretch is in force, or -errno. */
int schedule_break_glass(struct agent *a, char *note, size_t notesz);
void schedule_status(struct agent *a, struct pf_msg *rep);
int64_t schedule_next_transition_s(const struct agent *a);

/* chainhead.c */
int chainhead_open(struct agent *a, struct pf_err *err);
void chainhead_publish(struct agent *a);
void chainhead_status(struct agent *a, struct pf_msg *rep);
void chainhead_close(struct agent *a);

/* outage.c */
void outage_open(struct agent *a);
void outage_keep(struct agent *a);
void outage_ended(struct agent *a);
void outage_close(struct agent *a);

/* pinned.c: a one-entry array <pin dir>/@file (map pf_<file>, '-' as '_')
 * of @value_size bytes, the agent's alone; one of another layout is
 * replaced. Its fd, or -errno with @err. */
int pinned_own_open(struct agent *a, const char *file, size_t value_size, struct pf_err *err);

/* verify.c */
int64_t token_clock_ns(struct agent *a);
int verify_token(struct agent *a, const struct pf_approve_input *in, const char *allow_id,
		 struct pf_approval **ret, struct pf_err *err);
int request_input(const struct pf_msg *req, struct pf_approve_input *in, struct pf_text *sigs,
		  size_t max_sigs);

/* approvals.c */
void approvals_reload(struct agent *a);
void approvals_expire(struct agent *a);
void approvals_free(struct agent *a);
size_t approvals_live(const struct agent *a);
const struct live_approval *approval_at(const struct agent *a, uint32_t slot);
int approve_token(struct agent *a, const struct pf_approve_input *in,
		  struct pf_approval **ret_ap, int *ret_slot, struct pf_err *err);
void cmd_approve(struct agent *a, const struct pf_msg *req, struct pf_msg *rep,
		 const struct peer *p);
void cmd_revoke(struct agent *a, const struct pf_msg *req, struct pf_msg *rep,
		const struct peer *p);

/* inbox.c */
int inbox_init(struct agent *a, struct pf_err *err);
void inbox_scan(struct agent *a);
void inbox_event(struct agent *a);
void inbox_close(struct agent *a);

/* freeze.c */
void cmd_freeze(struct agent *a, const struct pf_msg *req, struct pf_msg *rep,
		const struct peer *p);
void cmd_thaw(struct agent *a, const struct pf_msg *req, struct pf_msg *rep,
	      const struct peer *p);

/* control.c */
int control_open(struct agent *a, struct pf_err *err);
void control_accept(struct agent *a);
/* @fd is a client's (and then served: readable or writable), or not ours: 0. */
int control_client_event(struct agent *a, int fd, uint32_t events);
/* Drops clients past their request's deadline; ms until the next one's
 * (or @cap). */
int control_expire(struct agent *a, int cap);
void control_close(struct agent *a);
void reply_error(struct pf_msg *rep, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* status.c */
void cmd_status(struct agent *a, const struct pf_msg *req, struct pf_msg *rep,
		const struct peer *p);

/* aiagents.c */
/* The policy's AI agents' files into `ai_exes`, units into `ai_units`,
 * agent-mode into the config. */
int ai_apply(struct agent *a, struct pf_err *err);
/* An event's agent index as a name (NULL for PF_AI_NONE; "#N" for an
 * index the policy no longer has), its root file as the policy's path
 * (else "MAJOR:MINOR:INO"); @buf holds what is made up. */
const char *ai_name(const struct agent *a, uint32_t idx, char *buf, size_t size);
const char *ai_exe_path(const struct agent *a, uint64_t dev, uint64_t ino, char *buf,
			size_t size);
/* A decision taken for an AI agent's tree (an event with its mark): counted
 * for status. */
void ai_count(struct agent *a, const struct pf_event *e, uint64_t n);
/* The live agent trees in the status reply: name, root pid, since,
 * processes now, denials so far. */
void ai_status(struct agent *a, struct pf_msg *rep);

/* airoutes.c */
/* agent-deny-socket and agent-ssh-port into `ai_sockets` and
 * `ai_ssh_ports`, the host's addresses into `ai_local_addrs`. */
int ai_routes_apply(struct agent *a, struct pf_err *err);
/* The host's addresses again (every second). */
void ai_routes_tick(struct agent *a);
/* With agents and agent-mode on: the at/cron spools and systemd's unit
 * directories the policy does not protect, as agent-only entries of @r
 * (rule PF_RULEID_AI_ONLY). Before pf_self_add_rules (which finishes @r). */
int ai_routes_add_rules(struct agent *a, struct pf_resolved *r, struct pf_err *err);

/* liveness.c */
void log_downtime(struct agent *a, int had_pins);
void liveness_tick(struct agent *a);

#endif
