# vector: load a kernel module (finit_module and init_module) while frozen, lock-kernel yes
# expect: refused: EPERM before the module loader runs, tamper module-load
. "$PF_SUITE_DIR/vector.inc"
ko=$(ls /lib/modules/pf/*.ko 2>/dev/null | head -n 1)
[ -n "$ko" ] || harness "no .ko in /lib/modules/pf"
# (an already loaded module: without Permafrost the answer is EEXIST, so
# EPERM proves the refusal happened before the loader)
attempt pfop finit-module "$ko"
refused_with EPERM "finit_module $ko"
attempt pfop init-module "$ko"
refused_with EPERM "init_module $ko"
event '"decision":"tamper"' '"op":"module-load"'
