/* SPDX-License-Identifier: GPL-2.0 */
/* Finding, loading, driving and unloading ipttrace.ko. */
#ifndef IPTTRACE_KMOD_H
#define IPTTRACE_KMOD_H

#include <stdbool.h>
#include <stddef.h>
#include "ipttrace.h"

struct iptt_kmod {
	int fd;			/* /dev/ipttrace */
	bool loaded_by_us;	/* unload at exit */
};

/*
 * Load the module (unless already loaded) and open its device.  path: the
 * --kmod argument or NULL to search beside the executable and the installed
 * locations.  On failure prints one line naming the fix and returns -1,
 * having unloaded what it loaded.
 */
int iptt_kmod_open(struct iptt_kmod *km, const char *path, int verbose);
int iptt_kmod_configure(struct iptt_kmod *km, const struct iptt_config *cfg);
int iptt_kmod_enable(struct iptt_kmod *km);
int iptt_kmod_disable(struct iptt_kmod *km);
int iptt_kmod_stats(struct iptt_kmod *km, struct iptt_stats *st);
/* Disable, close, and unload the module if this process loaded it. */
void iptt_kmod_close(struct iptt_kmod *km);

/*
 * Candidate module paths for kernel release rel, in search order: beside
 * the executable, make install's lib dir, DKMS's updates/dkms, extra/.
 * When none exists, iptt_kmod_open() asks modprobe (which also finds a
 * compressed DKMS module through modules.dep).
 */
#define IPTT_KMOD_MAX_CANDIDATES 4
int iptt_kmod_candidates(const char *exe_dir, const char *rel,
			 char paths[][4096], int max);

#endif /* IPTTRACE_KMOD_H */
