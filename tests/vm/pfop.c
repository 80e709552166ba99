/* pfop — perform exactly one file-system operation and report its outcome.
 *
 * Used by the VM enforcement tests and the benchmark: busybox has no
 * renameat2, io_uring, xattrs, copy_file_range or "held fd" scenarios, and
 * its applets print free-form errors. pfop prints a single word on stdout:
 *
 *   OK        the operation succeeded                     (exit 0)
 *   EPERM ... errno name of the first failing syscall     (exit 1)
 *   usage     on stderr, for bad arguments                (exit 2)
 *
 * Exceptions: `cat` writes the raw file bytes instead of OK, `bench` prints
 * one "BENCH op=OP ns_per_op=N" line (the fastest of BENCH_RUNS runs). Both print the errno word on failure.
 *
 * Only libc and raw syscalls: io_uring is driven with io_uring_setup /
 * io_uring_enter and the mmapped rings, so no liburing is needed and the
 * binary can be linked statically.
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/syscall.h>
#include <sys/timex.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/xattr.h>
#include <sched.h>
#include <linux/falloc.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/io_uring.h>

/* From <linux/fs.h>, which clashes with <sys/mount.h> on some glibc. */
#ifndef FS_IOC_GETFLAGS
#define FS_IOC_GETFLAGS _IOR('f', 1, long)
#define FS_IOC_SETFLAGS _IOW('f', 2, long)
#endif
#ifndef FS_NOATIME_FL
#define FS_NOATIME_FL 0x00000080
#endif
#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE (1 << 0)
#define RENAME_EXCHANGE (1 << 1)
#endif
#ifndef O_TMPFILE
#define O_TMPFILE (020000000 | O_DIRECTORY)
#endif

#define HOLD_POLL_MS 10
#define HOLD_MAX_MS 900000 /* the bypass suite holds fds across its whole run */
#define CAT_BUF 65536
/* bench: ITER calls in this many runs; the fastest run counts (a short run
 * has a chance to go uninterrupted on a host busy with other VMs). */
#define BENCH_RUNS 64
#define BENCH_MAX_ITER 100000000L

/* ---- errno names ------------------------------------------------------ */

#define E(x) { x, #x }
static const struct {
	int num;
	const char *name;
} errnames[] = {
	E(EPERM),     E(ENOENT),    E(ESRCH),      E(EINTR),     E(EIO),
	E(ENXIO),     E(E2BIG),     E(ENOEXEC),    E(EBADF),     E(ECHILD),
	E(EAGAIN),    E(ENOMEM),    E(EACCES),     E(EFAULT),    E(ENOTBLK),
	E(EBUSY),     E(EEXIST),    E(EXDEV),      E(ENODEV),    E(ENOTDIR),
	E(EISDIR),    E(EINVAL),    E(ENFILE),     E(EMFILE),    E(ENOTTY),
	E(ETXTBSY),   E(EFBIG),     E(ENOSPC),     E(ESPIPE),    E(EROFS),
	E(EMLINK),    E(EPIPE),     E(ERANGE),     E(EDEADLK),   E(ENAMETOOLONG),
	E(ENOLCK),    E(ENOSYS),    E(ENOTEMPTY),  E(ELOOP),     E(ENODATA),
	E(EOVERFLOW), E(EBADFD),    E(EOPNOTSUPP), E(ETIMEDOUT), E(ESTALE),
	E(EDQUOT),    E(ECANCELED), E(EKEYREJECTED), E(EUCLEAN),
};
#undef E

static const char *errname(int err, char *buf, size_t len)
{
	for (size_t i = 0; i < sizeof(errnames) / sizeof(errnames[0]); i++)
		if (errnames[i].num == err)
			return errnames[i].name;
	snprintf(buf, len, "E%d", err);
	return buf;
}

/* ---- small helpers ---------------------------------------------------- */

/* Every helper returns 0 or a negative errno, captured right at the call. */
#define TRY(expr)                          \
	do {                               \
		if ((expr) < 0)            \
			return -errno;     \
	} while (0)

static void closep(int *fd)
{
	if (*fd >= 0)
		close(*fd);
}
#define _cleanup_close_ __attribute__((cleanup(closep)))

static int parse_long(const char *s, int base, long *ret_val)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, base);
	if (errno || end == s || *end)
		return -1;
	*ret_val = v;
	return 0;
}

static int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= n;
	}
	return 0;
}

