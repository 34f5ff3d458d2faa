# SPDX-License-Identifier: GPL-2.0
"""nf_tables (iptables-nft and native nftables) traced with no rule inserted,
step for step against the kernel's own nf_tables trace.

Every scenario runs twice on a freshly built topology and ruleset:
 - the oracle pass: an inet table at priority -1000 marks the packets
   (meta nftrace set 1) and `nft -a monitor trace` in the namespace records
   the kernel's steps; ipttrace does not run;
 - the ipttrace pass: no oracle table; ipttrace --json --netns NS selects the
   same packets by pcap filter.
Traffic is chosen to be deterministic (UDP, ICMP echo, TCP SYN and SYN-ACK
only; one endpoint per service), so both passes take the same paths.
Steps are compared as (table family, table, chain, handle | return | policy,
verdict), in order, leaving out the oracle's own table and implicit chain-end
returns (6.12 does not report them).
"""
import re

from labtest import *

RS = os.path.join(REPO, "tests", "lab", "rulesets")
MON_RE = re.compile(r"^trace id (\w+) (\w+) (\S+) (\S+) (rule|verdict|policy) ?(.*?)\s*$")


def build(*cmds):
    sh("set -e\n" + "\n".join(cmds))


def ns_cmds(*names):
    return ["ip netns add %s; ip -n %s link set lo up" % (n, n) for n in names]


def veth_cmds(a, aif, b, bif):
    return ["ip link add %s netns %s type veth peer name %s netns %s" % (aif, a, bif, b),
            "ip -n %s link set %s up" % (a, aif), "ip -n %s link set %s up" % (b, bif)]


# ---- selection: the same packets for the oracle and for ipttrace ------------

def selection(hosts):
    """(nft marking rules, pcap filter) for UDP, ICMP echo/errors and TCP SYNs
    to or from hosts: traffic whose packets do not depend on timing."""
    rules, pcap = [], []
    for h in hosts:
        if ":" in h:
            for d in ("saddr", "daddr"):
                rules.append("ip6 %s %s meta l4proto udp meta nftrace set 1" % (d, h))
                rules.append("ip6 %s %s icmpv6 type { echo-request, echo-reply, destination-unreachable } "
                             "meta nftrace set 1" % (d, h))
                rules.append("ip6 %s %s tcp flags & syn == syn meta nftrace set 1" % (d, h))
            pcap.append("(ip6 host %s and (udp or (icmp6 and (ip6[40] == 128 or ip6[40] == 129 "
                        "or ip6[40] == 1)) or (tcp and ip6[53] & 2 != 0)))" % h)
        else:
            for d in ("saddr", "daddr"):
                rules.append("ip %s %s meta l4proto { udp, icmp } meta nftrace set 1" % (d, h))
                rules.append("ip %s %s tcp flags & syn == syn meta nftrace set 1" % (d, h))
            pcap.append("(host %s and (udp or icmp or tcp[tcpflags] & tcp-syn != 0))" % h)
    return rules, " or ".join(pcap)


def oracle_table(ns, rules):
    body = "".join("  %s\n" % r for r in rules)
    sh("nft -f -", ns=ns, input=("table inet ipttrace_oracle {\n"
                                 " chain pre {\n  type filter hook prerouting priority -1000\n%s }\n"
                                 " chain out {\n  type filter hook output priority -1000\n%s }\n}\n")
       % (body, body))


class Monitor:
    """nft -a monitor trace in ns, from start to stop."""
    def __init__(self, ns):
        self.path = "%s/mon-%d" % (TMP, time.monotonic_ns())
        self.f = open(self.path, "w+")
        self.p = subprocess.Popen(["ip", "netns", "exec", ns, "stdbuf", "-oL", "nft", "-a",
                                   "monitor", "trace"], stdout=self.f, stderr=subprocess.STDOUT)
        time.sleep(1.5)         # subscribed before the first packet

    def stop(self):
        time.sleep(1)
        self.p.terminate()
        self.p.wait(10)
        self.f.seek(0)
        self.text = self.f.read()
        return self.text

    def steps(self):
        out = []
        for line in self.text.splitlines():
            m = MON_RE.match(line)
            if not m:
                continue
            _, fam, table, chain, what, rest = m.groups()
            if table == "ipttrace_oracle":
                continue
            if what == "rule":
                v = re.search(r"\(verdict (.*)\)$", rest)
                h = re.search(r"# handle (\d+)", rest)
                verdict = v.group(1) if v else "?"
                if verdict == "return":
                    out.append((fam, table, chain, "return", "return"))
                else:
                    out.append((fam, table, chain, int(h.group(1)) if h else "?", verdict))
            elif what == "verdict":
                if rest == "return":    # 6.1: an explicit return rule
                    out.append((fam, table, chain, "return", "return"))
                # "continue": an implicit return, left out
            elif what == "policy":        # "policy accept meta mark 0x50"
                out.append((fam, table, chain, "policy", rest.split()[0]))
        return out


