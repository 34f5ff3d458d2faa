// SPDX-License-Identifier: GPL-2.0
/*
 * Network namespaces are named three ways on a real box: ip-netns names
 * (/run/netns/NAME), paths (/proc/PID/ns/net, a container runtime's sandbox
 * key) and bare inode numbers (what the kernel and ipttrace's events carry).
 * Rule text must be read inside the packet's own namespace, so this file
 * also maps an inode back to something that can be setns()'d into.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/nsfs.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "netns.h"
#include "netns_resolve.h"

#define NETNS_RUN_DIR	"/run/netns"
#define NS_CACHE_MAX	256

static struct {
	unsigned int inode;
	int fd;
} ns_cache[NS_CACHE_MAX];
static int ns_cached;

static unsigned int inode_of_fd(int fd)
{
	struct stat st;

	return fstat(fd, &st) ? 0 : (unsigned int)st.st_ino;
}

/* Open path if it is a network namespace file; -1 with errno otherwise. */
static int open_netns_path(const char *path, unsigned int *inode)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	if (ioctl(fd, NS_GET_NSTYPE) != CLONE_NEWNET) {
		close(fd);
		errno = EINVAL;
		return -1;
	}
	*inode = inode_of_fd(fd);
	return fd;
}

static void cache_put(unsigned int inode, int fd)
{
	int i;

	for (i = 0; i < ns_cached; i++)
		if (ns_cache[i].inode == inode) {
			close(fd);
			return;
		}
	if (ns_cached == NS_CACHE_MAX) {
		close(fd);
		return;
	}
	ns_cache[ns_cached].inode = inode;
	ns_cache[ns_cached].fd = fd;
	ns_cached++;
}

static int cache_get(unsigned int inode)
{
	int i;

	for (i = 0; i < ns_cached; i++)
		if (ns_cache[i].inode == inode)
			return ns_cache[i].fd;
	return -1;
}

unsigned int iptt_netns_self(void)
{
	struct stat st;

	return stat("/proc/self/ns/net", &st) ? 0 : (unsigned int)st.st_ino;
}

/* Look through /run/netns and every process for the namespace. */
static int scan_for(unsigned int inode)
{
	char path[300];
	struct dirent *d;
	struct stat st;
	DIR *dir;
	int fd;

	dir = opendir(NETNS_RUN_DIR);
	if (dir) {
		while ((d = readdir(dir))) {
			if (d->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), NETNS_RUN_DIR "/%s", d->d_name);
			if (stat(path, &st) || st.st_ino != inode)
				continue;
			fd = open(path, O_RDONLY | O_CLOEXEC);
			if (fd >= 0) {
				closedir(dir);
				return fd;
			}
		}
		closedir(dir);
	}
	dir = opendir("/proc");
	if (!dir)
		return -1;
	while ((d = readdir(dir))) {
		if (d->d_name[0] < '1' || d->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/ns/net", d->d_name);
		if (stat(path, &st) || st.st_ino != inode)
			continue;
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd >= 0) {
			closedir(dir);
			return fd;
		}
	}
	closedir(dir);
	return -1;
}

int iptt_netns_fd(unsigned int inode)
{
	int fd;

	if (!inode)
		inode = iptt_netns_self();
	fd = cache_get(inode);
	if (fd >= 0)
		return fd;
	fd = scan_for(inode);
	if (fd < 0)
		return -1;
	cache_put(inode, fd);
	return cache_get(inode);
}

