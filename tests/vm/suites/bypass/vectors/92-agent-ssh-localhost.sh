# vector: an AI agent's process logs in to the host itself over ssh (TCP to sshd's ports on loopback, the unspecified address, IPv6 loopback, an address the host got after the agent started; connect or TCP Fast Open)
# expect: refused: EPERM on connect for the agent's tree, deny agent-ssh; other local ports and unmarked shells connect, remote addresses are not judged
. "$PF_SUITE_DIR/vector.inc"
serve_tcp 0.0.0.0 22
serve_tcp 0.0.0.0 2222
serve_tcp 0.0.0.0 2200
allowed pfop tcp-connect 127.0.0.1 22
attempt as_agent pfop tcp-connect 127.0.0.1 22
refused_with EPERM "agent: ssh to 127.0.0.1:22"
deny '"op":"agent-ssh"' '"rule":"agent-route"' '"ino":22' '"agent":"bpai"'
attempt as_agent pfop tcp-connect 127.0.0.1 2222
refused_with EPERM "agent: ssh to 127.0.0.1:2222 (agent-ssh-port)"
attempt as_agent pfop tcp-connect 127.3.4.5 22
refused_with EPERM "agent: ssh to 127.3.4.5 (127/8)"
attempt as_agent pfop tcp-connect 0.0.0.0 22
refused_with EPERM "agent: ssh to 0.0.0.0"
allowed pfop tcp-fastopen 127.0.0.1 22
attempt as_agent pfop tcp-fastopen 127.0.0.1 22
refused_with EPERM "agent: TCP Fast Open (sendto, no connect) to 127.0.0.1:22"
if [ -e /proc/net/if_inet6 ]; then
	attempt as_agent pfop tcp-connect ::1 22
	refused_with EPERM "agent: ssh to [::1]"
	attempt as_agent pfop tcp-connect ::ffff:127.0.0.1 22
	refused_with EPERM "agent: ssh to [::ffff:127.0.0.1]"
fi
# an address the host gets while the agent runs: known within its next tick
ip addr add 10.77.0.1/32 dev lo || harness "ip addr add"
allowed pfop tcp-connect 10.77.0.1 22
i=0
while [ $i -lt 30 ]; do
	attempt as_agent pfop tcp-connect 10.77.0.1 22
	[ "$GOT" = EPERM ] && break
	sleep 0.1; i=$((i + 1))
done
refused_with EPERM "agent: ssh to the host's own 10.77.0.1 (3 s after it was added)"
ip addr del 10.77.0.1/32 dev lo
attempt as_agent pfop tcp-connect 127.0.0.1 2200
[ "$GOT" = OK ] || bypassed "agent: another local port (2200) was refused ($GOT)"
# a remote address is not ours to judge: no route here, so not EPERM
attempt as_agent pfop tcp-connect 192.0.2.1 22
[ "$GOT" = EPERM ] && bypassed "agent: ssh to a remote address was refused by Permafrost"
true