static int open_fd(const char *path, int flags, int *ret_fd)
{
	int fd = open(path, flags | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	*ret_fd = fd;
	return 0;
}

/* Signal READY, then wait until GO exists. Used to open a file before a
 * freeze starts and use the descriptor after it. */
static int hold(const char *ready, const char *go)
{
	int fd = open(ready, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	close(fd);
	for (int waited = 0; waited < HOLD_MAX_MS; waited += HOLD_POLL_MS) {
		if (access(go, F_OK) == 0)
			return 0;
		poll(NULL, 0, HOLD_POLL_MS);
	}
	return -ETIMEDOUT;
}

/* Write one byte through a shared mapping of fd and sync it. */
static int poke_mapping(void *map, size_t len)
{
	if (len == 0)
		return 0;
	((volatile char *)map)[0] = 'M';
	TRY(msync(map, len, MS_SYNC));
	return 0;
}

static int file_size(int fd, size_t *ret_len)
{
	struct stat st;

	TRY(fstat(fd, &st));
	*ret_len = (size_t)st.st_size;
	return 0;
}

/* ---- open / read / write --------------------------------------------- */

static int open_only(const char *path, int flags)
{
	_cleanup_close_ int fd = -1;
	return open_fd(path, flags, &fd);
}

static int op_open_read(char **a)
{
	_cleanup_close_ int fd = -1;
	char buf[4096];
	ssize_t n;
	int r = open_fd(a[0], O_RDONLY, &fd);
	if (r)
		return r;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		;
	return n < 0 ? -errno : 0;
}

static int op_open_write(char **a) { return open_only(a[0], O_WRONLY); }
static int op_open_rdwr(char **a) { return open_only(a[0], O_RDWR); }
static int op_open_append(char **a) { return open_only(a[0], O_WRONLY | O_APPEND); }
static int op_open_trunc(char **a) { return open_only(a[0], O_WRONLY | O_TRUNC); }
static int op_open_blkdev_write(char **a) { return open_only(a[0], O_WRONLY); }

static int op_write(char **a)
{
	_cleanup_close_ int fd = -1;
	int r = open_fd(a[0], O_WRONLY | O_APPEND, &fd);
	if (r)
		return r;
	return write_all(fd, a[1], strlen(a[1]));
}

static int op_overwrite(char **a)
{
	_cleanup_close_ int fd = -1;
	size_t len = strlen(a[1]);
	ssize_t n;
	int r = open_fd(a[0], O_WRONLY, &fd);
	if (r)
		return r;
	n = pwrite(fd, a[1], len, 0);
	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EIO;
}

static int op_hold_write(char **a)
{
	_cleanup_close_ int fd = -1;
	int r = open_fd(a[0], O_WRONLY | O_APPEND, &fd);
	if (r)
		return r;
	r = hold(a[1], a[2]);
	if (r)
		return r;
	return write_all(fd, "held\n", 5);
}

static int op_cat(char **a)
{
	_cleanup_close_ int fd = -1;
	char *buf;
	ssize_t n;
	int r = open_fd(a[0], O_RDONLY, &fd);
	if (r)
		return r;
	buf = malloc(CAT_BUF);
	if (!buf)
		return -ENOMEM;
	while ((n = read(fd, buf, CAT_BUF)) > 0) {
		r = write_all(STDOUT_FILENO, buf, n);
		if (r)
			break;
	}
	if (n < 0)
		r = -errno;
	free(buf);
	return r;
}

static int op_stat(char **a)
{
	struct stat st;
	TRY(stat(a[0], &st));
	return 0;
}

/* ---- size changes ----------------------------------------------------- */

static int arg_len(const char *s, off_t *ret_len)
{
	long v;
	if (parse_long(s, 0, &v) || v < 0)
		return -EINVAL;
	*ret_len = v;
	return 0;
}

static int op_truncate(char **a)
{
	off_t len;
	if (arg_len(a[1], &len))
		return -EINVAL;
	TRY(truncate(a[0], len));
	return 0;
}

static int do_ftruncate(char **a, const char *ready, const char *go)
{
	_cleanup_close_ int fd = -1;
	off_t len;
	int r;
	if (arg_len(a[1], &len))
		return -EINVAL;
	r = open_fd(a[0], O_WRONLY, &fd);
	if (r)
		return r;
	if (ready && (r = hold(ready, go)))
		return r;
	TRY(ftruncate(fd, len));
	return 0;
}

static int op_ftruncate(char **a) { return do_ftruncate(a, NULL, NULL); }
static int op_ftruncate_held(char **a) { return do_ftruncate(a, a[2], a[3]); }

static int do_fallocate(char **a, const char *ready, const char *go)
{
	_cleanup_close_ int fd = -1;
	off_t len;
	int r;
	if (arg_len(a[1], &len) || len == 0)
		return -EINVAL;
	r = open_fd(a[0], O_WRONLY, &fd);
	if (r)
		return r;
	if (ready && (r = hold(ready, go)))
		return r;
	TRY(fallocate(fd, 0, 0, len));
	return 0;
}

static int op_fallocate(char **a) { return do_fallocate(a, NULL, NULL); }
static int op_fallocate_held(char **a) { return do_fallocate(a, a[2], a[3]); }

/* ---- namespace operations --------------------------------------------- */

static int op_create(char **a) { return open_only(a[0], O_CREAT | O_EXCL | O_WRONLY); }

static int op_tmpfile_link(char **a)
{
	_cleanup_close_ int fd = -1;
	char proc[64];
	int r = open_fd(a[0], O_TMPFILE | O_WRONLY, &fd);
	if (r)
		return r;
	r = write_all(fd, "tmpfile\n", 8);
	if (r)
		return r;
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	TRY(linkat(AT_FDCWD, proc, AT_FDCWD, a[1], AT_SYMLINK_FOLLOW));
	return 0;
}

static int op_mknod(char **a)
{
	mode_t type = S_IFREG;
	if (a[1]) {
		if (strcmp(a[1], "fifo") == 0)
			type = S_IFIFO;
		else if (strcmp(a[1], "reg") != 0)
			return -EINVAL;
	}
	TRY(mknod(a[0], type | 0644, 0));
	return 0;
}

static int op_mkfifo(char **a) { TRY(mkfifo(a[0], 0644)); return 0; }
static int op_mkdir(char **a) { TRY(mkdir(a[0], 0755)); return 0; }
static int op_rmdir(char **a) { TRY(rmdir(a[0])); return 0; }
static int op_unlink(char **a) { TRY(unlink(a[0])); return 0; }
static int op_link(char **a) { TRY(link(a[0], a[1])); return 0; }
static int op_symlink(char **a) { TRY(symlink(a[0], a[1])); return 0; }
static int op_rename(char **a) { TRY(rename(a[0], a[1])); return 0; }

static int rename2(const char *from, const char *to, unsigned int flags)
{
	TRY(syscall(SYS_renameat2, AT_FDCWD, from, AT_FDCWD, to, flags));
	return 0;
}

static int op_exchange(char **a) { return rename2(a[0], a[1], RENAME_EXCHANGE); }
static int op_noreplace(char **a) { return rename2(a[0], a[1], RENAME_NOREPLACE); }

/* ---- attributes ------------------------------------------------------- */

static int op_chmod(char **a)
{
	long mode;
	if (parse_long(a[1], 8, &mode) || mode < 0 || mode > 07777)
		return -EINVAL;
	TRY(chmod(a[0], (mode_t)mode));
	return 0;
}

static int op_chown(char **a)
{
	long uid, gid;
	if (parse_long(a[1], 10, &uid) || parse_long(a[2], 10, &gid))
		return -EINVAL;
	TRY(chown(a[0], (uid_t)uid, (gid_t)gid));
	return 0;
}

static int op_utimes(char **a)
{
	const struct timespec ts[2] = { { 1000000000, 0 }, { 1000000000, 0 } };
	TRY(utimensat(AT_FDCWD, a[0], ts, 0));
	return 0;
}

static int op_setxattr(char **a)
{
	TRY(setxattr(a[0], a[1], a[2], strlen(a[2]), 0));
	return 0;
}

static int op_removexattr(char **a)
{
	TRY(removexattr(a[0], a[1]));
	return 0;
}

/* security.capability, VFS_CAP_REVISION_2, effective, permitted cap_net_raw */
static int op_setcap(char **a)
{
	struct vfs_cap_data cap;

	memset(&cap, 0, sizeof(cap));
	cap.magic_etc = htole32(VFS_CAP_REVISION_2 | VFS_CAP_FLAGS_EFFECTIVE);
	cap.data[0].permitted = htole32(1u << CAP_NET_RAW);
	TRY(setxattr(a[0], "security.capability", &cap, XATTR_CAPS_SZ_2, 0));
	return 0;
}

static int op_chattr(char **a)
{
	_cleanup_close_ int fd = -1;
	int flags;
	int r = open_fd(a[0], O_RDONLY | O_NONBLOCK, &fd);
	if (r)
		return r;
	TRY(ioctl(fd, FS_IOC_GETFLAGS, &flags));
	flags |= FS_NOATIME_FL;
	TRY(ioctl(fd, FS_IOC_SETFLAGS, &flags));
	return 0;
}

/* ---- data movement without write(2) ----------------------------------- */

static int open_pair(char **a, int *ret_in, int *ret_out)
{
	int in = -1, out = -1, r;

	r = open_fd(a[0], O_RDONLY, &in);
	if (r)
		return r;
	r = open_fd(a[1], O_WRONLY | O_CREAT, &out);
	if (r) {
		close(in);
		return r;
	}
	*ret_in = in;
	*ret_out = out;
	return 0;
}

static int op_copy_file_range(char **a)
{
	_cleanup_close_ int in = -1;
	_cleanup_close_ int out = -1;
	ssize_t n;
	int r = open_pair(a, &in, &out);
	if (r)
		return r;
	while ((n = copy_file_range(in, NULL, out, NULL, 1 << 20, 0)) > 0)
		;
	return n < 0 ? -errno : 0;
}

static int op_sendfile(char **a)
{
	_cleanup_close_ int in = -1;
	_cleanup_close_ int out = -1;
	ssize_t n;
	int r = open_pair(a, &in, &out);
	if (r)
		return r;
	while ((n = sendfile(out, in, NULL, 1 << 20)) > 0)
		;
	return n < 0 ? -errno : 0;
}

static int op_splice(char **a)
{
	_cleanup_close_ int in = -1;
	_cleanup_close_ int out = -1;
	_cleanup_close_ int pr = -1;
	_cleanup_close_ int pw = -1;
	int p[2];
	ssize_t n;
	int r = open_pair(a, &in, &out);
	if (r)
		return r;
	TRY(pipe2(p, O_CLOEXEC));
	pr = p[0];
	pw = p[1];
	while ((n = splice(in, NULL, pw, NULL, 65536, 0)) > 0) {
		while (n > 0) {
			ssize_t m = splice(pr, NULL, out, NULL, n, 0);
			if (m < 0)
				return -errno;
			n -= m;
		}
	}
	return n < 0 ? -errno : 0;
}

/* ---- io_uring with raw syscalls -------------------------------------- */

struct ring {
	int fd;
	void *sq, *cq;
	size_t sq_len, cq_len;
	struct io_uring_sqe *sqes;
	size_t sqes_len;
	struct io_uring_params p;
};

static void ring_free(struct ring *r)
{
	if (r->sqes && r->sqes != MAP_FAILED)
		munmap(r->sqes, r->sqes_len);
	if (r->cq && r->cq != MAP_FAILED)
		munmap(r->cq, r->cq_len);
	if (r->sq && r->sq != MAP_FAILED)
		munmap(r->sq, r->sq_len);
	if (r->fd >= 0)
		close(r->fd);
}

static void *map_ring(int fd, size_t len, off_t off)
{
	return mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE,
		    fd, off);
}

/* Submit one IORING_OP_WRITE at the file position and return its result. */
static int uring_write(int fd, const char *data, size_t len)
{
	struct ring r = { .fd = -1 };
	unsigned *sq_tail, *sq_mask, *sq_array, *cq_head, *cq_tail, *cq_mask;
	struct io_uring_cqe *cqes;
	struct io_uring_sqe *sqe;
	unsigned tail, head;
	int ret;

	r.fd = (int)syscall(__NR_io_uring_setup, 1, &r.p);
	if (r.fd < 0)
		return -errno;
	r.sq_len = r.p.sq_off.array + r.p.sq_entries * sizeof(unsigned);
	r.cq_len = r.p.cq_off.cqes + r.p.cq_entries * sizeof(struct io_uring_cqe);
	r.sqes_len = r.p.sq_entries * sizeof(struct io_uring_sqe);
	r.sq = map_ring(r.fd, r.sq_len, IORING_OFF_SQ_RING);
	r.cq = map_ring(r.fd, r.cq_len, IORING_OFF_CQ_RING);
	r.sqes = map_ring(r.fd, r.sqes_len, IORING_OFF_SQES);
	if (r.sq == MAP_FAILED || r.cq == MAP_FAILED || r.sqes == MAP_FAILED) {
		ret = -errno;
		goto out;
	}

	sq_tail = (unsigned *)((char *)r.sq + r.p.sq_off.tail);
	sq_mask = (unsigned *)((char *)r.sq + r.p.sq_off.ring_mask);
	sq_array = (unsigned *)((char *)r.sq + r.p.sq_off.array);
	cq_head = (unsigned *)((char *)r.cq + r.p.cq_off.head);
	cq_tail = (unsigned *)((char *)r.cq + r.p.cq_off.tail);
	cq_mask = (unsigned *)((char *)r.cq + r.p.cq_off.ring_mask);
	cqes = (struct io_uring_cqe *)((char *)r.cq + r.p.cq_off.cqes);

	tail = __atomic_load_n(sq_tail, __ATOMIC_ACQUIRE);
	sqe = &r.sqes[tail & *sq_mask];
	memset(sqe, 0, sizeof(*sqe));
	sqe->opcode = IORING_OP_WRITE;
	sqe->fd = fd;
	sqe->addr = (uint64_t)(uintptr_t)data;
	sqe->len = (uint32_t)len;
	sqe->off = (uint64_t)-1; /* use and advance the file position */
	sq_array[tail & *sq_mask] = tail & *sq_mask;
	__atomic_store_n(sq_tail, tail + 1, __ATOMIC_RELEASE);

	if (syscall(__NR_io_uring_enter, r.fd, 1, 1, IORING_ENTER_GETEVENTS,
		    NULL, 0) < 0) {
		ret = -errno;
		goto out;
	}
	head = __atomic_load_n(cq_head, __ATOMIC_ACQUIRE);
	if (head == __atomic_load_n(cq_tail, __ATOMIC_ACQUIRE)) {
		ret = -EIO; /* no completion although we waited for one */
		goto out;
	}
	ret = cqes[head & *cq_mask].res;
	__atomic_store_n(cq_head, head + 1, __ATOMIC_RELEASE);
	if (ret >= 0)
		ret = (size_t)ret == len ? 0 : -EIO;
out:
	ring_free(&r);
	return ret;
}

static int do_uring_write(char **a, const char *ready, const char *go)
{
	_cleanup_close_ int fd = -1;
	int r = open_fd(a[0], O_WRONLY | O_APPEND, &fd);
	if (r)
		return r;
	if (ready && (r = hold(ready, go)))
		return r;
	return uring_write(fd, a[1], strlen(a[1]));
}

static int op_io_uring_write(char **a) { return do_uring_write(a, NULL, NULL); }
static int op_io_uring_write_held(char **a) { return do_uring_write(a, a[2], a[3]); }

/* ---- mmap ------------------------------------------------------------- */

/* Opens FILE read-write for a shared mapping and returns its size; an empty
 * file has nothing to map (test files must not be empty): -EINVAL. */
static int open_mappable(const char *path, int *fd, size_t *len)
{
	int r = open_fd(path, O_RDWR, fd);
	if (r)
		return r;
	if ((r = file_size(*fd, len)))
		return r;
	return *len == 0 ? -EINVAL : 0;
}

static int op_mmap_write(char **a)
{
	_cleanup_close_ int fd = -1;
	size_t len;
	void *map;
	int r = open_mappable(a[0], &fd, &len);
	if (r)
		return r;
	map = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED)
		return -errno;
	r = poke_mapping(map, len);
	munmap(map, len);
	return r;
}

