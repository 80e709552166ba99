/* Unit tests: what bpf/permafrost.h gives both sides. The kernel's
 * programs run these very functions (op classes for approvals, which rule
 * ids are Permafrost's own, the approval name hash), so here they are
 * tested as the kernel runs them. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "event.h"
#include "permafrost.h"
#include "tap.h"

static void test_op_class(void)
{
	/* Written out, not derived: a changed class is a changed promise of
	 * what a token's `ops` covers. */
	static const uint32_t want[PF_OP__COUNT] = {
		[PF_OP_NONE] = 0,
		[PF_OP_OPEN_WRITE] = PF_CLASS_WRITE,
		[PF_OP_OPEN_TRUNC] = PF_CLASS_WRITE,
		[PF_OP_WRITE] = PF_CLASS_WRITE,
		[PF_OP_TRUNCATE] = PF_CLASS_WRITE,
		[PF_OP_MMAP_WRITE] = PF_CLASS_WRITE,
		[PF_OP_CREATE] = PF_CLASS_CREATE,
		[PF_OP_MKNOD] = PF_CLASS_CREATE,
		[PF_OP_MKDIR] = PF_CLASS_CREATE,
		[PF_OP_RMDIR] = PF_CLASS_DELETE,
		[PF_OP_UNLINK] = PF_CLASS_DELETE,
		[PF_OP_LINK] = PF_CLASS_CREATE,
		[PF_OP_SYMLINK] = PF_CLASS_CREATE,
		[PF_OP_RENAME] = PF_CLASS_RENAME,
		[PF_OP_CHMOD] = PF_CLASS_METADATA,
		[PF_OP_CHOWN] = PF_CLASS_METADATA,
		[PF_OP_SETATTR] = PF_CLASS_METADATA,
		[PF_OP_SETXATTR] = PF_CLASS_METADATA,
		[PF_OP_REMOVEXATTR] = PF_CLASS_METADATA,
		[PF_OP_SETACL] = PF_CLASS_METADATA,
		[PF_OP_SETFLAGS] = PF_CLASS_METADATA,
		[PF_OP_MOUNT] = PF_CLASS_MOUNT,
		[PF_OP_UMOUNT] = PF_CLASS_MOUNT,
		[PF_OP_REMOUNT] = PF_CLASS_MOUNT,
		[PF_OP_BLKDEV_WRITE] = PF_CLASS_MOUNT,
		/* self-protection: no class, so no token can approve them */
		[PF_OP_BPF_OBJ] = 0,
		[PF_OP_SIGNAL] = 0,
		[PF_OP_PTRACE] = 0,
		[PF_OP_MODULE] = 0,
		[PF_OP_KEXEC] = 0,
		[PF_OP_AGENT_EXEC] = 0,
		[PF_OP_PRCTL_EXE] = 0,
		[PF_OP_CGROUP_KILL] = 0,
		[PF_OP_PINS] = 0,
	};
	uint32_t op;

	for (op = 0; op < PF_OP__COUNT; op++)
		TAP_OK(pf_op_class(op) == want[op], "op %s: class %#x (got %#x)", pf_op_name(op),
		       want[op], pf_op_class(op));
	TAP_OK(pf_op_class(PF_OP__COUNT) == 0, "op past the end: no class");
	TAP_OK(pf_op_class(0xffffffffU) == 0, "op 0xffffffff: no class");
}

static void test_rule_is_self(void)
{
	static const struct {
		uint32_t id;
		int self;
		const char *name;
	} cases[] = {
		{ 0, 0, "rule 0" },
		{ 41, 0, "an ordinary rule" },
		{ PF_RULEID_NONE, 0, "none" },
		{ PF_RULEID_TOO_DEEP, 0, "too-deep" },
		{ PF_RULEID_BLKDEV, 0, "blkdev" },
		{ PF_RULEID_SELF_RO, 1, "self read-only" },
		{ PF_RULEID_SELF_RW, 1, "self read-write" },
		{ PF_RULEID_SELF_FS, 1, "self-fs" },
		{ PF_RULEID_SELF, 1, "self" },
		{ PF_RULEID_ANCESTOR, 0, "ancestor" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		TAP_OK(pf_rule_is_self(cases[i].id) == cases[i].self, "rule id %s (%#x): %s",
		       cases[i].name, cases[i].id, cases[i].self ? "own (tamper)" : "not own");
}

static void test_name_hash(void)
{
	char longer[PF_APPROVAL_NAME_MAX + 40], prefix[PF_APPROVAL_NAME_MAX + 1];

	/* FNV-1a 32-bit reference values */
	TAP_OK(pf_name_hash("") == 0x811c9dc5U, "hash of \"\" is the FNV offset basis");
	TAP_OK(pf_name_hash("a") == 0xe40c292cU, "hash of \"a\"");
	TAP_OK(pf_name_hash("foobar") == 0xbf9cf968U, "hash of \"foobar\"");
	TAP_OK(pf_name_hash("passwd") != pf_name_hash("passwe"), "one byte apart, two hashes");

	/* only the first PF_APPROVAL_NAME_MAX bytes count, as in the kernel */
	memset(longer, 'x', sizeof(longer) - 1);
	longer[sizeof(longer) - 1] = 0;
	memcpy(prefix, longer, PF_APPROVAL_NAME_MAX);
	prefix[PF_APPROVAL_NAME_MAX] = 0;
	TAP_OK(pf_name_hash(longer) == pf_name_hash(prefix),
	       "a name longer than %d bytes hashes as its prefix", PF_APPROVAL_NAME_MAX);
	prefix[PF_APPROVAL_NAME_MAX - 1] = 0;
	TAP_OK(pf_name_hash(longer) != pf_name_hash(prefix), "... and not as a shorter one");
}

int main(void)
{
	test_op_class();
	test_rule_is_self();
	test_name_hash();
	return TAP_DONE();
}
