/* Unit tests for `permafrost doctor`: every check against fabricated files
 * and values (a root prefix, an injected release, uid, capabilities and
 * clock state, a fake agent on a socket), passing and failing, with the
 * exact finding and fix. */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/capability.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timex.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <bpf/btf.h>

#include "ctl.h"
#include "doctor.h"
#include "json.h"
#include "tap.h"
#include "util.h"

static char dir[64];

static char *fmt(const char *f, ...) __attribute__((format(printf, 1, 2)));
static char *fmt(const char *f, ...)
{
	static char buf[8][2048];
	static int k;
	va_list ap;
	char *b = buf[k++ % 8];

	va_start(ap, f);
	vsnprintf(b, sizeof(buf[0]), f, ap);
	va_end(ap);
	return b;
}

/* Writes @content to dir/@rel, creating its directories. */
static void put(const char *rel, const char *content)
{
	char path[512], cmd[600];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	snprintf(cmd, sizeof(cmd), "mkdir -p \"$(dirname '%s')\"", path);
	if (system(cmd) != 0)
		exit(2);
	f = fopen(path, "w");
	if (!f)
		exit(2);
	fputs(content, f);
	fclose(f);
}

static void rm(const char *rel)
{
	unlink(fmt("%s/%s", dir, rel));
}

static struct pf_doctor_env base(void)
{
	struct pf_doctor_env e = {
		.root = dir,
		.release = "6.12.57+deb13-cloud-amd64",
		.euid = 0,
		.caps_eff = (1ULL << CAP_BPF) | (1ULL << CAP_PERFMON) | (1ULL << CAP_SYS_ADMIN) |
			    (1ULL << CAP_DAC_READ_SEARCH),
		.clock_rc = 0,
		.clock_status = 0,
		.policy_path = NULL,
		.socket_path = NULL,
	};
	return e;
}

#define EXPECT(fn, env, want_result, want_finding, want_fix, label)                          \
	do {                                                                                   \
		struct pf_doctor_check _c;                                                     \
		fn(env, &_c);                                                                  \
		TAP_STREQ(pf_doctor_result_name(_c.result), pf_doctor_result_name(want_result), \
			  "%s: result", label);                                                \
		TAP_STREQ(_c.finding, want_finding, "%s: finding", label);                     \
		TAP_STREQ(_c.fix, want_fix, "%s: fix", label);                                 \
	} while (0)

/* Features a fabricated kernel BTF offers (kernel.h). */
enum {
	K_LSM = 1 << 0,
	K_RINGBUF = 1 << 1,
	K_INODE_STORAGE = 1 << 2,
	K_BOOT_NS = 1 << 3,
	K_LOOP = 1 << 4,
	K_TASK_BTF = 1 << 5,
	K_NEW_HOOKS = 1 << 6, /* file_truncate, inode_set_acl, inode_remove_acl (6.2) */
	K_STRUCT_ARGS = 1 << 7, /* programs on hooks with struct arguments (6.1) */
};
#define K_510 (K_LSM | K_RINGBUF | K_INODE_STORAGE | K_BOOT_NS)
#define K_61 (K_510 | K_LOOP | K_TASK_BTF | K_STRUCT_ARGS)
#define K_612 (K_61 | K_NEW_HOOKS)

/* bpf_lsm_@hook(int, ...): @nargs arguments, the last one of type @last
 * (int_id, or a struct) */
static void add_hook(struct btf *b, int int_id, const char *hook, int nargs, int last)
{
	char name[64];
	int proto = btf__add_func_proto(b, int_id);

	for (int i = 0; i < nargs; i++)
		btf__add_func_param(b, "a", i == nargs - 1 ? last : int_id);
	snprintf(name, sizeof(name), "bpf_lsm_%s", hook);
	btf__add_func(b, name, BTF_FUNC_GLOBAL, proto);
}

/* Writes dir/sys/kernel/btf/vmlinux: a raw BTF with the enum values and
 * bpf_lsm_* functions of @features. */
static void put_btf(unsigned features)
{
	struct btf *b = btf__new_empty();
	const void *raw;
	uint32_t size;
	int int_id = btf__add_int(b, "int", 4, BTF_INT_SIGNED);
	int kgid_id = btf__add_struct(b, "kgid_t", 4);
	char path[512];
	FILE *f;

	btf__add_field(b, "val", int_id, 0, 0);
	btf__add_enum(b, "bpf_map_type", 4);
	btf__add_enum_value(b, "BPF_MAP_TYPE_HASH", 1);
	if (features & K_RINGBUF)
		btf__add_enum_value(b, "BPF_MAP_TYPE_RINGBUF", 27);
	if (features & K_INODE_STORAGE)
		btf__add_enum_value(b, "BPF_MAP_TYPE_INODE_STORAGE", 28);
	btf__add_enum(b, "bpf_func_id", 4);
	btf__add_enum_value(b, "BPF_FUNC_map_lookup_elem", 1);
	if (features & K_BOOT_NS)
		btf__add_enum_value(b, "BPF_FUNC_ktime_get_boot_ns", 125);
	if (features & K_TASK_BTF)
		btf__add_enum_value(b, "BPF_FUNC_get_current_task_btf", 158);
	if (features & K_STRUCT_ARGS)
		btf__add_enum_value(b, "BPF_FUNC_user_ringbuf_drain", 209);
	if (features & K_LOOP)
		btf__add_enum_value(b, "BPF_FUNC_loop", 181);
	if (features & K_LSM) {
		add_hook(b, int_id, "file_open", 1, int_id);
		add_hook(b, int_id, "path_truncate", 1, int_id);
		add_hook(b, int_id, "path_chown", 3, kgid_id);
	}
	if (features & K_NEW_HOOKS) {
		add_hook(b, int_id, "file_truncate", 1, int_id);
		add_hook(b, int_id, "inode_set_acl", 4, int_id);
		add_hook(b, int_id, "inode_remove_acl", 3, int_id);
	}
	raw = btf__raw_data(b, &size);
	put("sys/kernel/btf/vmlinux", "");
	snprintf(path, sizeof(path), "%s/sys/kernel/btf/vmlinux", dir);
	f = fopen(path, "w");
	if (!f || !raw || fwrite(raw, 1, size, f) != size)
		exit(2);
	fclose(f);
	btf__free(b);
}

