# vector: add an attacker key to allowed_signers, then approve with it
# expect: refused: EPERM, tamper open-write, allowed_signers unchanged
. "$PF_SUITE_DIR/vector.inc"
s=$(sed -n 's/^allowed-signers *//p' "$PF_POLICY" | head -n 1)
[ -f "$s" ] || harness "allowed-signers $s missing"
h=$(hash_of "$s")
attempt pfop write "$s" "mallory namespaces=\"permafrost-approval-v1\" ssh-ed25519 AAAA"
refused_with EPERM "write allowed_signers"
attempt pfop unlink "$s"
refused_with EPERM "unlink allowed_signers"
same "$s" "$h"
event '"decision":"tamper"' '"op":"open-write"' 'allowed_signers"'
