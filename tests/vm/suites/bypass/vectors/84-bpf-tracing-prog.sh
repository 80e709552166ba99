# vector: root loads its own tracing program using bpf_probe_write_user / bpf_send_signal in the agent's context
# expect: out-of-reach: refusing other users' BPF programs would break them; with lockdown=integrity bpf_probe_write_user is refused by the kernel, bpf_send_signal is not. Links stay pinned, so a killed agent does not end enforcement