static const char *const FIX_KERNEL =
	"install a 5.10 or newer kernel (Debian: apt install linux-image-amd64) and reboot into it";
static const char *const FIX_KERNEL_BTF =
	"install a 5.10 or newer kernel built with CONFIG_DEBUG_INFO_BTF=y (Debian: apt install "
	"linux-image-amd64) and reboot into it";
#define ROUTES_62                                                                               \
	"no usable file_truncate hook: ftruncate(2) checked at path_truncate, no usable "        \
	"inode_set_acl hook: POSIX ACL changes checked at inode_setxattr, no usable "            \
	"inode_remove_acl hook: POSIX ACL removal checked at inode_removexattr"
#define ROUTES ROUTES_62 ", no usable path_chown hook: chown(2) checked at inode_setattr"

static void test_kernel(void)
{
	struct pf_doctor_env e = base();

	e.release = "6.12.57+deb13-cloud-amd64";
	put_btf(K_612);
	EXPECT(pf_doctor_kernel, &e, PF_DOC_OK,
	       "6.12.57+deb13-cloud-amd64: main build (path walks of up to 4096 levels)", "",
	       "kernel 6.12: main build");
	e.release = "6.1.0-27-cloud-amd64";
	put_btf(K_61);
	EXPECT(pf_doctor_kernel, &e, PF_DOC_OK,
	       "6.1.0-27-cloud-amd64: main build (path walks of up to 4096 levels); " ROUTES_62, "",
	       "kernel 6.1: main build, the 6.2 hooks' routes named");
	e.release = "5.10.0-32-cloud-amd64";
	put_btf(K_510);
	EXPECT(pf_doctor_kernel, &e, PF_DOC_OK,
	       "5.10.0-32-cloud-amd64: compat build (no bpf_loop): path walks of up to 64 levels, "
	       "deeper objects on protected filesystems are refused; " ROUTES,
	       "", "kernel 5.10: compat build, covered hooks named");
	e.release = "5.15.0-91-generic";
	put_btf(K_510 | K_TASK_BTF);
	EXPECT(pf_doctor_kernel, &e, PF_DOC_OK,
	       "5.15.0-91-generic: compat build (no bpf_loop): path walks of up to 64 levels, "
	       "deeper objects on protected filesystems are refused; " ROUTES,
	       "", "kernel 5.15: compat build");
	e.release = "5.14.0-427.el9.x86_64";
	put_btf(K_510 | K_LOOP | K_NEW_HOOKS | K_STRUCT_ARGS);
	EXPECT(pf_doctor_kernel, &e, PF_DOC_OK,
	       "5.14.0-427.el9.x86_64: compat build (no bpf_get_current_task_btf): path walks of "
	       "up to 64 levels, deeper objects on protected filesystems are refused",
	       "", "kernel with bpf_loop backported but no task BTF: compat build");
	e.release = "5.9.16";
	put_btf(K_LSM | K_RINGBUF | K_BOOT_NS);
	EXPECT(pf_doctor_kernel, &e, PF_DOC_FAIL,
	       "5.9.16 lacks BPF inode storage (BPF_MAP_TYPE_INODE_STORAGE, 5.10): Permafrost needs "
	       "Linux 5.10 or newer",
	       FIX_KERNEL, "kernel 5.9: no inode storage");
	e.release = "5.7.0";
	put_btf(K_LSM);
	EXPECT(pf_doctor_kernel, &e, PF_DOC_FAIL,
	       "5.7.0 lacks the BPF ring buffer (BPF_MAP_TYPE_RINGBUF, 5.8): Permafrost needs Linux "
	       "5.10 or newer",
	       FIX_KERNEL, "kernel 5.7: no ring buffer");
	e.release = "5.4.0-150-generic";
	put_btf(K_RINGBUF);
	EXPECT(pf_doctor_kernel, &e, PF_DOC_FAIL,
	       "5.4.0-150-generic lacks BPF LSM hooks (CONFIG_BPF_LSM, 5.7): Permafrost needs Linux "
	       "5.10 or newer",
	       FIX_KERNEL, "kernel 5.4: no BPF LSM");
	/* a 7.x release string means nothing: only the features count */
	e.release = "7.2.13+deb14-cloud-amd64";
	EXPECT(pf_doctor_kernel, &e, PF_DOC_FAIL,
	       "7.2.13+deb14-cloud-amd64 lacks BPF LSM hooks (CONFIG_BPF_LSM, 5.7): Permafrost "
	       "needs Linux 5.10 or newer",
	       FIX_KERNEL, "kernel: features, not the release, decide");
	put("sys/kernel/btf/vmlinux", "0123456789");
	e.release = "6.1.0-27-cloud-amd64";
	EXPECT(pf_doctor_kernel, &e, PF_DOC_FAIL,
	       "6.1.0-27-cloud-amd64: cannot read its BTF (/sys/kernel/btf/vmlinux), so its BPF "
	       "features cannot be checked (see the btf check)",
	       FIX_KERNEL_BTF, "kernel: garbled BTF");
	rm("sys/kernel/btf/vmlinux");
	e.release = "4.19.0-26-amd64";
	EXPECT(pf_doctor_kernel, &e, PF_DOC_FAIL,
	       "4.19.0-26-amd64 is older than 5.10, the oldest kernel Permafrost runs on",
	       FIX_KERNEL_BTF, "kernel 4.19 without BTF");
	e.release = "linux";
	EXPECT(pf_doctor_kernel, &e, PF_DOC_FAIL,
	       "linux: cannot read its BTF (/sys/kernel/btf/vmlinux), so its BPF features cannot "
	       "be checked (see the btf check)",
	       FIX_KERNEL_BTF, "kernel: unparsable release, no BTF");
}

