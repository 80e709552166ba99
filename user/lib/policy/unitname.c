/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* systemd unit names for `agent NAME unit=UNIT`: validity (systemd's own
 * rules for a unit name, limited to the unit types that own a cgroup) and
 * the cgroup directory name systemd derives from it. */
#include <errno.h>
#include <string.h>

#include "unitname.h"

/* Suffixes of the units whose processes sit in a cgroup of their own. */
static const char *const unit_suffixes[] = { ".service", ".scope", ".slice" };

/* systemd's cgroup controller names: "<controller>.<anything>" would read
 * like a controller's file, so systemd puts a '_' before such a name. */
static const char *const controllers[] = {
	"cpu",          "cpuacct",     "cpuset",          "io",
	"blkio",        "memory",      "devices",         "pids",
	"bpf-firewall", "bpf-devices", "bpf-foreign",     "bpf-socket-bind",
	"bpf-restrict-network-interfaces",
};

static int unit_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == ':' || c == '-' || c == '_' || c == '.' || c == '\\' || c == '@';
}

const char *pf_unit_name_problem(const char *s, size_t n)
{
	const char *at, *suffix = NULL;
	size_t stem;

	if (n == 0)
		return "it is empty";
	if (n > PF_UNIT_NAME_MAX)
		return "it is longer than 255 bytes";
	for (size_t i = 0; i < n; i++)
		if (!unit_char(s[i]))
			return "it has a character outside A-Z a-z 0-9 : - _ . \\ @";
	for (size_t i = 0; i < sizeof(unit_suffixes) / sizeof(unit_suffixes[0]); i++) {
		size_t l = strlen(unit_suffixes[i]);

		if (n >= l && memcmp(s + n - l, unit_suffixes[i], l) == 0)
			suffix = unit_suffixes[i];
	}
	if (!suffix)
		return "it does not end in .service, .scope or .slice (the units that hold "
		       "processes in a cgroup of their own)";
	stem = n - strlen(suffix);
	at = memchr(s, '@', stem);
	if (stem == 0 || at == s)
		return "it has no name before its suffix";
	if (at && at + 1 == s + stem)
		return "it is a template (no instance after '@'): name an instance, e.g. "
		       "foo@1.service";
	if (n == 7 && memcmp(s, "-.slice", 7) == 0)
		return "-.slice is the root of every cgroup (every process would be an agent's)";
	if (n == 10 && memcmp(s, "init.scope", 10) == 0)
		return "init.scope is PID 1's (every process it starts would be an agent's)";
	return NULL;
}

static int needs_escape(const char *unit)
{
	if (unit[0] == '_' || unit[0] == '.' || strncmp(unit, "cgroup.", 7) == 0)
		return 1;
	for (size_t i = 0; i < sizeof(controllers) / sizeof(controllers[0]); i++) {
		size_t l = strlen(controllers[i]);

		if (strncmp(unit, controllers[i], l) == 0 && unit[l] == '.')
			return 1;
	}
	return 0;
}

int pf_unit_cgroup_name(const char *unit, char *ret, size_t size)
{
	int esc = needs_escape(unit);
	size_t n = strlen(unit);

	if (n + (size_t)esc + 1 > size)
		return -ENAMETOOLONG;
	if (esc)
		ret[0] = '_';
	memcpy(ret + esc, unit, n + 1);
	return 0;
}
