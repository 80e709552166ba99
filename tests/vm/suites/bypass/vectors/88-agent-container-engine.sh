# vector: an AI agent's process asks a container engine (docker, containerd, podman) or a socket the policy adds to run something, also through another name for the socket
# expect: refused: EPERM on connect for the agent's tree, deny agent-socket; an unmarked shell connects
. "$PF_SUITE_DIR/vector.inc"
for s in /var/run/docker.sock /run/containerd/containerd.sock /run/podman/podman.sock /run/bp-extra.sock; do
	serve_unix "$s"
	allowed pfop unix-connect "$s"
	attempt as_agent pfop unix-connect "$s"
	refused_with EPERM "agent: connect $s"
	deny '"op":"agent-socket"' "\"path\":\"$s\"" '"agent":"bpai"'
done
# the server's bound name decides, not the client's spelling of it
ln -sf /var/run/docker.sock /tmp/docker-alias.sock
mkdir -p /tmp/bindsock && : > /tmp/bindsock/d.sock && mount --bind /var/run/docker.sock /tmp/bindsock/d.sock ||
	harness "bind mount of the socket"
allowed pfop unix-connect /tmp/bindsock/d.sock
attempt as_agent pfop unix-connect /tmp/docker-alias.sock
refused_with EPERM "agent: connect through a symbolic link"
attempt as_agent pfop unix-connect /tmp/bindsock/d.sock
refused_with EPERM "agent: connect through a bind mount"
umount /tmp/bindsock/d.sock
# a socket not on the list is not refused
serve_unix /run/bp-other.sock
attempt as_agent pfop unix-connect /run/bp-other.sock
[ "$GOT" = OK ] || bypassed "agent: a socket not on the list was refused ($GOT)"