static void test_btf(void)
{
	struct pf_doctor_env e = base();
	static const char *const fix =
		"boot a kernel built with CONFIG_DEBUG_INFO_BTF=y (the Debian, Ubuntu, Fedora and "
		"RHEL kernels are)";

	put("sys/kernel/btf/vmlinux", "0123456789");
	EXPECT(pf_doctor_btf, &e, PF_DOC_OK, "/sys/kernel/btf/vmlinux present (10 bytes)", "", "btf present");
	put("sys/kernel/btf/vmlinux", "");
	EXPECT(pf_doctor_btf, &e, PF_DOC_FAIL, "/sys/kernel/btf/vmlinux is empty", fix, "btf empty");
	rm("sys/kernel/btf/vmlinux");
	EXPECT(pf_doctor_btf, &e, PF_DOC_FAIL,
	       "/sys/kernel/btf/vmlinux: No such file or directory: the kernel has no BTF, so the "
	       "CO-RE programs cannot be loaded",
	       fix, "btf absent");
}

static const char *const MOUNTS_BOTH =
	"proc /proc proc rw 0 0\n"
	"securityfs /sys/kernel/security securityfs rw,nosuid 0 0\n"
	"bpf /sys/fs/bpf bpf rw,mode=700 0 0\n";
static const char *const MOUNTS_NONE =
	"proc /proc proc rw 0 0\n"
	"tmpfs /sys/kernel/security/x tmpfs rw 0 0\n" /* not the directory itself */
	"tmpfs /sys/fs/bpf tmpfs rw 0 0\n";           /* the directory, not bpffs */

static void test_mounts(void)
{
	struct pf_doctor_env e = base();

	put("proc/self/mounts", MOUNTS_BOTH);
	EXPECT(pf_doctor_securityfs, &e, PF_DOC_OK, "securityfs mounted on /sys/kernel/security", "",
	       "securityfs mounted");
	EXPECT(pf_doctor_bpffs, &e, PF_DOC_OK, "bpf mounted on /sys/fs/bpf", "", "bpffs mounted");
	put("proc/self/mounts", MOUNTS_NONE);
	EXPECT(pf_doctor_securityfs, &e, PF_DOC_FAIL,
	       "no securityfs mounted on /sys/kernel/security: the active LSM list and the lockdown "
	       "state cannot be read",
	       "mount -t securityfs securityfs /sys/kernel/security (at every boot, /etc/fstab: "
	       "securityfs /sys/kernel/security securityfs defaults 0 0)",
	       "securityfs not mounted");
	EXPECT(pf_doctor_bpffs, &e, PF_DOC_FAIL,
	       "no bpf mounted on /sys/fs/bpf: the agent pins its programs there so that enforcement "
	       "outlives it",
	       "mount -t bpf bpf /sys/fs/bpf (at every boot, /etc/fstab: bpf /sys/fs/bpf bpf "
	       "defaults 0 0)",
	       "bpffs not mounted (tmpfs there instead)");
	rm("proc/self/mounts");
	EXPECT(pf_doctor_bpffs, &e, PF_DOC_FAIL, "cannot read /proc/self/mounts: No such file or directory",
	       "mount /proc: mount -t proc proc /proc", "mount table unreadable");
	put("proc/self/mounts", MOUNTS_BOTH);
}

