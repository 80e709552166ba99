# Benchmark (not a test): per-operation cost with the enforcer not loaded,
# loaded but off, frozen with 10 rules and frozen with 100,000 rules, in one
# boot. Prints "# bench| config=C op=O ns=N" lines; tests/bench/run.sh turns
# them into ratios. Configurations are interleaved over rounds (ABAB...).
. "$PF_LIB"
ITER=${PF_BENCH_ITER:-20000}
ROUNDS=${PF_BENCH_ROUNDS:-3}

mkdir -p /prot/etc /prot/free /prot/many
for i in 1 2 3 4 5 6 7 8 9 10; do printf 'x\n' > /prot/etc/f$i; done
printf 'x\n' > /prot/free/x
printf 'x\n' > /tmp/x
pfop mkfiles /prot/many 100000 >/dev/null || not_ok "bench: create 100000 files" "mkfiles failed"
pf_keys_setup
{ echo "allowed-signers $PF_SIGNERS"; for i in 1 2 3 4 5 6 7 8 9 10; do echo "protect /prot/etc/f$i"; done; } > /tmp/p10.conf
{ echo "allowed-signers $PF_SIGNERS"; echo "protect /prot/etc"; seq 1 100000 | sed 's|^|protect /prot/many/f|'; } > /tmp/p100k.conf

measure() { # CONFIG
	for op in open-close pwrite4k stat create-unlink; do
		f=/prot/free/x; [ $op = create-unlink ] && f=/prot/free/cu
		ns=$(pfop bench $op $f $ITER | sed -n 's/.*ns_per_op=//p')
		echo "# bench| config=$1 op=$op ns=$ns"
	done
	ns=$(pfop bench open-close-ro /prot/etc/f1 $ITER | sed -n 's/.*ns_per_op=//p')
	echo "# bench| config=$1 op=open-close-ro(protected) ns=$ns"
	ns=$(pfop bench open-close /tmp/x $ITER | sed -n 's/.*ns_per_op=//p')
	echo "# bench| config=$1 op=open-close(tmpfs) ns=$ns"
}

use_policy() { cp "$1" "$PF_POLICY"; }

r=0
while [ $r -lt $ROUNDS ]; do
	measure none
	use_policy /tmp/p10.conf
	start_agent || { not_ok "bench: agent starts" "see above"; exit 1; }
	measure off
	permafrost freeze --reason bench >/dev/null
	measure frozen-10
	pf_thaw >/dev/null
	stop_agent
	use_policy /tmp/p100k.conf
	t0=$(cut -d' ' -f1 /proc/uptime)
	start_agent || { not_ok "bench: agent starts with 100k rules" "see above"; exit 1; }
	t1=$(cut -d' ' -f1 /proc/uptime)
	echo "# bench| agent start with 100001 rules: $(awk -v a=$t0 -v b=$t1 'BEGIN{print b-a}') s"
	permafrost freeze --reason bench >/dev/null
	[ $r -eq 0 ] && expect EPERM "bench: the 100k policy is enforced" pfop write /prot/many/f99999 x
	measure frozen-100k
	pf_thaw >/dev/null
	stop_agent
	r=$((r + 1))
done
ok "bench: completed"
