/* The inbox: a spool directory (STATE_DIR/inbox) where configuration
 * management drops approval tokens for the agent.
 *
 * A scan lists the directory, and for each candidate file:
 *   - ignores names starting with '.' and names ending in ".tmp" (a writer
 *     writes NAME.tmp, then renames it to NAME: the rename is atomic, so a
 *     half-written token is never read) and the two subdirectories;
 *   - rejects without opening (and without following) anything that is not
 *     a regular file: symlinks, directories, FIFOs, sockets, devices;
 *   - rejects a file larger than PF_INBOX_MAX_FILE bytes, or a name longer
 *     than PF_INBOX_NAME_MAX bytes;
 *   - otherwise hands the bytes to the caller's decide() callback (the
 *     agent's approve path), which accepts or rejects with a reason;
 *   - moves the file to accepted/ or rejected/ and writes NAME.reason (one
 *     line: "accepted: ..." or "rejected: ...") next to it. A name already
 *     taken there (NAME or NAME.reason exists) gets a suffix: NAME.1 ...
 *     NAME.PF_INBOX_MAX_DUP; when all are taken the file is deleted from the
 *     inbox instead (its outcome is still reported, and the token id of an
 *     accepted token is spent).
 * At most PF_INBOX_MAX_PER_SCAN files are handled per scan; *ret_more says
 * that some were left for the next scan.
 *
 * Library code: nothing prints; outcomes go to the report() callback. */
#ifndef PF_INBOX_H
#define PF_INBOX_H

#include "err.h"

#include <stdbool.h>
#include <stddef.h>

#include "token.h"

#define PF_INBOX_DIR "inbox"
#define PF_INBOX_ACCEPTED "accepted"
#define PF_INBOX_REJECTED "rejected"
/* Largest file read: a token bundle (body and signatures), as
 * `permafrost approve` accepts it (458,752 bytes). */
#define PF_INBOX_MAX_FILE PF_BUNDLE_MAX_SIZE
/* Longest name handled; leaves room for ".reason" and a ".NN" suffix
 * within NAME_MAX (255). */
#define PF_INBOX_NAME_MAX 200
#define PF_INBOX_MAX_PER_SCAN 64
#define PF_INBOX_MAX_DUP 99
#define PF_INBOX_REASON_MAX 1024
/* The agent also scans every PF_INBOX_RESCAN_S seconds: entries that make
 * no inotify event it watches (a symlink, a FIFO made in place). */
#define PF_INBOX_RESCAN_S 60

enum pf_inbox_name {
	PF_INBOX_SKIP,    /* dotfile, NAME.tmp, accepted, rejected: left alone */
	PF_INBOX_HANDLE,  /* a candidate */
	PF_INBOX_TOOLONG, /* rejected: longer than PF_INBOX_NAME_MAX */
};

enum pf_inbox_name pf_inbox_classify(const char *name);

/* The name under which @name is stored in a subdirectory, attempt @k
 * (0: NAME, k >= 1: NAME.k); a name longer than PF_INBOX_NAME_MAX is cut to
 * it. -ENAMETOOLONG if @outsz is too small. */
int pf_inbox_dest_name(const char *name, unsigned k, char *out, size_t outsz);

/* The decision on one file's bytes: return 1 accepted, 0 rejected; either
 * way a one-line reason (no newline) in @reason. */
typedef int (*pf_inbox_decide_fn)(void *data, const char *name, const char *bytes, size_t len,
				  char *reason, size_t reasonsz);
/* One outcome: @stored is "accepted/NAME[.k]", "rejected/NAME[.k]", or
 * NULL when the file could not be kept (see above); @reason as written. */
typedef void (*pf_inbox_report_fn)(void *data, const char *name, bool accepted,
				   const char *stored, const char *reason);

/* Creates @inbox_dir and its two subdirectories (mode 0700) if missing.
 * Refuses (-ENOTDIR) a path that is a symlink or not a directory. */
int pf_inbox_prepare(const char *inbox_dir, struct pf_err *err);

/* One scan; returns the number of files handled, or a negative errno when
 * the directory cannot be read (message in @err). */
int pf_inbox_scan(const char *inbox_dir, pf_inbox_decide_fn decide, pf_inbox_report_fn report,
		  void *data, bool *ret_more, struct pf_err *err);

#endif
