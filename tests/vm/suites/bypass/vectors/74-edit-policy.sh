# vector: edit the policy (drop the protect rules), then SIGHUP the agent
# expect: refused: EPERM, tamper open-write, policy unchanged
. "$PF_SUITE_DIR/vector.inc"
h=$(hash_of "$PF_POLICY")
attempt pfop write "$PF_POLICY" "protect /nowhere"
refused_with EPERM "write the policy"
printf 'mode off\n' > /tmp/bp-newpol
attempt pfop rename /tmp/bp-newpol "$PF_POLICY"
refused_with EPERM "rename over the policy"
same "$PF_POLICY" "$h"
kill -HUP "$(cat /tmp/permafrostd.pid)"
event '"decision":"tamper"' '"op":"open-write"' 'pf.conf"'
