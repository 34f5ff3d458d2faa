#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""ipttrace benchmark, run inside a tests/lab/vm guest (make bench).

One topology, one ruleset, one traffic pattern, rows side by side:

    cli 10.0.1.2 --veth--> rtr (forwards, 213 iptables-legacy rules) --veth--> srv 10.0.2.2

A C sender (tests/lab/udpflood.c) floods UDP from 100 source ports
(20000-20099) to srv:9000 for BENCH_SECONDS per row; the router's ruleset
(tests/lab/rulesets/bench-router.v4) makes each packet walk about 120 rules
(28 of them hit) before it is accepted.  Delivered packets are counted by
the server's own stack (Ip InDelivers in its namespace), not by a userspace
receiver.  The sender is pinned to CPU 0 (where, on veth, the whole
forwarding path runs in its softirq), every userspace consumer (sink,
ipttrace, log readers) to CPU 1.

Rows: ipttrace with a filter matching nothing (fentry, kprobe); tracing 1%
of the flows; every packet with the default rate cap and with the cap
lifted; --latency; the two anchors, a "-j TRACE" rule logging through
nf_log_syslog (kernel log) and through nfnetlink_log (a libnetfilter_log
reader, tests/lab/nflog_reader.c); and a reference, the same TRACE rule with
no logger bound (the kernel's own trace walk).  Then the BPF programs' run
time per call (kernel.bpf_stats_enabled) in extra runs, so that the stats'
own cost stays out of the table.

Noise: TCG runs the guest at whatever speed the host gives its threads, and
a busy host moves every rate by tens of percent.  So each row is preceded by
its own short baseline run (the baseline row is the median of those), a
row's ratio is taken against that run, the rows go in order in odd rounds
and in reverse order in even ones, and the table shows the run with the
median ratio over the rounds.

Nothing is asserted: the table and the targets are printed.  A row that
cannot run is shown as failed with its reason.  Environment:
  BENCH_SECONDS       traffic per row (default 5)
  BENCH_BASE_SECONDS  traffic of each baseline run (default 3)
  BENCH_ROUNDS        rounds (default 5); no round starts after
  BENCH_BUDGET        seconds (default 600), so that make bench ends well
                      within 20 minutes on a slow or busy host
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
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "5"))
BUDGET_S = float(os.environ.get("BENCH_BUDGET", "600"))   # no new round after this
ONLY = [k for k in os.environ.get("BENCH_ONLY", "").split(",") if k]
UDPFLOOD = os.path.join(REPO, "build", "udpflood")
NFLOG_READER = os.path.join(REPO, "build", "nflog_reader")
DST, PORT, SPORT_BASE, NFLOWS = "10.0.2.2", 9000, 20000, 100
TRACE_RULE = "-p udp -m udp --dport %d -j TRACE" % PORT
NCPU = os.cpu_count() or 1
PIN_FLOOD = ["taskset", "-c", "0"] if NCPU >= 2 else []
PIN_USER = ["taskset", "-c", "1"] if NCPU >= 2 else []
STOP_MARK = "nflog_reader: stop"     # the kmsg reader stops at this record
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
    lat = []
    if counts["latency"]:
        for line in data.splitlines():
            if line.startswith(b'{"event":"latency"'):
                lat.append(json.loads(line))
    return counts, lost, lat, len(data)


def run_ipttrace(args, stats=False):
    ready, out, err = tmpfile("ready"), tmpfile("out"), tmpfile("err")
    before = set(bpf_progs()) if stats else set()
    argv = PIN_USER + [IPTTRACE, "--ready-file", ready] + args
    with open(out, "wb") as fo, open(err, "wb") as fe:
        p = subprocess.Popen(argv, stdout=fo, stderr=fe)
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

