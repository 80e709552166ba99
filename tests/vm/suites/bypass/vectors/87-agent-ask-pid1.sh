# vector: an AI agent's process asks PID 1 to start something for it (systemd-run, systemctl start, run0, machinectl: systemd's private socket, the system bus, root's user manager)
# expect: refused: EPERM on connect for the agent's tree, deny agent-socket; an unmarked shell connects
. "$PF_SUITE_DIR/vector.inc"
for s in /run/systemd/private /run/dbus/system_bus_socket /run/user/0/systemd/private /run/user/0/bus; do
	serve_unix "$s"
	allowed pfop unix-connect "$s"
	attempt as_agent pfop unix-connect "$s"
	refused_with EPERM "agent: connect $s"
	attempt as_agent sh -c "(pfop unix-connect $s)"
	refused_with EPERM "agent's grandchild: connect $s"
	deny '"op":"agent-socket"' "\"path\":\"$s\"" '"rule":"agent-route"' '"agent":"bpai"'
done