static int op_mmap_held(char **a)
{
	_cleanup_close_ int fd = -1;
	size_t len;
	void *map;
	int r = open_mappable(a[0], &fd, &len);
	if (r)
		return r;
	if ((r = hold(a[1], a[2])))
		return r;
	map = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED)
		return -errno;
	r = poke_mapping(map, len);
	munmap(map, len);
	return r;
}

static int op_mprotect_held(char **a)
{
	_cleanup_close_ int fd = -1;
	size_t len;
	void *map;
	int r = open_mappable(a[0], &fd, &len);
	if (r)
		return r;
	map = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED)
		return -errno;
	r = hold(a[1], a[2]);
	if (!r && mprotect(map, len, PROT_READ | PROT_WRITE) < 0)
		r = -errno;
	if (!r)
		r = poke_mapping(map, len);
	munmap(map, len);
	return r;
}

/* ---- mounts ----------------------------------------------------------- */

static int op_mount_bind(char **a) { TRY(mount(a[0], a[1], NULL, MS_BIND, NULL)); return 0; }
static int op_mount_tmpfs(char **a) { TRY(mount("tmpfs", a[0], "tmpfs", 0, "size=8m")); return 0; }
static int op_move_mount(char **a) { TRY(mount(a[0], a[1], NULL, MS_MOVE, NULL)); return 0; }
static int op_remount_rw(char **a) { TRY(mount(NULL, a[0], NULL, MS_REMOUNT, NULL)); return 0; }

/* sock-send PATH HEX: connect to a Unix socket, send the hex-decoded bytes,
 * half-close, print "OK" then whatever comes back (raw). */