static void test_lsm(void)
{
	struct pf_doctor_env e = base();

	put("sys/kernel/security/lsm", "lockdown,capability,landlock,bpf");
	EXPECT(pf_doctor_lsm, &e, PF_DOC_OK,
	       "bpf is in the active LSM list: lockdown,capability,landlock,bpf", "", "lsm: bpf active");
	put("sys/kernel/security/lsm", "capability,bpfx,yama,apparmor\n");
	rm("etc/default/grub");
	EXPECT(pf_doctor_lsm, &e, PF_DOC_FAIL,
	       "bpf is not in the active LSM list (capability,bpfx,yama,apparmor): the kernel runs no "
	       "BPF LSM program",
	       "set GRUB_CMDLINE_LINUX=\"lsm=capability,bpfx,yama,apparmor,bpf\" in /etc/default/grub, "
	       "then run: update-grub && reboot",
	       "lsm: no bpf, no grub file (bpfx is not bpf)");
	put("etc/default/grub", "GRUB_DEFAULT=0\n"
				"GRUB_CMDLINE_LINUX_DEFAULT=\"quiet\"\n"
				"GRUB_CMDLINE_LINUX=\"console=ttyS0 lsm=capability,yama  apparmor=1\"\n");
	EXPECT(pf_doctor_lsm, &e, PF_DOC_FAIL,
	       "bpf is not in the active LSM list (capability,bpfx,yama,apparmor): the kernel runs no "
	       "BPF LSM program",
	       "set GRUB_CMDLINE_LINUX=\"console=ttyS0 apparmor=1 lsm=capability,bpfx,yama,apparmor,bpf\" "
	       "in /etc/default/grub, then run: update-grub && reboot",
	       "lsm: no bpf, the grub line keeps its other words and replaces lsm=");
	rm("sys/kernel/security/lsm");
	EXPECT(pf_doctor_lsm, &e, PF_DOC_FAIL,
	       "cannot read /sys/kernel/security/lsm: No such file or directory (is securityfs mounted?)",
	       "mount -t securityfs securityfs /sys/kernel/security, then run permafrost doctor again",
	       "lsm: list unreadable");
	put("sys/kernel/security/lsm", "lockdown,capability,landlock,bpf");
}

static void test_lockdown(void)
{
	struct pf_doctor_env e = base();

	put("etc/default/grub", "GRUB_CMDLINE_LINUX='quiet lockdown=none'\n");
	put("sys/kernel/security/lockdown", "none [integrity] confidentiality\n");
	EXPECT(pf_doctor_lockdown, &e, PF_DOC_OK, "kernel lockdown: integrity", "", "lockdown integrity");
	put("sys/kernel/security/lockdown", "none integrity [confidentiality]\n");
	EXPECT(pf_doctor_lockdown, &e, PF_DOC_OK, "kernel lockdown: confidentiality", "",
	       "lockdown confidentiality");
	put("sys/kernel/security/lockdown", "[none] integrity confidentiality\n");
	EXPECT(pf_doctor_lockdown, &e, PF_DOC_WARN,
	       "kernel lockdown is off (none): root can change the running kernel (/dev/mem, unsigned "
	       "modules) under the agent",
	       "set GRUB_CMDLINE_LINUX=\"quiet lockdown=integrity\" in /etc/default/grub, then run: "
	       "update-grub && reboot",
	       "lockdown none");
	put("sys/kernel/security/lockdown", "garbage\n");
	EXPECT(pf_doctor_lockdown, &e, PF_DOC_WARN, "/sys/kernel/security/lockdown: unexpected content 'garbage'",
	       "set GRUB_CMDLINE_LINUX=\"quiet lockdown=integrity\" in /etc/default/grub, then run: "
	       "update-grub && reboot",
	       "lockdown unreadable content");
	rm("sys/kernel/security/lockdown");
	rm("etc/default/grub");
	EXPECT(pf_doctor_lockdown, &e, PF_DOC_WARN,
	       "cannot read /sys/kernel/security/lockdown: No such file or directory (lockdown LSM "
	       "inactive or securityfs not mounted): root can change the running kernel under the agent",
	       "set GRUB_CMDLINE_LINUX=\"lockdown=integrity\" in /etc/default/grub, then run: "
	       "update-grub && reboot",
	       "lockdown file absent");
}

static void test_caps(void)
{
	struct pf_doctor_env e = base();
	static const char *const fix =
		"run the agent with CAP_BPF CAP_PERFMON CAP_SYS_ADMIN CAP_DAC_READ_SEARCH: "
		"CapabilityBoundingSet= of permafrostd.service must list them; a container must be "
		"privileged";

	EXPECT(pf_doctor_caps, &e, PF_DOC_OK,
	       "root with CAP_BPF, CAP_PERFMON, CAP_SYS_ADMIN and CAP_DAC_READ_SEARCH", "", "caps: all");
	e.caps_eff &= ~((1ULL << CAP_BPF) | (1ULL << CAP_SYS_ADMIN));
	EXPECT(pf_doctor_caps, &e, PF_DOC_FAIL,
	       "root lacks CAP_BPF, CAP_SYS_ADMIN in its effective set (a container, or a reduced "
	       "bounding set?)",
	       fix, "caps: two missing");
	e.caps_eff = 0;
	EXPECT(pf_doctor_caps, &e, PF_DOC_FAIL,
	       "root lacks CAP_BPF, CAP_PERFMON, CAP_SYS_ADMIN, CAP_DAC_READ_SEARCH in its effective "
	       "set (a container, or a reduced bounding set?)",
	       fix, "caps: none");
	e.euid = 1000;
	EXPECT(pf_doctor_caps, &e, PF_DOC_WARN,
	       "running as uid 1000, not root: the agent's capabilities were not checked",
	       "sudo permafrost doctor", "caps: not root");
}

