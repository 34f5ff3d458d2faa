// SPDX-License-Identifier: GPL-2.0
/*
 * Taking a snapshot of a netns' nf_tables ruleset for the rule-text index
 * (nftrules.h): the listings, run inside the netns, and the ruleset
 * generation read before and after them (NFT_MSG_GETGEN, through libmnl
 * and libnftnl).
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nf_tables.h>

#include <libmnl/libmnl.h>
#include <libnftnl/common.h>
#include <libnftnl/gen.h>

#include "netns.h"
#include "nftrules.h"
#include "nftrules_int.h"

#define LIST_MAX	(256u << 20)	/* largest listing indexed */
#define SNAP_TRIES	3

struct gen_reply {
	uint32_t id;
	bool found;
};

/* The NFT_MSG_NEWGEN answer: its NFTA_GEN_ID, parsed by libnftnl. */
static int gen_cb(const struct nlmsghdr *nlh, void *data)
{
	struct gen_reply *r = data;
	struct nftnl_gen *g;
	int ret = MNL_CB_ERROR;

	if (nlh->nlmsg_type != ((NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_NEWGEN))
		return MNL_CB_ERROR;
	g = nftnl_gen_alloc();
	if (!g)
		return MNL_CB_ERROR;
	if (nftnl_gen_nlmsg_parse(nlh, g) == 0 &&
	    nftnl_gen_is_set(g, NFTNL_GEN_ID)) {
		r->id = nftnl_gen_get_u32(g, NFTNL_GEN_ID);
		r->found = true;
		ret = MNL_CB_STOP;	/* the one message we asked for */
	}
	nftnl_gen_free(g);
	return ret;
}

/* NFT_MSG_GETGEN in the current netns. */
static int getgen_here(unsigned int *gen)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct gen_reply r = { 0 };
	const uint32_t seq = 1;
	struct mnl_socket *nl;
	struct nlmsghdr *nlh;
	unsigned int portid;
	ssize_t n;
	int ret = -1;

	nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC);
	if (!nl)
		return -1;
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0)
		goto out;
	portid = mnl_socket_get_portid(nl);
	nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETGEN, AF_UNSPEC, 0, seq);
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) != (ssize_t)nlh->nlmsg_len)
		goto out;
	do
		n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
	while (n < 0 && errno == EINTR);
	/* an NLMSG_ERROR answer makes mnl_cb_run() fail */
	if (n < 0 || mnl_cb_run(buf, n, seq, portid, gen_cb, &r) < 0 || !r.found)
		goto out;
	*gen = r.id;
	ret = 0;
out:
	mnl_socket_close(nl);
	return ret;
}

