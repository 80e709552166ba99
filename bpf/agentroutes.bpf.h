/* SPDX-License-Identifier: GPL-2.0 */
/* AI agents: the routes by which a process of an agent's tree could get a
 * process outside it (unmarked: a human's, with the approvals meant for
 * humans) to act for it, closed while agent-mode is not off:
 *
 *  - asking a privileged daemon over a Unix socket: PID 1 (systemd-run,
 *    systemctl start, run0 and machinectl all go through systemd's private
 *    socket or D-Bus), root's user manager, container engines. A stream
 *    (or seqpacket) connect to a listening socket whose bound name is in
 *    `ai_sockets` (policy agent-deny-socket) is refused. The bound name is
 *    the server's own, so the client's spelling (/var/run/..., a bind
 *    mount, a container's view) does not matter;
 *  - ssh to the host itself: a TCP connect (or a Fast Open send) to one
 *    of sshd's ports (`ai_ssh_ports`) on a loopback address, the
 *    unspecified address or one of the host's own (`ai_local_addrs`, kept
 *    by the agent);
 *  - the at/cron spools and systemd's unit directories: objects protected
 *    for agents' processes only (rule PF_RULEID_AI_ONLY, added by the
 *    agent; decide.bpf.h skips them for everyone else), and their
 *    ancestors guarded against agents' renames and mounts (`ai_guards`,
 *    guards.bpf.h asks ai_guard()).
 *
 * ptrace, /proc/PID/mem and process_vm_writev out of the tree are in
 * aiagent.bpf.h (ai_reaches_out). Each refusal is a record with op
 * "agent-socket" or "agent-ssh" and rule "agent-route", refused or logged
 * as the mode the task is held to says (mode_for_current). Part of
 * permafrost.bpf.c. */
#ifndef PF_AGENTROUTES_BPF_H
#define PF_AGENTROUTES_BPF_H

/* The current task is an AI agent's while agent-mode is not off (marks
 * are labels then). */
static __always_inline struct pf_config *ai_route_config(void)
{
	struct pf_config *cfg = get_config();

	if (!cfg || cfg->ai_mode == PF_MODE_OFF || !current_mark())
		return NULL;
	return cfg;
}

/* Is @key an ancestor of an agent-only object (`ai_guards`) and the current
 * task an AI agent's, while agent-mode is not off? Then renaming it or
 * mounting over it is refused like a guard's. */
static __always_inline int ai_guard(struct pf_config *cfg, struct pf_key *key)
{
	return cfg->ai_mode != PF_MODE_OFF && bpf_map_lookup_elem(&ai_guards, key) &&
	       current_mark();
}

/* unix_stream_connect: @other is the listening socket. Its bound name is
 * unix_sk(other)->addr->name[0].sun_path (NUL-terminated by bind); an
 * unbound or abstract one has no path to match. */
PF_LSM(unix_stream_connect, struct sock *sock, struct sock *other, struct sock *newsk)
{
	struct unix_sock *u = (struct unix_sock *)other;
	struct pf_sock_name key = {};
	struct pf_config *cfg;
	struct unix_address *addr;
	struct dentry *d;
	struct hit h;
	long n;

	cfg = ai_route_config();
	if (!cfg)
		return 0;
	addr = BPF_CORE_READ(u, addr);
	if (!addr)
		return 0;
	n = bpf_probe_read_kernel_str(key.path, sizeof(key.path),
				      (char *)addr + bpf_core_field_offset(struct unix_address, name) +
					      __builtin_offsetof(struct sockaddr_un, sun_path));
	if (n <= 1 || !bpf_map_lookup_elem(&ai_sockets, &key))
		return 0;
	d = BPF_CORE_READ(u, path.dentry);
	h = (struct hit){ .d = d, .mnt = BPF_CORE_READ(u, path.mnt), .op = PF_OP_AI_SOCKET,
			  .rule_id = PF_RULEID_AI_ROUTE };
	if (d) {
		h.dev = BPF_CORE_READ(d, d_sb, s_dev);
		h.ino = BPF_CORE_READ(d, d_inode, i_ino);
	}
	return verdict(cfg, &h);
}

/* Is @a (IPv6, or IPv4 mapped) the host itself: loopback (127/8, ::1),
 * unspecified (0.0.0.0 and :: reach the host), or one of its addresses? */
static __always_inline int ai_local_addr(struct pf_inaddr *a)
{
	__u32 w0, w1, w2, w3;

	__builtin_memcpy(&w0, &a->a[0], 4);
	__builtin_memcpy(&w1, &a->a[4], 4);
	__builtin_memcpy(&w2, &a->a[8], 4);
	__builtin_memcpy(&w3, &a->a[12], 4);
	if (!w0 && !w1 && !w2 && (!w3 || w3 == bpf_htonl(1)))
		return 1;
	if (!w0 && !w1 && w2 == bpf_htonl(0xffff) && (!w3 || a->a[12] == 127))
		return 1;
	return bpf_map_lookup_elem(&ai_local_addrs, a) != NULL;
}

/* A stream socket (TCP, MPTCP, SCTP) reaching @address: is it one of
 * sshd's ports on the host itself? The kernel takes an IPv6 address of 24
 * bytes (RFC 2133, no scope id). */
static __always_inline int ai_ssh_local(struct pf_config *cfg, struct socket *sock,
					struct sockaddr *address, int addrlen)
{
	struct pf_inaddr a = {};
	__u16 family = 0;
	__u32 port;
	__be16 nport = 0;
	struct hit h;

	if (BPF_CORE_READ(sock, type) != SOCK_STREAM)
		return 0;
	bpf_probe_read_kernel(&family, sizeof(family), &address->sa_family);
	if (family == AF_INET && addrlen >= (int)sizeof(struct sockaddr_in)) {
		struct sockaddr_in *sin = (struct sockaddr_in *)address;

		bpf_probe_read_kernel(&nport, sizeof(nport), &sin->sin_port);
		a.a[10] = 0xff;
		a.a[11] = 0xff;
		bpf_probe_read_kernel(&a.a[12], 4, &sin->sin_addr);
	} else if (family == AF_INET6 && addrlen >= SIN6_LEN_RFC2133) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)address;

		bpf_probe_read_kernel(&nport, sizeof(nport), &sin6->sin6_port);
		bpf_probe_read_kernel(&a.a[0], 16, &sin6->sin6_addr);
	} else {
		return 0;
	}
	port = bpf_ntohs(nport);
	if (!bpf_map_lookup_elem(&ai_ssh_ports, &port) || !ai_local_addr(&a))
		return 0;
	h = (struct hit){ .ino = port, .op = PF_OP_AI_SSH, .rule_id = PF_RULEID_AI_ROUTE };
	return verdict(cfg, &h);
}

PF_LSM(socket_connect, struct socket *sock, struct sockaddr *address, int addrlen)
{
	struct pf_config *cfg = ai_route_config();

	return cfg ? ai_ssh_local(cfg, sock, address, addrlen) : 0;
}

/* A send with an address on a stream socket connects it without connect()
 * (TCP Fast Open: sendto with MSG_FASTOPEN). Other sends pay a flag test,
 * and a pointer test while agent-mode is on. */
PF_LSM(socket_sendmsg, struct socket *sock, struct msghdr *msg, int size)
{
	struct pf_config *cfg = get_config();
	void *name;

	if (!cfg || cfg->ai_mode == PF_MODE_OFF)
		return 0;
	name = BPF_CORE_READ(msg, msg_name);
	if (!name || !current_mark())
		return 0;
	return ai_ssh_local(cfg, sock, name, BPF_CORE_READ(msg, msg_namelen));
}

#endif