static void test_clock(void)
{
	struct pf_doctor_env e = base();
	static const char *const fix =
		"enable time synchronisation: systemctl enable --now systemd-timesyncd (or chrony: "
		"systemctl enable --now chrony)";

	e.clock_rc = TIME_OK;
	e.clock_status = STA_PLL;
	EXPECT(pf_doctor_clock, &e, PF_DOC_OK, "the clock is synchronised (adjtimex)", "", "clock synced");
	e.clock_rc = TIME_ERROR;
	e.clock_status = STA_UNSYNC | STA_PLL;
	EXPECT(pf_doctor_clock, &e, PF_DOC_WARN,
	       "the clock is not synchronised (adjtimex: STA_UNSYNC): token validity and audit-log "
	       "times depend on it",
	       fix, "clock STA_UNSYNC");
	e.clock_rc = -EPERM;
	EXPECT(pf_doctor_clock, &e, PF_DOC_WARN,
	       "adjtimex: Operation not permitted: clock synchronisation unknown", fix,
	       "clock: adjtimex failed");
}

static void test_policy_signers(const char *pubkey)
{
	struct pf_doctor_env e = base();
	char pol[128], sig[128];

	snprintf(pol, sizeof(pol), "%s/pf.conf", dir);
	snprintf(sig, sizeof(sig), "%s/allowed_signers", dir);

	e.policy_path = pol;
	put("pf.conf", fmt("allowed-signers %s\nprotect /etc\nprotect /usr/bin\nexempt /etc/x\nmode audit\n", sig));
	put("allowed_signers", fmt("# approvers\nalice namespaces=\"permafrost-approval-v1\" %s\n"
				   "bob %s\n", pubkey, pubkey));
	EXPECT(pf_doctor_policy, &e, PF_DOC_OK,
	       fmt("%s: 2 protect and 1 exempt rules, initial mode audit", pol), "", "policy valid");
	EXPECT(pf_doctor_signers, &e, PF_DOC_OK, fmt("%s: 2 keys", sig), "", "signers: two keys");

	put("allowed_signers", "# nobody yet\n\n");
	EXPECT(pf_doctor_signers, &e, PF_DOC_FAIL,
	       fmt("%s holds no key: no approval or thaw token can be verified", sig),
	       fmt("add one line per approver to %s: NAME namespaces=\"permafrost-approval-v1\" "
		   "KEYTYPE BASE64 (the content of their .pub)", sig),
	       "signers: empty file");
	put("allowed_signers", fmt("alice %s\nbob* %s\n", pubkey, pubkey));
	{
		struct pf_doctor_check c;
		pf_doctor_signers(&e, &c);
		TAP_STREQ(pf_doctor_result_name(c.result), "FAIL", "signers: malformed line fails");
		TAP_OK(strncmp(c.finding, fmt("%s:2: ", sig), strlen(sig) + 4) == 0,
		       "signers: the finding names file:line (%s)", c.finding);
		TAP_STREQ(c.fix,
			  fmt("correct that line of %s; the format is ssh-keygen(1) ALLOWED SIGNERS: "
			      "NAME namespaces=\"permafrost-approval-v1\" KEYTYPE BASE64", sig),
			  "signers: malformed: fix");
	}
	rm("allowed_signers");
	{
		struct pf_doctor_check c;
		pf_doctor_signers(&e, &c);
		TAP_STREQ(pf_doctor_result_name(c.result), "FAIL", "signers: absent file fails");
		TAP_OK(strstr(c.finding, sig) && strstr(c.finding, "No such file or directory"),
		       "signers: absent: the finding names the file and the error (%s)", c.finding);
		TAP_STREQ(c.fix,
			  fmt("create %s with one line per approver: NAME namespaces=\"permafrost-approval-v1\" "
			      "KEYTYPE BASE64 (the content of their .pub)", sig),
			  "signers: absent: fix");
	}
	put("pf.conf", "protect /etc\n");
	EXPECT(pf_doctor_signers, &e, PF_DOC_FAIL,
	       fmt("%s names no allowed-signers file: no approval or thaw token can be verified", pol),
	       fmt("add to %s: allowed-signers /etc/permafrost/allowed_signers", pol),
	       "signers: no directive");

	put("pf.conf", "protect /etc\nfrobnicate yes\n");
	EXPECT(pf_doctor_policy, &e, PF_DOC_FAIL,
	       fmt("%s:2:1: unknown directive 'frobnicate' (expected one of: mode, protect, exempt, "
		   "allowed-signers, approvals, thaw-approvals, max-token-ttl, log-max-size, log-keep, "
		   "ring-buffer-size, metrics-file, lock-kernel, syslog, self-protect, "
		   "requester-signs, freeze-window, change-window, agent, agent-mode, agent-approvals, "
		   "agent-deny-socket, agent-ssh-port, event-repeat-window)", pol),
	       fmt("correct the place named above, then check it: permafrost policy check %s", pol),
	       "policy: unknown directive, file:line:col");
	put("pf.conf", "protect /etc/\n");
	{
		struct pf_doctor_check c;
		pf_doctor_policy(&e, &c);
		TAP_STREQ(pf_doctor_result_name(c.result), "FAIL", "policy: unnormalised path fails");
		TAP_OK(strncmp(c.finding, fmt("%s:1:9: ", pol), strlen(pol) + 6) == 0,
		       "policy: unnormalised path: file:line:col of the path (%s)", c.finding);
	}
	EXPECT(pf_doctor_signers, &e, PF_DOC_WARN, "not checked: the policy does not load (see the policy check)",
	       "fix the policy first", "signers: policy broken");
	rm("pf.conf");
	EXPECT(pf_doctor_policy, &e, PF_DOC_FAIL, fmt("%s: cannot open: No such file or directory", pol),
	       "write a policy there (see policy/README.md and policy/example.conf), or name yours: "
	       "permafrost doctor --policy FILE",
	       "policy: absent");
}

