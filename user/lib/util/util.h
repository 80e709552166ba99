/* Small helpers shared by the agent and the CLI: growable arrays and hex,
 * files and paths, time, and this host's identities. */
#ifndef PF_UTIL_H
#define PF_UTIL_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <sys/types.h>

#define PF_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* --- arrays and hex ------------------------------------------------------ */

/* Growable arrays: room for one more element in @arr (a pointer to the
 * elements), which holds @n of @cap allocated ones. When it is full, the
 * allocation doubles (the first one holds 16) and @arr and @cap are
 * updated. Evaluates to 0, or -ENOMEM with @arr and @cap unchanged:
 *	if (PF_ARRAY_GROW(m->kv, m->cap, m->n) < 0)
 *		return -ENOMEM;
 *	m->kv[m->n++] = kv; */
#define PF_ARRAY_GROW(arr, cap, n)                                               \
	__extension__({                                                          \
		void *pf_grown_ = pf_array_grow((arr), &(cap), (n), sizeof(*(arr))); \
		pf_grown_ ? ((arr) = pf_grown_, 0) : -ENOMEM;                    \
	})
/* The function behind PF_ARRAY_GROW: the array, moved or not, or NULL
 * (then @items and *@cap are as they were). */
void *pf_array_grow(void *items, size_t *cap, size_t n, size_t elem);

/* The value of the hex digit @c (0-9, a-f, A-F), or -1. */
int pf_unhex_digit(char c);
/* 1 if s[0..n) are all lowercase hex digits (0-9, a-f), else 0. */
int pf_is_lower_hex(const char *s, size_t n);
/* @n bytes as 2*@n lowercase hex digits and a NUL into @out. */
void pf_hex_str(const void *p, size_t n, char *out);
/* 2*@n lowercase hex digits at @s as @n bytes: 0, or -EINVAL (nothing
 * written) when one is not a lowercase hex digit. */
int pf_unhex_lower(const char *s, size_t n, uint8_t *out);

/* --- files and paths ----------------------------------------------------- */

/* Reads a whole file, refusing (-EFBIG) one larger than @cap before
 * allocating. The buffer is NUL-terminated (not counted in @ret_len). */
int pf_read_file(const char *path, size_t cap, char **ret_buf, size_t *ret_len);
/* Writes @path atomically: a temporary file in the same directory, fsync,
 * rename, fsync of the directory. */
int pf_write_file_atomic(const char *path, const void *data, size_t len, mode_t mode);
/* write(2) until all @n bytes are written, retrying on EINTR. 0 or -errno. */
int pf_write_all(int fd, const void *p, size_t n);
/* pread(2) until all @n bytes at @off are read, retrying on EINTR. 0 or
 * -errno; -EIO when the file ends first. */
int pf_pread_all(int fd, void *p, size_t n, off_t off);
/* fsync(2) of the directory @dir (a rename or unlink in it made durable);
 * best effort, as a directory that cannot be opened has nothing to sync. */
void pf_fsync_dir(const char *dir);
/* mkdir -p with @mode for the created components. */
int pf_mkdir_p(const char *path, mode_t mode);
/* Joins @dir and @name with exactly one '/'. Caller frees. */
char *pf_path_join(const char *dir, const char *name);
/* The directory part of @path, up to its last '/': "/" for "/name", "." for
 * a bare "name". Caller frees; NULL when out of memory. */
char *pf_path_dir(const char *path);

/* --- time ---------------------------------------------------------------- */

/* RFC 3339 UTC with nanoseconds: 2026-11-29T23:18:45.123456789Z */
void pf_rfc3339_ns(int64_t unix_ns, char *out, size_t outsz);
/* RFC 3339 UTC, seconds: 2026-11-29T23:18:45Z */
void pf_rfc3339(int64_t unix_s, char *out, size_t outsz);
/* RFC 3339 ("2026-11-29T23:18:45Z", "...45.123456789Z", "...45+02:00") into
 * Unix nanoseconds. 0, -EINVAL, or -ERANGE (after the year 2262). */
int pf_parse_rfc3339(const char *s, size_t n, int64_t *ret_ns);
/* "YYYY-MM-DD", a real date, at the start of s[0..n): days since
 * 1970-01-01 (negative before). 0 or -EINVAL. */
int pf_parse_date(const char *s, size_t n, int64_t *ret_days);
/* Clock @c (CLOCK_REALTIME, _MONOTONIC, _BOOTTIME) in nanoseconds. */
int64_t pf_clock_ns(clockid_t c);
int64_t pf_now_ns(void);
/* Offset to add to a CLOCK_BOOTTIME value to get CLOCK_REALTIME. */
int64_t pf_boot_to_real_ns(void);

/* --- this host ----------------------------------------------------------- */

/* The kernel's encoding of a device number (sb->s_dev): MAJOR << 20 | MINOR. */
uint32_t pf_kdev(dev_t d);

/* This boot's identity (36 characters): the kernel's
 * /proc/sys/kernel/random/boot_id, or, where /proc/sys is hidden (a
 * systemd unit's ProcSubset=pid), the random id kept in @fallback, a file
 * on a tmpfs (/run) that every boot starts without: made when absent.
 * "unknown" and -errno when neither works. */
int pf_boot_id(const char *fallback, char out[64]);

/* A uid given by an operator: a number from 0 to 4294967294 ((uid_t)-1
 * means "no uid" to the kernel), or a user name of this host (getpwnam).
 * 0, -EINVAL (neither a number in range nor a name), -ENOENT (no such
 * user). */
int pf_parse_uid(const char *s, uint32_t *ret);

#endif