def trace_rule(on):
    sh("iptables-legacy -t raw -%s PREROUTING %s" % ("I" if on else "D", TRACE_RULE), ns="rtr",
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


def anchor_kernel_log():
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


def reference_trace_no_logger():
    """-j TRACE with no logger bound: what the kernel's own trace walk costs"""
    sh("sysctl -qw net.netfilter.nf_log.2=NONE", ns="rtr", check=False)
    trace_rule(True)
    try:
        return flood()
    finally:
        trace_rule(False)


def anchor_nflog():
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


# ---- the rows ---------------------------------------------------------------

NETNS = ["--netns", "rtr"]
ROWS = [
    # key, label, kind, arguments
    ("base", "baseline (nothing attached)", "base", None),
    ("none-fentry", "filter matching nothing, fentry", "ipttrace",
     ["--json"] + NETNS + ["--probe", "fentry", "host 192.0.2.99"]),
    ("none-kprobe", "filter matching nothing, kprobe", "ipttrace",
     ["--json"] + NETNS + ["--probe", "kprobe", "host 192.0.2.99"]),
    ("1pct", "1%% of flows (udp src port %d)" % (SPORT_BASE + 42), "ipttrace",
     ["--json"] + NETNS + ["udp src port %d" % (SPORT_BASE + 42)]),
    ("all-cap", "every packet, --rate 1000 (default)", "ipttrace",
     ["--json"] + NETNS + ["udp dst port %d" % PORT]),
    ("all", "every packet, --rate 10000000", "ipttrace",
     ["--json"] + NETNS + ["--rate", "10000000", "udp dst port %d" % PORT]),
    ("latency", "--latency (all table calls, no module)", "ipttrace",
     ["--json", "--latency"]),
    ("trace-log", "anchor: -j TRACE + nf_log_syslog", "kernel-log", None),
    ("trace-nflog", "anchor: -j TRACE + nfnetlink_log", "nflog", None),
    ("trace-nolog", "reference: -j TRACE, no logger bound", "trace-nolog", None),
]


def run_row(kind, args, stats=False):
    if kind == "base":
        return flood()
    if kind == "ipttrace":
        if not os.access(IPTTRACE, os.X_OK):
            raise Fail("build/ipttrace missing (make all lab-kmods)")
        return run_ipttrace(args, stats=stats)
    if kind == "kernel-log":
        return anchor_kernel_log()
    if kind == "nflog":
        return anchor_nflog()
    if kind == "trace-nolog":
        return reference_trace_no_logger()
    raise Fail("unknown row kind " + kind)


def setup():
    reset()
    sh("modprobe ip_tables")
    three_hosts()
    restore("rtr", "bench-router.v4")
    nrules = int(sh("iptables-legacy-save | grep -c '^-A'", ns="rtr").strip())
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
    log("kernel %s, %d vCPU (%s), clocksource %s, %.0f s of traffic per row, %d round(s)"
        % (KREL, NCPU, cpu, clock.strip(), SECONDS, ROUNDS))
    log("measuring %s" % IPTTRACE)
    for tool, path in (("udpflood", UDPFLOOD), ("ipttrace", IPTTRACE),
                       ("nflog_reader", NFLOG_READER)):
        if not os.access(path, os.X_OK):
            log("warning: %s missing (%s)" % (tool, path))
    try:
        nrules, sink, sink_out, holder = setup()
    except Exception as e:  # nothing can run without the topology
        print("bench: setup failed: %s" % e, flush=True)
        return 1
    log("router ruleset: %d rules (raw, mangle, nat, filter)" % nrules)
    try:
        f = flood(1.0)      # warm up: conntrack entries, caches, page tables
        log("warm-up: %.0f pkt/s" % f["pps"])
    except Exception as e:
        log("warm-up failed: %s" % e)

    rows = [r for r in ROWS if not ONLY or r[0] in ONLY or r[0] == "base"]
    results = {r[0]: [] for r in rows}
    errors = {}
    for rnd in range(ROUNDS):
        # make bench must end within 20 minutes (and LAB_TIMEOUT): on a slow
        # or busy host, report the rounds done rather than be killed
        if rnd and time.monotonic() - t_start > BUDGET_S:
            log("time budget (%.0f s) spent: stopping after %d round(s)" % (BUDGET_S, rnd))
            break
        for key, label, kind, args in (rows if rnd % 2 == 0 else rows[::-1]):
            if kind == "base":
                continue        # the paired runs below are the baseline
            t0 = time.monotonic()
            try:
                b = flood(BASE_SECONDS)
                results["base"].append(b)
                res = run_row(kind, args)
                res["base_pps"] = b["pps"]
                res["ratio"] = res["pps"] / b["pps"] if b["pps"] else None
                results[key].append(res)
                log("round %d %-12s %8.0f pkt/s (%d sent; baseline just before %.0f), "
                    "%s events, %s lost (%.1f s)"
                    % (rnd + 1, key, res["pps"], res["sent"], b["pps"],
                       res.get("events", "-"), res.get("lost", "-"), time.monotonic() - t0))
            except Exception as e:
                msg = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
                errors[key] = msg
                log("round %d %-12s FAILED: %s" % (rnd + 1, key, msg))
            # the module must not stay loaded into the next row
            sh("rmmod ipttrace", check=False)

    # BPF program run time per call: separate runs, since bpf_stats costs
    # two clock reads per program run
    bpf = {}
    if not ONLY or "bpfstats" in ONLY:
        for key in ("all", "latency"):
            args = [r[3] for r in ROWS if r[0] == key][0]
            try:
                sh("sysctl -qw kernel.bpf_stats_enabled=1")
                res = run_ipttrace(args, stats=True)
                bpf[key] = res
                log("bpf_stats run %-8s %8.0f pkt/s" % (key, res["pps"]))
            except Exception as e:
                bpf[key] = {"error": str(e).strip().splitlines()[0]}
                log("bpf_stats run %s FAILED: %s" % (key, bpf[key]["error"]))
            finally:
                sh("sysctl -qw kernel.bpf_stats_enabled=0", check=False)
                sh("rmmod ipttrace", check=False)

    holder.kill()
    sink.send_signal(signal.SIGINT)
    try:
        sink.wait(10)
    except subprocess.TimeoutExpired:
        sink.kill()
    report(rows, results, errors, bpf, nrules, cpu, tail(sink_out, 1))
    log("done in %.0f s" % (time.monotonic() - t_start))
    return 0


def median_row(lst):
    """The run with the median ratio to its baseline (a real run, not a
    blend); baseline runs by their rate."""
    if not lst:
        return None
    s = sorted(lst, key=lambda r: r.get("ratio") or r["pps"])
    return s[(len(s) - 1) // 2]


def report(rows, results, errors, bpf, nrules, cpu, sink_line):
    med = {k: median_row(v) for k, v in results.items()}
    base = med.get("base")
    base_pps = base["pps"] if base else None

    # TRACE lines per packet: the kernel-log anchor sees every line or counts
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
        if kind == "ipttrace" and not r["latency"] and ev_per_pkt:
            return r["events"] / r["seconds"] / ev_per_pkt
        if kind in ("kernel-log", "nflog") and lines_per_pkt:
            return r["trace_lines"] / r["seconds"] / lines_per_pkt
        return None

    print()
    print("ipttrace benchmark: kernel %s, %d vCPU \"%s\" (QEMU TCG, emulated: compare the rows "
          "with each other, not with real hardware)" % (KREL, NCPU, cpu))
    print("router: %d iptables-legacy rules; UDP flood, 64-byte payload, %d flows; %.0f s of "
          "traffic per row; %d round(s), median shown"
          % (nrules, NFLOWS, SECONDS,
             max([len(v) for k, v in results.items() if k != "base"] or [0])))
    print()
    hdr = ("row", "pkt/s", "vs base", "ns/pkt added", "events/s", "traced pkt/s", "lost",
           "notes")
    table = []
    for key, label, kind, args in rows:
        r = med.get(key)
        if r is None:
            table.append((label, "FAILED", "", "", "", "", "", errors.get(key, "no result")))
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
            if r["latency"]:
                lost = evs = None
                calls = sum(l["count"] for l in r["latency"])
                tot = sum(l["sum_ns"] for l in r["latency"])
                if calls:
                    notes.append("%d table calls, %.0f ns each" % (calls, tot / calls))
            elif r["counts"]["packet"]:
                notes.append("%.1f events/pkt" % (ev / r["counts"]["packet"]))
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
        if r.get("send_errors"):
            notes.append("%d send errors" % r["send_errors"])
        if errors.get(key):
            notes.append("a round failed: " + errors[key])
        table.append((label, fmt_num(pps), fmt_num(ratio and ratio * 100, "%.1f%%"),
                      fmt_num(added), fmt_num(evs), fmt_num(traced_pps(kind, r)),
                      lost if isinstance(lost, str) else fmt_num(lost),
                      "; ".join(notes)))
    widths = [max(len(str(row[i])) for row in table + [hdr]) for i in range(len(hdr))]
    line = "| " + " | ".join("%%-%ds" % w for w in widths) + " |"
    print(line % hdr)
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for row in table:
        print(line % tuple(row))
    print()
    print("pkt/s: datagrams the server's stack received (Ip InDelivers) per second of sending. "
          "vs base, ns/pkt added (1e9/rate - 1e9/baseline): against the %.0f s baseline run "
          "just before the row (the baseline row is the median of those runs). events/s: "
          "JSON packet+rule+verdict(+nat) lines ipttrace wrote, or TRACE lines the anchor's "
          "reader got. traced pkt/s: "
          "events/s / %s events per packet (ipttrace) or / %s TRACE lines per packet "
          "(anchors). lost: ipttrace's {\"event\":\"lost\"} counts; kernel log: records "
          "overwritten in the printk ring before the reader got them; nfnetlink_log: "
          "lines expected minus lines read. The reference row is the kernel's own trace walk "
          "(-j TRACE, no logger), which every nf_trace-based tracer pays."
          % (BASE_SECONDS, fmt_num(ev_per_pkt, "%.1f"), fmt_num(lines_per_pkt, "%.1f")))
    if base and len(results.get("base", [])) > 1:
        b = sorted(x["pps"] for x in results["base"])
        print("baseline runs: %d, %.0f to %.0f pkt/s, quartiles %.0f / %.0f / %.0f (the spread "
              "is this host's noise)" % (len(b), b[0], b[-1], b[len(b) // 4], b[len(b) // 2],
                                         b[3 * len(b) // 4]))
    if sink_line:
        print("server sink: %s datagrams read in all" % sink_line.replace("received ", ""))

    for key, what in (("all", "tracing every packet (--rate 10000000)"),
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
            print("  %-16s %-8s %9d calls %7s ns/call" % (
                p["name"], p["type"], p["run_cnt"],
                "%.0f" % p["ns_per_call"] if p["ns_per_call"] is not None else "-"))
        if b["bpf"] and b["forwarded"]:
            print("  all programs: %.0f ns per forwarded packet (without the trampoline, "
                  "kprobe and ring buffer wake-up costs around them)"
                  % (sum(p["run_time_ns"] for p in b["bpf"]) / b["forwarded"]))

    print()
    print("targets (reported, not asserted):")

    def verdict(ok):
        return "n/a" if ok is None else ("met" if ok else "MISSED")

    r = med.get("none-fentry")
    v = r["ratio"] if r else None
    print("  untraced traffic keeps >= 98%% of baseline with fentry: %s (%s)"
          % (verdict(v >= 0.98 if v is not None else None), fmt_num(v and v * 100, "%.1f%%")))
    all_r = med.get("all")
    t_all = traced_pps("ipttrace", all_r) if all_r else None
    for name, key, kind, factor in (("TRACE+nfnetlink_log", "trace-nflog", "nflog", 3),
                                    ("TRACE+kernel log", "trace-log", "kernel-log", 10)):
        a = med.get(key)
        t_a = traced_pps(kind, a) if a else None
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
        print("  no lost events below the rate cap: %s (default --rate 1000: events lost in %d "
              "of %d rounds%s; %d packets traced in the median one)"
              % (verdict(not bad), len(bad), len(caps),
                 (": " + ", ".join("%d" % x for x in bad)) if bad else "",
                 med["all-cap"]["counts"]["packet"]))
    else:
        print("  no lost events below the rate cap: n/a (row failed)")
    readies = sorted(x["ready_s"] for k in ("none-fentry", "none-kprobe", "1pct", "all-cap",
                                            "all") for x in results.get(k, []))
    if readies:
        print("  ready in under 1 s: %s (start to --ready-file, module loaded each time: "
              "median %.2f s, %.2f-%.2f s)" % (verdict(readies[(len(readies) - 1) // 2] < 1.0),
                                              readies[(len(readies) - 1) // 2], readies[0],
                                              readies[-1]))
    sys.stdout.flush()


if __name__ == "__main__":
    sys.exit(main())