/* A fake agent: answers one status request with @reply lines (k=v,...). */
static pid_t fake_agent(const char *path, const char *const *kv, size_t n)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	pid_t pid;

	unlink(path);
	if (strlen(path) >= sizeof(sa.sun_path))
		exit(2);
	memcpy(sa.sun_path, path, strlen(path) + 1);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 1) < 0)
		exit(2);
	pid = fork();
	if (pid == 0) {
		struct pf_msg req, rep;
		struct pf_err err;
		int c = accept(fd, NULL, NULL);
		pf_msg_init(&req);
		pf_msg_init(&rep);
		if (c < 0 || pf_msg_recv(c, &req, &err) < 0)
			_exit(1);
		if (strcmp(pf_msg_get(&req, "cmd") ?: "", "status") != 0)
			_exit(1);
		for (size_t i = 0; i + 1 < n; i += 2)
			pf_msg_add(&rep, kv[i], kv[i + 1]);
		pf_msg_send(c, &rep);
		_exit(0);
	}
	close(fd);
	return pid;
}

static void reap(pid_t pid, const char *label)
{
	int st = -1;
	waitpid(pid, &st, 0);
	TAP_OK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "%s: the fake agent got a status request", label);
}

static const char *const FIX_UNIT =
	"in the unit or a drop-in: ProtectKernelTunables=no, ReadOnlyPaths=/sys, "
	"ReadWritePaths=/sys/fs/bpf (as the shipped unit), then systemctl daemon-reload";

static void test_unit(void)
{
	struct pf_doctor_env e = base();

	EXPECT(pf_doctor_unit, &e, PF_DOC_OK,
	       "no permafrostd.service installed: the agent is not run by systemd here", "",
	       "unit: none installed");
	put("lib/systemd/system/permafrostd.service",
	    "[Unit]\nDescription=x\n[Service]\nExecStart=/usr/sbin/permafrostd\n"
	    "ProtectKernelTunables=yes\nReadWritePaths=-/sys/fs/bpf\n");
	EXPECT(pf_doctor_unit, &e, PF_DOC_FAIL,
	       "/lib/systemd/system/permafrostd.service (and 0 drop-ins) make /sys/fs/bpf "
	       "read-only for the agent (ProtectKernelTunables=yes): it cannot pin its programs "
	       "and never starts",
	       FIX_UNIT, "unit: ProtectKernelTunables=yes (systemd 252: ReadWritePaths= does not undo it)");
	put("etc/systemd/system/permafrostd.service.d/10-fix.conf",
	    "[Service]\nProtectKernelTunables=no\nReadOnlyPaths=/sys\n");
	EXPECT(pf_doctor_unit, &e, PF_DOC_OK,
	       "/lib/systemd/system/permafrostd.service (and 1 drop-ins): /sys/fs/bpf writable for "
	       "the agent",
	       "", "unit: a drop-in turns it off; ReadOnlyPaths=/sys with ReadWritePaths=/sys/fs/bpf");
	put("run/systemd/system/permafrostd.service.d/20-rw.conf", "[Service]\nReadWritePaths=\n");
	EXPECT(pf_doctor_unit, &e, PF_DOC_FAIL,
	       "/lib/systemd/system/permafrostd.service (and 2 drop-ins) make /sys/fs/bpf "
	       "read-only for the agent (ReadOnlyPaths=): it cannot pin its programs and never "
	       "starts",
	       FIX_UNIT, "unit: a later drop-in empties ReadWritePaths= under ReadOnlyPaths=/sys");
	put("run/systemd/system/permafrostd.service.d/20-rw.conf",
	    "[Service]\nReadWritePaths=\nReadWritePaths=/sys/fs/bpf/permafrost\n# ProtectKernelTunables=yes\n");
	EXPECT(pf_doctor_unit, &e, PF_DOC_FAIL,
	       "/lib/systemd/system/permafrostd.service (and 2 drop-ins) make /sys/fs/bpf "
	       "read-only for the agent (ReadOnlyPaths=): it cannot pin its programs and never "
	       "starts",
	       FIX_UNIT, "unit: ReadWritePaths= below /sys/fs/bpf does not cover it; comments ignored");
	put("run/systemd/system/permafrostd.service.d/20-rw.conf",
	    "[Unit]\nProtectKernelTunables=yes\n[Service]\nReadWritePaths=-/sys/fs/bpf/\n");
	EXPECT(pf_doctor_unit, &e, PF_DOC_OK,
	       "/lib/systemd/system/permafrostd.service (and 2 drop-ins): /sys/fs/bpf writable for "
	       "the agent",
	       "", "unit: settings outside [Service] are not the service's; a trailing slash");
	put("etc/systemd/system/permafrostd.service", "[Service]\nReadOnlyPaths=/\n");
	EXPECT(pf_doctor_unit, &e, PF_DOC_OK,
	       "/etc/systemd/system/permafrostd.service (and 2 drop-ins): /sys/fs/bpf writable for "
	       "the agent",
	       "", "unit: /etc overrides /lib; ReadOnlyPaths=/ with the drop-in's ReadWritePaths=");
	rm("run/systemd/system/permafrostd.service.d/20-rw.conf");
	EXPECT(pf_doctor_unit, &e, PF_DOC_FAIL,
	       "/etc/systemd/system/permafrostd.service (and 1 drop-ins) make /sys/fs/bpf "
	       "read-only for the agent (ReadOnlyPaths=): it cannot pin its programs and never "
	       "starts",
	       FIX_UNIT, "unit: ReadOnlyPaths=/ covers bpffs");
	rm("etc/systemd/system/permafrostd.service");
	rm("etc/systemd/system/permafrostd.service.d/10-fix.conf");
	rm("lib/systemd/system/permafrostd.service");
}

