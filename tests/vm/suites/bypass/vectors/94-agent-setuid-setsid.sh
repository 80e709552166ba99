# vector: an AI agent's process sheds its mark: a setuid-root program run from an unprivileged uid, su, setsid and a double fork, then asks PID 1
# expect: refused: the mark survives each (EPERM on connect, deny agent-socket); the same paths from an unmarked shell connect
. "$PF_SUITE_DIR/vector.inc"
S=/run/systemd/private
serve_unix $S
chmod 600 $S
# uid 1000 cannot connect to a root-only socket; through the setuid copy it can
attempt pfop run-as 1000 1000 pfop unix-connect $S
[ "$GOT" = OK ] && harness "uid 1000 connected to a mode 600 root socket"
allowed pfop run-as 1000 1000 "$BP_SUID" unix-connect $S
attempt as_agent pfop run-as 1000 1000 "$BP_SUID" unix-connect $S
refused_with EPERM "agent: setuid-root exec from uid 1000"
if su -s /bin/sh -c true root >/dev/null 2>&1; then
	attempt as_agent su -s /bin/sh -c "pfop unix-connect $S" root
	refused_with EPERM "agent: su root -c"
fi
rm -f /tmp/bp-dfork
as_agent sh -c "( setsid sh -c 'sleep 0.3; pfop unix-connect $S > /tmp/bp-dfork' & ); exit 0"
wait_for /tmp/bp-dfork 10 || harness "the double-forked child never ran"
sleep 0.3
GOT=$(head -n 1 /tmp/bp-dfork)
refused_with EPERM "agent: setsid + double fork"
deny '"op":"agent-socket"' '"uid":1000' '"comm":"suid-pfop"' '"agent":"bpai"'
