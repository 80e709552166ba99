#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ctl.h"
#include "event.h"
#include "state.h"
#include "util.h"

static int parse_u64(const char *s, uint64_t max, uint64_t *ret)
{
	char *end;
	unsigned long long v;

	if (!s || !*s || *s == '-' || *s == '+')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v > max)
		return -EINVAL;
	*ret = v;
	return 0;
}

int pf_state_load(const char *dir, struct pf_state *ret, struct pf_err *err)
{
	struct pf_state s = { 0 };
	struct pf_msg m;
	char *path, *buf = NULL;
	struct pf_err derr;
	size_t len;
	uint64_t v;
	const char *mode, *reason;
	int r;

	path = pf_path_join(dir, PF_STATE_FILE);
	if (!path)
		return -ENOMEM;
	r = pf_read_file(path, 64 * 1024, &buf, &len);
	if (r < 0) {
		if (r != -ENOENT)
			pf_err_set(err, "%s: %s", path, strerror(-r));
		free(path);
		return r;
	}
	pf_msg_init(&m);
	r = pf_msg_decode(buf, len, &m, &derr);
	if (r < 0) {
		pf_err_set(err, "%s: damaged: %s", path, derr.msg);
		goto out;
	}
	mode = pf_msg_get(&m, "mode");
	r = -EINVAL;
	if (!mode || pf_mode_parse(mode) < 0) {
		pf_err_set(err, "%s: damaged: missing or invalid 'mode'", path);
		goto out;
	}
	s.mode = pf_mode_parse(mode);
	if (parse_u64(pf_msg_get(&m, "since"), INT64_MAX, &v) < 0) {
		pf_err_set(err, "%s: damaged: missing or invalid 'since'", path);
		goto out;
	}
	s.since = (int64_t)v;
	if (parse_u64(pf_msg_get(&m, "by_uid"), UINT32_MAX, &v) < 0) {
		pf_err_set(err, "%s: damaged: missing or invalid 'by_uid'", path);
		goto out;
	}
	s.by_uid = (uint32_t)v;
	if (parse_u64(pf_msg_get(&m, "by_pid"), UINT32_MAX, &v) == 0)
		s.by_pid = (uint32_t)v;
	reason = pf_msg_get(&m, "reason");
	if (reason && strlen(reason) > PF_REASON_MAX) {
		pf_err_set(err, "%s: damaged: 'reason' longer than %d bytes", path,
			 PF_REASON_MAX);
		goto out;
	}
	snprintf(s.reason, sizeof(s.reason), "%s", reason ? reason : "");
	if (pf_msg_get(&m, "break_until")) {
		if (parse_u64(pf_msg_get(&m, "break_until"), INT64_MAX, &v) < 0) {
			pf_err_set(err, "%s: damaged: invalid 'break_until'", path);
			goto out;
		}
		s.break_until = (int64_t)v;
	}
	*ret = s;
	r = 0;
out:
	pf_msg_free(&m);
	free(buf);
	free(path);
	return r;
}

int pf_state_save(const char *dir, const struct pf_state *s)
{
	struct pf_msg m;
	struct pf_buf b;
	char *path;
	int r;

	path = pf_path_join(dir, PF_STATE_FILE);
	if (!path)
		return -ENOMEM;
	pf_msg_init(&m);
	pf_buf_init(&b);
	r = pf_msg_add(&m, "mode", pf_mode_name((uint32_t)s->mode));
	if (!r)
		r = pf_msg_addf(&m, "since", "%lld", (long long)s->since);
	if (!r)
		r = pf_msg_addf(&m, "by_uid", "%u", s->by_uid);
	if (!r)
		r = pf_msg_addf(&m, "by_pid", "%u", s->by_pid);
	if (!r)
		r = pf_msg_add(&m, "reason", s->reason);
	if (!r && s->break_until)
		r = pf_msg_addf(&m, "break_until", "%lld", (long long)s->break_until);
	if (!r)
		r = pf_msg_encode(&m, &b);
	if (!r)
		r = pf_write_file_atomic(path, b.data, b.len, 0600);
	pf_buf_free(&b);
	pf_msg_free(&m);
	free(path);
	return r;
}
