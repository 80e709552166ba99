// SPDX-License-Identifier: GPL-2.0
/* Permafrost: refuse modifications of protected objects while frozen.
 *
 * Every hook that can change a protected object's content, name, metadata
 * or visibility asks for a decision: is this object, or one of its dentry
 * ancestors, a protected (dev, ino)? The nearest rule wins, so an exempt
 * subtree inside a protected tree is carved out. Reads are never checked:
 * they pay one flag test.
 *
 * One compilation unit, one skeleton; its parts are the headers below, in
 * the order they build on each other. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include "permafrost.h"         /* shared with user space: types, op classes */

#include "consts.bpf.h"         /* numbers the kernel's BTF does not carry */
#include "compat.bpf.h"         /* the default and the compat (5.10) build */
#include "maps.bpf.h"           /* every map, and reading the config */
#include "hook.bpf.h"           /* PF_LSM(): the prologue every program shares */
#include "walk.bpf.h"           /* the nearest rule: ancestor walk, verdict cache */
#include "events.bpf.h"         /* a hit, and its ring-buffer record */
#include "approvals.bpf.h"      /* does a live approval cover a change? */
#include "self.bpf.h"           /* who is the agent */
#include "aiagent.bpf.h"        /* AI agents: marking their process trees */
#include "decide.bpf.h"         /* one object: rule, approvals, the mode's verdict */
#include "agentroutes.bpf.h"    /* AI agents: the routes out of their trees */
#include "guards.bpf.h"         /* ancestors, mounts, systemd's unit sandboxes */
#include "selfprot.bpf.h"       /* self-protection: its checks and hooks */
#include "fs.bpf.h"             /* the filesystem hooks */

char LICENSE[] SEC("license") = "GPL";
