// SPDX-License-Identifier: GPL-2.0
/*
 * Userspace ends of the two "-j TRACE" anchors of the lab benchmark
 * (tests/lab/bench.py): they read what the kernel's own TRACE path delivers
 * and count it, so ipttrace can be compared with them.
 *
 *   nflog_reader [-p] [READY_FILE]
 *       nfnetlink_log: binds log group 0 for AF_INET (where TRACE lines go
 *       when net.netfilter.nf_log.2=nfnetlink_log), copies 64 bytes of each
 *       packet (-p: metadata only), and counts messages whose prefix starts
 *       with "TRACE:".  Run it in the namespace whose logger is bound.
 *   nflog_reader --kmsg [READY_FILE]
 *       The kernel log: reads /dev/kmsg from its current end and counts
 *       records holding "TRACE: "; records overwritten before they were read
 *       (EPIPE, sequence gaps) are counted as missed.
 *
 * Both create READY_FILE once listening, and at SIGINT/SIGTERM print one line
 *   "messages N trace T lost L errors E"
 * (nflog: L counts ENOBUFS, i.e. socket overruns, not messages; kmsg: L is
 * the number of records missed) and exit 0.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>
#include <libnetfilter_log/libnetfilter_log.h>

static volatile sig_atomic_t stop;
static unsigned long long messages, traces, lost, errors;

static void on_signal(int sig)
{
	stop = 1;
}

static void report(void)
{
	printf("messages %llu trace %llu lost %llu errors %llu\n",
	       messages, traces, lost, errors);
	fflush(stdout);
}

static int ready(const char *path)
{
	int fd;

	if (!path)
		return 0;
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0) {
		perror("nflog_reader: ready file");
		return -1;
	}
	close(fd);
	return 0;
}

static int on_log(struct nflog_g_handle *gh, struct nfgenmsg *nfmsg,
		  struct nflog_data *nfa, void *data)
{
	const char *prefix = nflog_get_prefix(nfa);

	messages++;
	if (prefix && !strncmp(prefix, "TRACE:", 6))
		traces++;
	return 0;
}

static int run_nflog(bool meta_only, const char *ready_path)
{
	static char buf[1 << 17];
	struct nflog_handle *h;
	struct nflog_g_handle *gh;
	int fd, rcvbuf = 32 << 20;
	ssize_t n;

	h = nflog_open();
	if (!h) {
		perror("nflog_reader: nflog_open");
		return 1;
	}
	/* pre-3.17 kernels need the family bound; newer ones ignore it */
	nflog_unbind_pf(h, AF_INET);
	if (nflog_bind_pf(h, AF_INET) < 0) {
		perror("nflog_reader: nflog_bind_pf");
		return 1;
	}
	gh = nflog_bind_group(h, 0);
	if (!gh) {
		perror("nflog_reader: nflog_bind_group 0");
		return 1;
	}
	if (nflog_set_mode(gh, meta_only ? NFULNL_COPY_META : NFULNL_COPY_PACKET, 64) < 0) {
		perror("nflog_reader: nflog_set_mode");
		return 1;
	}
	/* batch like a tuned ulogd: big netlink messages, flushed every 100 ms */
	nflog_set_nlbufsiz(gh, 1 << 16);
	nflog_set_qthresh(gh, 1000);
	nflog_set_timeout(gh, 10);
	nflog_callback_register(gh, on_log, NULL);
	fd = nflog_fd(h);
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)))
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	if (ready(ready_path))
		return 1;
	while (!stop) {
		n = recv(fd, buf, sizeof(buf), 0);
		if (n > 0) {
			nflog_handle_packet(h, buf, n);
		} else if (n < 0 && errno == ENOBUFS) {
			lost++;
		} else if (n < 0 && errno != EINTR) {
			errors++;
			if (errors > 1000)
				break;
		}
	}
	report();
	nflog_unbind_group(gh);
	nflog_close(h);
	return 0;
}

static int run_kmsg(const char *ready_path)
{
	static char rec[8192];
	unsigned long long seq, expect = 0;
	bool have = false;
	ssize_t n;
	int fd;

	fd = open("/dev/kmsg", O_RDONLY);
	if (fd < 0) {
		perror("nflog_reader: /dev/kmsg");
		return 1;
	}
	lseek(fd, 0, SEEK_END);		/* only what is logged from now on */
	if (ready(ready_path))
		return 1;
	while (!stop) {
		n = read(fd, rec, sizeof(rec) - 1);
		if (n < 0) {
			if (errno == EPIPE)	/* overwritten: the gap shows how many */
				continue;
			if (errno != EINTR)
				errors++;
			if (errors > 1000)
				break;
			continue;
		}
		rec[n] = '\0';
		/* "prio,seq,usec,flags;text" */
		if (sscanf(rec, "%*u,%llu,", &seq) == 1) {
			if (have && seq > expect)
				lost += seq - expect;
			expect = seq + 1;
			have = true;
		}
		messages++;
		if (strstr(rec, ";TRACE: "))
			traces++;
	}
	report();
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_signal };	/* no SA_RESTART */
	bool kmsg = false, meta = false;
	const char *ready_path = NULL;
	int i;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--kmsg"))
			kmsg = true;
		else if (!strcmp(argv[i], "-p"))
			meta = true;
		else if (argv[i][0] == '-') {
			fprintf(stderr, "usage: nflog_reader [-p | --kmsg] [READY_FILE]\n");
			return 2;
		} else {
			ready_path = argv[i];
		}
	}
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	return kmsg ? run_kmsg(ready_path) : run_nflog(meta, ready_path);
}
