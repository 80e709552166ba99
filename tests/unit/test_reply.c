/* The control socket's typed replies (reply.h): the agent cannot send a
 * key with the wrong type, and the CLI's JSON writes numbers as numbers,
 * lists as arrays, and never guesses at a value that is not a number. */
#include <errno.h>

#include "reply.h"
#include "tap.h"

int main(void)
{
	struct pf_msg m;
	struct pf_buf b;

	TAP_OK(pf_reply_type("symlink_targets") == PF_REPLY_NUM &&
		       pf_reply_type("loop_devices") == PF_REPLY_NUM,
	       "symlink_targets and loop_devices are numbers (as in policy check --json)");
	TAP_OK(pf_reply_type("by_uid") == PF_REPLY_NUM && pf_reply_type("approval_left_s[]") ==
								PF_REPLY_NUM,
	       "by_uid and the approvals' seconds left are numbers");
	TAP_OK(pf_reply_type("mode") == PF_REPLY_STR && pf_reply_type("missing[]") == PF_REPLY_STR &&
		       pf_reply_type("no-such-key") == PF_REPLY_STR,
	       "mode, missing[] and unknown keys are strings");

	pf_msg_init(&m);
	TAP_OK(pf_reply_num(&m, "mode", 1) == -EINVAL && m.n == 0,
	       "a number under a string key is refused, nothing added");
	TAP_OK(pf_reply_str(&m, "rules", "3") == -EINVAL && m.n == 0,
	       "a string under a number key is refused, nothing added");
	TAP_OK(pf_reply_str(&m, "status", "ok") == 0 && pf_reply_str(&m, "mode", "enforce") == 0 &&
		       pf_reply_num(&m, "rules", 3) == 0 &&
		       pf_reply_num(&m, "symlink_targets", 18446744073709551615ULL) == 0 &&
		       pf_reply_num(&m, "tree_objects[]", 7) == 0 &&
		       pf_reply_str(&m, "tree_path[]", "/etc") == 0 &&
		       pf_reply_num(&m, "tree_objects[]", 0) == 0 &&
		       pf_reply_str(&m, "tree_path[]", "/usr") == 0,
	       "a status-like reply is built");
	pf_buf_init(&b);
	pf_reply_json(&m, &b);
	TAP_STREQ(b.data,
		  "{\n  \"status\": \"ok\",\n  \"mode\": \"enforce\",\n  \"rules\": 3,\n"
		  "  \"symlink_targets\": 18446744073709551615,\n  \"tree_objects\": [\n    7,\n"
		  "    0\n  ],\n  \"tree_path\": [\n    \"/etc\",\n    \"/usr\"\n  ]\n}",
		  "JSON: numbers as numbers (uint64 max too), lists as arrays in order");
	pf_buf_free(&b);
	pf_msg_free(&m);

	/* an agent of another version sending a numeric key a non-number */
	pf_msg_init(&m);
	pf_msg_add(&m, "rules", "many");
	pf_msg_add(&m, "objects", "18446744073709551616");
	pf_msg_add(&m, "lost", "");
	pf_buf_init(&b);
	pf_reply_json(&m, &b);
	TAP_STREQ(b.data,
		  "{\n  \"rules\": \"many\",\n  \"objects\": \"18446744073709551616\",\n"
		  "  \"lost\": \"\"\n}",
		  "JSON: a numeric key whose value is no uint64 stays a string");
	pf_buf_free(&b);
	pf_msg_free(&m);
	return TAP_DONE();
}
