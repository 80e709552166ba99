/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The tamper-evident audit-log writer (used by permafrostd).
 *
 * The log is JSON lines. Every line but a chain's first (its chain-start
 * record) ends with "prev": the SHA-256 of the previous line's exact bytes,
 * '\n' included, as 64 lowercase hex digits. Lines are chained in memory and
 * written in batches, each with one write() on an O_APPEND descriptor; a
 * short write is cut back to its last whole line. Rotation by size renames
 * the active file to path.1 (older ones shift to path.2.gz ...), starts a
 * new active file whose first line, a "rotated" record, continues the
 * chain, and leaves path.1 to the compressor's threads (logzip.h), which
 * have compressed it to path.1.gz.tmp as it grew and finish path.1.gz.
 * The format, the records the writer adds itself and the crash-safety
 * argument are in docs/audit-log.md.
 *
 * One writer per log: the active file is locked (flock) while open. */
#ifndef PF_AUDITLOG_H
#define PF_AUDITLOG_H

#include "err.h"

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "json.h"

/* Schema version, in chain-start and rotated records ("v"). */
#define PF_AUDITLOG_VERSION 2
#define PF_AUDITLOG_KEEP_DEFAULT 10
/* A batch is written once it holds this many bytes. */
#define PF_AUDITLOG_BATCH_BYTES (256 * 1024)

enum pf_auditlog_fsync {
	/* Lines reach the disk when the caller calls pf_auditlog_sync() (e.g.
	 * after draining a batch of events). The writer's own records
	 * (chain-start, rotated, torn-tail, gap) are synced at once. */
	PF_AUDITLOG_FSYNC_BATCH = 0,
	/* fdatasync() after every line. */
	PF_AUDITLOG_FSYNC_EVERY = 1,
};

struct pf_auditlog_opts {
	const char *host;   /* "host" of the writer's records; NULL: gethostname() */
	uint64_t max_size;  /* rotate by size (bytes); 0: never rotate */
	unsigned keep;      /* rotated files kept, 1..1000; 0: PF_AUDITLOG_KEEP_DEFAULT */
	enum pf_auditlog_fsync fsync;
	mode_t mode;        /* of a new log file; 0: 0640 (rotation keeps the
	                     * active file's current mode) */
};

struct pf_auditlog;

/* Opens (creates) the log at @path for appending and recovers the chain from
 * the tail of the active file (at most 128 KiB are read):
 *  - stale temporary files of an interrupted rotation are removed, and a
 *    rotation interrupted after path.1 was linked is completed (the rotated
 *    record written, path.1 compressed in the writer's thread);
 *  - a torn last line (no final '\n') is cut off, and a "torn-tail" record
 *    (its length and SHA-256, and its first 4096 bytes) is appended;
 *  - the last line's SHA-256 and seq become the chain state;
 *  - an empty log begins with a "chain-start" record (host, "v", a random
 *    128-bit chain id, the kernel's boot id, time).
 * Returns 0, or a negative errno with a sentence in @err: -EBUSY (another
 * writer holds the log), -EBADMSG (the last line is not an audit record, or
 * is longer than PF_LOG_LINE_MAX: not our log; nothing was changed), -EINVAL
 * (bad options, not a regular file), -errno of a system call. */
int pf_auditlog_open(const char *path, const struct pf_auditlog_opts *o, struct pf_auditlog **ret,
		     struct pf_err *err);
/* Writes a pending batch (and in an outage tries the log-gap record once
 * more), syncs and closes. NULL is allowed. */
void pf_auditlog_close(struct pf_auditlog *l);

/* The seq the next appended line must carry (last seq + 1; persisted across
 * restarts through the recovered last line). Does not consume it. */
uint64_t pf_auditlog_next_seq(const struct pf_auditlog *l);
/* "time" of the last record found at open (Unix ns), or 0 if the log was new
 * or that record had no readable time: what the agent passes to
 * pf_auditlog_gap() as @down_from_ns. */
int64_t pf_auditlog_last_time_ns(const struct pf_auditlog *l);

/* The chain's head: the seq of the last line written (0: none) and its
 * SHA-256 into @hash. */
uint64_t pf_auditlog_head(const struct pf_auditlog *l, uint8_t hash[32]);
/* The same for the last line as found at open, before the writer appended
 * anything (0: the log was new or empty). */
uint64_t pf_auditlog_found(const struct pf_auditlog *l, uint8_t hash[32]);

/* Appends one line: @json_line[0..len) must be exactly one JSON object
 * followed by '\n' ("{...}\n", nothing after the '}', no other '\n'), without
 * a "prev" key and with "seq" equal to pf_auditlog_next_seq(). The writer
 * inserts ,"prev":"<hex>" before the final '}' and writes the line with one
 * write(); a short write is undone (truncated away). If the active file then
 * holds max_size bytes or another line as long would take it past max_size,
 * it is rotated (a failed rotation does not fail the append: it is retried
 * ten seconds later and reported by pf_auditlog_take_error()).
 * Returns 0, -EINVAL (not one object line, or has "prev", or no seq),
 * -EILSEQ (seq is not pf_auditlog_next_seq()), -E2BIG (longer than
 * PF_LOG_LINE_MAX with prev), or -errno of write(). Nothing is written on
 * failure. */