static int op_sock_send(char **a)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	size_t n = strlen(a[1]) / 2;
	unsigned char *buf = malloc(n + 1);
	char rep[70000];
	ssize_t got, total = 0;
	int fd;

	if (!buf || strlen(a[0]) >= sizeof(sa.sun_path))
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		unsigned v;
		if (sscanf(a[1] + 2 * i, "%2x", &v) != 1)
			return -EINVAL;
		buf[i] = (unsigned char)v;
	}
	strcpy(sa.sun_path, a[0]);
	TRY(fd = socket(AF_UNIX, SOCK_STREAM, 0));
	TRY(connect(fd, (struct sockaddr *)&sa, sizeof(sa)));
	TRY(write(fd, buf, n));
	shutdown(fd, SHUT_WR);
	while ((got = read(fd, rep + total, sizeof(rep) - 1 - (size_t)total)) > 0)
		total += got;
	close(fd);
	printf("OK\n");
	/* Skip the 4-byte length prefix of the reply frame. */
	if (total > 4)
		fwrite(rep + 4, 1, (size_t)(total - 4), stdout);
	free(buf);
	return 0;
}

/* sock-slow PATH N READY DONE: N connections to a Unix socket, each
 * announcing a 100-byte request and then sending one byte of it every
 * 200 ms (a slow or stuck client); READY is created once all are
 * connected, DONE once the server has closed every one (or after 20 s).
 * Prints one line per connection: the reply's error, or "no reply". */
static int op_sock_slow(char **a)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int n = atoi(a[1]), fds[64], open_n = 0;
	char rep[64][512];
	size_t got[64] = { 0 };
	uint32_t len = __builtin_bswap32(100); /* big-endian 100 */

	if (n < 1 || n > 64 || strlen(a[0]) >= sizeof(sa.sun_path))
		return -EINVAL;
	signal(SIGPIPE, SIG_IGN);
	strcpy(sa.sun_path, a[0]);
	for (int i = 0; i < n; i++) {
		TRY(fds[i] = socket(AF_UNIX, SOCK_STREAM, 0));
		TRY(connect(fds[i], (struct sockaddr *)&sa, sizeof(sa)));
		/* A server that is full may have answered "busy" and closed
		 * already (EPIPE): its reply is still there to read. */
		if (write(fds[i], &len, 4) != 4 && errno != EPIPE && errno != ECONNRESET)
			return -EIO;
		open_n++;
	}
	TRY(close(open(a[2], O_WRONLY | O_CREAT, 0644)));
	for (int round = 0; round < 100 && open_n; round++) {
		struct pollfd p[64];

		for (int i = 0; i < n; i++) {
			p[i] = (struct pollfd){ .fd = fds[i], .events = POLLIN };
			if (fds[i] >= 0 && write(fds[i], "x", 1) < 0 && errno != EPIPE &&
			    errno != ECONNRESET)
				return -errno;
		}
		poll(p, (nfds_t)n, 200);
		for (int i = 0; i < n; i++) {
			ssize_t r;

			if (fds[i] < 0 || !(p[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			r = read(fds[i], rep[i] + got[i], sizeof(rep[i]) - 1 - got[i]);
			if (r > 0) {
				got[i] += (size_t)r;
				continue;
			}
			close(fds[i]);
			fds[i] = -1;
			open_n--;
		}
	}
	TRY(close(open(a[3], O_WRONLY | O_CREAT, 0644)));
	for (int i = 0; i < n; i++) {
		char *e;

		rep[i][got[i]] = 0;
		e = got[i] > 4 ? strstr(rep[i] + 4, "error=") : NULL;
		if (e)
			e[strcspn(e, "\n")] = 0;
		printf("%d: %s%s\n", i + 1, e ? e + 6 : "no reply", fds[i] >= 0 ? " (still open)" : "");
	}
	return 0;
}

/* dgram-recv ADDR N MS: bind a Unix datagram socket at ADDR ('@name':
 * abstract), print each datagram received (one per line, "\n" inside shown
 * as '|') until N arrived or MS milliseconds passed. Stands in for systemd's
 * NOTIFY_SOCKET. */
static int op_dgram_recv(char **a)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	size_t n = strlen(a[0]);
	int want = atoi(a[1]), got = 0, fd;
	socklen_t len;
	struct timeval tv = { .tv_sec = atoi(a[2]) / 1000, .tv_usec = (atoi(a[2]) % 1000) * 1000 };

	if (n < 2 || n >= sizeof(sa.sun_path))
		return -EINVAL;
	memcpy(sa.sun_path, a[0], n);
	if (a[0][0] == '@')
		sa.sun_path[0] = 0;
	else
		unlink(a[0]);
	len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + (a[0][0] == '@' ? 0 : 1));
	TRY(fd = socket(AF_UNIX, SOCK_DGRAM, 0));
	TRY(bind(fd, (struct sockaddr *)&sa, len));
	TRY(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)));
	printf("READY\n");
	fflush(stdout);
	while (got < want) {
		char buf[4097];
		ssize_t r = recv(fd, buf, sizeof(buf) - 1, 0);
		if (r < 0)
			return -errno;
		for (ssize_t i = 0; i < r; i++)
			if (buf[i] == '\n')
				buf[i] = '|';
		buf[r] = 0;
		printf("%s\n", buf);
		fflush(stdout);
		got++;
	}
	close(fd);
	return 0;
}

/* chroot DIR OP ARGS...: chroot(2) into DIR, chdir("/"), then run OP. */
static int op_chroot(char **a)
{
	(void)a;
	return 0; /* dispatched specially in main */
}

/* mkfiles DIR N: create DIR/f1 .. DIR/fN (empty), for large policies. */
static int op_mkfiles(char **a)
{
	long n = atol(a[1]);
	char path[PATH_MAX];

	for (long i = 1; i <= n; i++) {
		int fd;
		snprintf(path, sizeof(path), "%s/f%ld", a[0], i);
		TRY(fd = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0644));
		close(fd);
	}
	return 0;
}

static int op_umount(char **a) { TRY(umount2(a[0], 0)); return 0; }
static int op_remount_ro(char **a) { TRY(mount(NULL, a[0], NULL, MS_REMOUNT | MS_RDONLY, NULL)); return 0; }

/* ---- bypass helpers ---------------------------------------------------- */

#define CHAIN_MAX_DEPTH 10000
#define CHAIN_MAX_NAME 255

/* The directory name used at every level of a chain: LEN copies of 'd'. */
static int chain_name(const char *len_arg, char *name, size_t size)
{
	long len;
	if (parse_long(len_arg, 10, &len) || len < 1 || len > CHAIN_MAX_NAME ||
	    (size_t)len >= size)
		return -EINVAL;
	memset(name, 'd', (size_t)len);
	name[len] = 0;
	return 0;
}

/* Walk (and with @create, make) DIR/NAME/NAME/... N levels deep with
 * relative openat calls only, so no path ever exceeds PATH_MAX. Returns the
 * deepest directory's fd in *ret_fd. */