static void test_agent(void)
{
	struct pf_doctor_env e = base();
	char sock[128];
	static const char *const good[] = { "status", "ok", "mode", "enforce", "agent_pid", "4242",
					     "version", "0.9.0", "links_expected", "27",
					     "links_present", "27", "bpf_build", "compat",
					     "unenforced", "" };
	static const char *const unenforced[] = { "status", "ok", "mode", "enforce", "agent_pid",
						   "4243", "links_expected", "25",
						   "links_present", "25", "bpf_build", "main",
						   "unenforced", "inode_setattr path_rename" };
	static const char *const short_links[] = { "status", "ok", "mode", "off", "agent_pid", "77",
						    "links_expected", "27", "links_present", "25",
						    "pin_dir", "/sys/fs/bpf/permafrost/links-77" };
	static const char *const outage[] = { "status", "ok", "mode", "enforce", "agent_pid", "91",
					       "links_expected", "27", "links_present", "27",
					       "log_outage_since", "2026-12-01T10:00:00.000000000Z",
					       "log_outage_error", "No space left on device",
					       "log_missed", "1200", "log_missed_by", "deny=1199 mode-change=1" };
	static const char *const refused[] = { "status", "error", "error",
						"permission denied: uid 1000 is neither root nor in "
						"the 'permafrost' group" };
	pid_t pid;

	snprintf(sock, sizeof(sock), "%s/agent.sock", dir);
	e.socket_path = sock;
	pid = fake_agent(sock, good, PF_ARRAY_SIZE(good));
	EXPECT(pf_doctor_agent, &e, PF_DOC_OK,
	       fmt("agent pid 4242 answers on %s: mode enforce, version 0.9.0, compat build", sock), "",
	       "agent answers");
	reap(pid, "agent answers");

	pid = fake_agent(sock, unenforced, PF_ARRAY_SIZE(unenforced));
	EXPECT(pf_doctor_agent, &e, PF_DOC_WARN,
	       "agent pid 4243 answers, but this kernel has no hook its programs fit for: "
	       "inode_setattr path_rename; those routes are NOT enforced",
	       "boot a kernel Permafrost is tested on (README: Kernels)", "agent: unenforced hooks");
	reap(pid, "agent: unenforced hooks");

	pid = fake_agent(sock, short_links, PF_ARRAY_SIZE(short_links));
	EXPECT(pf_doctor_agent, &e, PF_DOC_FAIL,
	       "agent pid 77 answers, but only 25 of its 27 program links are pinned in "
	       "/sys/fs/bpf/permafrost/links-77",
	       "restart it so that it pins them again: systemctl restart permafrostd",
	       "agent: pinned links missing");
	reap(pid, "agent: pinned links missing");

	pid = fake_agent(sock, outage, PF_ARRAY_SIZE(outage));
	EXPECT(pf_doctor_agent, &e, PF_DOC_FAIL,
	       "agent pid 91 answers, but its audit log cannot be written since "
	       "2026-12-01T10:00:00.000000000Z (No space left on device): 1200 records counted, not "
	       "written (deny=1199 mode-change=1)",
	       "free space on the log's filesystem (or fix the disk): the agent retries every second "
	       "and then writes a log-gap record with the counts",
	       "agent: the audit log cannot be written");
	reap(pid, "agent: the audit log cannot be written");

	pid = fake_agent(sock, refused, PF_ARRAY_SIZE(refused));
	EXPECT(pf_doctor_agent, &e, PF_DOC_WARN,
	       fmt("the agent at %s is running but refused the status request: permission denied: "
		   "uid 1000 is neither root nor in the 'permafrost' group", sock),
	       "run as root or as a member of the permafrost group: sudo permafrost doctor",
	       "agent: refuses the caller");
	reap(pid, "agent: refuses the caller");

	/* A socket file nobody listens on: the agent died. */
	{
		struct sockaddr_un sa = { .sun_family = AF_UNIX };
		int fd = socket(AF_UNIX, SOCK_STREAM, 0);
		unlink(sock);
		memcpy(sa.sun_path, sock, strlen(sock) + 1); /* /tmp/pf-doctor-XXXXXX/agent.sock */
		if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
			exit(2);
		close(fd);
	}
	EXPECT(pf_doctor_agent, &e, PF_DOC_FAIL,
	       fmt("cannot reach the agent at %s: Connection refused", sock),
	       "start it: systemctl start permafrostd (why it stopped: journalctl -u permafrostd)",
	       "agent: dead socket");
	unlink(sock);
	EXPECT(pf_doctor_agent, &e, PF_DOC_FAIL,
	       fmt("cannot reach the agent at %s: No such file or directory", sock),
	       "start it: systemctl start permafrostd (why it stopped: journalctl -u permafrostd)",
	       "agent: no socket");
}