int pf_auditlog_append(struct pf_auditlog *l, const char *json_line, size_t len);
/* The same for a line built by our own JSON writer (pf_json, e.g.
 * pf_event_to_json): the line shape, "seq" and the absence of "prev" are
 * checked without a full JSON parse (a quote inside a JSON string is always
 * escaped, so the raw bytes "seq": and "prev": can only be keys). About
 * twice as fast; the agent uses it for every kernel event. */
int pf_auditlog_append_own(struct pf_auditlog *l, const char *json_line, size_t len);

/* Batches: lines added with pf_auditlog_batch_add_own() (the checks and
 * returns of pf_auditlog_append_own) are chained in memory;
 * pf_auditlog_next_seq() counts them. pf_auditlog_batch_commit() writes
 * them with one write(): 0 when all are in the file. On a failure the whole
 * lines written stay in the file (a fragment is cut off), the others are
 * counted by decision and the log is in an outage (below); returns -errno.
 * pf_auditlog_batch_full(): 1 when the batch should be written before
 * another line is added (PF_AUDITLOG_BATCH_BYTES, or a rotation is due).
 * A single append commits any pending batch lines with its line. */
int pf_auditlog_batch_add_own(struct pf_auditlog *l, const char *json_line, size_t len);
int pf_auditlog_batch_commit(struct pf_auditlog *l);
int pf_auditlog_batch_full(struct pf_auditlog *l);
size_t pf_auditlog_batch_lines(const struct pf_auditlog *l);

/* Outage: a write failed (ENOSPC, EIO, ...). Until the outage is over,
 * every line appended or added is counted by its "decision" and not written
 * (the call returns the first failure's -errno). pf_auditlog_retry() (call
 * it about once a second) tries, at most once a second, to write a
 * "log-gap" record ({"from","to","missed","missed_by_decision":{"deny":N,
 * ...},"error","reason"}): when that works the outage is over. Only it and
 * pf_auditlog_close() make the attempt: an append never does, since the
 * record would take the seq its line was built with. */
#define PF_AUDITLOG_OUTAGE_NAMES 16
struct pf_auditlog_outage {
	int64_t since_ns; /* Unix ns of the first failure */
	int err;          /* its errno */
	uint64_t missed;  /* lines not written */
	size_t n;
	char decision[PF_AUDITLOG_OUTAGE_NAMES][32];
	uint64_t count[PF_AUDITLOG_OUTAGE_NAMES];
	uint64_t other;   /* lines of further decisions (past the names above) */
};
/* 1 and the outage's figures into @ret (may be NULL) while one lasts, else 0. */
int pf_auditlog_outage(struct pf_auditlog *l, struct pf_auditlog_outage *ret);
void pf_auditlog_retry(struct pf_auditlog *l);
/* An outage of an earlier writer of this log that ended before its
 * log-gap record was written (the agent keeps the figures where a kill -9
 * does not lose them): merged into this writer's (the earlier "since",
 * the counts added by decision), its log-gap record tried by the next
 * pf_auditlog_retry() without waiting for the second. @o->since_ns 0:
 * nothing. */
void pf_auditlog_outage_restore(struct pf_auditlog *l, const struct pf_auditlog_outage *o);
/* The last log-gap record written: the outage it ended, its "to" and seq;
 * 1 once after it was written, else 0 (the agent copies it to syslog). */
struct pf_auditlog_gap_written {
	struct pf_auditlog_outage o;
	int64_t to_ns;
	uint64_t seq;
};
int pf_auditlog_take_gap(struct pf_auditlog *l, struct pf_auditlog_gap_written *ret);

/* Waits until the compressor has finished the last rotated file. */
int pf_auditlog_wait(struct pf_auditlog *l);

/* Building a record: begin resets @b and writes {"time":now,"host":...,
 * "seq":next,"decision":@decision leaving the object open for more fields
 * through @j; end closes it and appends it (pf_auditlog_append's returns). */
void pf_auditlog_record_begin(struct pf_auditlog *l, struct pf_json *j, struct pf_buf *b,
			      const char *decision);
int pf_auditlog_record_end(struct pf_auditlog *l, struct pf_json *j, struct pf_buf *b);

/* Appends a "gap" record: the agent was down from @down_from_ns to
 * @down_to_ns (Unix ns): {"decision":"gap","from":RFC3339,"to":RFC3339,
 * "down_ns":N,"down":"1h2m3s","reason":...[,"enforcement":...]}. @reason
 * NULL: the default sentence; @enforcement (what the kernel did meanwhile)
 * is omitted when NULL. Synced at once. */
int pf_auditlog_gap(struct pf_auditlog *l, int64_t down_from_ns, int64_t down_to_ns,
		    const char *reason, const char *enforcement);
/* "1h2m3s" (at most days), "0s" for <= 0: the "down" format of gap records. */
void pf_auditlog_duration(int64_t ns, char *out, size_t outsz);

/* fdatasync() of the active file if anything was written since the last one. */
int pf_auditlog_sync(struct pf_auditlog *l);
/* Rotates now (whatever the size), waiting for the compression. 0 or a
 * negative errno (see take_error). */
int pf_auditlog_rotate(struct pf_auditlog *l);
/* 1 and the message of a failure that happened behind an append (rotation),
 * once; 0 if none since the last call. */
int pf_auditlog_take_error(struct pf_auditlog *l, struct pf_err *ret);

#endif
