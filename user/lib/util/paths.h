/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Where Permafrost keeps things by default: one definition for the agent,
 * the CLI and the documentation's examples (permafrostd(8), the unit). */
#ifndef PF_PATHS_H
#define PF_PATHS_H

#define PF_DEFAULT_POLICY "/etc/permafrost/permafrost.conf"
#define PF_DEFAULT_SIGNERS "/etc/permafrost/allowed_signers"
#define PF_DEFAULT_STATE_DIR "/var/lib/permafrost"
#define PF_DEFAULT_LOG "/var/log/permafrost/audit.log"
#define PF_DEFAULT_SOCKET "/run/permafrost/agent.sock"
#define PF_DEFAULT_PIN_DIR "/sys/fs/bpf/permafrost"

#endif
