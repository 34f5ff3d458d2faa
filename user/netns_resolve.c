// SPDX-License-Identifier: GPL-2.0
/*
 * --netns by process or container:
 *   pid:PID                 /proc/PID/ns/net
 *   docker:NAME|ID          the container's State.Pid, from `docker inspect`,
 *                           or, without the CLI, from the Docker API socket
 *                           (DOCKER_HOST=unix://..., else /var/run/docker.sock)
 *   cri:POD|CONTAINER       `crictl inspectp` / `crictl inspect` (ID or name):
 *                           the runtime spec's network namespace path, else
 *                           /proc/<info.pid>/ns/net
 * The result is a path that netns.c opens like any --netns PATH.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <jansson.h>
#include "netns.h"
#include "netns_resolve.h"

#define OUT_MAX		(4UL << 20)	/* a container's inspect output */

/* Whether prog is an executable file in PATH. */
static bool in_path(const char *prog)
{
	const char *p = getenv("PATH"), *colon;
	char file[4096];

	if (!p)
		p = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
	for (; *p; p = colon + 1) {
		colon = strchrnul(p, ':');
		snprintf(file, sizeof(file), "%.*s/%s", (int)(colon - p),
			 colon == p ? "." : p, prog);
		if (!access(file, X_OK))
			return true;
		if (!*colon)
			break;
	}
	return false;
}

/* A name or ID a runtime accepts: no spaces, quotes or slashes. */
static bool name_ok(const char *s)
{
	if (!*s || strlen(s) > 255 || *s == '-')
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || strchr("_.-", *s)))
			return false;
	return true;
}

static int pid_path(long pid, char *path, size_t len, const char *what,
		    char *err, size_t errlen)
{
	struct stat st;

	snprintf(path, len, "/proc/%ld/ns/net", pid);
	if (stat(path, &st)) {
		snprintf(err, errlen, "%s: no process %ld (%s)", what, pid,
			 strerror(errno));
		return -1;
	}
	return 1;
}

int iptt_docker_pid(const char *text, long *pid, char *err, size_t errlen)
{
	json_error_t je;
	json_t *root = json_loads(text, 0, &je), *o, *v;
	int ret = -1;

	if (!root) {
		snprintf(err, errlen, "cannot parse the container's JSON: %s", je.text);
		return -1;
	}
	o = json_is_array(root) ? json_array_get(root, 0) : root;
	if (json_is_array(root) && json_array_size(root) != 1)
		snprintf(err, errlen, "%zu containers match", json_array_size(root));
	else if (!(v = json_object_get(json_object_get(o, "State"), "Pid")) ||
		 !json_is_integer(v) || json_integer_value(v) < 0)
		snprintf(err, errlen, "no State.Pid in the container's JSON");
	else if (!(*pid = json_integer_value(v)))
		snprintf(err, errlen, "the container is not running");
	else
		ret = 0;
	json_decref(root);
	return ret;
}

int iptt_cri_netns(const char *text, char *path, size_t len, char *err,
		   size_t errlen)
{
	json_error_t je;
	json_t *root = json_loads(text, 0, &je), *info, *ns, *v;
	size_t i;
	int ret = -1;

	if (!root) {
		snprintf(err, errlen, "cannot parse crictl's JSON: %s", je.text);
		return -1;
	}
	info = json_object_get(root, "info");
	ns = json_object_get(json_object_get(json_object_get(info, "runtimeSpec"),
					     "linux"), "namespaces");
	for (i = 0; json_is_array(ns) && i < json_array_size(ns); i++) {
		json_t *n = json_array_get(ns, i);
		const char *type = json_string_value(json_object_get(n, "type"));
		const char *p = json_string_value(json_object_get(n, "path"));

		if (type && !strcmp(type, "network") && p && *p) {
			snprintf(path, len, "%s", p);
			ret = 1;
			goto out;
		}
	}
	v = json_object_get(info, "pid");
	if (json_is_integer(v) && json_integer_value(v) > 0) {
		snprintf(path, len, "/proc/%lld/ns/net",
			 (long long)json_integer_value(v));
		ret = 1;
	} else {
		snprintf(err, errlen, "crictl shows neither a network namespace path nor a pid (is it running?)");
	}
out:
	json_decref(root);
	return ret;
}