int nft_ruleset_gen(int netns_fd, unsigned long long *gen)
{
	unsigned int g = 0;
	int pfd[2], status;
	ssize_t n;
	pid_t pid;

	*gen = 0;
	if (netns_fd < 0) {
		if (getgen_here(&g))
			return -1;
		*gen = g;
		return 0;
	}
	/* a netlink socket belongs to the netns it is opened in */
	if (pipe2(pfd, O_CLOEXEC))
		return -1;
	pid = fork();
	if (pid < 0) {
		close(pfd[0]);
		close(pfd[1]);
		return -1;
	}
	if (pid == 0) {
		if (setns(netns_fd, CLONE_NEWNET) || getgen_here(&g))
			_exit(1);
		_exit(write(pfd[1], &g, sizeof(g)) == sizeof(g) ? 0 : 1);
	}
	close(pfd[1]);
	do
		n = read(pfd[0], &g, sizeof(g));
	while (n < 0 && errno == EINTR);
	close(pfd[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (n != sizeof(g) || !WIFEXITED(status) || WEXITSTATUS(status))
		return -1;
	*gen = g;
	return 0;
}

#define TEXT_TABLES_MAX	4	/* more tables want text: list the ruleset */

struct listing {
	char *argv[8];
	char *out;
	size_t len;
	int st;
};

static void run(int netns_fd, struct listing *l)
{
	free(l->out);
	l->out = NULL;
	l->len = 0;
	l->st = iptt_netns_run(netns_fd, l->argv, &l->out, &l->len, LIST_MAX);
}

/* Append one listing's output to *buf.  -1: out of memory. */
static int append(char **buf, size_t *len, const struct listing *l)
{
	char *n;

	if (!l->len)
		return 0;
	if (l->len > LIST_MAX || *len > LIST_MAX)
		return -1;
	n = realloc(*buf, *len + l->len + 1);
	if (!n)
		return -1;
	memcpy(n + *len, l->out, l->len);
	*len += l->len;
	n[*len] = '\0';
	*buf = n;
	return 0;
}

/*
 * The native text of the tables that need it: nothing when the save tools
 * printed every table (an iptables-nft box), one "nft -a list table" per
 * table when a few do, the whole ruleset when more do or a table listing
 * fails (a name nft's parser does not take as a table name, say).
 */
static int native_text(int netns_fd, struct nft_index *ix)
{
	struct listing t = { .argv = { "nft", "-a", "list", "table" } };
	struct listing all = { .argv = { "nft", "-a", "list", "ruleset" } };
	const char *fam, *name;
	unsigned int i, want = 0;
	char *text = NULL;
	size_t len = 0;
	int r, ret = -1;

	for (i = 0; (r = nft_index_text_table(ix, i, &fam, &name)) >= 0; i++)
		want += r;
	if (!want)
		return nft_index_add_text(ix, NULL, 0);
	for (i = 0; want <= TEXT_TABLES_MAX &&
		    (r = nft_index_text_table(ix, i, &fam, &name)) >= 0; i++) {
		if (!r)
			continue;
		t.argv[4] = (char *)fam;
		t.argv[5] = (char *)name;
		run(netns_fd, &t);
		if (t.st != 0)
			break;
		if (append(&text, &len, &t))
			goto out;
	}
	if (want > TEXT_TABLES_MAX || t.st != 0) {
		len = 0;
		run(netns_fd, &all);
		if (append(&text, &len, &all))
			goto out;
	}
	ret = nft_index_add_text(ix, text, len);
out:
	free(t.out);
	free(all.out);
	free(text);
	return ret;
}

struct nft_index *nft_index_snapshot(int netns_fd, char *err, size_t errlen)
{
	struct listing l[3] = {
		{ .argv = { "nft", "-j", "-a", "list", "ruleset", NULL } },
		{ .argv = { "iptables-nft-save", NULL } },
		{ .argv = { "ip6tables-nft-save", NULL } },
	};
	unsigned long long g0 = 0, g1 = 0;
	struct nft_index *ix = NULL;
	bool have_gen = false;
	int try, i;

	if (errlen)
		err[0] = '\0';
	for (try = 0; try < SNAP_TRIES; try++) {
		nft_index_free(ix);
		ix = NULL;
		have_gen = !nft_ruleset_gen(netns_fd, &g0);
		for (i = 0; i < 3; i++)
			run(netns_fd, &l[i]);
		if (l[0].st != 0) {
			snprintf(err, errlen, "nft -j -a list ruleset %s",
				 l[0].st < 0 ? "could not run" : "failed");
			goto out;
		}
		/*
		 * A save tool that failed may still have printed complete
		 * tables before the one it choked on; rules_parse() drops the
		 * unfinished one.
		 */
		ix = nft_index_parse_listings(l[0].out, l[0].len, l[1].out,
					      l[1].len, l[2].out, l[2].len);
		if (!ix || native_text(netns_fd, ix)) {
			snprintf(err, errlen, "out of memory");
			nft_index_free(ix);
			ix = NULL;
			goto out;
		}
		/* without a generation there is nothing to compare */
		if (!have_gen || (!nft_ruleset_gen(netns_fd, &g1) && g0 == g1))
			break;
	}
	if (have_gen)
		nftix_set_gen(ix, g0);
out:
	for (i = 0; i < 3; i++)
		free(l[i].out);
	return ix;
}
