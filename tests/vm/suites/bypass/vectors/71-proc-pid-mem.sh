# vector: write the agent's memory through /proc/PID/mem and process_vm_writev
# expect: refused: EACCES on /proc/PID/mem, EPERM on process_vm_writev, tamper ptrace
. "$PF_SUITE_DIR/vector.inc"
pid=$(cat /tmp/permafrostd.pid)
attempt pfop mem-open "$pid"
# (mm_access turns the ptrace refusal into EACCES; root gets OK when thawed)
refused_with EACCES "open /proc/$pid/mem O_RDWR"
attempt pfop vm-write "$pid"
refused_with EPERM "process_vm_writev"
event '"decision":"tamper"' '"op":"ptrace"'
