/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The policy file: sshd_config-style directives, see policy/README.md.
 *
 * Parsing is all-or-nothing: on any error nothing is returned and err->msg
 * holds one line "FILE:LINE:COL: message" (COL is the 1-based byte column
 * of the offending token). Errors that have no position (the file cannot be
 * opened or read) are "FILE: message". */
#ifndef PF_POLICY_H
#define PF_POLICY_H

#include "err.h"
#include "unitname.h"
#include "window.h"

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Hard limits, each reported by name when exceeded. */
#define PF_POLICY_MAX_FILE ((size_t)16 << 20) /* bytes in the file */
#define PF_POLICY_MAX_LINE 8192               /* bytes in a line, without '\n' */
#define PF_POLICY_MAX_RULES 200000            /* protect + exempt paths */
#define PF_POLICY_MAX_PATH 4095               /* bytes in a path */
#define PF_POLICY_MAX_APPROVALS 16
#define PF_POLICY_MAX_WINDOWS 64              /* freeze-window + change-window lines */
#define PF_POLICY_MAX_AI 64                   /* agent lines (PF_MAX_AI_AGENTS) */
#define PF_POLICY_MAX_AI_EXES 256             /* exe= options in all (PF_MAX_AI_EXES) */
#define PF_POLICY_AI_NAME_MAX 32              /* bytes in an agent's name */
#define PF_POLICY_MAX_AI_SOCKETS 64           /* agent-deny-socket paths, defaults included
						 (PF_MAX_AI_SOCKETS) */
#define PF_POLICY_AI_SOCKET_MAX 107           /* bytes in one (sun_path, its NUL aside) */
#define PF_POLICY_MAX_AI_SSH_PORTS 8          /* ports on agent-ssh-port (PF_MAX_AI_SSH_PORTS) */
#define PF_POLICY_MAX_AI_UNITS 64             /* unit= options in all (PF_MAX_AI_UNITS) */


enum { PF_POL_PROTECT = 1, PF_POL_EXEMPT = 2 }; /* same values as PF_RULE_PROTECT/EXEMPT in bpf/permafrost.h */

struct pf_policy_rule {
	char *path;
	int kind;
	unsigned approvals; /* 0 = policy default */
	unsigned line;
};

/* `agent NAME exe=PATH... unit=UNIT...`: an AI agent, known by the files
 * that start it and the systemd units it runs as. Its index (in pf_policy.ai) is what the kernel's marks carry. */
struct pf_policy_ai {
	char name[PF_POLICY_AI_NAME_MAX + 1];
	unsigned line;
};

struct pf_policy_ai_exe {
	char *path;
	size_t agent; /* index into pf_policy.ai */
	unsigned line;
};

/* `agent NAME unit=UNIT`: a systemd unit whose processes are the agent's
 * (by the name of their cgroup, bpf/aiagent.bpf.h). */
struct pf_policy_ai_unit {
	char name[PF_UNIT_NAME_MAX + 1]; /* valid (unitname.h) */
	size_t agent; /* index into pf_policy.ai */
	unsigned line;
};

