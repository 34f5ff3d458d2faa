// SPDX-License-Identifier: GPL-2.0
/*
 * ipttrace.ko from userspace: find the file built for the running kernel,
 * load it with finit_module(2), open /dev/ipttrace, and undo all of that.
 * Errors are turned into one line that says what to do about them.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "kmod.h"

#define DEV_PATH	"/dev/" IPTT_DEV_NAME
/* what ipttrace.ko checks at open and at enable (kmod/main.c) */
#define IPTT_KMOD_EPERM	"tracing needs CAP_SYS_ADMIN, or CAP_NET_ADMIN with CAP_PERFMON (run as root)"
#define MODULE_NAME	"ipttrace"

static bool module_loaded(void)
{
	return access("/sys/module/" MODULE_NAME, F_OK) == 0;
}

int iptt_kmod_candidates(const char *exe_dir, const char *rel,
			 char paths[][4096], int max)
{
	int n = 0;

	if (exe_dir && n < max)
		snprintf(paths[n++], 4096, "%s/kmod/%s/ipttrace.ko", exe_dir, rel);
	if (exe_dir && n < max)
		snprintf(paths[n++], 4096, "%s/../lib/ipttrace/kmod/%s/ipttrace.ko",
			 exe_dir, rel);
	if (n < max)
		snprintf(paths[n++], 4096, "/lib/modules/%s/updates/dkms/ipttrace.ko",
			 rel);
	if (n < max)
		snprintf(paths[n++], 4096, "/lib/modules/%s/extra/ipttrace.ko", rel);
	return n;
}

static int find_module(char *out, size_t len, const char *rel)
{
	char exe[PATH_MAX], paths[IPTT_KMOD_MAX_CANDIDATES][4096], *slash;
	ssize_t n;
	int i, cnt;

	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n < 0)
		n = 0;
	exe[n] = '\0';
	slash = strrchr(exe, '/');
	if (slash)
		*slash = '\0';
	cnt = iptt_kmod_candidates(n ? exe : NULL, rel, paths,
				   IPTT_KMOD_MAX_CANDIDATES);
	for (i = 0; i < cnt; i++) {
		if (access(paths[i], R_OK) == 0) {
			snprintf(out, len, "%.*s", (int)len - 1, paths[i]);
			return 0;
		}
	}
	return -1;
}

/*
 * No file of ours: let modprobe find one through modules.dep (a DKMS
 * build, possibly compressed).  0 when the module is loaded afterwards.
 */
static int modprobe_module(int verbose)
{
	int status;
	pid_t pid;

	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		int devnull = open("/dev/null", O_RDWR);

		if (devnull >= 0 && !verbose)
			dup2(devnull, 2);
		setenv("PATH", "/usr/sbin:/sbin:/usr/bin:/bin", 1);
		execlp("modprobe", "modprobe", "-q", MODULE_NAME, (char *)NULL);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		return -1;
	return module_loaded() ? 0 : -1;
}

static void explain_load_error(int err, const char *path, const char *rel)
{
	switch (err) {
	case EPERM:
	case EACCES:
	case EKEYREJECTED:
		fprintf(stderr,
			"ipttrace: the kernel refused to load %s (%s): module loading is locked down (Secure Boot lockdown, kernel.modules_disabled=1 or signature enforcement); sign the module, or use 'ipttrace --latency', which needs no module\n",
			path, strerror(err));
		break;
	case ENOSYS:
		fprintf(stderr,
			"ipttrace: this kernel cannot load modules (CONFIG_MODULES off); use 'ipttrace --latency', which needs no module\n");
		break;
	case ENOEXEC:
	case EINVAL:
		fprintf(stderr,
			"ipttrace: %s was not built for this kernel (%s): rebuild it with 'make kmod'\n",
			path, rel);
		break;
	case ENOENT:
		fprintf(stderr,
			"ipttrace: %s needs a kernel symbol this kernel lacks: rebuild it with 'make kmod' against this kernel's headers\n",
			path);
		break;
	default:
		fprintf(stderr, "ipttrace: loading %s failed: %s\n", path,
			strerror(err));
	}
}

static int load_module(const char *path, const char *rel)
{
	int fd, ret;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "ipttrace: cannot open %s: %s\n", path,
			strerror(errno));
		return -1;
	}
	ret = syscall(SYS_finit_module, fd, "", 0);
	if (ret && errno == EEXIST)
		ret = 0;	/* raced with another loader: fine */
	else if (ret)
		explain_load_error(errno, path, rel);
	close(fd);
	return ret ? -1 : 0;
}

