// SPDX-License-Identifier: GPL-2.0
/*
 * A small pcapng writer (https://www.ietf.org/archive/id/draft-ietf-opsawg-pcapng-02.html):
 * a Section Header Block, an Interface Description Block per interface seen
 * (LINKTYPE_RAW: the bytes start at the IP header, as the BPF side copies
 * them), and an Enhanced Packet Block per traced packet with its trace in
 * opt_comment and its direction in epb_flags.
 *
 * Why not libpcap: pcap_dump_open() writes the old pcap format, which has
 * no comments; Debian 12's libpcap (1.10.3) has no API to write pcapng at
 * all (pcap_ng_dump_* exist only in Apple's fork).  The comment is the point
 * of this output, so the few blocks are written here; tshark, capinfos and
 * Wireshark are the judges (tests/unit/test_pcapng.c, tests/lab/t70).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "ipttrace.h"
#include "pcapng.h"

#define BT_SHB		0x0A0D0D0A
#define BT_IDB		0x00000001
#define BT_EPB		0x00000006
#define BYTE_ORDER_MAGIC 0x1A2B3C4D

#define OPT_ENDOFOPT	0
#define OPT_COMMENT	1
#define SHB_USERAPPL	4
#define IF_NAME		2
#define IF_DESCRIPTION	3
#define IF_TSRESOL	9
#define EPB_FLAGS	2

#define OPT_MAX		65532	/* an option's length is 16 bits; keep 4-aligned */

struct blk {
	unsigned char *p;
	size_t len, cap;
};

static int put(struct blk *b, const void *d, size_t n)
{
	if (b->len + n + 3 > b->cap) {
		size_t cap = (b->cap ? b->cap * 2 : 256) + n + 3;
		unsigned char *p = realloc(b->p, cap);

		if (!p)
			return -1;
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, d, n);
	b->len += n;
	while (b->len & 3)	/* every field ends 32-bit aligned */
		b->p[b->len++] = 0;
	return 0;
}

static int put32(struct blk *b, uint32_t v)
{
	return put(b, &v, 4);
}

static int put_opt(struct blk *b, uint16_t code, const void *d, size_t n)
{
	uint16_t h[2] = { code, (uint16_t)n };

	if (n > OPT_MAX)
		return -1;
	return put(b, h, 4) || (n && put(b, d, n)) ? -1 : 0;
}

/* Begin a block: type and a placeholder for the length. */
static int blk_begin(struct blk *b, uint32_t type)
{
	b->len = 0;
	return put32(b, type) || put32(b, 0);
}

/* Close it: opt_endofopt if options were added, the length twice, write. */
static int blk_end(struct blk *b, FILE *f, bool opts)
{
	uint32_t total;

	if (opts && put_opt(b, OPT_ENDOFOPT, NULL, 0))
		return -1;
	total = b->len + 4;
	if (put32(b, total))
		return -1;
	memcpy(b->p + 4, &total, 4);
	return fwrite(b->p, 1, b->len, f) == b->len ? 0 : -1;
}

int iptt_pcapng_begin(struct iptt_pcapng *w, FILE *f, unsigned int snaplen,
		      const char *appl)
{
	struct blk b = { 0 };
	uint16_t ver[2] = { 1, 0 };
	int64_t section_len = -1;	/* not known: we write as we go */
	int err;

	memset(w, 0, sizeof(*w));
	w->f = f;
	w->snaplen = snaplen;
	err = blk_begin(&b, BT_SHB) || put32(&b, BYTE_ORDER_MAGIC) ||
	      put(&b, ver, 4) || put(&b, &section_len, 8) ||
	      (appl && put_opt(&b, SHB_USERAPPL, appl, strlen(appl))) ||
	      blk_end(&b, f, appl != NULL);
	free(b.p);
	return err ? -1 : 0;
}

static int interface(struct iptt_pcapng *w, unsigned int netns,
		     const char *ifname)
{
	struct iptt_pcapng_if *ifs;
	struct blk b = { 0 };
	uint16_t lt[2] = { IPTT_LINKTYPE_RAW, 0 };
	unsigned char tsresol = 9;	/* nanoseconds */
	char desc[64];
	unsigned int i;
	int err;

	for (i = 0; i < w->nifs; i++)
		if (w->ifs[i].netns == netns && !strcmp(w->ifs[i].name, ifname))
			return i;
	ifs = realloc(w->ifs, (w->nifs + 1) * sizeof(*ifs));
	if (!ifs)
		return -1;
	w->ifs = ifs;
	snprintf(desc, sizeof(desc), "%s in netns %u (ipttrace, from the IP header)",
		 ifname, netns);
	err = blk_begin(&b, BT_IDB) || put(&b, lt, 4) || put32(&b, w->snaplen) ||
	      put_opt(&b, IF_NAME, ifname, strlen(ifname)) ||
	      put_opt(&b, IF_DESCRIPTION, desc, strlen(desc)) ||
	      put_opt(&b, IF_TSRESOL, &tsresol, 1) ||
	      blk_end(&b, w->f, true);
	free(b.p);
	if (err)
		return -1;
	ifs[w->nifs].netns = netns;
	snprintf(ifs[w->nifs].name, sizeof(ifs[w->nifs].name), "%s", ifname);
	return w->nifs++;
}