struct pf_policy {
	char *file;
	int mode; /* enum pf_mode */
	struct pf_policy_rule *rules;
	size_t n_rules;
	char *allowed_signers; /* NULL if not set */
	unsigned approvals, thaw_approvals;
	uint64_t max_token_ttl_s;
	uint64_t log_max_size;
	unsigned log_keep;
	uint64_t ringbuf_size;
	uint64_t repeat_window_ms; /* event-repeat-window; 0: off */
	char *metrics_file; /* NULL if not set */
	int lock_kernel;
	int syslog; /* copy each audit record to syslog (default 1) */
	int self_protect; /* protect Permafrost itself while enforcing (default yes) */
	int requester_signs; /* a token's requester must sign it, and does not count
				(default no) */
	struct pf_window *windows; /* freeze-window and change-window lines, in file
				      order (see schedule.h for what they mean) */
	size_t n_windows;
	struct pf_policy_ai *ai;   /* agent lines, in file order */
	size_t n_ai;
	struct pf_policy_ai_exe *ai_exes; /* their exe= paths, in file order */
	size_t n_ai_exes;
	struct pf_policy_ai_unit *ai_units; /* their unit= names, in file order */
	size_t n_ai_units;
	int ai_mode;               /* agent-mode (enum pf_mode; default off) */
	unsigned ai_approvals;     /* agent-approvals (default 2) */
	/* The routes out of an agent's tree (bpf/agentroutes.bpf.h): Unix
	 * sockets its processes may not connect to (the built-in list, see
	 * pf_policy_ai_default_sockets, then each agent-deny-socket line's),
	 * and sshd's ports (agent-ssh-port; default 22). */
	char ai_sockets[PF_POLICY_MAX_AI_SOCKETS][PF_POLICY_AI_SOCKET_MAX + 1];
	size_t n_ai_sockets;
	uint16_t ai_ssh_ports[PF_POLICY_MAX_AI_SSH_PORTS];
	size_t n_ai_ssh_ports;
};

/* Parses buf[0..len) (need not be NUL-terminated); file names it in errors
 * (NULL: "policy"). Returns 0 and *ret, or -EINVAL (syntax or semantics),
 * -EFBIG (file larger than PF_POLICY_MAX_FILE), -E2BIG (line too long, too
 * many rules), -ENOMEM. err may be NULL. */
int pf_policy_parse(const char *file, const char *buf, size_t len, struct pf_policy **ret, struct pf_err *err);
/* Reads the file (size cap checked before allocation), then parses.
 * Also returns the negative errno of a failed open/read. */
int pf_policy_load(const char *path, struct pf_policy **ret, struct pf_err *err);
void pf_policy_free(struct pf_policy *p);
/* Longest-prefix decision on a normalised absolute path purely by string:
 * returns the index of the nearest rule that is the path itself or an
 * ancestor, or -1. Used by `policy check` and tests. */
ssize_t pf_policy_match(const struct pf_policy *p, const char *path);

/* The number of approvers a change to @path needs: the highest `approvals`
 * (or the policy default) of every protect rule enclosing it, and with
 * @subtree of every protect rule below it too. @path may end in '/'. The
 * path must be protected — its nearest rule a protect, a tree's root
 * included — else -ENOENT (outside every protected tree, an exempt
 * subtree, or an ancestor of protected trees such as "/").
 * -ENAMETOOLONG beyond PF_POLICY_MAX_PATH. */
int pf_policy_threshold(const struct pf_policy *p, const char *path, int subtree,
			unsigned *ret_threshold);
/* The `approvals` of rule @rule (its own, or the policy default); 0 for an
 * index beyond the rules. */
unsigned pf_policy_rule_threshold(const struct pf_policy *p, size_t rule);

/* The index of the agent line named @name, or -1. */
ssize_t pf_policy_ai_find(const struct pf_policy *p, const char *name);
/* Approvers a change by an AI agent's process needs where the path's own
 * rule asks @path_threshold: agent-approvals, never below the path's. */
unsigned pf_policy_ai_threshold(const struct pf_policy *p, unsigned path_threshold);

/* The Unix sockets agent-deny-socket starts from (NULL-terminated): PID
 * 1's private socket, the system bus, root's user manager and bus, the
 * container engines, each also as /var/run/... */
extern const char *const pf_policy_ai_default_sockets[];

/* "90s", "30m", "24h", "7d": digits and exactly one unit. 0, -EINVAL
 * (syntax) or -ERANGE (overflow); *ret_seconds untouched on failure. */
int pf_parse_duration(const char *s, uint64_t *ret_seconds);
/* "0", "NNNms" or a pf_parse_duration() duration, in milliseconds. */
int pf_parse_ms(const char *s, uint64_t *ret_ms);
/* "4096", "512K", "64M", "1G", "2T" (binary units, case-insensitive). 0,
 * -EINVAL or -ERANGE; *ret_bytes untouched on failure. */
int pf_parse_size(const char *s, uint64_t *ret_bytes);

#endif
