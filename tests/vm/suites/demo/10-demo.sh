# The five-minute tour, inside a real kernel: freeze a host, watch root's
# write bounce, read the audit log. Lines starting "# demo|" are shown by
# tests/vm/demo.sh.
. "$PF_LIB"
say() { printf '%s\n' "$@" | sed 's/^/# demo| /'; }
run() { say "\$ $*"; "$@" 2>&1 | sed 's/^/# demo| /'; }

mkdir -p /prot/etc/nginx /prot/usr/bin
printf 'worker_processes 4;\n' > /prot/etc/nginx/nginx.conf
printf '#!/bin/sh\necho v1\n' > /prot/usr/bin/deploy-tool
pf_keys_setup
cat > "$PF_POLICY" <<POL
allowed-signers $PF_SIGNERS
mode    off
protect /prot/etc/nginx /prot/usr/bin
POL
say "kernel $(uname -r), LSMs: $(cat /sys/kernel/security/lsm)" "" "policy:" "$(cat $PF_POLICY)" ""
require_agent
run permafrost status
run permafrost freeze --reason "holiday freeze"
say "" "# root tries to change a protected file:"
run sh -c 'echo "worker_processes 64;" > /prot/etc/nginx/nginx.conf'
run sh -c 'rm /prot/usr/bin/deploy-tool'
run sh -c 'mv /prot/etc/nginx /prot/etc/nginx.old'
run cat /prot/etc/nginx/nginx.conf
run permafrost check /prot/etc/nginx/nginx.conf
say "" "# the audit log:"
sleep 1
run tail -n 4 "$PF_LOG"
say "" "# lifting the freeze needs a thaw token signed by two approvers:"
new_token /tmp/thaw.tok --thaw --ttl 10m
sign_token /tmp/thaw.tok alice bob
run sh -c "head -n 9 /tmp/thaw.tok; grep -c BEGIN /tmp/thaw.tok | sed 's/$/ signatures/'"
run permafrost thaw /tmp/thaw.tok
run sh -c 'echo "worker_processes 8;" > /prot/etc/nginx/nginx.conf && cat /prot/etc/nginx/nginx.conf'
expect_content "demo: the thawed write landed" /prot/etc/nginx/nginx.conf "worker_processes 8;
"
stop_agent