int iptt_netns_resolve(const char *arg, unsigned int *inode, char *err,
		       size_t errlen)
{
	char path[300];
	unsigned long v;
	char *end;
	int fd;

	/* pid:, docker:, cri: (netns_resolve.c) */
	switch (iptt_netns_spec(arg, path, sizeof(path), err, errlen)) {
	case -1:
		return -1;
	case 1:
		fd = open_netns_path(path, inode);
		if (fd < 0) {
			snprintf(err, errlen, "--netns %s: cannot open %s: %s",
				 arg, path, strerror(errno));
			return -1;
		}
		cache_put(*inode, fd);
		return 0;
	}
	errno = 0;
	v = strtoul(arg, &end, 10);
	if (!errno && !*end && *arg >= '0' && *arg <= '9') {
		if (!v || v > 0xffffffffUL || iptt_netns_fd(v) < 0) {
			snprintf(err, errlen,
				 "no network namespace with inode %s (see 'lsns -t net')",
				 arg);
			return -1;
		}
		*inode = v;
		return 0;
	}
	if (strchr(arg, '/'))
		snprintf(path, sizeof(path), "%s", arg);
	else
		snprintf(path, sizeof(path), NETNS_RUN_DIR "/%s", arg);
	fd = open_netns_path(path, inode);
	if (fd < 0) {
		snprintf(err, errlen,
			 errno == EINVAL ?
			 "'%s' (%s) is not a network namespace%.0s" :
			 "unknown network namespace '%s' (%s: %s); see 'ip netns list' or 'lsns -t net'",
			 arg, path, strerror(errno));
		return -1;
	}
	cache_put(*inode, fd);
	return 0;
}

int iptt_netns_run(int nsfd, char *const argv[], char **out, size_t *outlen,
		   size_t max)
{
	int pipefd[2], status;
	size_t len = 0, cap = 65536;
	char *buf;
	ssize_t n;
	pid_t pid;

	*out = NULL;
	*outlen = 0;
	if (pipe2(pipefd, O_CLOEXEC))
		return -1;
	pid = fork();
	if (pid < 0) {
		close(pipefd[0]);
		close(pipefd[1]);
		return -1;
	}
	if (pid == 0) {
		int devnull = open("/dev/null", O_RDWR);

		if (nsfd >= 0 && setns(nsfd, CLONE_NEWNET))
			_exit(126);
		dup2(pipefd[1], 1);
		if (devnull >= 0) {
			dup2(devnull, 0);
			dup2(devnull, 2);
		}
		execvp(argv[0], argv);
		_exit(127);
	}
	close(pipefd[1]);
	buf = malloc(cap + 1);
	while (buf) {
		if (len == cap) {
			char *nb;

			if (cap >= max)
				break;
			cap *= 2;
			nb = realloc(buf, cap + 1);
			if (!nb) {
				free(buf);
				buf = NULL;
				break;
			}
			buf = nb;
		}
		n = read(pipefd[0], buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += n;
	}
	close(pipefd[0]);
	if (buf && len == cap && cap >= max)
		kill(pid, SIGKILL);	/* more than we will ever index */
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!buf)
		return -1;
	buf[len] = '\0';
	*out = buf;
	*outlen = len;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int iptt_netns_has_iface(int nsfd, const char *ifname)
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (pid == 0) {
		if (nsfd >= 0 && setns(nsfd, CLONE_NEWNET))
			_exit(2);
		_exit(if_nametoindex(ifname) ? 0 : 1);
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

static bool check_ns_path(const char *path, const char *ifname,
			  unsigned int *seen, int *nseen, int max)
{
	struct stat st;
	int fd, i;
	bool found;

	if (stat(path, &st))
		return false;
	for (i = 0; i < *nseen; i++)
		if (seen[i] == st.st_ino)
			return false;
	if (*nseen < max)
		seen[(*nseen)++] = st.st_ino;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	found = iptt_netns_has_iface(fd, ifname) == 1;
	close(fd);
	return found;
}

bool iptt_netns_any_has_iface(const char *ifname)
{
	unsigned int seen[1024];
	int nseen = 0;
	char path[300];
	struct dirent *d;
	bool found = false;
	DIR *dir;

	if (iptt_netns_has_iface(-1, ifname) == 1)
		return true;
	dir = opendir(NETNS_RUN_DIR);
	while (dir && !found && (d = readdir(dir))) {
		if (d->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), NETNS_RUN_DIR "/%s", d->d_name);
		found = check_ns_path(path, ifname, seen, &nseen, 1024);
	}
	if (dir)
		closedir(dir);
	dir = found ? NULL : opendir("/proc");
	while (dir && !found && (d = readdir(dir))) {
		if (d->d_name[0] < '1' || d->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/ns/net", d->d_name);
		found = check_ns_path(path, ifname, seen, &nseen, 1024);
	}
	if (dir)
		closedir(dir);
	return found;
}
