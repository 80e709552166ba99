# vector: write the block device through a descriptor opened read-write before the freeze
# expect: refused: the write fails, deny blkdev-write, device blocks unchanged
. "$PF_SUITE_DIR/vector.inc"
h=$(blk_head_hash "$BP_BLKDEV")
release blk
[ "$GOT" = OK ] && bypassed "write through the held block-device fd succeeded"
[ "$(blk_head_hash "$BP_BLKDEV")" = "$h" ] || bypassed "the first 4 KiB of $BP_BLKDEV changed"
deny '"op":"blkdev-write"' '"rule":"blkdev"'
