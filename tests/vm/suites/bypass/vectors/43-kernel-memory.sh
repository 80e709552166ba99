# vector: write the page cache or kernel data directly: a kernel exploit, /dev/mem or /proc/kcore without lockdown, a loaded module, DMA/firmware/physical access
# expect: out-of-reach: an attacker who runs code in the kernel can switch the BPF programs off; Permafrost relies on lockdown=integrity, module signing and Secure Boot for these, and on the self-protection hooks (vectors 60-99) for module/kexec loading.
exit 2
