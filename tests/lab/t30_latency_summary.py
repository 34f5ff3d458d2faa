# SPDX-License-Identifier: GPL-2.0
"""--latency histograms and --summary counts, exact against what was sent
and against the kernel's own rule counters."""
from labtest import *


def latency_split():
    two_hosts()
    restore("srv", "chains.v4")        # raw, mangle and filter exist in srv
    server("srv", "udp", 7)
    tr = Tracer(["--latency", "--per-netns"])
    srv_ns = int(os.stat("/run/netns/srv").st_ino)
    npings, nudp = 5, 4
    expect(ping("cli", "10.0.0.2", npings), "ping failed")
    udp_send("cli", "10.0.0.2", 7, nudp)
    tr.stop()
    expect(tr.rc == 0, "exit %d: %s" % (tr.rc, tr.stderr()))
    got = {(e["table"], e["hook"]): e for e in tr.events()
           if e["event"] == "latency" and e["netns"] == srv_ns}
    n_in, n_out = npings + nudp, npings    # echo replies are the only output
    want = {("raw", "PREROUTING"): n_in, ("mangle", "PREROUTING"): n_in,
            ("mangle", "INPUT"): n_in, ("filter", "INPUT"): n_in,
            ("raw", "OUTPUT"): n_out, ("mangle", "OUTPUT"): n_out,
            ("filter", "OUTPUT"): n_out, ("mangle", "POSTROUTING"): n_out}
    counts = {k: v["count"] for k, v in got.items()}
    expect(counts == want, "per-key counts %s, want %s" % (sorted(counts.items()), sorted(want.items())))
    for k, v in got.items():
        expect(sum(v["slots"]) == v["count"], "%s: buckets sum to %d, count %d"
               % (k, sum(v["slots"]), v["count"]))
        expect(v["p50_ns"] <= v["p90_ns"] <= v["p99_ns"], "%s percentiles not ordered" % (k,))
    return "%d keys exact" % len(want)


def latency_human():
    two_hosts()
    restore("srv", "chains.v4")
    tr = Tracer(["--latency"], json_out=False)
    ping("cli", "10.0.0.2", 3)
    tr.stop()
    out = tr.text
    expect(tr.rc == 0, "exit %d" % tr.rc)
    expect(re.search(r"ipv4 filter INPUT: count 3 +mean \d+ ns +p50 \d+ ns +p90 \d+ ns +p99 \d+ ns", out),
           "no filter INPUT line with count 3:\n" + out)
    expect("nsecs" in out and "distribution" in out and "*" in out, "no histogram:\n" + out)


def summary_counters():
    two_hosts()
    restore("srv", "chains.v4")
    server("srv", "tcp", 80)
    sh("iptables-legacy -Z", ns="srv")
    for t in ("raw", "mangle"):
        sh("iptables-legacy -t %s -Z" % t, ns="srv")
    tr = Tracer(["--netns", "srv", "--summary", "host 10.0.0.1"])
    ping("cli", "10.0.0.2", 3)
    tcp_connect("cli", "10.0.0.2", 80)
    udp_send("cli", "10.0.0.2", 9, 2)
    tr.stop()
    expect(tr.rc == 0, "exit %d: %s" % (tr.rc, tr.stderr()))
    kernel, nrules = {}, {}
    table = None
    for l in sh("iptables-legacy-save -c", ns="srv").splitlines():
        if l.startswith("*"):
            table = l[1:]
        m = re.match(r"\[(\d+):\d+\] -A (\S+) ", l)
        if m:
            chain = m.group(2)
            n = nrules[(table, chain)] = nrules.get((table, chain), 0) + 1
            if int(m.group(1)):
                kernel[(table, chain, n)] = int(m.group(1))
    hits = {}
    for e in tr.events():
        # every step that names a rule, including the unconditional
        # "-j RETURN/ACCEPT" ones the kernel labels return/policy; not the
        # chain policies and chain ends, which have no rule counter
        if e["event"] == "summary_rule" and e["rulenum"] <= nrules.get((e["table"], e["chain"]), 0):
            hits[(e["table"], e["chain"], e["rulenum"])] = (e["hits"], e.get("rule"))
    mine = {k: v[0] for k, v in hits.items()}
    expect(kernel and mine == kernel, "summary hits %s\nkernel counters %s"
           % (sorted(mine.items()), sorted(kernel.items())))
    for k, (n, text) in hits.items():
        expect(text and text.startswith("-A %s " % k[1]), "no rule text for %s" % (k,))
    verd = [e for e in tr.events() if e["event"] == "summary_verdicts"
            and e["table"] == "filter" and e["hook"] == "INPUT"]
    expect(verd and verd[0]["verdicts"].get("DROP") == 2, "filter INPUT DROPs: %s" % verd)
    return "%d rules' hits equal the kernel counters" % len(kernel)


def summary_human():
    two_hosts()
    restore("srv", "chains.v4")
    tr = Tracer(["--netns", "srv", "--summary", "-c", "2", "icmp"], json_out=False)
    ping("cli", "10.0.0.2", 1)
    rc = tr.p.wait(30)
    tr.out.seek(0)
    out = tr.out.read()
    expect(rc == 0, "exit %d" % rc)
    expect("Rule hits (traced packets):" in out and "Verdicts per table and hook:" in out,
           "no summary:\n" + out)
    expect(re.search(r"\n +1 +ip +filter +INPUT +rule +4 +-A INPUT -p icmp -m icmp --icmp-type 8 -j ACCEPT", out),
           "no hit line for the echo-request rule:\n" + out)


run("latency: per-key counts equal the packets sent, buckets sum to counts", latency_split)
run("latency: human histogram output", latency_human)
run("summary: per-rule hits equal iptables-legacy -L -v -x counters", summary_counters)
run("summary: human output", summary_human)