/* GET /containers/NAME/json over the Docker API's unix socket. */
static char *docker_api(const char *sock, const char *name, char *err,
			size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	size_t len = 0, cap = 65536;
	char req[512], *buf, *body;
	int fd, status = 0;
	ssize_t n;

	if (snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock) >=
	    (int)sizeof(sa.sun_path)) {
		snprintf(err, errlen, "docker socket path too long: %s", sock);
		return NULL;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		snprintf(err, errlen, "cannot connect to the Docker API at %s: %s (is dockerd running?)",
			 sock, strerror(errno));
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	n = snprintf(req, sizeof(req),
		     "GET /containers/%s/json HTTP/1.0\r\nHost: docker\r\n\r\n", name);
	if (write(fd, req, n) != n) {
		snprintf(err, errlen, "writing to %s: %s", sock, strerror(errno));
		close(fd);
		return NULL;
	}
	buf = malloc(cap + 1);
	while (buf) {
		if (len == cap) {
			char *nb = cap < OUT_MAX ? realloc(buf, (cap *= 2) + 1) : NULL;

			if (!nb) {
				free(buf);
				buf = NULL;
				break;
			}
			buf = nb;
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += n;
	}
	close(fd);
	if (!buf) {
		snprintf(err, errlen, "reading from %s: out of memory", sock);
		return NULL;
	}
	buf[len] = '\0';
	body = strstr(buf, "\r\n\r\n");
	if (sscanf(buf, "HTTP/%*s %d", &status) != 1 || !body) {
		snprintf(err, errlen, "no HTTP answer from %s", sock);
		free(buf);
		return NULL;
	}
	if (status != 200) {
		snprintf(err, errlen, status == 404 ? "no such container" :
			 "the Docker API answered HTTP %d", status);
		free(buf);
		return NULL;
	}
	memmove(buf, body + 4, strlen(body + 4) + 1);
	return buf;
}

static int docker(const char *name, char *path, size_t len, char *err,
		  size_t errlen)
{
	char *argv[] = { "docker", "inspect", "--type", "container", (char *)name, NULL };
	char e2[256], *out = NULL;
	const char *host = getenv("DOCKER_HOST"), *sock = "/var/run/docker.sock";
	size_t outlen;
	long pid;
	int st;

	if (!name_ok(name)) {
		snprintf(err, errlen, "--netns docker:%s: not a container name or ID", name);
		return -1;
	}
	if (host && !strncmp(host, "unix://", 7))
		sock = host + 7;
	if (in_path("docker")) {
		st = iptt_netns_run(-1, argv, &out, &outlen, OUT_MAX);
		if (st != 0) {
			snprintf(err, errlen, "--netns docker:%s: 'docker inspect %s' failed (exit %d): no such container, or dockerd is not running",
				 name, name, st);
			free(out);
			return -1;
		}
	} else if (access(sock, F_OK) == 0) {
		out = docker_api(sock, name, e2, sizeof(e2));
		if (!out) {
			snprintf(err, errlen, "--netns docker:%s: %s", name, e2);
			return -1;
		}
	} else {
		snprintf(err, errlen, "--netns docker:%s: neither the docker command nor the Docker API socket %s is here (is Docker installed?)",
			 name, sock);
		return -1;
	}
	if (iptt_docker_pid(out, &pid, e2, sizeof(e2))) {
		snprintf(err, errlen, "--netns docker:%s: %s", name, e2);
		free(out);
		return -1;
	}
	free(out);
	snprintf(e2, sizeof(e2), "--netns docker:%s (pid %ld)", name, pid);
	return pid_path(pid, path, len, e2, err, errlen);
}

/* crictl's output of argv, if it exits 0 with something on stdout. */
static char *crictl(char *const argv[])
{
	char *out = NULL;
	size_t outlen;

	if (iptt_netns_run(-1, argv, &out, &outlen, OUT_MAX) == 0 && out) {
		while (outlen && (out[outlen - 1] == '\n' || out[outlen - 1] == ' '))
			out[--outlen] = '\0';
		if (outlen)
			return out;
	}
	free(out);
	return NULL;
}

static int cri(const char *name, char *path, size_t len, char *err,
	       size_t errlen)
{
	/* an ID (or unique prefix) first, then a name: exact, as a regex */
	static const char *const inspect[] = { "inspectp", "inspect" };
	static const char *const list[] = { "pods", "ps" };
	char e2[256], anchored[300], *out, *id;
	int i, r;

	if (!name_ok(name)) {
		snprintf(err, errlen, "--netns cri:%s: not a pod or container name or ID", name);
		return -1;
	}
	if (!in_path("crictl")) {
		snprintf(err, errlen, "--netns cri:%s: the crictl command is not here (install cri-tools and point it at the runtime's socket)",
			 name);
		return -1;
	}
	snprintf(anchored, sizeof(anchored), "^%s$", name);
	for (i = 0; i < 2; i++) {
		char *a1[] = { "crictl", (char *)inspect[i], "-o", "json", (char *)name, NULL };
		char *a2[] = { "crictl", (char *)list[i], "-q", "--name", anchored, NULL };

		out = crictl(a1);
		if (!out && (id = crictl(a2))) {
			if (strchr(id, '\n')) {
				snprintf(err, errlen, "--netns cri:%s: more than one %s has that name",
					 name, i ? "container" : "pod");
				free(id);
				return -1;
			}
			a1[4] = id;
			out = crictl(a1);
			free(id);
		}
		if (!out)
			continue;
		r = iptt_cri_netns(out, path, len, e2, sizeof(e2));
		free(out);
		if (r < 0) {
			snprintf(err, errlen, "--netns cri:%s: %s", name, e2);
			return -1;
		}
		return 1;
	}
	snprintf(err, errlen, "--netns cri:%s: crictl knows no pod or container by that ID or name (or cannot reach the runtime)",
		 name);
	return -1;
}

int iptt_netns_spec(const char *arg, char *path, size_t len, char *err,
		    size_t errlen)
{
	char *end, what[64];
	long pid;

	if (!strncmp(arg, "pid:", 4)) {
		errno = 0;
		pid = strtol(arg + 4, &end, 10);
		if (errno || *end || end == arg + 4 || pid <= 0 || arg[4] < '0' || arg[4] > '9') {
			snprintf(err, errlen, "--netns %s: pid: wants a process ID", arg);
			return -1;
		}
		snprintf(what, sizeof(what), "--netns %s", arg);
		return pid_path(pid, path, len, what, err, errlen);
	}
	if (!strncmp(arg, "docker:", 7))
		return docker(arg + 7, path, len, err, errlen);
	if (!strncmp(arg, "cri:", 4))
		return cri(arg + 4, path, len, err, errlen);
	return 0;
}
