# vector: write into a filesystem whose image is a protected file, through a loop device attached before the freeze
# expect: refused: the loop device's writes to the image fail, the image file is unchanged, deny write on /prot/img/disk.img
. "$PF_SUITE_DIR/vector.inc"
img=/prot/img/disk.img
h=$(hash_of $img)
printf 'written through the loop device\n' > "$BP_LOOPMNT/file" 2>/dev/null
sync
echo 3 > /proc/sys/vm/drop_caches 2>/dev/null
same $img "$h"
deny '"op":"write"' '"path":"/prot/img/disk.img"'
