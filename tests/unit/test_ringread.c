/* Unit tests: reading a BPF ring buffer's pages (user/lib/util/ringread.c)
 * over memory laid out as the kernel's: samples in order, a sample that
 * wraps read in one piece, a busy (unsubmitted) sample stops the reader,
 * discarded ones are passed over, the consumer position moves only on
 * commit, rewind re-reads what was not committed; and a real ring buffer
 * map mapped (empty) when this host lets us create one. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <linux/bpf.h>
#include <sys/syscall.h>

#include "ringread.h"
#include "tap.h"

#define SZ 4096

static uint64_t cons, prod;
static uint8_t data[2 * SZ];

/* Writes a sample at position @pos (both copies); returns the next. */
static uint64_t put(uint64_t pos, uint32_t flags, const char *s, uint32_t len)
{
	uint8_t rec[SZ];
	uint32_t hdr[2] = { len | flags, 0 };
	uint64_t total = (8 + len + 7) & ~7ULL;

	memcpy(rec, hdr, 8);
	memcpy(rec + 8, s, len);
	for (uint64_t i = 0; i < total; i++) {
		data[(pos + i) & (SZ - 1)] = rec[i];
		data[SZ + ((pos + i) & (SZ - 1))] = rec[i];
	}
	return pos + total;
}

static void test_mem(void)
{
	struct pf_ring r;
	const void *d;
	uint32_t len;
	uint64_t p, after_b;

	cons = prod = 0;
	pf_ring_init_mem(&r, &cons, &prod, data, SZ);
	TAP_OK(pf_ring_next(&r, &d, &len) == 0, "empty ring: no sample");
	p = put(0, 0, "alpha", 5);
	p = put(p, BPF_RINGBUF_DISCARD_BIT, "gone", 4);
	p = put(p, 0, "bravo!", 6);
	after_b = p;
	p = put(p, BPF_RINGBUF_BUSY_BIT, "busy", 4);
	prod = p;
	TAP_OK(pf_ring_next(&r, &d, &len) == 1 && len == 5 && !memcmp(d, "alpha", 5), "first sample: alpha");
	TAP_OK(pf_ring_next(&r, &d, &len) == 1 && len == 6 && !memcmp(d, "bravo!", 6),
	       "the discarded sample is passed over: bravo!");
	TAP_OK(pf_ring_next(&r, &d, &len) == 0 && pf_ring_pos(&r) == after_b,
	       "a busy sample stops the reader before it");
	TAP_OK(cons == 0, "the consumer position has not moved");
	pf_ring_rewind(&r);
	TAP_OK(pf_ring_next(&r, &d, &len) == 1 && len == 5, "rewind: alpha again");
	pf_ring_next(&r, &d, &len);
	pf_ring_commit(&r, pf_ring_pos(&r));
	TAP_OK(cons == after_b, "commit publishes the read position");
	/* the producer submits the busy one */
	put(after_b, 0, "busy", 4);
	TAP_OK(pf_ring_next(&r, &d, &len) == 1 && len == 4 && !memcmp(d, "busy", 4), "submitted: read");
	pf_ring_commit(&r, pf_ring_pos(&r));

	/* a sample across the end of the data area */
	cons = prod = SZ - 16;
	pf_ring_init_mem(&r, &cons, &prod, data, SZ);
	{
		char big[40];
		for (int i = 0; i < 40; i++)
			big[i] = (char)('a' + i % 26);
		prod = put(cons, 0, big, 40);
		TAP_OK(pf_ring_next(&r, &d, &len) == 1 && len == 40 && !memcmp(d, big, 40),
		       "a sample that wraps reads as one piece");
	}
	/* a length that cannot be right */
	cons = prod = 0;
	pf_ring_init_mem(&r, &cons, &prod, data, SZ);
	{
		uint32_t hdr[2] = { SZ * 2, 0 };
		memcpy(data, hdr, 8);
		prod = 64;
		TAP_OK(pf_ring_next(&r, &d, &len) == -EBADMSG, "a length beyond the area: -EBADMSG");
	}
}

static int is_c(const void *d, uint32_t len, void *ctx)
{
	(void)ctx;
	return len == 1 && *(const char *)d == 'C';
}

/* A batch written before a kill -9, its samples still in the ring: the
 * samples up to the log's last one are skipped, the rest stay. */
static void test_skip(void)
{
	struct pf_ring r;
	const void *d;
	uint32_t len;
	uint64_t p, after_c;

	cons = prod = 0;
	p = put(0, 0, "A", 1);
	p = put(p, 0, "B", 1);
	p = put(p, 0, "C", 1);
	after_c = p;
	p = put(p, 0, "D", 1);
	prod = p;
	pf_ring_init_mem(&r, &cons, &prod, data, SZ);
	TAP_OK(pf_ring_skip_through(&r, 2, is_c, NULL) == 0 && cons == 0,
	       "C beyond the samples looked at: nothing skipped");
	TAP_OK(pf_ring_skip_through(&r, 100, is_c, NULL) == 3 && cons == after_c,
	       "A, B, C already logged: 3 skipped, the consumer position after C");
	TAP_OK(pf_ring_next(&r, &d, &len) == 1 && *(const char *)d == 'D', "D is read next");
	TAP_OK(pf_ring_skip_through(&r, 100, is_c, NULL) == 0 && cons == after_c,
	       "no match: nothing moves");
}

static void test_map(void)
{
	union bpf_attr a;
	struct pf_ring r;
	const void *d;
	uint32_t len;
	int fd, e;

	memset(&a, 0, sizeof(a));
	a.map_type = BPF_MAP_TYPE_RINGBUF;
	a.max_entries = 64 * 1024;
	fd = (int)syscall(__NR_bpf, BPF_MAP_CREATE, &a, sizeof(a));
	if (fd < 0) {
		printf("ok %d - real ring buffer map # SKIP cannot create one here: %s\n", ++tap_n,
		       strerror(errno));
		return;
	}
	TAP_OK(pf_ring_open(fd, 1000, &r) == -EINVAL, "max_entries not a power of two: -EINVAL");
	e = pf_ring_open(fd, 64 * 1024, &r);
	TAP_OK(e == 0, "a real 64 KiB ring buffer map mapped (%d)", e);
	if (e == 0) {
		TAP_OK(pf_ring_next(&r, &d, &len) == 0 && pf_ring_pos(&r) == 0, "empty: no sample");
		pf_ring_commit(&r, 0);
		pf_ring_close(&r);
	}
	close(fd);
}

int main(void)
{
	test_mem();
	test_skip();
	test_map();
	return TAP_DONE();
}
