# vector: an AI agent's process takes over a process outside its tree (ptrace attach and seize, /proc/PID/mem, process_vm_writev) to act for it unmarked
# expect: refused: EPERM (EACCES for /proc/PID/mem), deny ptrace naming the agent; an unmarked shell may
. "$PF_SUITE_DIR/vector.inc"
sleep 60 &
V=$!
BP_SERVERS="$BP_SERVERS $V"
attempt as_agent pfop ptrace-attach $V
refused_with EPERM "agent: PTRACE_ATTACH of an unmarked process"
attempt as_agent pfop ptrace-seize $V
refused_with EPERM "agent: PTRACE_SEIZE of an unmarked process"
attempt as_agent pfop mem-open $V
refused_with EACCES "agent: open /proc/$V/mem O_RDWR"
attempt as_agent pfop vm-write $V
refused_with EPERM "agent: process_vm_writev"
deny '"op":"ptrace"' '"agent":"bpai"'
allowed pfop ptrace-attach $V
