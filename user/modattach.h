/* SPDX-License-Identifier: GPL-2.0 */
#ifndef IPTT_MODATTACH_H
#define IPTT_MODATTACH_H

/*
 * SEC("fentry.mod/MODULE:FUNC") and SEC("fexit.mod/MODULE:FUNC"): fentry and
 * fexit on a module's function, resolved in that module's own BTF types.
 * Call before opening the skeleton; 0 or a negative error.
 */
int iptt_modattach_register(void);
/* the module BTF fds the loads used: close them once the programs are loaded */
void iptt_modattach_release(void);

#endif
