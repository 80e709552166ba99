# vector: rm -rf the pinned links in /sys/fs/bpf/permafrost (unpin = detach)
# expect: refused: EPERM on every unlink, tamper unlink, pins intact
. "$PF_SUITE_DIR/vector.inc"
set=$(ls -d /sys/fs/bpf/permafrost/links-* 2>/dev/null | head -n 1)
[ -n "$set" ] || harness "no links-* set"
n0=$(ls "$set" | wc -l)
rm -rf /sys/fs/bpf/permafrost 2>/dev/null
attempt pfop unlink "$set/file_open"
refused_with EPERM "unlink of a link pin"
[ "$(ls "$set" | wc -l)" = "$n0" ] || bypassed "pins removed: $n0 -> $(ls "$set" | wc -l)"
event '"decision":"tamper"' '"op":"unlink"'
