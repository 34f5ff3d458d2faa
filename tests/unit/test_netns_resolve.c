// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for user/netns_resolve.c: --netns pid:, docker: and cri: on the
 * host, with docker and crictl played by scripts in PATH that print what
 * the real ones print (docker inspect's array, crictl inspect[p] -o json
 * from containerd and CRI-O), and by a fake Docker API socket.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "netns_resolve.h"

static char dir[] = "/tmp/test_netns_resolve_XXXXXX";
static char *old_path;

static void script(const char *name, const char *body)
{
	char p[256];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	f = fopen(p, "w");
	assert_non_null(f);
	fprintf(f, "#!/bin/sh\n%s\n", body);
	fclose(f);
	chmod(p, 0755);
}

static int setup(void **state)
{
	if (!mkdtemp(dir))
		return -1;
	old_path = strdup(getenv("PATH"));
	setenv("PATH", dir, 1);		/* only our fakes (and no docker, no crictl) */
	setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock", 1);
	return 0;
}

static int teardown(void **state)
{
	char cmd[300];

	setenv("PATH", old_path, 1);
	free(old_path);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd);
}

static void test_not_a_spec(void **state)
{
	char path[300], err[300];

	assert_int_equal(iptt_netns_spec("web", path, sizeof(path), err, sizeof(err)), 0);
	assert_int_equal(iptt_netns_spec("/proc/1/ns/net", path, sizeof(path), err, sizeof(err)), 0);
	assert_int_equal(iptt_netns_spec("4026531840", path, sizeof(path), err, sizeof(err)), 0);
}

static void test_pid(void **state)
{
	char path[300], err[300], want[64], arg[32];

	snprintf(arg, sizeof(arg), "pid:%d", (int)getpid());
	snprintf(want, sizeof(want), "/proc/%d/ns/net", (int)getpid());
	assert_int_equal(iptt_netns_spec(arg, path, sizeof(path), err, sizeof(err)), 1);
	assert_string_equal(path, want);
	assert_int_equal(iptt_netns_spec("pid:", path, sizeof(path), err, sizeof(err)), -1);
	assert_int_equal(iptt_netns_spec("pid:-1", path, sizeof(path), err, sizeof(err)), -1);
	assert_int_equal(iptt_netns_spec("pid:12x", path, sizeof(path), err, sizeof(err)), -1);
	assert_int_equal(iptt_netns_spec("pid:999999999", path, sizeof(path), err, sizeof(err)), -1);
	assert_non_null(strstr(err, "no process 999999999"));
}

static void test_missing_runtimes(void **state)
{
	char path[300], err[300];

	assert_int_equal(iptt_netns_spec("docker:web", path, sizeof(path), err, sizeof(err)), -1);
	assert_non_null(strstr(err, "neither the docker command nor the Docker API socket /nonexistent/docker.sock"));
	assert_null(strchr(err, '\n'));
	assert_int_equal(iptt_netns_spec("cri:web", path, sizeof(path), err, sizeof(err)), -1);
	assert_non_null(strstr(err, "the crictl command is not here"));
	/* names that could be options or paths are refused before any runtime */
	assert_int_equal(iptt_netns_spec("docker:--help", path, sizeof(path), err, sizeof(err)), -1);
	assert_int_equal(iptt_netns_spec("docker:a/b", path, sizeof(path), err, sizeof(err)), -1);
	assert_int_equal(iptt_netns_spec("cri:", path, sizeof(path), err, sizeof(err)), -1);
}

static void test_docker_cli(void **state)
{
	char path[300], err[300], want[64], body[512];

	snprintf(body, sizeof(body),
		 "[ \"$1 $2 $3 $4\" = \"inspect --type container web\" ] || { echo 'Error: No such container' >&2; exit 1; }\n"
		 "echo '[{\"Id\":\"abc\",\"Name\":\"/web\",\"State\":{\"Status\":\"running\",\"Running\":true,\"Pid\":%d}}]'",
		 (int)getpid());
	script("docker", body);
	snprintf(want, sizeof(want), "/proc/%d/ns/net", (int)getpid());
	assert_int_equal(iptt_netns_spec("docker:web", path, sizeof(path), err, sizeof(err)), 1);
	assert_string_equal(path, want);
	assert_int_equal(iptt_netns_spec("docker:nope", path, sizeof(path), err, sizeof(err)), -1);
	assert_non_null(strstr(err, "'docker inspect nope' failed"));
	script("docker", "echo '[{\"State\":{\"Running\":false,\"Pid\":0}}]'");
	assert_int_equal(iptt_netns_spec("docker:web", path, sizeof(path), err, sizeof(err)), -1);
	assert_non_null(strstr(err, "not running"));
	unlink(strcat(strcpy(body, dir), "/docker"));
}