static int chain_walk(char **a, int create, int *ret_fd)
{
	char name[CHAIN_MAX_NAME + 1];
	long n;
	int fd, r;

	if (parse_long(a[1], 10, &n) || n < 0 || n > CHAIN_MAX_DEPTH)
		return -EINVAL;
	if ((r = chain_name(a[2], name, sizeof(name))))
		return r;
	fd = open(a[0], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	for (long i = 0; i < n; i++) {
		int next;
		if (create && mkdirat(fd, name, 0755) < 0 && errno != EEXIST) {
			r = -errno;
			close(fd);
			return r;
		}
		next = openat(fd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		r = -errno;
		close(fd);
		if (next < 0)
			return r;
		fd = next;
	}
	*ret_fd = fd;
	return 0;
}

/* chain-mk DIR N LEN DATA: make the chain and the file "f" holding DATA. */
static int op_chain_mk(char **a)
{
	_cleanup_close_ int dir = -1;
	_cleanup_close_ int fd = -1;
	int r = chain_walk(a, 1, &dir);
	if (r)
		return r;
	fd = openat(dir, "f", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	return write_all(fd, a[3], strlen(a[3]));
}

/* chain-write DIR N LEN DATA: append DATA to the chain's file "f". */
static int op_chain_write(char **a)
{
	_cleanup_close_ int dir = -1;
	_cleanup_close_ int fd = -1;
	int r = chain_walk(a, 0, &dir);
	if (r)
		return r;
	fd = openat(dir, "f", O_WRONLY | O_APPEND | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	return write_all(fd, a[3], strlen(a[3]));
}

/* chain-cat DIR N LEN: the raw bytes of the chain's file "f". */
static int op_chain_cat(char **a)
{
	_cleanup_close_ int dir = -1;
	_cleanup_close_ int fd = -1;
	char buf[4096];
	ssize_t n;
	int r = chain_walk(a, 0, &dir);
	if (r)
		return r;
	fd = openat(dir, "f", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		if ((r = write_all(STDOUT_FILENO, buf, (size_t)n)))
			return r;
	return n < 0 ? -errno : 0;
}

/* mmap-mapped-held FILE READY GO: map FILE shared and writable, then signal
 * READY; after GO, store through the mapping made before. */
static int op_mmap_mapped_held(char **a)
{
	_cleanup_close_ int fd = -1;
	size_t len;
	void *map;
	int r = open_mappable(a[0], &fd, &len);
	if (r)
		return r;
	map = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED)
		return -errno;
	r = hold(a[1], a[2]);
	if (!r)
		r = poke_mapping(map, len);
	munmap(map, len);
	return r;
}

/* punch-hole FILE: deallocate the first 4 KiB, keeping the size. */
static int op_punch_hole(char **a)
{
	_cleanup_close_ int fd = -1;
	int r = open_fd(a[0], O_WRONLY, &fd);
	if (r)
		return r;
	TRY(fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, 4096));
	return 0;
}

/* setacl FILE: system.posix_acl_access u::rw-,g::r--,m::rwx,o::---,u:1:rwx
 * (the xattr form setfacl writes). */
static int op_setacl(char **a)
{
	struct {
		uint32_t version;
		struct { uint16_t tag, perm; uint32_t id; } e[5];
	} acl = { htole32(2), {
		{ htole16(0x01), htole16(6), htole32(UINT32_MAX) }, /* USER_OBJ */
		{ htole16(0x02), htole16(7), htole32(1) },          /* USER 1 */
		{ htole16(0x04), htole16(4), htole32(UINT32_MAX) }, /* GROUP_OBJ */
		{ htole16(0x10), htole16(7), htole32(UINT32_MAX) }, /* MASK */
		{ htole16(0x20), htole16(0), htole32(UINT32_MAX) }, /* OTHER */
	} };
	TRY(setxattr(a[0], "system.posix_acl_access", &acl, sizeof(acl), 0));
	return 0;
}

/* pivot-write ROOT PUTOLD FILE DATA: in a new mount namespace, make ROOT's
 * filesystem the root with pivot_root(2) (the old root moved to PUTOLD,
 * relative to ROOT), then append DATA to FILE (a path in the new root).
 * An initramfs root cannot be pivoted away, so a tmpfs holding a recursive
 * bind of ROOT becomes the process root first. */
static int op_pivot_write(char **a)
{
	static const char stage[] = "/tmp/.pfop-pivot";
	char inner[PATH_MAX];
	int r;

	if (snprintf(inner, sizeof(inner), "%s/r", stage) >= (int)sizeof(inner))
		return -ENAMETOOLONG;
	TRY(unshare(CLONE_NEWNS));
	TRY(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL));
	if (mkdir(stage, 0700) < 0 && errno != EEXIST)
		return -errno;
	TRY(mount("tmpfs", stage, "tmpfs", 0, "size=1m"));
	TRY(mkdir(inner, 0755));
	TRY(mount(a[0], inner, NULL, MS_BIND | MS_REC, NULL));
	TRY(chroot(stage));
	TRY(chdir("/r"));
	TRY(syscall(SYS_pivot_root, ".", a[1]));
	TRY(chroot("."));
	TRY(chdir("/"));
	{
		char *w[2] = { a[2], a[3] };
		r = op_write(w);
	}
	return r;
}

/* ---- misc ------------------------------------------------------------- */

/* clock sync: marks the clock synchronised, as an NTP daemon does (clears
 * STA_UNSYNC, maximum error 0: the kernel sets STA_UNSYNC again only once
 * the error grows past 16 s, hours later). clock unsync: sets STA_UNSYNC. */
static int op_clock(char **a)
{
	struct timex tx = { .modes = 0 };
	int sync = strcmp(a[0], "sync") == 0;

	if (!sync && strcmp(a[0], "unsync") != 0) {
		fprintf(stderr, "pfop clock: expected sync or unsync, got '%s'\n", a[0]);
		exit(2);
	}
	TRY(adjtimex(&tx));
	tx.modes = ADJ_STATUS | ADJ_MAXERROR;
	if (sync)
		tx.status &= ~STA_UNSYNC;
	else
		tx.status |= STA_UNSYNC;
	tx.maxerror = sync ? 0 : 16000000;
	TRY(adjtimex(&tx));
	return 0;
}

static int op_sleep_ms(char **a)
{
	long ms;
	struct timespec ts;
	if (parse_long(a[0], 10, &ms) || ms < 0)
		return -EINVAL;
	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) < 0)
		if (errno != EINTR)
			return -errno;
	return 0;
}

/* ---- benchmark -------------------------------------------------------- */

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int bench_once(const char *op, const char *path, long iter, int fd4k)
{
	static char page[4096];
	int ro = strcmp(op, "open-close-ro") == 0;
	struct stat st;

	for (long i = 0; i < iter; i++) {
		int fd;
		if (ro || strcmp(op, "open-close") == 0) {
			fd = open(path, ro ? O_RDONLY : O_WRONLY);
			if (fd < 0)
				return -errno;
			close(fd);
		} else if (strcmp(op, "pwrite4k") == 0) {
			if (pwrite(fd4k, page, sizeof(page), 0) < 0)
				return -errno;
		} else if (strcmp(op, "stat") == 0) {
			TRY(stat(path, &st));
		} else if (strcmp(op, "fork-exec") == 0) {
			int status;
			pid_t pid = fork();

			if (pid < 0)
				return -errno;
			if (pid == 0) {
				execl(path, path, (char *)NULL);
				_exit(127);
			}
			TRY(waitpid(pid, &status, 0));
			if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
				return -ECHILD;
		} else { /* create-unlink */
			fd = open(path, O_CREAT | O_EXCL | O_WRONLY, 0644);
			if (fd < 0)
				return -errno;
			close(fd);
			TRY(unlink(path));
		}
	}
	return 0;
}

static int op_bench(char **a)
{
	static const char *const ops[] = { "open-close", "open-close-ro", "pwrite4k",
					   "stat", "create-unlink", "fork-exec" };
	_cleanup_close_ int fd4k = -1;
	uint64_t best = UINT64_MAX;
	long iter;
	int known = 0, r;

	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		known |= strcmp(a[0], ops[i]) == 0;
	if (!known || parse_long(a[2], 10, &iter) || iter < BENCH_RUNS ||
	    iter > BENCH_MAX_ITER)
		return -EINVAL;
	iter /= BENCH_RUNS;
	if (strcmp(a[0], "pwrite4k") == 0 && (r = open_fd(a[1], O_WRONLY, &fd4k)))
		return r;
	for (int run = 0; run < BENCH_RUNS; run++) {
		uint64_t t0 = now_ns(), dt;
		r = bench_once(a[0], a[1], iter, fd4k);
		if (r)
			return r;
		dt = now_ns() - t0;
		if (dt < best)
			best = dt;
	}
	printf("BENCH op=%s ns_per_op=%llu\n", a[0],
	       (unsigned long long)(best / (uint64_t)iter));
	return 0;
}

