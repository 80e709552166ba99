# vector: kexec_file_load a new kernel image while frozen (lock-kernel yes)
# expect: refused: EPERM when the kernel reads the image, tamper kexec-load
. "$PF_SUITE_DIR/vector.inc"
printf 'not a kernel\n' > /tmp/bp-kernel
attempt pfop kexec-file-load /tmp/bp-kernel
refused_with EPERM "kexec_file_load"
event '"decision":"tamper"' '"op":"kexec-load"'
