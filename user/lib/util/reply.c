/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The control socket's replies, typed; see reply.h. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "reply.h"
#include "util.h"

/* Every numeric key of every reply (status, freeze, approve, check...);
 * every other key is a string. A list is declared by its "name[]". */
static const char *const numeric[] = {
	/* status: policy and resolution */
	"by_uid", "by_pid", "rules", "objects", "hardlinks", "symlink_targets", "loop_devices",
	"submounts", "filesystems", "trees_total", "tree_objects[]",
	/* status: counters */
	"denied", "would_deny", "approved", "tamper", "lost", "events", "events_logged",
	"log_missed", "log_missed_total",
	/* status: approvals */
	"approvals_live", "approval_left_s[]",
	/* status: the agent */
	"agent_pid", "uptime_s", "links_expected", "links_present",
	"chain_head_seq", "ai_trees", "ai_tree_root_pid[]", "ai_tree_tasks[]",
	"ai_tree_denied[]",
	/* approve */
	"expires_in_s",
};

enum pf_reply_type pf_reply_type(const char *key)
{
	for (size_t i = 0; i < PF_ARRAY_SIZE(numeric); i++)
		if (strcmp(key, numeric[i]) == 0)
			return PF_REPLY_NUM;
	return PF_REPLY_STR;
}

int pf_reply_str(struct pf_msg *m, const char *key, const char *value)
{
	if (pf_reply_type(key) != PF_REPLY_STR)
		return -EINVAL;
	return pf_msg_add(m, key, value);
}

int pf_reply_num(struct pf_msg *m, const char *key, uint64_t value)
{
	if (pf_reply_type(key) != PF_REPLY_NUM)
		return -EINVAL;
	return pf_msg_addf(m, key, "%" PRIu64, value);
}

/* @v as the declared type: a number only if it is one. */
static void value(struct pf_json *j, const char *key, const char *v)
{
	uint64_t n = 0;
	const char *p = v;

	if (pf_reply_type(key) == PF_REPLY_NUM && *p) {
		for (; *p >= '0' && *p <= '9'; p++) {
			uint64_t d = (uint64_t)(*p - '0');

			if (n > (UINT64_MAX - d) / 10)
				break; /* more than a uint64 */
			n = n * 10 + d;
		}
		if (!*p) {
			pf_json_uint(j, n);
			return;
		}
	}
	pf_json_str(j, v);
}

void pf_reply_json(const struct pf_msg *m, struct pf_buf *out)
{
	struct pf_json j;

	pf_json_init(&j, out, 1);
	pf_json_obj_begin(&j);
	for (size_t i = 0; i < m->n; i++) {
		const char *k = m->kv[i].key;
		size_t kl = strlen(k);
		char name[PF_MSG_KEY_MAX + 1];
		int seen = 0;

		if (kl < 3 || strcmp(k + kl - 2, "[]") != 0) {
			pf_json_key(&j, k);
			value(&j, k, m->kv[i].val);
			continue;
		}
		/* a list: all its items at the first one */
		for (size_t x = 0; x < i && !seen; x++)
			seen = strcmp(m->kv[x].key, k) == 0;
		if (seen)
			continue;
		snprintf(name, sizeof(name), "%.*s", (int)(kl - 2), k);
		pf_json_key(&j, name);
		pf_json_arr_begin(&j);
		for (size_t x = i; x < m->n; x++)
			if (strcmp(m->kv[x].key, k) == 0)
				value(&j, k, m->kv[x].val);
		pf_json_arr_end(&j);
	}
	pf_json_obj_end(&j);
}