#include <sys/prctl.h>

/* prctl with any option: the repeats sweep (PF_PRCTL_REPEATS) by a
 * process that is not the agent. */
static int op_prctl_raw(char **a)
{
	long opt, arg;

	if (parse_long(a[0], 0, &opt) || parse_long(a[1], 0, &arg))
		return -EINVAL;
	TRY(prctl((int)opt, (unsigned long)arg, 0, 0, 0));
	return 0;
}

/* ---- event bursts ------------------------------------------------------ */

#define BURST_MAX 10000000L

/* N attempts to open FILE for writing (each produces one kernel event on a
 * protected file in audit or enforce mode). Prints
 * "BURST n=N opened=A denied=D other=O ns=T". */
static int op_burst(char **a)
{
	long n, opened = 0, denied = 0, other = 0;
	uint64_t t0;

	if (parse_long(a[1], 10, &n) || n <= 0 || n > BURST_MAX)
		return -EINVAL;
	t0 = now_ns();
	for (long i = 0; i < n; i++) {
		int fd = open(a[0], O_WRONLY | O_CLOEXEC);
		if (fd >= 0) {
			close(fd);
			opened++;
		} else if (errno == EPERM) {
			denied++;
		} else {
			other++;
		}
	}
	printf("BURST n=%ld opened=%ld denied=%ld other=%ld ns=%llu\n", n, opened, denied, other,
	       (unsigned long long)(now_ns() - t0));
	return 0;
}

/* Opens FILE for writing in a loop for MS milliseconds (a looping writer:
 * a crash-looping deploy script, an agent retrying). Prints
 * "FLOOD n=N opened=A denied=D other=O", then stays HOLD_MS (default 0)
 * before it exits. */
static int op_flood(char **a)
{
	long ms, hold = 0, n = 0, opened = 0, denied = 0, other = 0;
	uint64_t end;

	if (parse_long(a[1], 10, &ms) || ms <= 0 || ms > 600000 ||
	    (a[2] && (parse_long(a[2], 10, &hold) || hold < 0 || hold > 600000)))
		return -EINVAL;
	end = now_ns() + (uint64_t)ms * 1000000;
	while (now_ns() < end) {
		int fd = open(a[0], O_WRONLY | O_CLOEXEC);

		n++;
		if (fd >= 0) {
			close(fd);
			opened++;
		} else if (errno == EPERM) {
			denied++;
		} else {
			other++;
		}
	}
	printf("FLOOD n=%ld opened=%ld denied=%ld other=%ld\n", n, opened, denied, other);
	fflush(stdout);
	if (hold)
		usleep((useconds_t)hold * 1000);
	return 0;
}

/* ---- self-protection (agent process, kernel lock) ----------------------- */

#include <signal.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>

static int op_kill(char **a) { TRY(kill((pid_t)atoi(a[0]), atoi(a[1]))); return 0; }

static int op_ptrace_attach(char **a)
{
	pid_t pid = (pid_t)atoi(a[0]);

	TRY(ptrace(PTRACE_ATTACH, pid, NULL, NULL));
	waitpid(pid, NULL, __WALL);
	ptrace(PTRACE_DETACH, pid, NULL, NULL);
	return 0;
}

static int op_ptrace_seize(char **a)
{
	pid_t pid = (pid_t)atoi(a[0]);

	TRY(ptrace(PTRACE_SEIZE, pid, NULL, NULL));
	ptrace(PTRACE_DETACH, pid, NULL, NULL);
	return 0;
}

/* open /proc/PID/mem read-write (the open is where access is judged) */
static int op_mem_open(char **a)
{
	char path[64];
	_cleanup_close_ int fd = -1;

	snprintf(path, sizeof(path), "/proc/%s/mem", a[0]);
	return open_fd(path, O_RDWR, &fd);
}

/* A server for the connect tests: bind, listen, create READY, then
 * accept and close connections until killed. */
static int serve(int fd, const char *ready)
{
	int c;

	TRY(listen(fd, 16));
	TRY(c = open(ready, O_WRONLY | O_CREAT | O_TRUNC, 0644));
	close(c);
	for (;;) {
		c = accept(fd, NULL, NULL);
		if (c >= 0)
			close(c);
	}
	return 0;
}

static int unix_addr(const char *path, struct sockaddr_un *sa)
{
	if (strlen(path) >= sizeof(sa->sun_path))
		return -ENAMETOOLONG;
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	strcpy(sa->sun_path, path);
	return 0;
}

static int op_unix_listen(char **a)
{
	struct sockaddr_un sa;
	int fd, r = unix_addr(a[0], &sa);

	if (r < 0)
		return r;
	unlink(a[0]);
	TRY(fd = socket(AF_UNIX, SOCK_STREAM, 0));
	TRY(bind(fd, (struct sockaddr *)&sa, sizeof(sa)));
	return serve(fd, a[1]);
}

static int op_unix_connect(char **a)
{
	struct sockaddr_un sa;
	int fd, r = unix_addr(a[0], &sa);

	if (r < 0)
		return r;
	TRY(fd = socket(AF_UNIX, SOCK_STREAM, 0));
	TRY(connect(fd, (struct sockaddr *)&sa, sizeof(sa)));
	close(fd);
	return 0;
}

/* ADDR PORT as a sockaddr: IPv6 if ADDR has a ':'. */
static int inet_addr_of(const char *addr, const char *port, struct sockaddr_storage *ss,
			socklen_t *len)
{
	memset(ss, 0, sizeof(*ss));
	if (strchr(addr, ':')) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)atoi(port));
		if (inet_pton(AF_INET6, addr, &s6->sin6_addr) != 1)
			return -EINVAL;
		*len = sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)atoi(port));
		if (inet_pton(AF_INET, addr, &s4->sin_addr) != 1)
			return -EINVAL;
		*len = sizeof(*s4);
	}
	return 0;
}

static int op_tcp_listen(char **a)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd, one = 1, r = inet_addr_of(a[0], a[1], &ss, &len);

	if (r < 0)
		return r;
	TRY(fd = socket(ss.ss_family, SOCK_STREAM, 0));
	TRY(setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)));
	TRY(bind(fd, (struct sockaddr *)&ss, len));
	return serve(fd, a[2]);
}

static int op_tcp_connect(char **a)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd, r = inet_addr_of(a[0], a[1], &ss, &len);

	if (r < 0)
		return r;
	TRY(fd = socket(ss.ss_family, SOCK_STREAM, 0));
	TRY(connect(fd, (struct sockaddr *)&ss, len));
	close(fd);
	return 0;
}

/* TCP Fast Open: connect and send one byte with sendto(MSG_FASTOPEN), no
 * connect(2). */
static int op_tcp_fastopen(char **a)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd, r = inet_addr_of(a[0], a[1], &ss, &len);

	if (r < 0)
		return r;
	TRY(fd = socket(ss.ss_family, SOCK_STREAM, 0));
	TRY(sendto(fd, "x", 1, MSG_FASTOPEN, (struct sockaddr *)&ss, len));
	close(fd);
	return 0;
}

static int op_vm_write(char **a)
{
	char byte = 0;
	struct iovec local = { &byte, 1 }, remote = { (void *)0x10000, 1 };

	TRY(syscall(SYS_process_vm_writev, (pid_t)atoi(a[0]), &local, 1UL, &remote, 1UL, 0UL));
	return 0;
}

