# The hook matrix in each mode: enforce (EPERM, content unchanged, a deny
# line), audit (success, a would-deny line), off (success, no line).
. "$PF_SUITE_DIR/setup.inc"

for X in E A O; do fixtures /prot/$X; done
write_policy
# A filesystem mounted inside each protected tree before the freeze.
for X in E A O; do mkdir -p /prot/$X/etc/submnt && mount -t tmpfs tmpfs /prot/$X/etc/submnt && echo s > /prot/$X/etc/submnt/f; done
mkdir -p /mnt/bindE && mount --bind /prot/E/etc /mnt/bindE

require_agent
check "policy check accepts the suite policy" permafrost policy check "$PF_POLICY"

# op_case X NAME OP FILE CMD... — one operation on a protected object.
op_case() {
	_x=$1 _name=$2 _op=$3 _file=$4
	shift 4
	_h=$(hash_of "$_file")
	case $_x in
	E) expect EPERM "enforce: $_name is refused" "$@"
	   expect_same_hash "enforce: $_name leaves the content unchanged" "$_file" "$_h"
	   expect_event "enforce: $_name logged as deny" '"decision":"deny"' "\"op\":\"$_op\"" "$PF_PAT" ;;
	A) expect OK "audit: $_name succeeds" "$@"
	   expect_event "audit: $_name logged as would-deny" '"decision":"would-deny"' "\"op\":\"$_op\"" "$PF_PAT" ;;
	O) expect OK "off: $_name succeeds" "$@" ;;
	esac
}

# held_case X NAME OP FILE PFOP-HELD-OP ARGS... — the fd is opened while
# thawed, the operation runs after the freeze.
held_start() {
	rm -f /tmp/ready.$1 /tmp/go.$1
	shift
	"$@" > /tmp/held.out.$HELD 2>&1 &
}

