# Self-protection, part 1: off (nothing checked), audit (allowed, logged
# as would-deny), and adoption of the pinned state across restarts.
. "$PF_SUITE_DIR/setup.inc"

mkdir -p /prot/etc
printf 'app\n' > /prot/etc/app.conf
pf_keys_setup
cat > "$PF_POLICY" <<POL
allowed-signers $PF_SIGNERS
protect /prot/etc
POL
agent_up

# --- off: nothing is refused --------------------------------------------------
[ -d "$MAPS" ] && ok "off: maps pinned in $MAPS" || not_ok "off: maps pinned" "$(ls $PIN)"
expect EEXIST "off: finit_module of a loaded module reaches the module loader" pfop finit-module "$KO"
got=$(pfop kexec-file-load /tmp/bogus.kernel)
[ "$got" != EPERM ] && ok "off: kexec_file_load is not refused by Permafrost ($got)" || not_ok "off: kexec" "got EPERM"
expect OK "off: open /proc/AGENT/mem read-write" pfop mem-open "$AGENT"
expect OK "off: SIGSTOP to the agent" pfop kill "$AGENT" 19
expect OK "off: SIGCONT to the agent" pfop kill "$AGENT" 18
no_event "off: no tamper event" '"decision":"tamper"'

# --- audit: allowed, logged as would-deny --------------------------------------
check "freeze --audit" permafrost freeze --audit --reason "selfprot audit"
expect OK "audit: SIGSTOP passes" pfop kill "$AGENT" 19
expect OK "audit: SIGCONT" pfop kill "$AGENT" 18
expect_event "audit: SIGSTOP logged as would-deny" '"decision":"would-deny"' '"op":"signal"'

# Adoption across a restart (audit: stopping is allowed). An event made
# while the agent is down is delivered when it comes back.
SET1=$(ls -d $PIN/links-* | head -n 1)
stop_agent
kill -0 "$AGENT" 2>/dev/null && not_ok "audit: agent stopped" "still running" || ok "audit: agent stopped"
expect OK "audit, agent down: write passes" pfop write /prot/etc/app.conf down1
agent_up
expect_event "restart: the event made while the agent was down is delivered" '"decision":"would-deny"' '"comm":"pfop"' 'etc/app.conf"'
expect_event "restart: the same build's link set is adopted" '"decision":"agent-adopt"' "\"links\":\"$SET1\""
[ "$(ls -d $PIN/links-* | wc -l)" = 1 ] && [ -d "$SET1" ] && ok "restart: one link set, the old one" || not_ok "restart: one link set" "$(ls $PIN)"

# A partial set (a pin removed while the agent was down) is repaired and
# reported.
stop_agent
expect OK "audit, agent down: a link pin can be removed" pfop unlink "$SET1/file_open"
agent_up
expect_event "restart: an incomplete set is reported as tamper" '"decision":"tamper"' '"op":"pins"'
[ ! -e "$SET1" ] && [ "$(ls -d $PIN/links-* | wc -l)" = 1 ] && ok "restart: the incomplete set is replaced by a complete one" || not_ok "incomplete set replaced" "$(ls $PIN)"
SET=$(ls -d $PIN/links-* | head -n 1)
[ -e "$SET/file_open" ] && ok "restart: the new set has file_open" || not_ok "new set complete" "$(ls $SET)"

stop_agent
