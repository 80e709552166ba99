/* Small helpers shared by the agent and the CLI; see util.h. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include "util.h"

/* --- arrays and hex ------------------------------------------------------ */

void *pf_array_grow(void *items, size_t *cap, size_t n, size_t elem)
{
	size_t c;
	void *p;

	if (n < *cap)
		return items;
	if (*cap > SIZE_MAX / 2)
		return NULL;
	c = *cap ? *cap * 2 : 16;
	p = reallocarray(items, c, elem);
	if (!p)
		return NULL;
	*cap = c;
	return p;
}

int pf_unhex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int pf_is_lower_hex(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

void pf_hex_str(const void *p, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[b[i] >> 4];
		out[2 * i + 1] = digits[b[i] & 15];
	}
	out[2 * n] = 0;
}

int pf_unhex_lower(const char *s, size_t n, uint8_t *out)
{
	if (!pf_is_lower_hex(s, 2 * n))
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		out[i] = (uint8_t)(pf_unhex_digit(s[2 * i]) << 4 | pf_unhex_digit(s[2 * i + 1]));
	return 0;
}

/* --- files and paths ----------------------------------------------------- */

int pf_read_file(const char *path, size_t cap, char **ret_buf, size_t *ret_len)
{
	struct stat st;
	char *buf = NULL;
	size_t len = 0, alloc;
	int fd, r = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		r = -errno;
		goto out;
	}
	if (S_ISDIR(st.st_mode)) {
		r = -EISDIR;
		goto out;
	}
	if (st.st_size < 0 || (uint64_t)st.st_size > cap) {
		r = -EFBIG;
		goto out;
	}
	/* Regular files: size known. Others (pipes, /proc): grow up to cap. */
	alloc = (size_t)st.st_size + 1;
	if (alloc < 4096)
		alloc = 4096;
	if (alloc > cap + 1)
		alloc = cap + 1;
	buf = malloc(alloc);
	if (!buf) {
		r = -ENOMEM;
		goto out;
	}
	for (;;) {
		ssize_t n;

		if (len + 1 >= alloc) {
			char *nb;
			if (alloc > cap) {
				r = -EFBIG;
				goto out;
			}
			alloc = alloc * 2 > cap + 1 ? cap + 1 : alloc * 2;
			nb = realloc(buf, alloc);
			if (!nb) {
				r = -ENOMEM;
				goto out;
			}
			buf = nb;
		}
		n = read(fd, buf + len, alloc - 1 - len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			r = -errno;
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	buf[len] = 0;
	*ret_buf = buf;
	*ret_len = len;
	buf = NULL;
out:
	free(buf);
	close(fd);
	return r;
}

int pf_write_all(int fd, const void *p, size_t n)
{
	const char *c = p;

	while (n) {
		ssize_t w = write(fd, c, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

int pf_pread_all(int fd, void *p, size_t n, off_t off)
{
	char *c = p;

	while (n) {
		ssize_t r = pread(fd, c, n, off);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (r == 0)
			return -EIO; /* shorter than it was said to be */
		c += r;
		n -= (size_t)r;
		off += r;
	}
	return 0;
}

void pf_fsync_dir(const char *dir)
{
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
}

int pf_write_file_atomic(const char *path, const void *data, size_t len, mode_t mode)
{
	char *tmp = NULL, *dcopy = NULL;
	int fd = -1, r = 0;

	if (asprintf(&tmp, "%s.tmp.%d", path, (int)getpid()) < 0)
		return -ENOMEM;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
	if (fd < 0) {
		r = -errno;
		goto out;
	}
	r = pf_write_all(fd, data, len);
	if (r < 0)
		goto out;
	if (fsync(fd) < 0 || close(fd) < 0) {
		r = -errno;
		fd = -1;
		goto out;
	}
	fd = -1;
	if (rename(tmp, path) < 0) {
		r = -errno;
		goto out;
	}
	dcopy = strdup(path);
	if (dcopy)
		pf_fsync_dir(dirname(dcopy));
out:
	if (fd >= 0)
		close(fd);
	if (r < 0)
		unlink(tmp);
	free(dcopy);
	free(tmp);
	return r;
}

int pf_mkdir_p(const char *path, mode_t mode)
{
	char buf[4096];
	size_t n = strlen(path);

	if (n == 0 || n >= sizeof(buf))
		return -ENAMETOOLONG;
	memcpy(buf, path, n + 1);
	for (size_t i = 1; i <= n; i++) {
		if (buf[i] == '/' || buf[i] == 0) {
			char c = buf[i];
			buf[i] = 0;
			if (mkdir(buf, mode) < 0 && errno != EEXIST)
				return -errno;
			buf[i] = c;
		}
	}
	return 0;
}

char *pf_path_join(const char *dir, const char *name)
{
	size_t dl = strlen(dir);
	char *s;

	while (dl > 0 && dir[dl - 1] == '/')
		dl--;
	while (*name == '/')
		name++;
	if (asprintf(&s, "%.*s/%s", (int)dl, dir, name) < 0)
		return NULL;
	return s;
}

char *pf_path_dir(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		return strdup(".");
	if (slash == path)
		return strdup("/");
	return strndup(path, (size_t)(slash - path));
}

/* --- time ---------------------------------------------------------------- */

void pf_rfc3339_ns(int64_t unix_ns, char *out, size_t outsz)
{
	time_t s = (time_t)(unix_ns / 1000000000LL);
	long ns = (long)(unix_ns % 1000000000LL);
	struct tm tm;

	if (ns < 0) {
		ns += 1000000000L;
		s -= 1;
	}
	gmtime_r(&s, &tm);
	snprintf(out, outsz, "%04d-%02d-%02dT%02d:%02d:%02d.%09ldZ", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ns);
}

void pf_rfc3339(int64_t unix_s, char *out, size_t outsz)
{
	time_t s = (time_t)unix_s;
	struct tm tm;

	gmtime_r(&s, &tm);
	snprintf(out, outsz, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900, tm.tm_mon + 1,
		 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* Days since 1970-01-01 of the proleptic Gregorian date y-m-d (m 1..12). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static int digits(const char *s, size_t n, size_t at, size_t cnt, unsigned *ret)
{
	unsigned v = 0;

	if (at + cnt > n)
		return -EINVAL;
	for (size_t i = at; i < at + cnt; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	*ret = v;
	return 0;
}

int pf_parse_date(const char *s, size_t n, int64_t *ret_days)
{
	static const unsigned mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	unsigned y, m, d;

	if (digits(s, n, 0, 4, &y) < 0 || n < 10 || s[4] != '-' || digits(s, n, 5, 2, &m) < 0 ||
	    s[7] != '-' || digits(s, n, 8, 2, &d) < 0)
		return -EINVAL;
	if (m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
		return -EINVAL;
	if (m == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return -EINVAL;
	*ret_days = days_from_civil(y, m, d);
	return 0;
}

int pf_parse_rfc3339(const char *s, size_t n, int64_t *ret_ns)
{
	unsigned hh, mm, ss, oh, om;
	int64_t days, secs, frac = 0, off = 0;
	size_t i = 19;

	if (!s || pf_parse_date(s, n, &days) < 0 || n < 20 ||
	    (s[10] != 'T' && s[10] != 't' && s[10] != ' ') || digits(s, n, 11, 2, &hh) < 0 ||
	    s[13] != ':' || digits(s, n, 14, 2, &mm) < 0 || s[16] != ':' ||
	    digits(s, n, 17, 2, &ss) < 0 || hh > 23 || mm > 59 || ss > 60)
		return -EINVAL;
	if (s[i] == '.') {
		size_t nd = 0;
		i++;
		while (i < n && s[i] >= '0' && s[i] <= '9') {
			if (nd < 9) {
				frac = frac * 10 + (s[i] - '0');
				nd++;
			}
			i++;
		}
		if (nd == 0)
			return -EINVAL;
		while (nd++ < 9)
			frac *= 10;
	}
	if (i < n && (s[i] == 'Z' || s[i] == 'z')) {
		i++;
	} else if (i < n && (s[i] == '+' || s[i] == '-')) {
		if (digits(s, n, i + 1, 2, &oh) < 0 || i + 3 >= n || s[i + 3] != ':' ||
		    digits(s, n, i + 4, 2, &om) < 0 || oh > 23 || om > 59)
			return -EINVAL;
		off = ((int64_t)oh * 3600 + om * 60) * (s[i] == '+' ? 1 : -1);
		i += 6;
	} else {
		return -EINVAL;
	}
	if (i != n)
		return -EINVAL;
	secs = days * 86400 + (int64_t)hh * 3600 + mm * 60 + ss - off;
	if (secs > INT64_MAX / 1000000000LL - 1 || secs < INT64_MIN / 1000000000LL + 1)
		return -ERANGE;
	*ret_ns = secs * 1000000000LL + frac;
	return 0;
}

int64_t pf_clock_ns(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int64_t pf_now_ns(void)
{
	return pf_clock_ns(CLOCK_REALTIME);
}

int64_t pf_boot_to_real_ns(void)
{
	int64_t b = pf_clock_ns(CLOCK_BOOTTIME);
	int64_t r = pf_clock_ns(CLOCK_REALTIME);
	int64_t b2 = pf_clock_ns(CLOCK_BOOTTIME);

	return r - (b + (b2 - b) / 2);
}

/* --- this host ----------------------------------------------------------- */

uint32_t pf_kdev(dev_t d)
{
	return (uint32_t)((major(d) << 20) | (minor(d) & 0xfffff));
}

static int read_id(const char *path, char out[64])
{
	char *buf = NULL;
	size_t len;
	int r = pf_read_file(path, 128, &buf, &len);

	if (r < 0)
		return r;
	while (len && (buf[len - 1] == '\n' || buf[len - 1] == ' '))
		buf[--len] = 0;
	r = len >= 32 && len < 64 ? 0 : -EINVAL;
	if (r == 0)
		snprintf(out, 64, "%s", buf);
	free(buf);
	return r;
}

int pf_boot_id(const char *fallback, char out[64])
{
	unsigned char b[16];
	int r;

	if (read_id("/proc/sys/kernel/random/boot_id", out) == 0)
		return 0;
	snprintf(out, 64, "unknown");
	if (!fallback)
		return -ENOENT;
	if (read_id(fallback, out) == 0)
		return 0;
	if (getrandom(b, sizeof(b), 0) != (ssize_t)sizeof(b))
		return -errno;
	snprintf(out, 64, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12],
		 b[13], b[14], b[15]);
	r = pf_write_file_atomic(fallback, out, strlen(out), 0644);
	if (r < 0)
		snprintf(out, 64, "unknown");
	return r;
}

int pf_parse_uid(const char *s, uint32_t *ret)
{
	uint64_t v = 0;
	const char *p = s;
	struct passwd *pw;

	if (!*s)
		return -EINVAL;
	for (; *p >= '0' && *p <= '9'; p++) {
		v = v * 10 + (uint64_t)(*p - '0');
		if (v > 4294967294ULL)
			return -EINVAL;
	}
	if (!*p) {
		*ret = (uint32_t)v;
		return 0;
	}
	if (p != s)
		return -EINVAL; /* "12ab" */
	pw = getpwnam(s);
	if (!pw)
		return -ENOENT;
	*ret = (uint32_t)pw->pw_uid;
	return 0;
}
