# vector: mount over /sys/fs (or /sys) to hide bpffs from a restarting agent
# expect: out-of-reach: mounts on sysfs above bpffs are not refused; the links stay pinned in the hidden bpffs (still enforcing) but a restarted agent cannot adopt them and fails to start (fail closed, no logging)