static void test_docker_json(void **state)
{
	char err[200];
	long pid;

	assert_int_equal(iptt_docker_pid("{\"State\":{\"Pid\":42}}", &pid, err, sizeof(err)), 0);
	assert_int_equal(pid, 42);
	assert_int_equal(iptt_docker_pid("[]", &pid, err, sizeof(err)), -1);
	assert_int_equal(iptt_docker_pid("[{\"State\":{}}]", &pid, err, sizeof(err)), -1);
	assert_int_equal(iptt_docker_pid("not json", &pid, err, sizeof(err)), -1);
}

/* A Docker API that knows one container, "web", with our pid. */
static int lfd;

static void *api(void *arg)
{
	char req[1024], resp[512], body[128];
	int c, i;
	ssize_t n;

	for (i = 0; i < 2; i++) {
		c = accept(lfd, NULL, NULL);
		if (c < 0)
			return NULL;
		n = read(c, req, sizeof(req) - 1);
		req[n > 0 ? n : 0] = '\0';
		snprintf(body, sizeof(body), "{\"Id\":\"abc\",\"State\":{\"Pid\":%d}}", (int)getpid());
		if (!strncmp(req, "GET /containers/web/json HTTP/1.0\r\n", 35))
			n = snprintf(resp, sizeof(resp), "HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n%s", body);
		else
			n = snprintf(resp, sizeof(resp), "HTTP/1.0 404 Not Found\r\n\r\n{\"message\":\"No such container\"}");
		if (write(c, resp, n) != n)
			break;
		close(c);
	}
	return NULL;
}

static void test_docker_socket(void **state)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char path[300], err[300], want[64], host[200];
	pthread_t t;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/docker.sock", dir);
	lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_int_equal(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(lfd, 2), 0);
	pthread_create(&t, NULL, api, NULL);
	snprintf(host, sizeof(host), "unix://%s", sa.sun_path);
	setenv("DOCKER_HOST", host, 1);
	snprintf(want, sizeof(want), "/proc/%d/ns/net", (int)getpid());
	assert_int_equal(iptt_netns_spec("docker:web", path, sizeof(path), err, sizeof(err)), 1);
	assert_string_equal(path, want);
	assert_int_equal(iptt_netns_spec("docker:other", path, sizeof(path), err, sizeof(err)), -1);
	assert_non_null(strstr(err, "no such container"));
	pthread_join(t, NULL);
	close(lfd);
	setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock", 1);
}

static void test_cri(void **state)
{
	char path[300], err[300], want[64], body[2048];

	/* containerd: inspectp has the pod's netns path in the runtime spec;
	 * a container found by name through crictl ps has info.pid */
	snprintf(body, sizeof(body),
		 "case \"$*\" in\n"
		 "'inspectp -o json 0123abcd') echo '{\"status\":{\"id\":\"0123abcd\"},\"info\":{\"pid\":1,\"runtimeSpec\":{\"linux\":{\"namespaces\":[{\"type\":\"pid\"},{\"type\":\"network\",\"path\":\"/var/run/netns/cni-1234\"}]}}}}';;\n"
		 "'pods -q --name ^web-pod$') echo 0123abcd;;\n"
		 "'pods -q --name ^twins$') printf 'aaa\\nbbb\\n';;\n"
		 "'ps -q --name ^app$') echo 99ff;;\n"
		 "'inspect -o json 99ff') echo '{\"status\":{\"id\":\"99ff\"},\"info\":{\"pid\":%d}}';;\n"
		 "*) echo 'not found' >&2; exit 1;;\n"
		 "esac", (int)getpid());
	script("crictl", body);
	assert_int_equal(iptt_netns_spec("cri:0123abcd", path, sizeof(path), err, sizeof(err)), 1);
	assert_string_equal(path, "/var/run/netns/cni-1234");
	assert_int_equal(iptt_netns_spec("cri:web-pod", path, sizeof(path), err, sizeof(err)), 1);
	assert_string_equal(path, "/var/run/netns/cni-1234");
	snprintf(want, sizeof(want), "/proc/%d/ns/net", (int)getpid());
	assert_int_equal(iptt_netns_spec("cri:app", path, sizeof(path), err, sizeof(err)), 1);
	assert_string_equal(path, want);
	assert_int_equal(iptt_netns_spec("cri:twins", path, sizeof(path), err, sizeof(err)), -1);
	assert_non_null(strstr(err, "more than one pod"));
	assert_int_equal(iptt_netns_spec("cri:ghost", path, sizeof(path), err, sizeof(err)), -1);
	assert_non_null(strstr(err, "crictl knows no pod or container"));
	assert_int_equal(iptt_cri_netns("{\"info\":{}}", path, sizeof(path), err, sizeof(err)), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_not_a_spec),
		cmocka_unit_test(test_pid),
		cmocka_unit_test(test_missing_runtimes),
		cmocka_unit_test(test_docker_cli),
		cmocka_unit_test(test_docker_json),
		cmocka_unit_test(test_docker_socket),
		cmocka_unit_test(test_cri),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
