# vector: prctl(PR_SET_MM_EXE_FILE) to make a process look like the agent binary
# expect: refused: EPERM, tamper prctl-exe
. "$PF_SUITE_DIR/vector.inc"
attempt pfop prctl-exe /usr/sbin/permafrostd
refused_with EPERM "PR_SET_MM_EXE_FILE"
event '"decision":"tamper"' '"op":"prctl-exe"'
