# vector: create /etc/ld.so.preload (absent) so the next agent start loads foreign code
# expect: out-of-reach: the file is protected when it exists, but its creation in /etc is only refused if /etc is protected by the policy; a statically linked agent would close this (not done)
