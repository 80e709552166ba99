# vector: empty the used-tokens list (to replay a thaw token) or replace it
# expect: refused: EPERM, tamper
. "$PF_SUITE_DIR/vector.inc"
f=$PF_STATE/used-tokens
if [ -f "$f" ]; then
	h=$(hash_of "$f")
	attempt pfop truncate "$f" 0
	refused_with EPERM "truncate used-tokens"
	same "$f" "$h"
	event '"decision":"tamper"' '"op":"truncate"' 'used-tokens"'
else
	# not written yet: creating a forged one is refused
	attempt pfop create "$f"
	refused_with EPERM "create used-tokens"
	[ -e "$f" ] && bypassed "$f created"
	event '"decision":"tamper"' '"op":"create"' 'used-tokens"'
fi
