/* Readiness notification for systemd (Type=notify), without libsystemd.
 *
 * The protocol: one datagram of "KEY=VALUE\n..." text, sent to the
 * AF_UNIX datagram socket named by $NOTIFY_SOCKET. A name starting with '/'
 * is a path; one starting with '@' is in the abstract namespace (the '@'
 * stands for the leading NUL byte). Other forms (vsock:...) are not
 * supported here and refused with -EAFNOSUPPORT. */
#ifndef PF_NOTIFY_H
#define PF_NOTIFY_H

/* Sends @msg to @addr. 0, or a negative errno (-EINVAL: empty, relative or
 * too long an address; -EMSGSIZE: @msg larger than PF_NOTIFY_MAX_MSG). */
int pf_notify_send(const char *addr, const char *msg);

/* pf_notify_send() to $NOTIFY_SOCKET; 0 and nothing sent when it is unset
 * (not started by systemd, or Type= is not notify). */
int pf_sd_notify(const char *msg);

#define PF_NOTIFY_MAX_MSG 4096

#endif