static int op_finit_module(char **a)
{
	_cleanup_close_ int fd = -1;
	int r = open_fd(a[0], O_RDONLY, &fd);

	if (r < 0)
		return r;
	TRY(syscall(SYS_finit_module, fd, "", 0));
	return 0;
}

static int op_init_module(char **a)
{
	_cleanup_close_ int fd = -1;
	size_t len;
	void *img;
	int r = open_fd(a[0], O_RDONLY, &fd);

	if (r < 0 || (r = file_size(fd, &len)) < 0)
		return r;
	img = malloc(len ? len : 1);
	if (!img)
		return -ENOMEM;
	if (read(fd, img, len) != (ssize_t)len) {
		free(img);
		return -EIO;
	}
	r = (int)syscall(SYS_init_module, img, (unsigned long)len, "");
	r = r < 0 ? -errno : 0;
	free(img);
	return r;
}

static int op_kexec_file_load(char **a)
{
	_cleanup_close_ int fd = -1;
	int r = open_fd(a[0], O_RDONLY, &fd);

	if (r < 0)
		return r;
	/* KEXEC_FILE_NO_INITRAMFS = 4 */
	TRY(syscall(SYS_kexec_file_load, fd, -1, 1UL, "", 4UL));
	return 0;
}

static int op_prctl_exe(char **a)
{
	_cleanup_close_ int fd = -1;
	int r = open_fd(a[0], O_RDONLY, &fd);

	if (r < 0)
		return r;
	/* PR_SET_MM_EXE_FILE = 13 */
	TRY(prctl(PR_SET_MM, 13, (unsigned long)fd, 0, 0));
	return 0;
}

/* ---- dispatch --------------------------------------------------------- */

enum { QUIET = 1 }; /* success prints nothing (the op wrote its output) */

static const struct op {
	const char *name;
	int min_args, max_args;
	int (*fn)(char **args);
	int flags;
	const char *args, *help;
} ops[] = {
	{ "open-read", 1, 1, op_open_read, 0, "FILE", "open O_RDONLY, read to EOF" },
	{ "open-write", 1, 1, op_open_write, 0, "FILE", "open O_WRONLY (no write)" },
	{ "open-rdwr", 1, 1, op_open_rdwr, 0, "FILE", "open O_RDWR" },
	{ "open-append", 1, 1, op_open_append, 0, "FILE", "open O_WRONLY|O_APPEND" },
	{ "open-trunc", 1, 1, op_open_trunc, 0, "FILE", "open O_WRONLY|O_TRUNC" },
	{ "open-blkdev-write", 1, 1, op_open_blkdev_write, 0, "DEV", "open a device O_WRONLY" },
	{ "write", 2, 2, op_write, 0, "FILE DATA", "open O_WRONLY|O_APPEND, write DATA" },
	{ "overwrite", 2, 2, op_overwrite, 0, "FILE DATA", "open O_WRONLY, pwrite DATA at 0" },
	{ "hold-write", 3, 3, op_hold_write, 0, "FILE READY GO", "open O_APPEND, signal READY, wait GO, write \"held\\n\"" },
	{ "cat", 1, 1, op_cat, QUIET, "FILE", "write the raw bytes of FILE (no OK)" },
	{ "stat", 1, 1, op_stat, 0, "FILE", "stat" },
	{ "truncate", 2, 2, op_truncate, 0, "FILE LEN", "truncate(2)" },
	{ "ftruncate", 2, 2, op_ftruncate, 0, "FILE LEN", "open O_WRONLY, ftruncate" },
	{ "ftruncate-held", 4, 4, op_ftruncate_held, 0, "FILE LEN READY GO", "open, wait GO, ftruncate" },
	{ "fallocate", 2, 2, op_fallocate, 0, "FILE LEN", "open O_WRONLY, fallocate [0,LEN)" },
	{ "fallocate-held", 4, 4, op_fallocate_held, 0, "FILE LEN READY GO", "open, wait GO, fallocate" },
	{ "create", 1, 1, op_create, 0, "FILE", "open O_CREAT|O_EXCL|O_WRONLY" },
	{ "tmpfile-link", 2, 2, op_tmpfile_link, 0, "DIR NEWPATH", "O_TMPFILE in DIR, write, linkat to NEWPATH" },
	{ "mknod", 1, 2, op_mknod, 0, "FILE [reg|fifo]", "mknod(2), regular file by default" },
	{ "mkfifo", 1, 1, op_mkfifo, 0, "FILE", "mkfifo" },
	{ "mkdir", 1, 1, op_mkdir, 0, "DIR", "mkdir" },
	{ "rmdir", 1, 1, op_rmdir, 0, "DIR", "rmdir" },
	{ "unlink", 1, 1, op_unlink, 0, "FILE", "unlink" },
	{ "link", 2, 2, op_link, 0, "OLD NEW", "link" },
	{ "symlink", 2, 2, op_symlink, 0, "TARGET NEW", "symlink" },
	{ "rename", 2, 2, op_rename, 0, "OLD NEW", "rename" },
	{ "exchange", 2, 2, op_exchange, 0, "A B", "renameat2 RENAME_EXCHANGE" },
	{ "noreplace", 2, 2, op_noreplace, 0, "OLD NEW", "renameat2 RENAME_NOREPLACE" },
	{ "chmod", 2, 2, op_chmod, 0, "FILE OCTAL", "chmod" },
	{ "chown", 3, 3, op_chown, 0, "FILE UID GID", "chown" },
	{ "utimes", 1, 1, op_utimes, 0, "FILE", "utimensat to 2001-09-09" },
	{ "setxattr", 3, 3, op_setxattr, 0, "FILE NAME VALUE", "setxattr" },
	{ "removexattr", 2, 2, op_removexattr, 0, "FILE NAME", "removexattr" },
	{ "setcap", 1, 1, op_setcap, 0, "FILE", "set security.capability (v2, cap_net_raw+ep)" },
	{ "chattr", 1, 1, op_chattr, 0, "FILE", "FS_IOC_SETFLAGS adding FS_NOATIME_FL" },
	{ "copy-file-range", 2, 2, op_copy_file_range, 0, "SRC DST", "copy_file_range into DST (O_CREAT, at 0)" },
	{ "sendfile", 2, 2, op_sendfile, 0, "SRC DST", "sendfile into DST (O_CREAT, at 0)" },
	{ "splice", 2, 2, op_splice, 0, "SRC DST", "splice SRC->pipe->DST (O_CREAT, at 0)" },
	{ "io-uring-write", 2, 2, op_io_uring_write, 0, "FILE DATA", "open O_APPEND, IORING_OP_WRITE DATA" },
	{ "io-uring-write-held", 4, 4, op_io_uring_write_held, 0, "FILE DATA READY GO", "open, wait GO, IORING_OP_WRITE" },
	{ "mmap-write", 1, 1, op_mmap_write, 0, "FILE", "open O_RDWR, mmap shared RW, store 'M' at 0, msync" },
	{ "mmap-held", 3, 3, op_mmap_held, 0, "FILE READY GO", "open O_RDWR, wait GO, mmap shared RW, store, msync" },
	{ "mprotect-held", 3, 3, op_mprotect_held, 0, "FILE READY GO", "open O_RDWR + mmap shared RO, wait GO, mprotect RW, store" },
	{ "mount-bind", 2, 2, op_mount_bind, 0, "SRC DST", "mount MS_BIND" },
	{ "mount-tmpfs", 1, 1, op_mount_tmpfs, 0, "DST", "mount tmpfs" },
	{ "move-mount", 2, 2, op_move_mount, 0, "SRC DST", "mount MS_MOVE" },
	{ "umount", 1, 1, op_umount, 0, "PATH", "umount2" },
	{ "remount-ro", 1, 1, op_remount_ro, 0, "PATH", "mount MS_REMOUNT|MS_RDONLY" },
	{ "remount-rw", 1, 1, op_remount_rw, 0, "PATH", "mount MS_REMOUNT (read-write)" },
	{ "clock", 1, 1, op_clock, 0, "sync|unsync", "adjtimex: clear or set STA_UNSYNC (as an NTP daemon would)" },
	{ "sock-send", 2, 2, op_sock_send, QUIET, "PATH HEX", "send raw bytes to a Unix socket, print the reply" },
	{ "sock-slow", 4, 4, op_sock_slow, QUIET, "PATH N READY DONE", "N slow clients on a Unix socket; each one's reply" },
	{ "dgram-recv", 3, 3, op_dgram_recv, 0, "ADDR N MS", "receive N datagrams on a Unix socket (@: abstract), print each" },
	{ "chroot", 2, 7, op_chroot, 0, "DIR OP ARGS...", "chroot into DIR, then run OP" },
	{ "run-as", 3, 7, op_chroot, 0, "UID GID CMD ARGS...", "drop to UID/GID and exec CMD" },
	{ "mkfiles", 2, 2, op_mkfiles, 0, "DIR N", "create DIR/f1..fN" },
	{ "chain-mk", 4, 4, op_chain_mk, 0, "DIR N LEN DATA", "mkdir N levels (names of LEN 'd') by openat, write DATA to f" },
	{ "chain-write", 4, 4, op_chain_write, 0, "DIR N LEN DATA", "openat N levels down, append DATA to f" },
	{ "chain-cat", 3, 3, op_chain_cat, QUIET, "DIR N LEN", "openat N levels down, raw bytes of f" },
	{ "mmap-mapped-held", 3, 3, op_mmap_mapped_held, 0, "FILE READY GO", "mmap shared RW, signal READY, wait GO, store, msync" },
	{ "punch-hole", 1, 1, op_punch_hole, 0, "FILE", "fallocate PUNCH_HOLE|KEEP_SIZE [0,4096)" },
	{ "setacl", 1, 1, op_setacl, 0, "FILE", "set system.posix_acl_access (adds u:1:rwx)" },
	{ "pivot-write", 4, 4, op_pivot_write, 0, "ROOT PUTOLD FILE DATA", "unshare -m, pivot_root to ROOT, append DATA to FILE" },
	{ "sleep-ms", 1, 1, op_sleep_ms, 0, "N", "sleep N milliseconds" },
	{ "burst", 2, 2, op_burst, QUIET, "FILE N", "N x (open O_WRONLY, close); prints counts" },
	{ "flood", 2, 3, op_flood, QUIET, "FILE MS [HOLD_MS]", "open O_WRONLY, close, in a loop for MS ms; prints counts; stays HOLD_MS" },
	{ "kill", 2, 2, op_kill, 0, "PID SIG", "kill(2) with signal number SIG" },
	{ "ptrace-attach", 1, 1, op_ptrace_attach, 0, "PID", "PTRACE_ATTACH, then detach" },
	{ "ptrace-seize", 1, 1, op_ptrace_seize, 0, "PID", "PTRACE_SEIZE, then detach" },
	{ "mem-open", 1, 1, op_mem_open, 0, "PID", "open /proc/PID/mem O_RDWR" },
	{ "vm-write", 1, 1, op_vm_write, 0, "PID", "process_vm_writev one byte" },
	{ "unix-listen", 2, 2, op_unix_listen, QUIET, "PATH READY", "stream server on PATH: create READY, accept until killed" },
	{ "unix-connect", 1, 1, op_unix_connect, 0, "PATH", "connect a stream socket to PATH" },
	{ "tcp-listen", 3, 3, op_tcp_listen, QUIET, "ADDR PORT READY", "TCP server: create READY, accept until killed" },
	{ "tcp-connect", 2, 2, op_tcp_connect, 0, "ADDR PORT", "TCP connect to ADDR PORT" },
	{ "tcp-fastopen", 2, 2, op_tcp_fastopen, 0, "ADDR PORT", "sendto(MSG_FASTOPEN) one byte to ADDR PORT" },
	{ "finit-module", 1, 1, op_finit_module, 0, "KO", "finit_module(2)" },
	{ "init-module", 1, 1, op_init_module, 0, "KO", "init_module(2) from the file's bytes" },
	{ "kexec-file-load", 1, 1, op_kexec_file_load, 0, "KERNEL", "kexec_file_load(2), no initramfs" },
	{ "prctl-exe", 1, 1, op_prctl_exe, 0, "FILE", "prctl(PR_SET_MM, PR_SET_MM_EXE_FILE)" },
	{ "prctl-raw", 2, 2, op_prctl_raw, 0, "OPTION ARG2", "prctl(OPTION, ARG2, 0, 0, 0)" },
	{ "bench", 3, 3, op_bench, QUIET, "OP PATH ITER", "ITER calls (at least 64) in 64 runs; OP: open-close open-close-ro pwrite4k stat create-unlink fork-exec (PATH: the program)" },
};

