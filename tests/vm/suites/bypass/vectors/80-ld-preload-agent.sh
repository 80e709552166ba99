# vector: run the agent binary with LD_PRELOAD/LD_AUDIT/OPENSSL_CONF to get code trusted as the agent
# expect: refused: the kernel does not trust the process (tamper agent-exec); it cannot get a writable map fd
. "$PF_SUITE_DIR/vector.inc"
for v in LD_PRELOAD=/nonexistent.so LD_AUDIT=/nonexistent.so OPENSSL_CONF=/tmp/evil.cnf; do
	env "$v" permafrostd --version >/dev/null 2>&1
done
event '"decision":"tamper"' '"op":"agent-exec"'
# Started as a second agent it does not take over (the live agent owns the
# pinned maps; an untrusted one could not open them writable anyway).
out=$(env LD_PRELOAD=/nonexistent.so permafrostd --policy "$PF_POLICY" --state-dir "$PF_STATE" \
	--log "$PF_LOG" --socket /tmp/bp-s2 2>&1) && bypassed "a second agent started: $out"
permafrost status 2>/dev/null | grep -q '^Mode: *enforce' || bypassed "no longer enforcing"
