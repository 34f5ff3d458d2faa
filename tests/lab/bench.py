#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""ipttrace benchmark, run inside a tests/lab/vm guest (make bench).

One topology, one ruleset, one traffic pattern, rows side by side:

    cli 10.0.1.2 --veth--> rtr (forwards, 213 rules) --veth--> srv 10.0.2.2

The router's rules (tests/lab/rulesets/bench-router.v4) are loaded three
ways, each backend with its own baseline: iptables-legacy-restore,
iptables-nft-restore (nf_tables, x_tables matches through nft_compat), and
native nftables (iptables-restore-translate).  A C sender
(tests/lab/udpflood.c) floods UDP from 100 source ports (20000-20099) to
srv:9000 for BENCH_SECONDS per row; each packet walks about 120 rules (28 of
them hit) before it is accepted.  Delivered packets are counted by the
server's own stack (Ip InDelivers in its namespace).  The sender is pinned to
CPU 0 (where, on veth, the whole forwarding path runs in its softirq), every
userspace consumer (sink, ipttrace, log readers) to CPU 1.

Rows: ipttrace with a filter matching nothing (fentry; fentry without the
fate probes; kprobe); tracing 1% of the flows; every packet with the default
rate cap and with the cap lifted, and with -w; --latency; the anchors (x_tables:
a "-j TRACE" rule logging through nf_log_syslog and through nfnetlink_log;
nf_tables: nftrace read by nft monitor trace and by xtables-monitor --trace)
and a reference, the same trace rule with nobody listening (the kernel's own
trace walk).  Then the BPF programs' run time per call
(kernel.bpf_stats_enabled) in extra runs, so that the stats' own cost stays
out of the table.

make bench boots the guest with -icount shift=2,sleep=off (BENCH_CLOCK=icount):
guest time is 4 ns per guest instruction whatever the host does, the vCPUs
run in turn like one CPU, and two rounds agree to within a point.  With
BENCH_CLOCK=wall (plain TCG) a busy host moves every rate by tens of
percent, so each row is preceded by its own short baseline run (the baseline
row is the median of those), a row's ratio is taken against that run, the
rows go in order in odd rounds and in reverse in even ones, and the table
shows the run with the median ratio.

Nothing is asserted: the tables and the targets are printed.  A row that
cannot run is shown as failed with its reason.  Environment:
  BENCH_BACKENDS      legacy,nft,native (default: all three)
  BENCH_CLOCK         icount or wall: how the guest was booted (make bench
                      sets it; it only labels the output)
  BENCH_SECONDS       traffic per row (default 5)
  BENCH_BASE_SECONDS  traffic of each baseline run (default 3)
  BENCH_ROUNDS        rounds (default 2 with icount, 5 wall); no round starts
  BENCH_BUDGET        seconds (default 600) into a backend, so that make
                      bench ends in time on a slow or busy host
  BENCH_ONLY          comma-separated row keys ("bpfstats": the stats runs)
  BENCH_IPTTRACE      the ipttrace binary to measure (default build/ipttrace)
"""
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from labtest import IPTTRACE, KREL, REPO, TMP, Fail, reset, restore, sh, three_hosts  # noqa: E402

# another build (its module next to it, in kmod/RELEASE/), e.g. a frozen copy
IPTTRACE = os.environ.get("BENCH_IPTTRACE", IPTTRACE)

SECONDS = float(os.environ.get("BENCH_SECONDS", "5"))
BASE_SECONDS = float(os.environ.get("BENCH_BASE_SECONDS", "3"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "0"))
BUDGET_S = float(os.environ.get("BENCH_BUDGET", "600"))   # no new round after this
ONLY = [k for k in os.environ.get("BENCH_ONLY", "").split(",") if k]
# the same 213 rules three ways: iptables-legacy-restore, iptables-nft-restore,
# and native nftables (iptables-restore-translate | nft -f)
BACKENDS = [b for b in os.environ.get("BENCH_BACKENDS", "legacy,nft,native").split(",") if b]
# "icount": make bench boots the guest with -icount shift=2,sleep=off, so
# guest time is 4 ns per guest instruction ("wall": plain TCG)
CLOCK = os.environ.get("BENCH_CLOCK", "wall")
# instruction-counted runs repeat to within a point: two rounds show it
ROUNDS = ROUNDS or (2 if CLOCK == "icount" else 5)
UDPFLOOD = os.path.join(REPO, "build", "udpflood")
NFLOG_READER = os.path.join(REPO, "build", "nflog_reader")
DST, PORT, SPORT_BASE, NFLOWS = "10.0.2.2", 9000, 20000, 100
TRACE_RULE = "-p udp -m udp --dport %d -j TRACE" % PORT
NCPU = os.cpu_count() or 1
PIN_FLOOD = ["taskset", "-c", "0"] if NCPU >= 2 else []
PIN_USER = ["taskset", "-c", "1"] if NCPU >= 2 else []
STOP_MARK = "nflog_reader: stop"     # the kmsg reader stops at this record
PCAPNG = "%s/bench.pcapng" % TMP      # the -w row's file, removed after each run
NETNS = ["--netns", "rtr"]
seq = [0]


def tmpfile(what):
    seq[0] += 1
    return "%s/bench-%s-%d" % (TMP, what, seq[0])


def log(msg):
    print("bench: " + msg, flush=True)


# a process living in each namespace whose counters are read: its
# /proc/PID/net/snmp is that namespace's, and reading it spawns nothing
NS_PID = {}


def snmp(ns):
    """{'Ip:InDelivers': n, ...} of a namespace's /proc/net/snmp"""
    if ns in NS_PID:
        out = open("/proc/%d/net/snmp" % NS_PID[ns]).read()
    else:
        out = sh("cat /proc/net/snmp", ns=ns)
    res, lines = {}, out.splitlines()
    for head, vals in zip(lines[0::2], lines[1::2]):
        proto, names = head.split(":", 1)
        for k, v in zip(names.split(), vals.split(":", 1)[1].split()):
            res["%s:%s" % (proto, k)] = int(v)
    return res


