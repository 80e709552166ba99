/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Reading a BPF ring buffer's mmapped pages; see ringread.h. */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <linux/bpf.h>

#include "ringread.h"

#define HDR_SZ 8

int pf_ring_open(int map_fd, uint32_t max_entries, struct pf_ring *ret)
{
	long page = sysconf(_SC_PAGESIZE);
	struct pf_ring r = { 0 };

	if (page <= 0 || max_entries < (uint32_t)page || (max_entries & (max_entries - 1)))
		return -EINVAL;
	r.cons_len = (size_t)page;
	r.prod_len = (size_t)page + 2 * (size_t)max_entries;
	r.cons_map = mmap(NULL, r.cons_len, PROT_READ | PROT_WRITE, MAP_SHARED, map_fd, 0);
	if (r.cons_map == MAP_FAILED)
		return -errno;
	r.prod_map = mmap(NULL, r.prod_len, PROT_READ, MAP_SHARED, map_fd, page);
	if (r.prod_map == MAP_FAILED) {
		int e = -errno;

		munmap(r.cons_map, r.cons_len);
		return e;
	}
	r.cons = r.cons_map;
	r.prod = r.prod_map;
	r.data = (const uint8_t *)r.prod_map + page;
	r.mask = max_entries - 1;
	r.pos = __atomic_load_n(r.cons, __ATOMIC_ACQUIRE);
	*ret = r;
	return 0;
}

void pf_ring_init_mem(struct pf_ring *r, uint64_t *cons, uint64_t *prod, const uint8_t *data,
		      uint64_t size)
{
	memset(r, 0, sizeof(*r));
	r->cons = cons;
	r->prod = prod;
	r->data = data;
	r->mask = size - 1;
	r->pos = __atomic_load_n(cons, __ATOMIC_ACQUIRE);
}

void pf_ring_close(struct pf_ring *r)
{
	if (r->cons_map)
		munmap(r->cons_map, r->cons_len);
	if (r->prod_map)
		munmap(r->prod_map, r->prod_len);
	memset(r, 0, sizeof(*r));
}

int pf_ring_next(struct pf_ring *r, const void **ret_data, uint32_t *ret_len)
{
	for (;;) {
		uint64_t prod = __atomic_load_n(r->prod, __ATOMIC_ACQUIRE);
		const uint32_t *hdr;
		uint32_t len;

		if (r->pos >= prod)
			return 0;
		hdr = (const uint32_t *)(r->data + (r->pos & r->mask));
		len = __atomic_load_n(hdr, __ATOMIC_ACQUIRE);
		if (len & BPF_RINGBUF_BUSY_BIT)
			return 0;
		r->pos += (HDR_SZ + (uint64_t)(len & ~BPF_RINGBUF_DISCARD_BIT) + 7) & ~7ULL;
		if ((len & ~BPF_RINGBUF_DISCARD_BIT) > r->mask + 1 - HDR_SZ)
			return -EBADMSG;
		if (len & BPF_RINGBUF_DISCARD_BIT)
			continue;
		*ret_data = (const uint8_t *)hdr + HDR_SZ;
		*ret_len = len;
		return 1;
	}
}

void pf_ring_commit(struct pf_ring *r, uint64_t pos)
{
	__atomic_store_n(r->cons, pos, __ATOMIC_RELEASE);
}

void pf_ring_rewind(struct pf_ring *r)
{
	r->pos = __atomic_load_n(r->cons, __ATOMIC_ACQUIRE);
}

uint64_t pf_ring_skip_through(struct pf_ring *r, uint64_t max,
			      int (*match)(const void *data, uint32_t len, void *ctx), void *ctx)
{
	uint64_t to = 0, n = 0, k = 0;
	const void *d;
	uint32_t len;

	pf_ring_rewind(r);
	while (k < max && pf_ring_next(r, &d, &len) == 1) {
		k++;
		if (match(d, len, ctx)) {
			to = r->pos;
			n = k;
		}
	}
	if (n)
		pf_ring_commit(r, to);
	pf_ring_rewind(r);
	return n;
}
