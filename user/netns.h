/* SPDX-License-Identifier: GPL-2.0 */
/* Network namespaces: naming them, finding them by inode, running in them. */
#ifndef IPTTRACE_NETNS_H
#define IPTTRACE_NETNS_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Resolve --netns NAME|PATH|INODE to an inode.  NAME is looked up under
 * /run/netns; a number must be the inode of a namespace that some process or
 * /run/netns entry holds.  Returns 0, or -1 with a one-line message in err.
 */
int iptt_netns_resolve(const char *arg, unsigned int *inode, char *err,
		       size_t errlen);

/* An open fd of the namespace with this inode (0: our own), or -1. */
int iptt_netns_fd(unsigned int inode);

/* Inode of our own network namespace. */
unsigned int iptt_netns_self(void);

/*
 * Run argv[0] (searched in PATH) inside the namespace, with stdout captured
 * into a malloc'ed buffer (at most max bytes).  Returns the exit status, or
 * -1 if it could not run.
 */
int iptt_netns_run(int nsfd, char *const argv[], char **out, size_t *outlen,
		   size_t max);

/* Whether interface ifname exists in the namespace. */
int iptt_netns_has_iface(int nsfd, const char *ifname);
/* Whether it exists in any namespace a process or /run/netns holds. */
bool iptt_netns_any_has_iface(const char *ifname);

#endif /* IPTTRACE_NETNS_H */