static int usage(void)
{
	fprintf(stderr,
		"usage: pfop OP ARGS...\n"
		"Performs one operation; prints OK, or the errno name of the first\n"
		"failing syscall (exit 1). Exit 2 on usage errors. Held variants\n"
		"create READY once their fd is open, then wait (<= 15 min) for GO.\n\n");
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		int w = (int)(strlen(ops[i].name) + strlen(ops[i].args)) + 1;
		fprintf(stderr, "  %s %s%*s  %s\n", ops[i].name, ops[i].args,
			w < 34 ? 34 - w : 0, "", ops[i].help);
	}
	return 2;
}

int main(int argc, char **argv)
{
	char buf[32];
	int nargs = argc - 2;

	if (argc < 2)
		return usage();
	if (strcmp(argv[1], "run-as") == 0 && argc >= 5) {
		/* run-as UID GID CMD ARGS...: drop to UID/GID, exec CMD. */
		gid_t gid = (gid_t)atoi(argv[3]);
		if (setgroups(0, NULL) < 0 || setresgid(gid, gid, gid) < 0 ||
		    setresuid((uid_t)atoi(argv[2]), (uid_t)atoi(argv[2]), (uid_t)atoi(argv[2])) < 0) {
			printf("%s\n", errname(errno, buf, sizeof(buf)));
			return 1;
		}
		execvp(argv[4], argv + 4);
		printf("%s\n", errname(errno, buf, sizeof(buf)));
		return 1;
	}
	if (strcmp(argv[1], "chroot") == 0 && argc >= 4) {
		/* The binary and its libraries are already mapped: no exec. */
		if (chroot(argv[2]) < 0 || chdir("/") < 0) {
			printf("%s\n", errname(errno, buf, sizeof(buf)));
			return 1;
		}
		return main(argc - 2, argv + 2);
	}
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		const struct op *op = &ops[i];
		char *args[8] = { 0 };
		int r;

		if (strcmp(argv[1], op->name) != 0)
			continue;
		if (nargs < op->min_args || nargs > op->max_args)
			return usage();
		for (int j = 0; j < nargs; j++)
			args[j] = argv[j + 2];
		r = op->fn(args);
		if (r < 0) {
			printf("%s\n", errname(-r, buf, sizeof(buf)));
			return 1;
		}
		if (!(op->flags & QUIET))
			printf("OK\n");
		return 0;
	}
	return usage();
}
