# vector: reboot into a kernel (or command line) without the BPF LSM, edit the files, reboot back
# expect: out-of-reach: nothing in the running kernel survives a reboot; a kernel booted without bpf in lsm= (or an older kernel, or init=/bin/sh) never loads the programs. Defence is outside Permafrost: Secure Boot with a locked boot loader and command line, measured boot, and the agent reporting the downtime and the unfrozen boot on its next start.
exit 2
