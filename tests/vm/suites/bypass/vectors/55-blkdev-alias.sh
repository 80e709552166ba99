# vector: a new device node for the same block device, and a loop device over it
# expect: refused: opening the alias for write fails (deny blkdev-write); losetup gets only a read-only loop; blocks unchanged
. "$PF_SUITE_DIR/vector.inc"
h=$(blk_head_hash "$BP_BLKDEV")
mm=$(stat -c '%t %T' "$BP_BLKDEV") || harness "stat $BP_BLKDEV"
rm -f /tmp/vda-alias; mknod /tmp/vda-alias b $((0x${mm% *})) $((0x${mm#* })) || harness "mknod alias"
attempt pfop open-blkdev-write /tmp/vda-alias
refused_with EPERM "open the alias node for write"
losetup /dev/loop5 "$BP_BLKDEV" 2>/dev/null || harness "losetup /dev/loop5 $BP_BLKDEV failed"
attempt pfop overwrite /dev/loop5 evil
losetup -d /dev/loop5 2>/dev/null
refused "write through /dev/loop5"
[ "$(blk_head_hash "$BP_BLKDEV")" = "$h" ] || bypassed "the first 4 KiB of $BP_BLKDEV changed"
deny '"op":"blkdev-write"' '"path":"/tmp/vda-alias"'