def nft_steps(tr):
    out = []
    for e in tr.events():
        if e["event"] != "rule" or e.get("backend") != "nft":
            continue
        k = (e["table_family"], e["table"], e["chain"])
        if e["kind"] == "policy":
            out.append(k + ("policy", e["verdict"]))
        elif e["kind"] == "return":
            if "handle" in e:
                out.append(k + ("return", "return"))
        else:
            out.append(k + (e["handle"], e["verdict"]))
    return out


def first_diff(mine, kernel):
    for i, (a, b) in enumerate(zip(mine, kernel)):
        if a != b:
            return "step %d: ipttrace %s, kernel %s" % (i, a, b)
    return "ipttrace has %d steps, the kernel %d; extra: %s" % (
        len(mine), len(kernel), (mine + kernel)[min(len(mine), len(kernel))] if mine != kernel else "")


# ---- rule number and text against the listings ---------------------------------

def strip_counters(t):
    return re.sub(r"counter packets \d+ bytes \d+", "counter", t).strip()


def expect_nft_text(tr, ns):
    """rulenum = position of the handle in its chain (nft -j); text = the
    iptables-nft-save -A line for tables iptables-nft manages, else the
    nft -a line without its handle comment."""
    js = json.loads(sh("nft -j -a list ruleset", ns=ns))["nftables"]
    pos, count = {}, {}
    for o in js:
        r = o.get("rule")
        if r:
            k = (r["family"], r["table"], r["chain"])
            count[k] = count.get(k, 0) + 1
            pos[(r["family"], r["table"], r["handle"])] = (r["chain"], count[k])
    native = {}
    cur = None
    for l in sh("nft -a list ruleset", ns=ns).splitlines():
        m = re.match(r"table (\w+) (\S+) \{", l)
        if m:
            cur = (m.group(1), m.group(2))
        m = re.match(r"\s+(.*\S) # handle (\d+)$", l)
        if m and cur and not re.match(r"(chain|set|map) ", m.group(1)):
            native[cur + (int(m.group(2)),)] = m.group(1)
    saves = {"ip": sh("iptables-nft-save", ns=ns, check=False),
             "ip6": sh("ip6tables-nft-save", ns=ns, check=False)}
    xt = {}
    for fam, text in saves.items():
        table = None
        for l in text.splitlines():
            if l.startswith("*"):
                table = l[1:]
            elif l.startswith("-A "):
                c = l.split()[1]
                xt.setdefault((fam, table, c), []).append(l)
    checked = 0
    for e in tr.events():
        if e["event"] != "rule" or e.get("backend") != "nft" or "handle" not in e:
            continue
        key = (e["table_family"], e["table"], e["handle"])
        expect(key in pos, "handle %s not in nft -j list ruleset" % (key,))
        chain, n = pos[key]
        expect(e["chain"] == chain and e["rulenum"] == n,
               "%s: ipttrace says %s rule %d, nft -j says %s rule %d" % (key, e["chain"], e["rulenum"], chain, n))
        lines = xt.get((e["table_family"], e["table"], chain))
        if lines:
            want = lines[n - 1]
        else:
            want = native.get(key)
        got = e.get("rule")
        expect(got is not None and strip_counters(got) == strip_counters(want or ""),
               "text of %s %s:%s handle %d is %r (%s), the listing says %r"
               % (e["table_family"], e["table"], chain, e["handle"], got, e.get("rule_status"), want))
        checked += 1
    return checked