run_matrix() {
	X=$1 R=/prot/$1 M=$2
	# Held descriptors: opened before the freeze.
	for h in write ftrunc falloc uring mmap mprot; do rm -f /tmp/ready.$h /tmp/go.$h; done
	pfop hold-write $R/etc/f_held /tmp/ready.write /tmp/go.write > /tmp/held.write 2>&1 &
	pfop ftruncate-held $R/etc/f_ftrunc 0 /tmp/ready.ftrunc /tmp/go.ftrunc > /tmp/held.ftrunc 2>&1 &
	pfop fallocate-held $R/etc/f_falloc 65536 /tmp/ready.falloc /tmp/go.falloc > /tmp/held.falloc 2>&1 &
	pfop io-uring-write-held $R/etc/f_uring data /tmp/ready.uring /tmp/go.uring > /tmp/held.uring 2>&1 &
	pfop mmap-held $R/etc/f_mmap /tmp/ready.mmap /tmp/go.mmap > /tmp/held.mmap 2>&1 &
	pfop mprotect-held $R/etc/f_mprot /tmp/ready.mprot /tmp/go.mprot > /tmp/held.mprot 2>&1 &
	for h in write ftrunc falloc uring mmap mprot; do wait_for /tmp/ready.$h 30; done

	case $M in
	enforce) check "freeze (enforce)" permafrost freeze --reason "suite enforce" ;;
	audit) check "freeze --audit" permafrost freeze --audit --reason "suite audit" ;;
	off) check "thawed (off)" permafrost thaw ;;
	esac

	for h in write ftrunc falloc uring mmap mprot; do
		case $h in
		write) f=f_held op=write ;; ftrunc) f=f_ftrunc op=truncate ;; falloc) f=f_falloc op=write ;;
		uring) f=f_uring op=write ;; mmap) f=f_mmap op=mmap-write ;; mprot) f=f_mprot op=mmap-write ;;
		esac
		_h=$(hash_of $R/etc/$f)
		touch /tmp/go.$h
		wait
		PF_PAT="$X/etc/$f\""
		got=$(head -n 1 /tmp/held.$h | awk '{print $1}')
		case $X in
		E) [ "$got" = EPERM ] && ok "enforce: held-fd $h is refused" || not_ok "enforce: held-fd $h is refused" "got $got"
		   expect_same_hash "enforce: held-fd $h leaves the content unchanged" $R/etc/$f "$_h"
		   expect_event "enforce: held-fd $h logged as deny" '"decision":"deny"' "\"op\":\"$op\"" "$PF_PAT" ;;
		A) [ "$got" = OK ] && ok "audit: held-fd $h succeeds" || not_ok "audit: held-fd $h succeeds" "got $got"
		   expect_event "audit: held-fd $h logged as would-deny" '"decision":"would-deny"' "\"op\":\"$op\"" "$PF_PAT" ;;
		O) [ "$got" = OK ] && ok "off: held-fd $h succeeds" || not_ok "off: held-fd $h succeeds" "got $got" ;;
		esac
		wait 2>/dev/null
	done

	P() { PF_PAT="$X/$1\""; }
	P etc/f_openw;    op_case $X "open O_WRONLY" open-write $R/etc/f_openw pfop open-write $R/etc/f_openw
	P etc/f_rdwr;     op_case $X "open O_RDWR" open-write $R/etc/f_rdwr pfop open-rdwr $R/etc/f_rdwr
	P etc/f_append;   op_case $X "open O_APPEND" open-write $R/etc/f_append pfop open-append $R/etc/f_append
	P etc/f_trunc;    op_case $X "open O_TRUNC" open-trunc $R/etc/f_trunc pfop open-trunc $R/etc/f_trunc
	P etc/f_truncate; op_case $X "truncate(2)" truncate $R/etc/f_truncate pfop truncate $R/etc/f_truncate 0
	P single.conf;    op_case $X "write to a protected single file" open-write $R/single.conf pfop write $R/single.conf x
	P etc/newfile;    op_case $X "create" create $R/etc/f_openw pfop create $R/etc/newfile
	P etc/sub/deep;   op_case $X "create in a subdirectory" create $R/etc/sub/b.conf pfop create $R/etc/sub/deep
	P etc/fifo1;      op_case $X "mknod fifo" mknod $R/etc/f_openw pfop mknod $R/etc/fifo1 fifo
	P etc/fifo2;      op_case $X "mkfifo" mknod $R/etc/f_openw pfop mkfifo $R/etc/fifo2
	P etc/newdir;     op_case $X "mkdir" mkdir $R/etc/f_openw pfop mkdir $R/etc/newdir
	P etc/emptydir;   op_case $X "rmdir" rmdir $R/etc/f_openw pfop rmdir $R/etc/emptydir
	P etc/f_unlink;   op_case $X "unlink" unlink $R/etc/f_unlink pfop unlink $R/etc/f_unlink
	P etc/f_link;     op_case $X "hard link out of the tree" link $R/etc/f_link pfop link $R/etc/f_link $R/free/linkout
	P etc/linkin;     op_case $X "hard link into the tree" link $R/free/src pfop link $R/free/src $R/etc/linkin
	P etc/newsym;     op_case $X "symlink creation" symlink $R/etc/f_openw pfop symlink /x $R/etc/newsym
	P etc/f_ren;      op_case $X "rename away" rename $R/etc/f_ren pfop rename $R/etc/f_ren $R/free/renamed
	P etc/f_over;     op_case $X "rename over" rename $R/etc/f_over pfop rename $R/free/over_src $R/etc/f_over
	P etc/subdir;     op_case $X "rename a protected directory" rename $R/etc/subdir/inner/file pfop rename $R/etc/subdir $R/free/subdir_moved
	P etc/f_x;        op_case $X "RENAME_EXCHANGE" rename $R/etc/f_x pfop exchange $R/etc/f_x $R/free/x_other
	P etc/f_chmod;    op_case $X "chmod" chmod $R/etc/f_chmod pfop chmod $R/etc/f_chmod 600
	P etc/f_chown;    op_case $X "chown" chown $R/etc/f_chown pfop chown $R/etc/f_chown 1 1
	P etc/f_utimes;   op_case $X "utimes" setattr $R/etc/f_utimes pfop utimes $R/etc/f_utimes
	P etc/f_xattr;    op_case $X "setxattr" setxattr $R/etc/f_xattr pfop setxattr $R/etc/f_xattr user.t v
	P etc/f_rmx;      op_case $X "removexattr" removexattr $R/etc/f_rmx pfop removexattr $R/etc/f_rmx user.pre
	P etc/f_cap;      op_case $X "set security.capability" setxattr $R/etc/f_cap pfop setcap $R/etc/f_cap
	P etc/f_chattr;   op_case $X "chattr (FS_IOC_SETFLAGS)" setflags $R/etc/f_chattr pfop chattr $R/etc/f_chattr
	P etc/f_cfr;      op_case $X "copy_file_range into" open-write $R/etc/f_cfr pfop copy-file-range $R/free/src $R/etc/f_cfr
	P etc/f_sendfile; op_case $X "sendfile into" open-write $R/etc/f_sendfile pfop sendfile $R/free/src $R/etc/f_sendfile
	P etc/f_splice;   op_case $X "splice into" open-write $R/etc/f_splice pfop splice $R/free/src $R/etc/f_splice
	P etc/f_mmap;     op_case $X "writable MAP_SHARED mapping" open-write $R/etc/f_mmap pfop mmap-write $R/etc/f_mmap
	P etc/f_tmp;      op_case $X "O_TMPFILE + linkat" open-write $R/etc/f_openw pfop tmpfile-link $R/etc $R/etc/f_tmp
	# Bypass routes: judged like the original.
	P free/hardlink;  op_case $X "write through a hard link made before the freeze" open-write $R/etc/f_hl pfop write $R/free/hardlink x
	P etc/f_sym;      op_case $X "write through a symlink" open-write $R/etc/f_sym pfop write $R/free/symlink x
	P etc/submnt/f;   op_case $X "write into a filesystem mounted inside the tree" open-write $R/etc/submnt/f pfop write $R/etc/submnt/f x
	if [ $X = E ]; then
		P etc/f_bind; op_case $X "write through a bind mount" open-write $R/etc/f_bind pfop write /mnt/bindE/f_bind x
		P etc/f_ns;   op_case $X "write from another mount namespace" open-write $R/etc/f_ns unshare -m pfop write $R/etc/f_ns x
		P etc/f_chroot; op_case $X "write from a chroot" open-write $R/etc/f_chroot pfop chroot /prot write /E/etc/f_chroot x
	fi
	# Mounts over protected paths.
	P etc/sub;        op_case $X "mount tmpfs over a protected dir" mount $R/etc/sub/b.conf pfop mount-tmpfs $R/etc/sub
	[ $X != E ] && umount $R/etc/sub 2>/dev/null
	P etc/sub;        op_case $X "bind mount over a protected dir" mount $R/etc/sub/b.conf pfop mount-bind $R/free $R/etc/sub
	[ $X != E ] && umount $R/etc/sub 2>/dev/null
	mkdir -p /tmp/mv$X && mount -t tmpfs tmpfs /tmp/mv$X
	P etc/sub;        op_case $X "move a mount over a protected dir" mount $R/etc/sub/b.conf pfop move-mount /tmp/mv$X $R/etc/sub
	[ $X != E ] && umount $R/etc/sub 2>/dev/null
	P etc/submnt;     op_case $X "unmount a filesystem mounted inside the tree" umount $R/etc/submnt/f pfop umount $R/etc/submnt
	if [ $X = E ]; then
		PF_PAT='"op":"umount"'; op_case $X "unmount the filesystem holding protected objects" umount $R/etc/f_openw pfop umount /prot
		PF_PAT='"op":"remount"'; op_case $X "remount read-write the filesystem holding them" remount $R/etc/f_openw pfop remount-rw /prot
		PF_PAT='"op":"blkdev-write"'; op_case $X "open its block device for write" blkdev-write $R/etc/f_openw pfop open-blkdev-write /dev/vda
	fi

	# Never blocked: reads, the exempt subtree, the unprotected neighbour.
	expect OK "$M: read a protected file" pfop open-read $R/etc/f_read
	expect OK "$M: stat a protected file" pfop stat $R/etc/f_read
	expect OK "$M: write in the exempt subtree" pfop write $R/etc/cache/c x
	expect OK "$M: create in the exempt subtree" pfop create $R/etc/cache/new
	expect OK "$M: write to an unprotected neighbour" pfop write $R/free/neighbour x
	expect OK "$M: create/rename/unlink an unprotected neighbour" sh -c "pfop create $R/free/n2 >/dev/null && pfop rename $R/free/n2 $R/free/n3 >/dev/null && pfop unlink $R/free/n3"
	expect OK "$M: chmod an unprotected neighbour" pfop chmod $R/free/neighbour 600
	case $M in
	enforce|audit) check "thaw after $M" permafrost thaw ;;
	esac
}

run_matrix E enforce
run_matrix A audit
run_matrix O off
no_event "off: nothing logged for the off-mode tree" "/O/etc/"
log_lacks "exempt subtree never logged" "$PF_LOG" "etc/cache/"
log_lacks "neighbour never logged" "$PF_LOG" "free/neighbour"
stop_agent