int iptt_pcapng_packet(struct iptt_pcapng *w, unsigned int netns,
		       const char *ifname, unsigned long long time_ns,
		       const void *data, unsigned int caplen, unsigned int len,
		       unsigned int dir, const char *comment)
{
	struct blk b = { 0 };
	uint32_t flags = dir & 3;
	size_t clen = comment ? strlen(comment) : 0;
	int ifid = interface(w, netns, ifname && *ifname ? ifname : "-");
	bool opts = flags || clen;
	int err;

	if (ifid < 0)
		return -1;
	if (clen > OPT_MAX) {
		clen = OPT_MAX;
		while (clen && ((unsigned char)comment[clen] & 0xc0) == 0x80)
			clen--;		/* not in the middle of a UTF-8 sequence */
	}
	if (len < caplen)
		len = caplen;
	err = blk_begin(&b, BT_EPB) || put32(&b, ifid) ||
	      put32(&b, time_ns >> 32) || put32(&b, (uint32_t)time_ns) ||
	      put32(&b, caplen) || put32(&b, len) || put(&b, data, caplen) ||
	      (clen && put_opt(&b, OPT_COMMENT, comment, clen)) ||
	      (flags && put_opt(&b, EPB_FLAGS, &flags, 4)) ||
	      blk_end(&b, w->f, opts);
	free(b.p);
	return err ? -1 : 0;
}

void iptt_pcapng_end(struct iptt_pcapng *w)
{
	free(w->ifs);
	w->ifs = NULL;
	w->nifs = 0;
}

/* ---- trace mode ---- */

#define MAX_PENDING	4096	/* like output.c's groups in flight */

static struct iptt_pcapng pw;
static bool active;
static struct iptt_packet_bytes *pending;
static unsigned int npending;
static unsigned long long written, errors;

int iptt_pcap_open(const char *path, unsigned int snaplen)
{
	FILE *f;
	int fd;

	if (!strcmp(path, "-")) {
		/* the packets get stdout; the rest of what ipttrace prints
		 * there goes to stderr */
		fflush(stdout);
		fd = dup(STDOUT_FILENO);
		if (fd < 0 || dup2(STDERR_FILENO, STDOUT_FILENO) < 0 ||
		    !(f = fdopen(fd, "wb"))) {
			fprintf(stderr, "ipttrace: -w -: %s\n", strerror(errno));
			return -1;
		}
	} else if (!(f = fopen(path, "wbe"))) {
		fprintf(stderr, "ipttrace: cannot create %s: %s\n", path,
			strerror(errno));
		return -1;
	}
	pending = calloc(MAX_PENDING, sizeof(*pending));
	if (!pending || iptt_pcapng_begin(&pw, f, snaplen, "ipttrace " IPTT_VERSION) ||
	    fflush(f)) {
		fprintf(stderr, "ipttrace: writing %s: %s\n", path, strerror(errno));
		fclose(f);
		free(pending);
		pending = NULL;
		return -1;
	}
	active = true;
	return 0;
}

bool iptt_pcap_active(void)
{
	return active;
}

void iptt_pcap_bytes(const void *data, size_t len)
{
	const struct iptt_packet_bytes *e = data;

	if (!active || len < offsetof(struct iptt_packet_bytes, data) ||
	    e->caplen > IPTT_SNAP_MAX ||
	    len < offsetof(struct iptt_packet_bytes, data) + e->caplen)
		return;
	if (npending == MAX_PENDING) {	/* the oldest never got its packet */
		memmove(pending, pending + 1, --npending * sizeof(*pending));
		errors++;
	}
	memcpy(&pending[npending++], e,
	       offsetof(struct iptt_packet_bytes, data) + e->caplen);
}

void iptt_pcap_packet(unsigned long long id, long long mono_to_real_ns,
		      unsigned int netns, const char *in, const char *out,
		      const char *comment)
{
	struct iptt_packet_bytes *e = NULL;
	unsigned int i, dir;
	const char *ifname;

	if (!active)
		return;
	for (i = npending; i-- > 0;)
		if (pending[i].hdr.id == id) {
			e = &pending[i];
			break;
		}
	if (!e)
		return;		/* its bytes were lost, or it was not selected */
	/* selected at PRE_ROUTING (inbound) or LOCAL_OUT (outbound) */
	dir = e->hook == 0 ? 1 : e->hook == 3 ? 2 : 0;
	ifname = dir == 2 ? out : in;
	if (!ifname || !*ifname)
		ifname = in && *in ? in : out;
	if (iptt_pcapng_packet(&pw, netns, ifname,
			       e->hdr.time_ns + mono_to_real_ns, e->data,
			       e->caplen, e->len, dir, comment) ||
	    fflush(pw.f)) {
		if (!errors++)
			fprintf(stderr, "ipttrace: writing the pcapng file: %s\n",
				strerror(errno));
	} else {
		written++;
	}
	memmove(e, e + 1, (--npending - i) * sizeof(*e));
}

unsigned long long iptt_pcap_written(void)
{
	return written;
}

void iptt_pcap_close(void)
{
	if (!active)
		return;
	if (fclose(pw.f))
		fprintf(stderr, "ipttrace: closing the pcapng file: %s\n",
			strerror(errno));
	iptt_pcapng_end(&pw);
	free(pending);
	pending = NULL;
	npending = 0;
	active = false;
}
