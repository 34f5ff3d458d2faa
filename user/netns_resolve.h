/* SPDX-License-Identifier: GPL-2.0 */
/* --netns pid:PID, docker:NAME|ID, cri:POD|CONTAINER -> a namespace path. */
#ifndef IPTTRACE_NETNS_RESOLVE_H
#define IPTTRACE_NETNS_RESOLVE_H

#include <stddef.h>

/*
 * If arg is pid:, docker: or cri:, resolve it to a path of its network
 * namespace (/proc/PID/ns/net, or the runtime's own netns path) in path and
 * return 1; return 0 for any other arg (a name, path or inode: left to
 * netns.c); -1 with a one-line message in err, naming what is missing.
 */
int iptt_netns_spec(const char *arg, char *path, size_t len, char *err,
		    size_t errlen);

/* ---- the parsers, for the unit tests ---- */

/* docker inspect / GET /containers/X/json: .State.Pid (0: not running). */
int iptt_docker_pid(const char *json, long *pid, char *err, size_t errlen);
/*
 * crictl inspect / inspectp -o json: the network namespace's path from
 * .info.runtimeSpec.linux.namespaces[type=network], else /proc/<.info.pid>/ns/net.
 */
int iptt_cri_netns(const char *json, char *path, size_t len, char *err,
		   size_t errlen);

#endif /* IPTTRACE_NETNS_RESOLVE_H */