static void unload_module(void)
{
	int i;

	/* the device release may still be running: retry briefly */
	for (i = 0; i < 50; i++) {
		if (!syscall(SYS_delete_module, MODULE_NAME, O_NONBLOCK))
			return;
		if (errno != EAGAIN && errno != EBUSY && errno != EWOULDBLOCK)
			break;
		nanosleep(&(struct timespec){ .tv_nsec = 20000000 }, NULL);
	}
	if (errno != ENOENT)
		fprintf(stderr, "ipttrace: cannot unload ipttrace.ko: %s\n",
			strerror(errno));
}

/* devtmpfs makes the node; without it, make one from /sys/class/misc */
static int open_device(void)
{
	char buf[32];
	unsigned int maj, min;
	int fd, i;
	FILE *f;

	for (i = 0; i < 100; i++) {
		fd = open(DEV_PATH, O_RDWR | O_CLOEXEC);
		if (fd >= 0 || errno != ENOENT)
			return fd;
		f = fopen("/sys/class/misc/" IPTT_DEV_NAME "/dev", "r");
		if (f) {
			if (fgets(buf, sizeof(buf), f) &&
			    sscanf(buf, "%u:%u", &maj, &min) == 2)
				mknod(DEV_PATH, S_IFCHR | 0600, makedev(maj, min));
			fclose(f);
		}
		nanosleep(&(struct timespec){ .tv_nsec = 10000000 }, NULL);
	}
	errno = ENOENT;
	return -1;
}

int iptt_kmod_open(struct iptt_kmod *km, const char *path, int verbose)
{
	char found[PATH_MAX];
	struct utsname u;

	km->fd = -1;
	km->loaded_by_us = false;
	uname(&u);

	if (!module_loaded()) {
		if (!path) {
			if (find_module(found, sizeof(found), u.release) == 0) {
				path = found;
			} else if (modprobe_module(verbose) == 0) {
				if (verbose)
					fprintf(stderr, "ipttrace: loaded ipttrace.ko with modprobe\n");
			} else {
				fprintf(stderr,
					"ipttrace: no ipttrace.ko built for kernel %s: install ipttrace-dkms and linux-headers-%s, or run 'make kmod' in a checkout, or pass --kmod PATH ('ipttrace --doctor' tells more)\n",
					u.release, u.release);
				return -1;
			}
		}
		if (path) {
			if (verbose)
				fprintf(stderr, "ipttrace: loading %s\n", path);
			if (load_module(path, u.release))
				return -1;
		}
		km->loaded_by_us = true;
	} else if (verbose) {
		fprintf(stderr, "ipttrace: ipttrace.ko already loaded\n");
	}

	km->fd = open_device();
	if (km->fd < 0) {
		if (errno == EBUSY)
			fprintf(stderr,
				"ipttrace: another ipttrace is already tracing (%s is held open); stop it first\n",
				DEV_PATH);
		else if (errno == EPERM)
			fprintf(stderr, "ipttrace: %s\n", IPTT_KMOD_EPERM);
		else
			fprintf(stderr, "ipttrace: cannot open %s: %s\n",
				DEV_PATH, strerror(errno));
		iptt_kmod_close(km);
		return -1;
	}
	return 0;
}

int iptt_kmod_configure(struct iptt_kmod *km, const struct iptt_config *cfg)
{
	if (ioctl(km->fd, IPTT_IOC_SET_CONFIG, cfg)) {
		if (errno == EINVAL)
			fprintf(stderr,
				"ipttrace: the kernel rejected the compiled filter or the configuration\n");
		else if (errno == ERANGE)
			fprintf(stderr,
				"ipttrace: ipttrace.ko refuses --rate above %u packets/s\n",
				IPTT_RATE_MAX);
		else
			fprintf(stderr, "ipttrace: configuring ipttrace.ko: %s\n",
				strerror(errno));
		return -1;
	}
	return 0;
}

int iptt_kmod_enable(struct iptt_kmod *km)
{
	if (ioctl(km->fd, IPTT_IOC_ENABLE)) {
		if (errno == EPERM)
			fprintf(stderr, "ipttrace: %s\n", IPTT_KMOD_EPERM);
		else
			fprintf(stderr, "ipttrace: enabling tracing: %s (see dmesg)\n",
				strerror(errno));
		return -1;
	}
	return 0;
}

/* Stop selecting; the counters stay readable until the next enable. */
int iptt_kmod_disable(struct iptt_kmod *km)
{
	if (km->fd < 0)
		return -1;
	return ioctl(km->fd, IPTT_IOC_DISABLE);
}

int iptt_kmod_stats(struct iptt_kmod *km, struct iptt_stats *st)
{
	if (km->fd < 0)
		return -1;
	return ioctl(km->fd, IPTT_IOC_GET_STATS, st);
}

void iptt_kmod_close(struct iptt_kmod *km)
{
	if (km->fd >= 0) {
		ioctl(km->fd, IPTT_IOC_DISABLE);
		close(km->fd);
		km->fd = -1;
	}
	if (km->loaded_by_us) {
		unload_module();
		km->loaded_by_us = false;
	}
}
