// SPDX-License-Identifier: GPL-2.0
/*
 * UDP flood for the lab benchmark (tests/lab/bench.py).
 *
 *   udpflood send DST PORT SPORT_BASE NFLOWS SECONDS [SIZE]
 *       Sends SIZE-byte datagrams (default 64) to DST:PORT as fast as the
 *       path allows for SECONDS, rotating over NFLOWS sockets bound to
 *       source ports SPORT_BASE .. SPORT_BASE+NFLOWS-1, one datagram per
 *       socket in turn, so each flow carries 1/NFLOWS of the packets.
 *       Prints "sent N errors E seconds S".
 *   udpflood sink PORT
 *       Receives on PORT (recvmmsg) until SIGINT/SIGTERM, then prints
 *       "received N".
 *
 * Blocking sends: on veth the whole forwarding path (router, server) runs
 * in the sender's softirq, so the send rate is the path's capacity.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_FLOWS	1024
#define BATCH		64

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	stop = 1;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int do_send(int argc, char **argv)
{
	static int fds[MAX_FLOWS];
	struct sockaddr_in dst = { .sin_family = AF_INET };
	unsigned long long sent = 0, errors = 0;
	int port, base, nflows, size = 64, i;
	double secs, t0, t1, end;
	char buf[2048];

	if (argc < 7)
		return 2;
	port = atoi(argv[3]);
	base = atoi(argv[4]);
	nflows = atoi(argv[5]);
	secs = atof(argv[6]);
	if (argc > 7)
		size = atoi(argv[7]);
	if (inet_pton(AF_INET, argv[2], &dst.sin_addr) != 1 || nflows < 1 ||
	    nflows > MAX_FLOWS || size < 1 || size > (int)sizeof(buf) || secs <= 0) {
		fprintf(stderr, "udpflood: bad arguments\n");
		return 2;
	}
	dst.sin_port = htons(port);
	memset(buf, 'x', sizeof(buf));
	for (i = 0; i < nflows; i++) {
		struct sockaddr_in src = { .sin_family = AF_INET,
					   .sin_port = htons(base + i) };
		int one = 1;

		fds[i] = socket(AF_INET, SOCK_DGRAM, 0);
		if (fds[i] < 0) {
			perror("udpflood: socket");
			return 1;
		}
		setsockopt(fds[i], SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(fds[i], (struct sockaddr *)&src, sizeof(src)) ||
		    connect(fds[i], (struct sockaddr *)&dst, sizeof(dst))) {
			perror("udpflood: bind/connect");
			return 1;
		}
	}
	t0 = now_s();
	end = t0 + secs;
	/* the clock (vDSO) is read before every datagram: a path slowed down
	 * to a few hundred packets per second must still stop on time */
	for (i = 0; now_s() < end && !stop; i = (i + 1) % nflows) {
		if (send(fds[i], buf, size, 0) == size)
			sent++;
		else
			errors++;
	}
	t1 = now_s();
	printf("sent %llu errors %llu seconds %.6f\n", sent, errors, t1 - t0);
	return 0;
}

static int do_sink(int argc, char **argv)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	static char bufs[BATCH][2048];
	struct mmsghdr msgs[BATCH];
	struct iovec iov[BATCH];
	struct sigaction sa = { .sa_handler = on_signal };
	unsigned long long got = 0;
	int fd, rcvbuf = 16 << 20, i, n;

	if (argc < 3)
		return 2;
	sigaction(SIGINT, &sa, NULL);	/* no SA_RESTART: recvmmsg returns EINTR */
	sigaction(SIGTERM, &sa, NULL);
	a.sin_port = htons(atoi(argv[2]));
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a))) {
		perror("udpflood: sink");
		return 1;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf));
	for (i = 0; i < BATCH; i++) {
		iov[i].iov_base = bufs[i];
		iov[i].iov_len = sizeof(bufs[i]);
		memset(&msgs[i], 0, sizeof(msgs[i]));
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
	}
	printf("ready\n");
	fflush(stdout);
	while (!stop) {
		n = recvmmsg(fd, msgs, BATCH, MSG_WAITFORONE, NULL);
		if (n > 0)
			got += n;
		else if (n < 0 && errno != EINTR)
			break;
	}
	printf("received %llu\n", got);
	return 0;
}

int main(int argc, char **argv)
{
	int ret = 2;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc > 1 && !strcmp(argv[1], "send"))
		ret = do_send(argc, argv);
	else if (argc > 1 && !strcmp(argv[1], "sink"))
		ret = do_sink(argc, argv);
	if (ret == 2)
		fprintf(stderr, "usage: udpflood send DST PORT SPORT_BASE NFLOWS SECONDS [SIZE]\n"
				"       udpflood sink PORT\n");
	return ret;
}