# ---- one scenario: oracle pass, ipttrace pass, compare ---------------------------

def scenario(setup, ns, hosts, traffic, legacy=False):
    rules, pcap = selection(hosts)
    # oracle pass
    reset()
    setup()
    if legacy:
        sh("modprobe nf_log_syslog")
        sh("sysctl -qw net.netfilter.nf_log_all_netns=1")
        sh("sysctl -qw net.netfilter.nf_log.2=nf_log_ipv4", ns=ns)
        sh("sysctl -qw net.netfilter.nf_log.10=nf_log_ipv6", ns=ns)
        sh("dmesg -C")
    oracle_table(ns, rules)
    mon = Monitor(ns)
    want_res = traffic()
    mon.stop()
    oracle = mon.steps()
    ksteps = kernel_steps() if legacy else []
    expect(oracle, "the oracle saw no nf_tables step: it is broken\n%s" % mon.text[:2000])
    # ipttrace pass
    reset()
    setup()
    before = sh("nft -s list ruleset", ns=ns)
    tr = Tracer(["--netns", ns, pcap])
    got_res = traffic()
    tr.stop()
    expect(tr.rc == 0, "ipttrace exit %d: %s" % (tr.rc, tr.stderr()))
    after = sh("nft -s list ruleset", ns=ns)
    expect(before == after, "nft -s list ruleset changed while tracing:\n%s\n---\n%s" % (before, after))
    expect(got_res == want_res, "traffic differs between the passes: %s vs %s" % (got_res, want_res))
    mine = nft_steps(tr)
    expect(mine == oracle, "nf_tables steps differ from nft monitor trace: %s" % first_diff(mine, oracle))
    if legacy:
        expect(ksteps, "the kernel logged no legacy TRACE step: the oracle is broken")
        expect(tr.steps() == ksteps, "legacy steps: %s" % diff_steps(tr.steps(), ksteps))
    t = expect_nft_text(tr, ns)
    verd = [e for e in tr.events() if e["event"] == "verdict" and e.get("backend") == "nft"]
    for v in verd:
        for k in ("table_family", "table", "chain", "hook", "priority", "verdict", "latency_ns"):
            expect(k in v, "verdict event without %s: %s" % (k, v))
    expect(verd, "no nf_tables verdict event")
    return "%d nf_tables steps equal nft monitor trace%s, %d rule texts, %d base chain verdicts" % (
        len(oracle), ", %d legacy steps equal the TRACE log" % len(ksteps) if legacy else "", t, len(verd))


# ---- traffic helpers ---------------------------------------------------------------

PROBE = r'''
import json, select, socket, sys, time, errno
out = []
for kind, src, addr, port in json.loads(sys.argv[1]):
    fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
    if kind == "tcp":
        s = socket.socket(fam, socket.SOCK_STREAM)
        s.settimeout(0.8)       # before the first SYN retransmission
        try:
            if src:
                s.bind((src, 0))
            s.connect((addr, port))
            out.append("ok")
        except socket.timeout:
            out.append("timeout")
        except OSError as e:
            out.append(errno.errorcode.get(e.errno, str(e.errno)))
        finally:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\1\0\0\0\0\0\0\0")
            s.close()
    else:
        s = socket.socket(fam, socket.SOCK_DGRAM)
        if src:
            s.bind((src, 0))
        s.connect((addr, port))
        try:
            s.send(b"x" * 32)
            r = select.select([s], [], [], 1)[0]
            out.append("answered" if r and s.recv(100) else "sent")
        except OSError as e:
            out.append(errno.errorcode.get(e.errno, str(e.errno)))
        s.close()
    time.sleep(0.1)
print(json.dumps(out))
'''


def probes(ns, plan):
    script = "%s/probe60.py" % TMP
    open(script, "w").write(PROBE)
    p = subprocess.run(["ip", "netns", "exec", ns, "python3", script, json.dumps(plan)],
                       capture_output=True, text=True, timeout=120)
    if p.returncode:
        raise Fail("probe failed: %s" % p.stderr)
    return json.loads(p.stdout)


