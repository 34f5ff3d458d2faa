// SPDX-License-Identifier: GPL-2.0
/*
 * Loss accounting at exit (and the packets the consumer guard muted, which
 * are not lost but not reported either).  Three independent sources:
 *  - the BPF side's own counters: table calls nested past the frame stack,
 *    exits that found no frame, nf_log_trace calls outside a known table
 *    call (kprobe mode);
 *  - the kernel's per-program recursion_misses: runs skipped because
 *    another of our programs was running on that CPU (a nested softirq);
 *  - ipttrace.ko's count of nf_log_trace calls against the BPF kprobe's:
 *    a kprobe is skipped whole when the CPU is already in a kprobe handler,
 *    and neither the program nor libbpf learns of it.
 */
#include <string.h>
#include "accounting.h"
#include "json.h"

#define MAX_PROGS	32

/* {"event":EVENT,"count":N,"reason":R[,"program":P]} */
static void json_count(FILE *out, const char *event, unsigned long long count,
		       const char *reason, const char *prog)
{
	struct jw w = { 0 };
	const char *line;
	size_t len;

	jw_begin(&w);
	jw_str(&w, "event", event);
	jw_u64(&w, "count", count);
	jw_str(&w, "reason", reason);
	if (prog)
		jw_str(&w, "program", prog);
	line = jw_end(&w, &len);
	if (line)
		fwrite(line, 1, len, out);
	jw_free(&w);
}

unsigned long long iptt_accounting_report(const struct iptt_bpf *b,
					  const struct iptt_accounting *a,
					  FILE *out, FILE *err, bool json)
{
	struct iptt_miss miss[MAX_PROGS];
	unsigned long long v, muted, total = 0;
	int n, i;

	/*
	 * Not lost: packets the consumer guard kept out whole, so that no
	 * trace reaches userspace with holes.  Said, like the rate cap.
	 */
	v = iptt_bpf_muted(b);
	if (v) {
		fprintf(err, "ipttrace: %llu traced packets were not reported: the consumer fell behind (ring buffer over half full); lower --rate or raise --buffer-size\n",
			v);
		if (json)
			json_count(out, "unreported", v, "consumer-behind", NULL);
	}
	v = iptt_bpf_overflows(b);
	if (v) {
		fprintf(err, "ipttrace: %llu table calls nested deeper than %d were not timed or traced\n",
			v, IPTT_MAX_DEPTH);
		if (json)
			json_count(out, "lost", v, "stack-overflow", NULL);
		total += v;
	}
	n = iptt_bpf_recursion_misses(b, miss, MAX_PROGS);
	for (i = 0; i < n; i++) {
		fprintf(err, "ipttrace: BPF program %s was skipped %llu times (another of ours was running on that CPU: nested softirq)\n",
			miss[i].name, miss[i].count);
		if (json)
			json_count(out, "lost", miss[i].count, "recursion", miss[i].name);
		total += miss[i].count;
	}
	v = iptt_bpf_unmatched_exits(b);
	if (v) {
		/* the same calls as an entry miss or overflow: not added again */
		fprintf(err, "ipttrace: %llu table calls returned without a recorded entry\n", v);
		if (json)
			json_count(out, "lost", v, "unmatched-exit", NULL);
	}
	v = iptt_bpf_log_calls_unattributed(b);
	if (v) {
		fprintf(err, "ipttrace: %llu rule steps came outside any table call the probes saw, and were dropped\n",
			v);
		if (json)
			json_count(out, "lost", v, "unattributed-step", NULL);
		total += v;
	}
	if (a && a->have_kmod && a->log_calls > a->log_calls_seen) {
		v = a->log_calls - a->log_calls_seen;
		fprintf(err, "ipttrace: %llu of %llu rule steps were missed by the nf_log_trace kprobe (it was nested in another kprobe on that CPU)\n",
			v, a->log_calls);
		if (json)
			json_count(out, "lost", v, "probe-missed", "nf_log_trace");
		total += v;
	}
	/*
	 * A selected packet whose packet_selected kprobe was skipped would
	 * show up as traced by someone else's rule: count it here.  Ring
	 * buffer losses may be such packet events too, and are said already.
	 */
	muted = iptt_bpf_muted(b);	/* the programs still run: read once */
	if (a && a->have_kmod &&
	    a->selected > a->packets_seen + a->ring_lost + muted) {
		v = a->selected - a->packets_seen - a->ring_lost - muted;
		fprintf(err, "ipttrace: %llu of %llu selected packets were missed by the packet_selected kprobe\n",
			v, a->selected);
		if (json)
			json_count(out, "lost", v, "probe-missed", "packet_selected");
		total += v;
	}
	if (json)
		fflush(out);
	return total;
}
