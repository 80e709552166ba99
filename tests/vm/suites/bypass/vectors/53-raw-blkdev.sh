# vector: raw edit of the block device under the tree (dd, debugfs -w and the like open it read-write)
# expect: refused: EPERM on open, deny blkdev-write, device blocks unchanged
. "$PF_SUITE_DIR/vector.inc"
h=$(blk_head_hash "$BP_BLKDEV")
attempt pfop open-blkdev-write "$BP_BLKDEV"
refused_with EPERM "open $BP_BLKDEV O_WRONLY"
attempt pfop open-rdwr "$BP_BLKDEV"
refused_with EPERM "open $BP_BLKDEV O_RDWR"
dd if=/dev/zero of="$BP_BLKDEV" bs=512 count=1 conv=notrunc 2>/dev/null && bypassed "dd onto $BP_BLKDEV succeeded"
[ "$(blk_head_hash "$BP_BLKDEV")" = "$h" ] || bypassed "the first 4 KiB of $BP_BLKDEV changed"
deny '"op":"blkdev-write"' '"rule":"blkdev"'