def flood(seconds=SECONDS):
    """Run the sender; packets the server's stack received, per second."""
    before_srv, before_rtr = snmp("srv"), snmp("rtr")
    p = subprocess.run(["ip", "netns", "exec", "cli"] + PIN_FLOOD +
                       [UDPFLOOD, "send", DST, str(PORT), str(SPORT_BASE), str(NFLOWS),
                        str(seconds)], capture_output=True, text=True, timeout=seconds + 120)
    if p.returncode != 0:
        raise Fail("udpflood failed (%d): %s" % (p.returncode, p.stderr.strip()))
    m = re.search(r"sent (\d+) errors (\d+) seconds ([\d.]+)", p.stdout)
    if not m:
        raise Fail("udpflood said %r" % p.stdout)
    time.sleep(0.2)     # the last packets are in softirq or a socket queue
    after_srv, after_rtr = snmp("srv"), snmp("rtr")
    secs = float(m.group(3))
    delivered = after_srv["Ip:InDelivers"] - before_srv["Ip:InDelivers"]
    return {"sent": int(m.group(1)), "send_errors": int(m.group(2)), "seconds": secs,
            "delivered": delivered, "pps": delivered / secs,
            "forwarded": after_rtr["Ip:ForwDatagrams"] - before_rtr["Ip:ForwDatagrams"],
            "udp_in": after_srv["Udp:InDatagrams"] - before_srv["Udp:InDatagrams"],
            "rcvbuf_errors": after_srv["Udp:RcvbufErrors"] - before_srv["Udp:RcvbufErrors"]}


def wait_file(path, proc, what, timeout=120):
    t0 = time.monotonic()
    while not os.path.exists(path):
        if proc.poll() is not None:
            raise Fail("%s exited %d before it was ready" % (what, proc.returncode))
        if time.monotonic() - t0 > timeout:
            raise Fail("%s not ready after %d s" % (what, timeout))
        time.sleep(0.005)
    return time.monotonic() - t0


def tail(path, n=3):
    try:
        lines = [l for l in open(path, errors="replace").read().splitlines() if l.strip()]
    except OSError:
        return ""
    return " | ".join(lines[-n:])


def vm_hwm_kb(pid):
    try:
        for line in open("/proc/%d/status" % pid):
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return None


