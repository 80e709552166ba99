# Smoke: the VM boots with BPF LSM active, /prot is a writable ext4 disk,
# and pfop performs the operations the enforcement suites rely on.
# shellcheck source=tests/vm/lib.sh
. "$PF_LIB"

if grep -qw bpf /sys/kernel/security/lsm; then
	ok "bpf is an active LSM"
else
	not_ok "bpf is an active LSM" "lsm=$(cat /sys/kernel/security/lsm)"
fi

if awk '$2 == "/prot" && $3 == "ext4"' /proc/mounts | grep -q .; then
	ok "/prot is ext4"
else
	not_ok "/prot is ext4" "$(grep ' /prot ' /proc/mounts || echo 'not mounted')"
fi

d=/prot/smoke
mkdir -p "$d"
expect OK "pfop create" pfop create "$d/a"
expect EEXIST "pfop create refuses an existing file" pfop create "$d/a"
expect OK "pfop write" pfop write "$d/a" "hello"
expect_content "pfop cat returns the written bytes" "$d/a" "hello"
check "pfop cat prints raw bytes" test "$(pfop cat "$d/a")" = "hello"
expect OK "pfop io-uring-write" pfop io-uring-write "$d/a" " uring"
expect_content "io_uring write landed" "$d/a" "hello uring"
expect OK "pfop setxattr user.x" pfop setxattr "$d/a" user.x 1
expect OK "pfop removexattr user.x (it was set)" pfop removexattr "$d/a" user.x
expect ENODATA "user.x is gone after removexattr" pfop removexattr "$d/a" user.x
expect OK "pfop chattr (FS_NOATIME_FL) on ext4" pfop chattr "$d/a"
check "noatime attribute is set" sh -c "lsattr '$d/a' | awk '{print \$1}' | grep -q A"
expect OK "pfop unlink" pfop unlink "$d/a"
expect ENOENT "unlinked file is gone" pfop stat "$d/a"
