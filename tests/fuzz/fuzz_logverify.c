/* libFuzzer target: the audit-log verifier, the record parser, the filters
 * and the human rendering. The input is a log file; when its first byte is
 * odd, the bytes up to a split point chosen by the second byte are gzipped
 * into path.1.gz first, so rotated files are read too. Every line of the
 * input is also parsed on its own and, if it is a record, filtered and
 * rendered (without colour): it must hold no control byte but its final
 * '\n'. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zlib.h>

#include "json.h"
#include "logread.h"

static char dir[64], path[128], gz[160];

static void write_file(const char *p, const uint8_t *d, size_t n)
{
	FILE *f = fopen(p, "w");

	if (!f)
		abort();
	if (n && fwrite(d, 1, n, f) != n)
		abort();
	fclose(f);
}

static void one_line(const char *line, size_t len)
{
	struct pf_logrec *rec = malloc(sizeof(*rec));
	struct pf_log_filter f = { .decision = "deny,gap", .path = "/etc", .has_uid = 1 };
	struct pf_buf b;
	uint64_t v;
	int64_t t;

	if (!rec)
		abort();
	if (pf_logrec_parse(line, len, rec) == 0) {
		pf_logrec_u64(rec, "seq", &v);
		pf_logrec_time(rec, &t);
		pf_log_filter_match(&f, rec);
		pf_buf_init(&b);
		if (pf_log_format_human(rec, 0, &b) == 0) {
			if (!b.len || b.data[b.len - 1] != '\n')
				abort();
			for (size_t i = 0; i + 1 < b.len; i++) {
				unsigned char c = (unsigned char)b.data[i];
				if (c < 0x20 || c == 0x7f)
					abort();
			}
		}
		pf_buf_free(&b);
	}
	free(rec);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pf_log_verify_result res;
	size_t split = 0;
	const uint8_t *p = data, *nl;

	if (!dir[0]) {
		snprintf(dir, sizeof(dir), "/tmp/fuzz-logverify-XXXXXX");
		if (!mkdtemp(dir))
			abort();
		snprintf(path, sizeof(path), "%s/audit.log", dir);
		snprintf(gz, sizeof(gz), "%s.1.gz", path);
	}
	unlink(gz);
	if (size >= 2 && (data[0] & 1)) {
		gzFile g;
		split = 2 + (size - 2) * data[1] / 256;
		g = gzopen(gz, "wb1");
		if (!g)
			abort();
		if (split > 2)
			gzwrite(g, data + 2, (unsigned)(split - 2));
		gzclose(g);
	}
	write_file(path, data + split, size - split);
	memset(&res, 0, sizeof(res));
	if (pf_log_verify(path, &res) < 0)
		abort();
	if (res.problem != PF_LOG_OK && (res.line == 0 || !res.file[0] || !res.detail[0]))
		abort();
	if (res.problem == PF_LOG_OK && res.records == 0)
		abort();

	while (p < data + size) {
		nl = memchr(p, '\n', (size_t)(data + size - p));
		size_t len = nl ? (size_t)(nl - p) + 1 : (size_t)(data + size - p);
		one_line((const char *)p, len);
		p += len;
	}
	{
		struct pf_buf b;
		pf_buf_init(&b);
		pf_log_escape_term(&b, data, size);
		for (size_t i = 0; i < b.len; i++)
			if ((unsigned char)b.data[i] < 0x20 || b.data[i] == 0x7f)
				abort();
		pf_buf_free(&b);
	}
	return 0;
}