def stop_proc(p, what, timeout=120):
    if p.poll() is None:
        p.send_signal(signal.SIGINT)
    try:
        return p.wait(timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()
        raise Fail("%s did not exit within %d s of SIGINT" % (what, timeout))


# ---- BPF run-time statistics ------------------------------------------------

def bpf_progs():
    out = sh("bpftool prog show --json", check=False)
    try:
        return {p["id"]: p for p in json.loads(out or "[]")}
    except ValueError:
        return {}


def bpf_stats_delta(before_ids):
    """Per program of ours (ids not in before_ids): calls and ns per call."""
    res = []
    for pid, p in sorted(bpf_progs().items()):
        if pid in before_ids:
            continue
        cnt, ns = p.get("run_cnt", 0), p.get("run_time_ns", 0)
        res.append({"name": p.get("name", "?"), "type": p.get("type", "?"),
                    "run_cnt": cnt, "run_time_ns": ns,
                    "ns_per_call": (ns / cnt) if cnt else None})
    return res


# ---- ipttrace rows ----------------------------------------------------------

EVENT_KINDS = ("packet", "rule", "verdict", "nat", "lost", "latency")


def count_events(path):
    counts = dict.fromkeys(EVENT_KINDS, 0)
    lost = 0
    data = open(path, "rb").read()
    for k in EVENT_KINDS:
        counts[k] = data.count(b'{"event":"%s"' % k.encode())
    for m in re.finditer(rb'\{"event":"lost","count":(\d+)', data):
        lost += int(m.group(1))
    # packets the consumer guard muted whole (not lost events)
    counts["unreported"] = sum(int(m.group(1)) for m in
                               re.finditer(rb'\{"event":"unreported","count":(\d+)', data))
    lat = []
    if counts["latency"]:
        for line in data.splitlines():
            if line.startswith(b'{"event":"latency"'):
                lat.append(json.loads(line))
    return counts, lost, lat, len(data)


def run_ipttrace(args, stats=False):
    ready, out, err = tmpfile("ready"), tmpfile("out"), tmpfile("err")
    before = set(bpf_progs()) if stats else set()
    env = dict(os.environ)
    # "NAME=VALUE" words before the options go to the environment
    while args and re.match(r"^[A-Z_]+=", args[0]):
        k, v = args[0].split("=", 1)
        env[k] = v
        args = args[1:]
    argv = PIN_USER + [IPTTRACE, "--ready-file", ready] + args
    with open(out, "wb") as fo, open(err, "wb") as fe:
        p = subprocess.Popen(argv, stdout=fo, stderr=fe, env=env)
        try:
            try:
                ready_s = wait_file(ready, p, "ipttrace")
            except Fail as e:
                p.wait(10) if p.poll() is not None else None
                raise Fail("%s: %s" % (e, tail(err)))
            time.sleep(0.3)
            f = flood()
            hwm = vm_hwm_kb(p.pid)
            bstats = bpf_stats_delta(before) if stats else None
            time.sleep(0.5)
            t_stop = time.monotonic()
            rc = stop_proc(p, "ipttrace")
            stop_s = time.monotonic() - t_stop
        finally:
            if p.poll() is None:
                p.kill()
                p.wait()
    if rc != 0:
        raise Fail("ipttrace exited %d: %s" % (rc, tail(err)))
    counts, lost, lat, nbytes = count_events(out)
    if os.path.exists(PCAPNG):
        f["pcapng_bytes"] = os.path.getsize(PCAPNG)
        os.unlink(PCAPNG)
    errtext = open(err, errors="replace").read()
    m = re.search(r"(\d+) packets matched, (\d+) traced, (\d+) over the --rate cap", errtext)
    f.update({"ready_s": ready_s, "rss_kb": hwm, "stop_s": stop_s, "counts": counts,
              "lost": lost, "latency": lat, "bytes": nbytes, "bpf": bstats,
              "kmod": tuple(int(x) for x in m.groups()) if m else None})
    events = counts["packet"] + counts["rule"] + counts["verdict"] + counts["nat"]
    f["events"] = events
    f["traced_pkts"] = counts["packet"]
    os.unlink(out)
    return f


# ---- the -j TRACE anchors ---------------------------------------------------

def trace_rule(on, backend="legacy"):
    """The anchors' rule: -j TRACE (legacy), -j TRACE through iptables-nft
    (which makes it meta nftrace set 1), or a native nftrace rule."""
    if backend == "native":
        if on:
            sh("nft insert rule ip raw PREROUTING udp dport %d meta nftrace set 1" % PORT, ns="rtr")
        else:
            h = re.search(r"nftrace set 1 # handle (\d+)",
                          sh("nft -a list chain ip raw PREROUTING", ns="rtr", check=False))
            if h:
                sh("nft delete rule ip raw PREROUTING handle %s" % h.group(1), ns="rtr")
        return
    tool = "iptables-legacy" if backend == "legacy" else "iptables-nft"
    sh("%s -t raw -%s PREROUTING %s" % (tool, "I" if on else "D", TRACE_RULE), ns="rtr",
       check=on)


def run_reader(argv, ns=None, end_mark=False):
    """Start a log reader, flood, stop it; its counters and the flood's."""
    if not os.access(NFLOG_READER, os.X_OK):
        raise Fail("build/nflog_reader missing (tests/lab/bench.sh compiles it; is "
                   "libnetfilter-log-dev installed?)")
    ready, out, err = tmpfile("ready"), tmpfile("out"), tmpfile("err")
    cmd = (["ip", "netns", "exec", ns] if ns else []) + PIN_USER + [NFLOG_READER] + argv + [ready]
    with open(out, "w") as fo, open(err, "w") as fe:
        p = subprocess.Popen(cmd, stdout=fo, stderr=fe)
        try:
            try:
                wait_file(ready, p, "nflog_reader")
            except Fail as e:
                raise Fail("%s: %s" % (e, tail(err)))
            f = flood()
            time.sleep(0.5)
            if end_mark:
                # the kmsg reader stops by itself when it reads this record,
                # so that whatever it had not read yet is counted too
                with open("/dev/kmsg", "w") as k:
                    k.write(STOP_MARK + "\n")
                try:
                    p.wait(120)
                except subprocess.TimeoutExpired:
                    pass
            rc = stop_proc(p, "nflog_reader")
        finally:
            if p.poll() is None:
                p.kill()
                p.wait()
    if rc != 0:
        raise Fail("nflog_reader exited %d: %s" % (rc, tail(err)))
    m = re.search(r"messages (\d+) trace (\d+) lost (\d+) errors (\d+)", open(out).read())
    if not m:
        raise Fail("nflog_reader printed no counters: %s" % tail(err))
    f["messages"], f["trace_lines"], f["reader_lost"], f["reader_errors"] = map(int, m.groups())
    return f


def printk_ring_kb():
    """Size of the kernel log ring (syslog(SYSLOG_ACTION_SIZE_BUFFER))."""
    try:
        import ctypes
        n = ctypes.CDLL(None, use_errno=True).klogctl(10, None, 0)
        return n // 1024 if n > 0 else None
    except (OSError, AttributeError):
        return None


def anchor_kernel_log(backend):
    sh("modprobe nf_log_syslog")
    sh("sysctl -qw net.netfilter.nf_log_all_netns=1")
    sh("sysctl -qw net.netfilter.nf_log.2=nf_log_ipv4", ns="rtr")
    trace_rule(True)
    try:
        f = run_reader(["--kmsg"], end_mark=True)
    finally:
        trace_rule(False)
        sh("sysctl -qw net.netfilter.nf_log.2=NONE", ns="rtr", check=False)
    f["events"] = f["trace_lines"]
    f["lost"] = f["reader_lost"]    # records overwritten before they were read
    return f


def reference_trace_no_logger(backend):
    """The trace rule with nobody listening: what the kernel's own trace walk
    costs (x_tables: no logger bound; nf_tables: nft_trace_notify() returns
    when no socket listens to NFNLGRP_NFTRACE)"""
    if backend == "legacy":
        sh("sysctl -qw net.netfilter.nf_log.2=NONE", ns="rtr", check=False)
    trace_rule(True, backend)
    try:
        return flood()
    finally:
        trace_rule(False, backend)


def anchor_nflog(backend):
    sh("modprobe nfnetlink_log")
    sh("sysctl -qw net.netfilter.nf_log.2=nfnetlink_log", ns="rtr")
    trace_rule(True)
    try:
        f = run_reader([], ns="rtr")
    finally:
        trace_rule(False)
        sh("sysctl -qw net.netfilter.nf_log.2=NONE", ns="rtr", check=False)
    f["events"] = f["trace_lines"]
    f["lost"] = None        # filled in from the lines expected per packet
    return f


# one line per trace event, each with the trace id of its packet
MONITORS = {
    "nft-monitor": (["nft", "monitor", "trace"], re.compile(rb"^trace id ([0-9a-f]+) ", re.M)),
    "xt-monitor": (["xtables-monitor", "--trace"],
                   re.compile(rb"^ ?(?:PACKET|TRACE): \d+ ([0-9a-f]+) ", re.M)),
}


def anchor_monitor(backend, which):
    """nftrace set by the trace rule, read by nft monitor trace or
    xtables-monitor --trace in rtr.  Their stdout is a file, fully buffered
    as when piped: SIGINT at the end loses at most one buffer of lines."""
    argv, id_re = MONITORS[which]
    out, err = tmpfile("out"), tmpfile("err")
    trace_rule(True, backend)
    try:
        with open(out, "wb") as fo, open(err, "wb") as fe:
            p = subprocess.Popen(["ip", "netns", "exec", "rtr"] + PIN_USER + argv,
                                 stdout=fo, stderr=fe)
            try:
                time.sleep(1.0)         # subscribed to NFNLGRP_NFTRACE
                if p.poll() is not None:
                    raise Fail("%s exited %d: %s" % (argv[0], p.returncode, tail(err)))
                f = flood()
                time.sleep(0.5)
                # xtables-monitor exits on ENOBUFS: what it printed counts
                died = p.poll()
                stop_proc(p, argv[0])
            finally:
                if p.poll() is None:
                    p.kill()
                    p.wait()
    finally:
        trace_rule(False, backend)
    data = open(out, "rb").read()
    ids = {}
    for m in id_re.finditer(data):
        ids[m.group(1)] = ids.get(m.group(1), 0) + 1
    lines = sum(ids.values())
    if not lines and data:
        raise Fail("%s: no trace id in %r" % (argv[0], data[:200]))
    os.unlink(out)
    # a packet's trace reached userspace whole when it has as many lines as
    # most packets have (netlink drops lines when the reader falls behind:
    # ENOBUFS)
    counts = list(ids.values())
    per_pkt = max(set(counts), key=counts.count) if counts else 0
    whole = sum(1 for n in counts if n >= per_pkt) if counts else 0
    errtext = open(err, errors="replace").read()
    f.update({"events": lines, "trace_lines": lines, "lines_per_pkt": per_pkt,
              "traced_pkts": whole, "lost": max(0, f["forwarded"] - whole),
              "enobufs": errtext.count("No buffer space"),
              "died": ("exited %d during the flood: %s" % (died, tail(err, 1)))
              if died is not None else None})
    return f


# ---- the rows ---------------------------------------------------------------

def rows_for(backend):
    """key, label, kind, ipttrace arguments"""
    be = ["--backend", "legacy" if backend == "legacy" else "nft"]
    common = ["--json"] + NETNS + be
    rows = [
        ("base", "baseline (nothing attached)", "base", None),
        ("none-fentry", "filter matching nothing, fentry", "ipttrace",
         common + ["--probe", "fentry", "host 192.0.2.99"]),
        ("none-nofate", "filter matching nothing, fentry, IPTTRACE_NO_FATE=1", "ipttrace",
         ["IPTTRACE_NO_FATE=1"] + common + ["--probe", "fentry", "host 192.0.2.99"]),
        ("none-kprobe", "filter matching nothing, kprobe", "ipttrace",
         common + ["--probe", "kprobe", "host 192.0.2.99"]),
        ("1pct", "1%% of flows (udp src port %d)" % (SPORT_BASE + 42), "ipttrace",
         common + ["udp src port %d" % (SPORT_BASE + 42)]),
        ("all-cap", "every packet, --rate 1000 (default)", "ipttrace",
         common + ["udp dst port %d" % PORT]),
        ("all", "every packet, --rate 1000000", "ipttrace",
         common + ["--rate", "1000000", "udp dst port %d" % PORT]),
        ("write", "every packet, --rate 1000000, -w pcapng", "ipttrace",
         common + ["--rate", "1000000", "-w", PCAPNG, "udp dst port %d" % PORT]),
        ("latency", "--latency (all table calls, no module)", "ipttrace",
         ["--json", "--latency"] + be),
    ]
    if backend == "legacy":
        rows += [
            ("trace-log", "anchor: -j TRACE + nf_log_syslog", "kernel-log", None),
            ("trace-nflog", "anchor: -j TRACE + nfnetlink_log", "nflog", None),
            ("trace-nolog", "reference: -j TRACE, no logger bound", "trace-nolog", None),
        ]
    else:
        how = "-j TRACE (iptables-nft)" if backend == "nft" else "meta nftrace set 1"
        rows += [
            # what ipttrace costs on this box without its nf_tables part:
            # the module's hook and the fate probes only
            ("none-legacy", "filter matching nothing, --backend legacy (no nf_tables part)",
             "ipttrace", ["--json"] + NETNS + ["--backend", "legacy", "--probe", "fentry",
                                                "host 192.0.2.99"]),
            ("key-only", "nft_trace_enabled on, nothing traced (a never-matching nftrace rule)",
             "key-only", None),
        ]
        rows += [
            ("nft-monitor", "anchor: %s + nft monitor trace" % how, "monitor", None),
            ("xt-monitor", "anchor: %s + xtables-monitor --trace" % how, "monitor", None),
            ("trace-nolog", "reference: %s, no listener" % how, "trace-nolog", None),
        ]
    return rows


def run_row(backend, key, kind, args, stats=False):
    if kind == "base":
        return flood()
    if kind == "ipttrace":
        if not os.access(IPTTRACE, os.X_OK):
            raise Fail("build/ipttrace missing (make all lab-kmods)")
        return run_ipttrace(args, stats=stats)
    if kind == "kernel-log":
        return anchor_kernel_log(backend)
    if kind == "nflog":
        return anchor_nflog(backend)
    if kind == "monitor":
        return anchor_monitor(backend, key)
    if kind == "trace-nolog":
        return reference_trace_no_logger(backend)
    if kind == "key-only":
        return static_key_only()
    raise Fail("unknown row kind " + kind)


def static_key_only():
    """nf_tables looks at skb->nf_trace only while the static key
    nft_trace_enabled is on; a meta nftrace set rule takes the key when it
    is added (nft_meta_set_init), matched or not.  One that never matches,
    last in raw PREROUTING (which every flood packet walks to its end),
    turns the key on and traces nothing: the key's cost for every packet,
    plus one rule evaluation (chain-length part: about 86 instructions)."""
    sh("nft add rule ip raw PREROUTING udp dport 1 meta nftrace set 1", ns="rtr")
    try:
        return flood()
    finally:
        h = re.search(r"udp dport 1 meta nftrace set 1 # handle (\d+)",
                      sh("nft -a list chain ip raw PREROUTING", ns="rtr", check=False))
        if h:
            sh("nft delete rule ip raw PREROUTING handle %s" % h.group(1), ns="rtr")


def load_ruleset(backend):
    """The router's 213 rules with this backend; the number of rules."""
    path = os.path.join(REPO, "tests", "lab", "rulesets", "bench-router.v4")
    if backend == "legacy":
        # generous timeouts: under -icount,sleep=off guest time races ahead
        # while the vCPU idles on I/O (modules and binaries read over 9p)
        sh("modprobe ip_tables", timeout=600)
        sh("iptables-legacy-restore < %s" % path, ns="rtr", timeout=600)
        return int(sh("iptables-legacy-save | grep -c '^-A'", ns="rtr").strip())
    if backend == "nft":
        sh("iptables-nft-restore < %s" % path, ns="rtr", timeout=600)
        return int(sh("iptables-nft-save | grep -c '^-A'", ns="rtr").strip())
    if backend == "native":
        sh("nft -f -", ns="rtr", input=native_ruleset(path), timeout=600)
        js = json.loads(sh("nft -j list ruleset", ns="rtr"))
        return sum(1 for o in js["nftables"] if "rule" in o)
    raise Fail("BENCH_BACKENDS: unknown backend %r (legacy, nft, native)" % backend)


def native_ruleset(path):
    """The ruleset as native nftables, by iptables-restore-translate.  Its
    1.8.9 drops "-p tcp" when "-m tcp" has no option (kube-proxy's DNAT
    rules), and nft then refuses "dnat to ADDR:PORT" with no transport
    match: put the protocol back, the nth DNAT rule's for the nth dnat."""
    protos = [re.search(r"-p (\w+)", l).group(1) if re.search(r"-p (\w+)", l) else None
              for l in open(path) if l.startswith("-A ") and "-j DNAT" in l]
    out, n = [], 0
    for line in sh("iptables-restore-translate -f %s" % path).splitlines():
        if " dnat to " in line:
            proto = protos[n] if n < len(protos) else None
            n += 1
            head = line.split(" dnat to ")[0]
            if proto and not re.search(r"\b(tcp|udp|sctp|l4proto)\b", head):
                line = line.replace(" counter dnat to ", " meta l4proto %s counter dnat to " % proto)
        out.append(line)
    return "\n".join(out) + "\n"


def setup(backend):
    reset()
    three_hosts()
    # ip_tables too, so that --backend legacy runs on every backend's router
    sh("modprobe ip_tables", timeout=600)
    nrules = load_ruleset(backend)
    # the sink keeps the server's socket drained; the stack counts deliveries
    sink_out = tmpfile("sink")
    sink = subprocess.Popen(["ip", "netns", "exec", "srv"] + PIN_USER +
                            [UDPFLOOD, "sink", str(PORT)],
                            stdout=open(sink_out, "w"), stderr=subprocess.STDOUT)
    t0 = time.monotonic()
    while "ready" not in open(sink_out).read():
        if sink.poll() is not None or time.monotonic() - t0 > 30:
            raise Fail("udp sink did not start: %s" % open(sink_out).read())
        time.sleep(0.02)
    holder = subprocess.Popen(["ip", "netns", "exec", "rtr", "sleep", "100000"])
    time.sleep(0.3)
    # ip netns exec and taskset exec in place, so these pids are in the netns
    NS_PID.clear()
    for ns, pid in (("srv", sink.pid), ("rtr", holder.pid)):
        try:
            if os.stat("/proc/%d/ns/net" % pid).st_ino == os.stat("/run/netns/" + ns).st_ino:
                NS_PID[ns] = pid
        except OSError:
            pass
    return nrules, sink, sink_out, holder


def fmt_num(v, fmt="%.0f"):
    return "-" if v is None else fmt % v


def main():
    t_start = time.monotonic()
    cpu = "?"
    for line in open("/proc/cpuinfo"):
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    try:
        clock = open("/sys/devices/system/clocksource/clocksource0/current_clocksource").read()
    except OSError:
        clock = "?"
    log("kernel %s, %d vCPU (%s), clocksource %s, guest time %s, %.0f s of traffic per row, "
        "%d round(s), backends %s" % (KREL, NCPU, cpu, clock.strip(), CLOCK, SECONDS, ROUNDS,
                                      ",".join(BACKENDS)))
    log("measuring %s" % IPTTRACE)
    for tool, path in (("udpflood", UDPFLOOD), ("ipttrace", IPTTRACE),
                       ("nflog_reader", NFLOG_READER)):
        if not os.access(path, os.X_OK):
            log("warning: %s missing (%s)" % (tool, path))
    for backend in BACKENDS:
        bench_backend(backend, cpu)
    reset()
    log("done in %.0f s" % (time.monotonic() - t_start))
    return 0


def bench_backend(backend, cpu):
    """All rows of one backend, on its own ruleset and its own baseline."""
    t_start = time.monotonic()
    try:
        nrules, sink, sink_out, holder = setup(backend)
    except Exception as e:  # nothing can run without the topology
        print("bench: %s: setup failed: %s" % (backend, e), flush=True)
        return
    log("%s: router ruleset: %d rules (raw, mangle, nat, filter)" % (backend, nrules))
    try:
        f = flood(1.0)      # warm up: conntrack entries, caches, page tables
        log("%s: warm-up: %.0f pkt/s" % (backend, f["pps"]))
    except Exception as e:
        log("%s: warm-up failed: %s" % (backend, e))

    all_rows = rows_for(backend)
    rows = [r for r in all_rows if not ONLY or r[0] in ONLY or r[0] == "base"]
    results = {r[0]: [] for r in rows}
    errors = {}
    for rnd in range(ROUNDS):
        # make bench must end within its time (and LAB_TIMEOUT): on a slow
        # or busy host, report the rounds done rather than be killed
        if rnd and time.monotonic() - t_start > BUDGET_S:
            log("%s: time budget (%.0f s) spent: stopping after %d round(s)"
                % (backend, BUDGET_S, rnd))
            break
        for key, label, kind, args in (rows if rnd % 2 == 0 else rows[::-1]):
            if kind == "base":
                continue        # the paired runs below are the baseline
            t0 = time.monotonic()
            try:
                b = flood(BASE_SECONDS)
                results["base"].append(b)
                res = run_row(backend, key, kind, args)
                res["base_pps"] = b["pps"]
                res["ratio"] = res["pps"] / b["pps"] if b["pps"] else None
                results[key].append(res)
                log("%s round %d %-12s %8.0f pkt/s (%d sent; baseline just before %.0f), "
                    "%s events, %s lost (%.1f s)"
                    % (backend, rnd + 1, key, res["pps"], res["sent"], b["pps"],
                       res.get("events", "-"), res.get("lost", "-"), time.monotonic() - t0))
            except Exception as e:
                msg = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
                errors[key] = msg
                log("%s round %d %-12s FAILED: %s" % (backend, rnd + 1, key, msg))
            # the module must not stay loaded into the next row
            sh("rmmod ipttrace", check=False)

    # BPF program run time per call: separate runs, since bpf_stats costs
    # two clock reads per program run
    bpf = {}
    if not ONLY or "bpfstats" in ONLY:
        for key in ("none-fentry", "all", "latency"):
            args = [r[3] for r in all_rows if r[0] == key][0]
            try:
                sh("sysctl -qw kernel.bpf_stats_enabled=1")
                res = run_ipttrace(args, stats=True)
                bpf[key] = res
                log("%s: bpf_stats run %-8s %8.0f pkt/s" % (backend, key, res["pps"]))
            except Exception as e:
                bpf[key] = {"error": str(e).strip().splitlines()[0]}
                log("%s: bpf_stats run %s FAILED: %s" % (backend, key, bpf[key]["error"]))
            finally:
                sh("sysctl -qw kernel.bpf_stats_enabled=0", check=False)
                sh("rmmod ipttrace", check=False)

    holder.kill()
    sink.send_signal(signal.SIGINT)
    try:
        sink.wait(10)
    except subprocess.TimeoutExpired:
        sink.kill()
    report(backend, rows, results, errors, bpf, nrules, cpu, tail(sink_out, 1))
    log("%s: done in %.0f s" % (backend, time.monotonic() - t_start))


def median_row(lst):
    """The run with the median ratio to its baseline (a real run, not a
    blend); baseline runs by their rate."""
    if not lst:
        return None
    s = sorted(lst, key=lambda r: r.get("ratio") or r["pps"])
    return s[(len(s) - 1) // 2]


BACKEND_NAME = {"legacy": "iptables-legacy", "nft": "iptables-nft (nf_tables)",
                "native": "native nftables (iptables-restore-translate)"}


def report(backend, rows, results, errors, bpf, nrules, cpu, sink_line):
    med = {k: median_row(v) for k, v in results.items()}
    base = med.get("base")
    icount = CLOCK == "icount"

    # trace lines per packet: the kernel-log anchor sees every line or counts
    # the ones it missed; else ipttrace's rule events per packet event
    lines_per_pkt = None
    kl = med.get("trace-log")
    if kl and kl["forwarded"]:
        lines_per_pkt = (kl["trace_lines"] + kl["reader_lost"]) / kl["forwarded"]
    # ipttrace events per packet, from a row that lost none
    ev_per_pkt = None
    for k in ("all-cap", "1pct", "all"):
        r = med.get(k)
        if r and r["counts"]["packet"] and not r["lost"]:
            ev_per_pkt = r["events"] / r["counts"]["packet"]
            if lines_per_pkt is None:
                lines_per_pkt = r["counts"]["rule"] / r["counts"]["packet"]
            break
    nf = med.get("trace-nflog")
    if nf and lines_per_pkt:
        nf["expected_lines"] = lines_per_pkt * nf["forwarded"]
        nf["lost"] = max(0, round(nf["expected_lines"] - nf["trace_lines"]))

    def traced_pps(kind, r):
        """packets whose whole trace reached userspace, per second"""
        if kind == "ipttrace" and not r["latency"] and not r["lost"]:
            return r["counts"]["packet"] / r["seconds"]     # every trace whole
        if kind == "ipttrace" and not r["latency"] and ev_per_pkt:
            return r["events"] / r["seconds"] / ev_per_pkt
        if kind in ("kernel-log", "nflog") and lines_per_pkt:
            return r["trace_lines"] / r["seconds"] / lines_per_pkt
        if kind == "monitor":
            return r["traced_pkts"] / r["seconds"]
        return None

    print()
    print("ipttrace benchmark, %s: kernel %s, %d vCPU \"%s\" (QEMU TCG, %s: compare the rows "
          "with each other, not with real hardware)"
          % (BACKEND_NAME.get(backend, backend), KREL, NCPU, cpu,
             "instruction-counted time, 4 ns per guest instruction" if icount
             else "wall-clock time"))
    print("router: %d rules; UDP flood, 64-byte payload, %d flows; %.0f s of "
          "traffic per row; %d round(s), median shown"
          % (nrules, NFLOWS, SECONDS,
             max([len(v) for k, v in results.items() if k != "base"] or [0])))
    print()
    hdr = ("row", "pkt/s", "vs base", "ns/pkt added", "events/s", "traced pkt/s", "lost",
           "notes")
    if icount:
        hdr = hdr[:4] + ("insns/pkt added",) + hdr[4:]
    table = []
    for key, label, kind, args in rows:
        r = med.get(key)
        if r is None:
            cells = [label, "FAILED", "", ""] + ([""] if icount else []) + \
                ["", "", "", errors.get(key, "no result")]
            table.append(tuple(cells))
            continue
        pps = r["pps"]
        if kind == "base":
            ratio, added = 1.0, 0
        else:
            ratio = r["ratio"]
            added = (1e9 / pps - 1e9 / r["base_pps"]) if pps else None
        ev = r.get("events")
        evs = ev / r["seconds"] if ev is not None else None
        lost = r.get("lost")
        notes = []
        if kind == "ipttrace":
            readies = sorted(x["ready_s"] for x in results[key])
            notes.append("ready %.2f s" % readies[(len(readies) - 1) // 2])
            if r["rss_kb"]:
                notes.append("RSS %.1f MB" % (r["rss_kb"] / 1024))
            if r.get("pcapng_bytes"):
                notes.append("pcapng %.1f MB" % (r["pcapng_bytes"] / 1e6))
            if r["latency"]:
                lost = evs = None
                calls = sum(l["count"] for l in r["latency"])
                tot = sum(l["sum_ns"] for l in r["latency"])
                if calls:
                    notes.append("%d %s calls, %.0f ns each" % (
                        calls, "table" if backend == "legacy" else "base chain", tot / calls))
            elif r["counts"]["packet"]:
                notes.append("%.1f events/pkt" % (ev / r["counts"]["packet"]))
            if r["counts"].get("unreported"):
                notes.append("%d packets muted (consumer behind)" % r["counts"]["unreported"])
        elif kind == "kernel-log":
            notes.append("%d lines logged, %d read" % (ev + r["reader_lost"], ev))
            ring = printk_ring_kb()
            if ring:
                notes.append("printk ring %d KiB" % ring)
        elif kind == "nflog":
            if r.get("expected_lines") is not None:
                notes.append("~%d lines expected, %d read" % (r["expected_lines"], ev))
            notes.append("%d ENOBUFS" % r["reader_lost"])
            if lost is None:
                lost = "n/a"
        elif kind == "monitor":
            notes.append("%d lines/pkt; %d of %d packets whole" % (
                r["lines_per_pkt"], r["traced_pkts"], r["forwarded"]))
            if r["enobufs"]:
                notes.append("%d ENOBUFS errors" % r["enobufs"])
            if r["died"]:
                notes.append(r["died"])
        if r.get("send_errors"):
            notes.append("%d send errors" % r["send_errors"])
        if errors.get(key):
            notes.append("a round failed: " + errors[key])
        cells = [label, fmt_num(pps), fmt_num(ratio and ratio * 100, "%.1f%%"), fmt_num(added)]
        if icount:
            cells.append(fmt_num(added / 4 if added is not None else None))
        cells += [fmt_num(evs), fmt_num(traced_pps(kind, r)),
                  lost if isinstance(lost, str) else fmt_num(lost), "; ".join(notes)]
        table.append(tuple(cells))
    widths = [max(len(str(row[i])) for row in table + [hdr]) for i in range(len(hdr))]
    line = "| " + " | ".join("%%-%ds" % w for w in widths) + " |"
    print(line % hdr)
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for row in table:
        print(line % tuple(row))
    print()
    print("pkt/s: datagrams the server's stack received (Ip InDelivers) per second of sending. "
          "vs base, ns/pkt added (1e9/rate - 1e9/baseline): against the %.0f s baseline run "
          "just before the row (the baseline row is the median of those runs).%s events/s: "
          "JSON packet+rule+verdict(+nat) lines ipttrace wrote, or trace lines the anchor's "
          "reader got. traced pkt/s: "
          "events/s / %s events per packet (ipttrace), / %s TRACE lines per packet "
          "(x_tables anchors), or packets whose trace lines all reached the monitor "
          "(nf_tables anchors). lost: ipttrace's {\"event\":\"lost\"} counts; kernel log: records "
          "overwritten in the printk ring before the reader got them; nfnetlink_log: "
          "lines expected minus lines read; monitors: packets forwarded minus packets whole. "
          "The reference row is the kernel's own trace walk with nobody listening, which every "
          "nf_trace-based tracer pays."
          % (BASE_SECONDS, " insns/pkt added: ns/4 (icount shift=2)." if icount else "",
             fmt_num(ev_per_pkt, "%.1f"), fmt_num(lines_per_pkt, "%.1f")))
    if base and len(results.get("base", [])) > 1:
        b = sorted(x["pps"] for x in results["base"])
        print("baseline runs: %d, %.0f to %.0f pkt/s (spread %.1f%%), quartiles %.0f / %.0f / "
              "%.0f" % (len(b), b[0], b[-1], 100.0 * (b[-1] - b[0]) / b[len(b) // 2],
                        b[len(b) // 4], b[len(b) // 2], b[3 * len(b) // 4]))
    # two runs of a row agree when the row has no consumer backlog: show it
    multi = [(key, label) for key, label, kind, _ in rows
             if kind != "base" and len(results.get(key, [])) > 1]
    if multi:
        print("per-round ratios (a row whose consumer lost events or fell behind varies "
              "with how far behind it fell):")
        for key, label in multi:
            rs = [x["ratio"] * 100 for x in results[key] if x.get("ratio")]
            backlog = any(x.get("lost") for x in results[key])
            print("  %-44s %s  spread %.1f points%s" % (
                label, " ".join("%.1f%%" % x for x in rs), max(rs) - min(rs),
                " (backlog)" if backlog else ("" if max(rs) - min(rs) <= 2.0
                                              else " (more than +-1 point)")))
    if sink_line:
        print("server sink: %s datagrams read in all" % sink_line.replace("received ", ""))

    for key, what in (("none-fentry", "filter matching nothing (untraced traffic)"),
                      ("all", "tracing every packet (--rate 1000000)"),
                      ("latency", "--latency")):
        b = bpf.get(key)
        if not b:
            continue
        print()
        if "error" in b:
            print("BPF run time, %s: FAILED: %s" % (what, b["error"]))
            continue
        print("BPF run time per call, %s (kernel.bpf_stats_enabled=1, bpftool prog show; "
              "a separate run at %.0f pkt/s):" % (what, b["pps"]))
        for p in b["bpf"] or []:
            per = p["ns_per_call"]
            print("  %-16s %-8s %9d calls %7s ns/call%s%s" % (
                p["name"], p["type"], p["run_cnt"],
                "%.0f" % per if per is not None else "-",
                (" %6.0f insns/call" % (per / 4)) if icount and per is not None else "",
                (" %6.2f calls/pkt" % (p["run_cnt"] / b["forwarded"])) if b["forwarded"] else ""))
        if b["bpf"] and b["forwarded"]:
            print("  all programs: %.0f ns per forwarded packet (without the trampoline, "
                  "kprobe and ring buffer wake-up costs around them)"
                  % (sum(p["run_time_ns"] for p in b["bpf"]) / b["forwarded"]))

    print()
    print("targets, %s (reported, not asserted):" % BACKEND_NAME.get(backend, backend))

    def verdict(ok):
        return "n/a" if ok is None else ("met" if ok else "MISSED")

    r = med.get("none-fentry")
    v = r["ratio"] if r else None
    print("  untraced traffic keeps >= 98%% of baseline with fentry: %s (%s)"
          % (verdict(v >= 0.98 if v is not None else None), fmt_num(v and v * 100, "%.1f%%")))
    all_r = med.get("all")
    t_all = traced_pps("ipttrace", all_r) if all_r else None
    if backend == "legacy":
        anchors = (("TRACE+nfnetlink_log", "trace-nflog", "nflog", 3),
                   ("TRACE+kernel log", "trace-log", "kernel-log", 10))
    else:
        anchors = (("nftrace+nft monitor trace", "nft-monitor", "monitor", 3),
                   ("nftrace+xtables-monitor --trace", "xt-monitor", "monitor", 10))
    for name, key, kind, factor in anchors:
        a = med.get(key)
        t_a = traced_pps(kind, a) if a else None
        if all_r and a and t_all and t_a == 0:
            print("  tracing every packet sustains >= %dx %s: met (the anchor got no packet's "
                  "trace whole%s)" % (factor, name, ": " + a["died"] if a.get("died") else ""))
            continue
        if not (all_r and a and t_all and t_a):
            print("  tracing every packet sustains >= %dx %s: n/a (a row failed)"
                  % (factor, name))
            continue
        x_tr, x_pps = t_all / t_a, all_r["pps"] / a["pps"]
        print("  tracing every packet sustains >= %dx %s: %s (%.1fx the packets fully traced "
              "to userspace per second; %.1fx the forwarding rate)"
              % (factor, name, verdict(x_tr >= factor), x_tr, x_pps))
    caps = results.get("all-cap", [])
    if caps:
        bad = [r["lost"] for r in caps if r["lost"]]
        mc = med["all-cap"]
        print("  no lost events at the default rate cap: %s (--rate 1000: events lost in %d "
              "of %d rounds%s; %d packets reported whole and %d muted in the median one: the "
              "consumer sustained %s traced packets/s)"
              % (verdict(not bad), len(bad), len(caps),
                 (": " + ", ".join("%d" % x for x in bad)) if bad else "",
                 mc["counts"]["packet"], mc["counts"].get("unreported", 0),
                 fmt_num(traced_pps("ipttrace", mc))))
    else:
        print("  no lost events at the default rate cap: n/a (row failed)")
    readies = sorted(x["ready_s"] for k in ("none-fentry", "none-kprobe", "1pct", "all-cap",
                                            "all") for x in results.get(k, []))
    if readies:
        print("  ready in under 1 s: %s (start to --ready-file, module loaded each time: "
              "median %.2f s, %.2f-%.2f s)" % (verdict(readies[(len(readies) - 1) // 2] < 1.0),
                                              readies[(len(readies) - 1) // 2], readies[0],
                                              readies[-1]))
    r = med.get("latency")
    v = r["ratio"] if r else None
    print("  --latency keeps >= 95%% of baseline: %s (%s)"
          % (verdict(v >= 0.95 if v is not None else None), fmt_num(v and v * 100, "%.1f%%")))
    sys.stdout.flush()


if __name__ == "__main__":
    sys.exit(main())