/* The whole run on a fabricated healthy host but for two problems, and
 * both output formats. */
static void test_run_and_format(const char *pubkey)
{
	struct pf_doctor_env e = base();
	struct pf_doctor_report *rep = calloc(1, sizeof(*rep));
	struct pf_buf b;
	char pol[128], sig[128], sock[128];
	static const char *const want_names[] = { "kernel", "btf", "securityfs", "lsm",
						  "bpffs", "lockdown", "capabilities", "clock",
						  "policy", "signers", "unit", "agent" };

	snprintf(pol, sizeof(pol), "%s/pf.conf", dir);
	snprintf(sig, sizeof(sig), "%s/allowed_signers", dir);
	snprintf(sock, sizeof(sock), "%s/none.sock", dir);

	put_btf(K_612);
	put("proc/self/mounts", MOUNTS_BOTH);
	put("sys/kernel/security/lsm", "lockdown,capability,bpf");
	put("sys/kernel/security/lockdown", "[none] integrity confidentiality");
	put("pf.conf", fmt("allowed-signers %s\nprotect /etc\n", sig));
	put("allowed_signers", fmt("alice %s\n", pubkey));
	e.policy_path = pol;
	e.socket_path = sock;
	pf_doctor_run(&e, rep);
	TAP_OK(rep->n == PF_ARRAY_SIZE(want_names), "run: %zu checks", rep->n);
	for (size_t i = 0; i < rep->n && i < PF_ARRAY_SIZE(want_names); i++)
		TAP_STREQ(rep->c[i].name, want_names[i], "run: check %zu is %s", i, want_names[i]);
	TAP_OK(rep->n_ok == 10 && rep->n_warn == 1 && rep->n_fail == 1,
	       "run: 10 ok, 1 warn (lockdown), 1 fail (agent): got %u/%u/%u", rep->n_ok, rep->n_warn,
	       rep->n_fail);

	/* Human format on a three-check report. */
	rep->n = 0;
	rep->c[rep->n++] = (struct pf_doctor_check){ .name = "kernel", .result = PF_DOC_OK,
						     .finding = "6.12 (6.1 or newer)" };
	rep->c[rep->n++] = (struct pf_doctor_check){ .name = "clock", .result = PF_DOC_WARN,
						     .finding = "unsynced", .fix = "enable ntp" };
	rep->c[rep->n++] = (struct pf_doctor_check){ .name = "agent", .result = PF_DOC_FAIL,
						     .finding = "down \"x\"", .fix = "start it" };
	rep->n_ok = rep->n_warn = rep->n_fail = 1;
	pf_buf_init(&b);
	pf_doctor_format(rep, 0, 0, &b);
	TAP_STREQ(b.data,
		  "ok    kernel        6.12 (6.1 or newer)\n"
		  "warn  clock         unsynced\n"
		  "                    fix: enable ntp\n"
		  "FAIL  agent         down \"x\"\n"
		  "                    fix: start it\n"
		  "1 ok, 1 warnings, 1 failed\n",
		  "format: aligned human text, fixes under their check");
	pf_buf_reset(&b);
	pf_doctor_format(rep, 0, 1, &b);
	TAP_OK(strstr(b.data, "\033[1;31mFAIL\033[0m  agent") && strstr(b.data, "\033[32mok  \033[0m  kernel"),
	       "format: colour only when asked");
	pf_buf_reset(&b);
	pf_doctor_format(rep, 1, 1, &b);
	TAP_OK(pf_json_check(b.data, b.len) == 0, "format --json: valid JSON");
	TAP_OK(!strchr(b.data, '\033'), "format --json: no colour codes");
	TAP_OK(strstr(b.data, "\"status\": \"fail\"") && strstr(b.data, "\"fail\": 1") &&
		       strstr(b.data, "\"check\": \"agent\",\n      \"result\": \"fail\",\n      "
				      "\"finding\": \"down \\\"x\\\"\",\n      \"fix\": \"start it\""),
	       "format --json: status, counts and each check with its fix");
	TAP_OK(strstr(b.data, "\"check\": \"kernel\",\n      \"result\": \"ok\",\n      "
			      "\"finding\": \"6.12 (6.1 or newer)\"\n    }"),
	       "format --json: an ok check has no fix");
	pf_buf_free(&b);
	free(rep);
}

int main(void)
{
	char pub[1024] = "", cmd[512];
	FILE *f;

	signal(SIGPIPE, SIG_IGN);
	snprintf(dir, sizeof(dir), "/tmp/pf-doctor-XXXXXX");
	if (!mkdtemp(dir))
		return 2;
	snprintf(cmd, sizeof(cmd), "ssh-keygen -q -t ed25519 -N '' -C t -f %s/key >/dev/null", dir);
	if (system(cmd) != 0)
		return 2;
	f = fopen(fmt("%s/key.pub", dir), "r");
	if (!f || !fgets(pub, sizeof(pub), f))
		return 2;
	fclose(f);
	pub[strcspn(pub, "\n")] = '\0';

	test_kernel();
	test_btf();
	test_mounts();
	test_lsm();
	test_lockdown();
	test_caps();
	test_clock();
	test_policy_signers(pub);
	test_unit();
	test_agent();
	test_run_and_format(pub);

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		return 2;
	return TAP_DONE();
}
