/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Reading a BPF ring buffer (BPF_MAP_TYPE_RINGBUF) through its mmapped pages,
 * with the consumer position published only when the caller says so: the
 * agent moves it on after a batch of samples is in the audit log, so a
 * kill -9 at any moment leaves every sample not yet logged in the ring.
 *
 * The layout is the kernel's ABI (kernel/bpf/ringbuf.c, uapi linux/bpf.h):
 * the map's first page holds the consumer position (u64, writable by the
 * consumer); the next page the producer position (read-only), followed by
 * the data area of max_entries bytes (a power of two), mapped twice in a
 * row so a sample that wraps reads as one piece. Each sample starts with an
 * 8-byte header: u32 length (bit 31 BPF_RINGBUF_BUSY_BIT while the producer
 * has not submitted it, bit 30 BPF_RINGBUF_DISCARD_BIT when discarded) and
 * u32 page offset; the next header follows at the length plus 8, rounded up
 * to 8. */
#ifndef PF_RINGREAD_H
#define PF_RINGREAD_H

#include <stddef.h>
#include <stdint.h>

struct pf_ring {
	volatile uint64_t *cons;    /* the consumer position (shared) */
	volatile uint64_t *prod;    /* the producer position (shared) */
	const uint8_t *data;        /* the data area (twice) */
	uint64_t mask;              /* max_entries - 1 */
	uint64_t pos;               /* our read position, not yet published */
	void *cons_map, *prod_map;  /* the mappings (pf_ring_open) */
	size_t cons_len, prod_len;
};

/* Maps the ring buffer map @map_fd of @max_entries bytes. 0 or -errno
 * (-EINVAL: max_entries not a power of two of at least a page). */
int pf_ring_open(int map_fd, uint32_t max_entries, struct pf_ring *ret);
/* Over memory laid out as the kernel's (tests): @cons, @prod as above,
 * @data of 2 * @size bytes holding the same bytes twice. */
void pf_ring_init_mem(struct pf_ring *r, uint64_t *cons, uint64_t *prod, const uint8_t *data,
		      uint64_t size);
void pf_ring_close(struct pf_ring *r);

/* The next sample after our read position: 1 with its bytes (valid until
 * the consumer position is published past it) and moves the read position
 * past it; 0 when there is none yet (the next is not submitted, or the ring
 * is empty). Discarded samples are passed over. -EBADMSG: a header that
 * cannot be right (a length beyond the data area). */
int pf_ring_next(struct pf_ring *r, const void **ret_data, uint32_t *ret_len);
/* Publishes the consumer position @pos (a read position taken with
 * pf_ring_pos): the kernel may reuse the space before it. */
void pf_ring_commit(struct pf_ring *r, uint64_t pos);
static inline uint64_t pf_ring_pos(const struct pf_ring *r)
{
	return r->pos;
}
/* The read position goes back to the published consumer position. */
void pf_ring_rewind(struct pf_ring *r);

/* Looks at up to @max samples from the consumer position; if @match says 1
 * for one of them, publishes the consumer position after the last such
 * sample and returns how many samples that passed (the samples up to it
 * were handled before: an agent killed between its write and its commit).
 * 0 when none matched (nothing moves). The read position ends at the
 * consumer position. */
uint64_t pf_ring_skip_through(struct pf_ring *r, uint64_t max,
			      int (*match)(const void *data, uint32_t len, void *ctx), void *ctx);

#endif
