# vector: an AI agent's process leaves a unit or timer for systemd to start (/etc/systemd/system, a .wants link, /run/systemd/system, /run/systemd/transient as systemd-run's units)
# expect: refused: EPERM for the agent's tree, deny with rule agent-only; an unmarked shell writes them
. "$PF_SUITE_DIR/vector.inc"
rm -rf /etc/systemd/system/bp.* /etc/systemd/system/timers.target.wants /run/systemd/system/bp.* /run/systemd/transient/bp.*
attempt as_agent pfop create /etc/systemd/system/bp.timer
refused_with EPERM "agent: create /etc/systemd/system/bp.timer"
attempt as_agent pfop mkdir /etc/systemd/system/timers.target.wants
refused_with EPERM "agent: mkdir a .wants directory"
attempt as_agent pfop create /run/systemd/system/bp.service
refused_with EPERM "agent: create /run/systemd/system/bp.service"
attempt as_agent pfop create /run/systemd/transient/bp.service
refused_with EPERM "agent: create /run/systemd/transient/bp.service"
attempt as_agent pfop symlink /tmp/bp.service /etc/systemd/system/bp.service
refused_with EPERM "agent: symlink a unit into /etc/systemd/system"
deny '"path":"/run/systemd/transient/bp.service"' '"rule":"agent-only"' '"agent":"bpai"'
allowed pfop create /run/systemd/system/bp.service
rm -f /run/systemd/system/bp.service
