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
 *       The kernel log: writes a start record to /dev/kmsg, reads from it on
 *       and counts records holding "TRACE: "; records overwritten before they
 *       were read (EPIPE, sequence gaps) are counted as lost.  It stops by
 *       itself at a record holding "nflog_reader: stop" (write one to
 *       /dev/kmsg), so that nothing logged before that goes uncounted.
 *
 * Both create READY_FILE once listening, and at SIGINT/SIGTERM (nflog: after
 * reading what is already queued) print one line
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
	/*
	 * The kernel's batching defaults stay (100 messages or a page-sized
	 * netlink message, 1 s flush), as ulogd's do: in the lab a 64 KiB
	 * nlbufsiz made every message cost 20 times more, not less.
	 */
	nflog_callback_register(gh, on_log, NULL);
	fd = nflog_fd(h);
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)))
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	if (ready(ready_path))
		return 1;
	for (;;) {
		/* once told to stop, read what is queued, then leave */
		n = recv(fd, buf, sizeof(buf), stop ? MSG_DONTWAIT : 0);
		if (n > 0) {
			nflog_handle_packet(h, buf, n);
		} else if (n < 0 && errno == ENOBUFS) {
			lost++;
		} else if (n < 0 && errno == EINTR) {
			continue;
		} else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			break;
		} else {
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

#define KMSG_START	"nflog_reader: start"
#define KMSG_STOP	"nflog_reader: stop"

/* one /dev/kmsg record: "prio,seq,usec,flags;text\n[continuation lines]" */
static int kmsg_read(int fd, char *rec, size_t len, unsigned long long *seq)
{
	ssize_t n = read(fd, rec, len - 1);

	if (n < 0)
		return -errno;
	rec[n] = '\0';
	if (sscanf(rec, "%*u,%llu,", seq) != 1)
		return -EINVAL;
	return 0;
}

static int run_kmsg(const char *ready_path)
{
	static char rec[8192];
	unsigned long long seq, expect;
	int fd, err;

	fd = open("/dev/kmsg", O_RDWR);
	if (fd < 0) {
		perror("nflog_reader: /dev/kmsg");
		return 1;
	}
	lseek(fd, 0, SEEK_END);		/* only what is logged from now on */
	/* our own record fixes the sequence number counting starts from */
	if (write(fd, KMSG_START "\n", sizeof(KMSG_START)) < 0) {
		perror("nflog_reader: writing /dev/kmsg");
		return 1;
	}
	for (;;) {
		err = kmsg_read(fd, rec, sizeof(rec), &seq);
		if (err == -EPIPE || err == -EINVAL)
			continue;
		if (err) {
			fprintf(stderr, "nflog_reader: reading /dev/kmsg: %s\n", strerror(-err));
			return 1;
		}
		if (strstr(rec, KMSG_START))
			break;
	}
	expect = seq + 1;
	if (ready(ready_path))
		return 1;
	while (!stop) {
		err = kmsg_read(fd, rec, sizeof(rec), &seq);
		if (err == -EPIPE || err == -EINTR)	/* overwritten: the gap counts it */
			continue;
		if (err) {
			if (++errors > 1000)
				break;
			continue;
		}
		if (seq > expect)
			lost += seq - expect;
		expect = seq + 1;
		if (strstr(rec, KMSG_STOP))
			break;
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