SERVE = r'''
import socket, sys
kind, port = sys.argv[1], int(sys.argv[2])
s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM if kind == "tcp" else socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("::", port))
if kind == "tcp":
    s.listen(64)
open(sys.argv[3], "w").close()
while True:
    try:
        if kind == "tcp":
            s.accept()[0].close()
        else:
            d, peer = s.recvfrom(2000)
            s.sendto(b"ok", peer)
    except OSError:
        pass
'''


def server(ns, kind, port, fam=None):
    """A server on IPv4 and IPv6 that survives the probes' RSTs."""
    script = "%s/serve60.py" % TMP
    open(script, "w").write(SERVE)
    ready = "%s/serve60-%s-%s-%d" % (TMP, ns, kind, port)
    if os.path.exists(ready):
        os.unlink(ready)
    subprocess.Popen(["ip", "netns", "exec", ns, "python3", script, kind, str(port), ready],
                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(200):
        if os.path.exists(ready):
            return
        time.sleep(0.05)
    raise Fail("server %s %s/%d did not start" % (ns, kind, port))


def pings(ns, addrs):
    return [ping(ns, a, 1) for a in addrs]


# the tcp probe closes with SO_LINGER 0: an RST, which the selection leaves out

# ---- scenarios ------------------------------------------------------------------------

def docker_host():
    build(*ns_cmds("client", "host", "web"),
          *veth_cmds("host", "eth0", "client", "eth0"),
          *veth_cmds("host", "vethc0ffee", "web", "eth0"),
          "ip -n host link add docker0 type bridge",
          "ip -n host link set vethc0ffee master docker0",
          "ip -n host link set docker0 up",
          "ip -n host addr add 10.0.1.1/24 dev eth0",
          "ip -n host addr add 172.17.0.1/16 dev docker0",
          "ip -n client addr add 10.0.1.2/24 dev eth0",
          "ip -n client addr add 10.0.1.66/24 dev eth0",
          "ip -n client route add 172.17.0.0/16 via 10.0.1.1",
          "ip -n web addr add 172.17.0.2/16 dev eth0",
          "ip -n web route add default via 172.17.0.1",
          "ip netns exec host sysctl -qw net.ipv4.ip_forward=1")
    sh("iptables-nft-restore < %s/docker-nft.v4" % RS, ns="host")
    server("web", "tcp", 80)
    server("client", "udp", 53)


def docker_traffic():
    r = probes("client", [("tcp", "", "10.0.1.1", 8080), ("tcp", "10.0.1.66", "10.0.1.1", 8080),
                          ("tcp", "", "172.17.0.2", 81)])
    r += pings("client", ["10.0.1.1", "172.17.0.2"])
    r += probes("web", [("udp", "", "10.0.1.2", 53)])
    return r


def docker():
    return scenario(docker_host, "host", ["10.0.1.2", "10.0.1.66"], docker_traffic)


def kube_node(ruleset):
    def setup():
        cmds = ns_cmds("cli", "node", "pod-a", "pod-b") + veth_cmds("node", "eth0", "cli", "eth0") + [
            "ip -n node addr add 10.0.1.1/24 dev eth0",
            "ip -n node addr add 192.0.2.10/32 dev lo",
            "ip -n node link add cni0 type bridge",
            "ip -n node link set cni0 up",
            "ip -n node addr add 10.244.1.1/24 dev cni0"]
        for pod, ifname, addr in (("pod-a", "veth5f1c2a07", "10.244.1.2"),
                                  ("pod-b", "veth9b0e44d1", "10.244.1.3")):
            cmds += veth_cmds("node", ifname, pod, "eth0") + [
                "ip -n node link set %s master cni0" % ifname,
                "ip -n %s addr add %s/24 dev eth0" % (pod, addr),
                "ip -n %s route add default via 10.244.1.1" % pod]
        cmds += ["ip -n cli addr add %s/24 dev eth0" % a for a in ("10.0.1.2", "10.0.1.66", "10.0.1.254")]
        cmds += ["ip -n node route add default via 10.0.1.254"]
        cmds += ["ip -n cli route add %s via 10.0.1.1" % n
                 for n in ("10.96.0.0/12", "10.244.0.0/16", "192.0.2.10/32")]
        cmds += ["ip netns exec node sysctl -qw net.ipv4.ip_forward=1 net.ipv4.conf.all.send_redirects=0 "
                 "net.ipv4.conf.eth0.send_redirects=0"]
        build(*cmds)
        if ruleset.endswith(".nft"):
            sh("nft -f %s/%s" % (RS, ruleset), ns="node")
        else:
            sh("iptables-nft-restore < %s/%s" % (RS, ruleset), ns="node")
        server("pod-a", "tcp", 8080)
        server("pod-b", "tcp", 8080)
        server("pod-b", "udp", 53)
    return setup


def kube_traffic():
    r = probes("cli", [("tcp", "", "10.96.23.140", 80), ("tcp", "", "10.0.1.1", 31080),
                       ("tcp", "", "10.96.200.7", 80), ("udp", "", "10.96.0.10", 53)])
    r += pings("cli", ["10.0.1.1"])
    return r


def kube_iptables():
    return scenario(kube_node("kube-proxy-nft.v4"), "node", ["10.0.1.2", "10.0.1.66"], kube_traffic)


def kube_nftables():
    return scenario(kube_node("kube-proxy.nft"), "node", ["10.0.1.2"], kube_traffic)


def fw_setup():
    two_hosts()
    sh("ip -6 addr add fd00::66/64 dev veth-cli nodad", ns="cli")
    sh("nft -f %s/firewalld-nft.nft" % RS, ns="srv")
    server("srv", "tcp", 80)
    server("srv", "udp", 51820)


def fw_traffic():
    r = probes("cli", [("tcp", "", "10.0.0.2", 80), ("tcp", "", "10.0.0.2", 8080),
                       ("udp", "", "10.0.0.2", 51820), ("udp", "", "10.0.0.2", 9),
                       ("tcp", "", "fd00::2", 80), ("tcp", "", "fd00::2", 8080),
                       ("udp", "fd00::66", "fd00::2", 51820)])
    r += pings("cli", ["10.0.0.2", "fd00::2"])
    return r


def firewalld():
    return scenario(fw_setup, "srv", ["10.0.0.1", "fd00::1", "fd00::66"], fw_traffic)


def mixed_setup():
    two_hosts()
    restore("srv", "chains.v4")
    sh("nft -f %s/mixed-native.nft" % RS, ns="srv")
    server("srv", "tcp", 80)


def mixed_traffic():
    r = probes("cli", [("tcp", "", "10.0.0.2", 80), ("udp", "", "10.0.0.2", 7),
                       ("udp", "", "10.0.0.2", 53)])
    r += pings("cli", ["10.0.0.2"])
    return r


def mixed():
    return scenario(mixed_setup, "srv", ["10.0.0.1"], mixed_traffic, legacy=True)


# ---- the static key: taken only while tracing, given back on exit and kill -9 ------

def trace_init_hits():
    for l in open("/sys/kernel/tracing/kprobe_profile"):
        f = l.split()
        if f and f[0] == "iptt_nft_trace_init":
            return int(f[1])
    raise Fail("no kprobe counter")


def refcnt():
    return int(open("/sys/module/nf_tables/refcnt").read())


def key_released():
    sh("mountpoint -q /sys/kernel/tracing || mount -t tracefs nodev /sys/kernel/tracing")
    two_hosts()
    sh("nft -f %s/mixed-native.nft" % RS, ns="srv")
    sh("echo -:iptt_nft_trace_init >> /sys/kernel/tracing/kprobe_events", check=False)
    sh("echo 'p:iptt_nft_trace_init nf_tables:nft_trace_init' >> /sys/kernel/tracing/kprobe_events")
    sh("echo 1 > /sys/kernel/tracing/events/kprobes/iptt_nft_trace_init/enable")
    try:
        ping("cli", "10.0.0.2", 2)
        expect(trace_init_hits() == 0, "nft_trace_init called before ipttrace ran")
        ref0 = refcnt()
        notes = []
        for sig in (signal.SIGINT, signal.SIGKILL):
            tr = Tracer(["--netns", "srv", "icmp"])
            ref1 = refcnt()
            ping("cli", "10.0.0.2", 2)
            during = trace_init_hits()
            tr.stop(sig)
            time.sleep(0.5)
            h0 = trace_init_hits()
            ping("cli", "10.0.0.2", 3)
            h1 = trace_init_hits()
            expect(during > 0, "nft_trace_init never called while tracing: the key was not taken")
            expect(ref1 > ref0, "nf_tables refcount %d while tracing, %d before" % (ref1, ref0))
            expect(h1 == h0, "after %s nft_trace_init still called (%d -> %d)" % (sig.name, h0, h1))
            expect(refcnt() == ref0, "after %s nf_tables refcount %d, %d before" % (sig.name, refcnt(), ref0))
            notes.append("%s: %d calls while tracing, 0 after" % (sig.name, during))
            sh("rmmod ipttrace", check=False)
        # nf_tables is not pinned: with the tables gone, it unloads
        sh("ip netns del srv; ip netns del cli")
        time.sleep(1)
        sh("echo 0 > /sys/kernel/tracing/events/kprobes/iptt_nft_trace_init/enable")
        sh("echo -:iptt_nft_trace_init >> /sys/kernel/tracing/kprobe_events")
        def users(mod):
            for l in open("/proc/modules"):
                f = l.split()
                if f[0] == mod:
                    return [u for u in f[3].split(",") if u and u != "-"]
            return []

        def remove(mod, depth=0):
            for u in users(mod):
                if depth < 8:
                    remove(u, depth + 1)
            sh("rmmod %s" % mod, check=False)
        for u in users("nf_tables"):
            remove(u)
        r = subprocess.run("rmmod nf_tables", shell=True, capture_output=True, text=True)
        expect(not os.path.exists("/sys/module/nf_tables"),
               "nf_tables cannot be unloaded after ipttrace: %s (refcnt %s)" % (
                   r.stderr.strip(), open("/sys/module/nf_tables/refcnt").read().strip()
                   if os.path.exists("/sys/module/nf_tables/refcnt") else "?"))
        sh("modprobe nf_tables")
        return "; ".join(notes) + "; nf_tables unloaded afterwards"
    finally:
        sh("echo 0 > /sys/kernel/tracing/events/kprobes/iptt_nft_trace_init/enable", check=False)
        sh("echo -:iptt_nft_trace_init >> /sys/kernel/tracing/kprobe_events", check=False)


def backend_choice():
    """--backend legacy traces no nf_tables step; --backend nft no x_tables one."""
    two_hosts()
    restore("srv", "chains.v4")
    sh("nft -f %s/mixed-native.nft" % RS, ns="srv")
    got = {}
    for b in ("legacy", "nft", "all"):
        tr = Tracer(["--netns", "srv", "--backend", b, "icmp"])
        ping("cli", "10.0.0.2", 1)
        tr.stop()
        expect(tr.rc == 0, "--backend %s: exit %d %s" % (b, tr.rc, tr.stderr()))
        got[b] = {e.get("backend") for e in tr.events() if e["event"] == "rule"}
    expect(got == {"legacy": {"legacy"}, "nft": {"nft"}, "all": {"legacy", "nft"}},
           "backends seen: %s" % got)
    return "legacy, nft and all select their steps"


# t62_docker.py imports this file for its helpers: run the cases only when
# the suite runs this file
if __name__ == "__main__":
    run("nf_tables: Docker on iptables-nft (published port, DOCKER-USER, isolation, FORWARD DROP) equals nft monitor trace", docker)
    run("nf_tables: kube-proxy iptables mode on iptables-nft (services, marks, MASQUERADE, REJECT) equals nft monitor trace", kube_iptables)
    run("nf_tables: firewalld-style native inet (goto zones, sets, ct state, icmpx reject, v4+v6) equals nft monitor trace", firewalld)
    run("nf_tables: kube-proxy nftables mode (vmaps, numgen, dnat, masquerade) equals nft monitor trace", kube_nftables)
    run("nf_tables: mixed legacy + native host: legacy steps equal TRACE log, nf_tables steps equal nft monitor trace", mixed)
    run("nf_tables: nft_trace_enabled held only while tracing (SIGINT, kill -9), nf_tables unloadable after", key_released)
    run("nf_tables: --backend legacy|nft|all", backend_choice)
