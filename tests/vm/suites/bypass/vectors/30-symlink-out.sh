# vector: change what a protected symlink shows by writing its unprotected target (/prot/etc/outside -> /prot/free/target)
# expect: refused: reading /prot/etc/outside keeps giving the frozen content
. "$PF_SUITE_DIR/vector.inc"
f=/prot/etc/outside
h=$(hash_of $f)
attempt pfop write /prot/free/target "evil"
now=$(hash_of $f)
if [ "$now" != "$h" ]; then
	printf 'outside\n' > /prot/free/target
	bypassed "the target of protected symlink $f is unprotected: writing it ($GOT) changed what $f reads"
fi
