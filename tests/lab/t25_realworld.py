# SPDX-License-Identifier: GPL-2.0
"""Rulesets as real tools write them (firewalld, Docker, kube-proxy), traced
step for step against the kernel's own TRACE log.

These rulesets walk dozens of rules per packet, so a test writes more TRACE
lines than the kernel's 128 KiB log ring holds (a few hundred): the kernel's
steps are read from /dev/kmsg while the traffic runs (KernelLog) instead of
from dmesg at the end, and a lost record fails the test.
"""
import select
import threading

from labtest import *


class KernelLog:
    """The TRACE steps the kernel logs from now on, read as they come."""
    current = None

    def __init__(self):
        if KernelLog.current:           # left running by a failed test
            KernelLog.current.close()
        KernelLog.current = self
        self.steps = []
        self.lost = 0
        self.fd = os.open("/dev/kmsg", os.O_RDONLY | os.O_NONBLOCK)
        os.lseek(self.fd, 0, os.SEEK_END)
        self.done = False
        self.t = threading.Thread(target=self._run, daemon=True)
        self.t.start()

    def _drain(self):
        while True:
            try:
                rec = os.read(self.fd, 8192).decode(errors="replace")
            except BlockingIOError:
                return
            except BrokenPipeError:     # records overwritten before we read them
                self.lost += 1
                continue
            m = TRACE_RE.search(rec)
            if m:
                self.steps.append(m.groups())

    def _run(self):
        p = select.poll()
        p.register(self.fd, select.POLLIN)
        while not self.done:
            p.poll(100)
            self._drain()

    def close(self):
        if self.done:
            return
        self.done = True
        self.t.join()
        self._drain()
        os.close(self.fd)
        KernelLog.current = None


def expect_same_steps_all(tr, klog, what):
    """expect_same_steps, against every step the kernel logged."""
    mine, kernel = tr.steps(), klog.steps
    expect(klog.lost == 0, "%s: %d kernel log records overwritten before they were read: "
           "the oracle is incomplete" % (what, klog.lost))
    expect(len(kernel) > 0, "%s: the kernel logged no TRACE step: the oracle is broken" % what)
    expect(mine == kernel, "%s: %s" % (what, diff_steps(mine, kernel)))
    if len(kernel) < 300:   # all of it is still in the ring: labtest's own check agrees
        expect_same_steps(tr, what)
    return len(kernel)


# ---- traffic: one process per source namespace runs a list of probes -------

PROBE = r'''
import errno, json, select, socket, struct, sys, time

def fam(addr):
    return socket.AF_INET6 if ":" in addr else socket.AF_INET

def err(e):
    return errno.errorcode.get(e.errno, str(e.errno))

def tcp(src, addr, port, timeout):
    """ok, timeout, or the errno name connect/recv failed with"""
    s = socket.socket(fam(addr), socket.SOCK_STREAM)
    s.settimeout(timeout)
    try:
        if src:
            s.bind((src, 0))
        s.connect((addr, port))
        s.sendall(b"hi")
        return "ok" if s.recv(10) == b"ok" else "bad answer"
    except socket.timeout:
        return "timeout"
    except OSError as e:
        return err(e)
    finally:
        s.close()

def udp(src, addr, port, count):
    """answered, sent (no answer in 1 s), or the errno name an ICMP error
    left on the socket"""
    s = socket.socket(fam(addr), socket.SOCK_DGRAM)
    if src:
        s.bind((src, 0))
    s.connect((addr, port))
    try:
        for i in range(count):
            s.send(b"x" * 32)
            time.sleep(0.02)
        if not select.select([s], [], [], 1)[0]:
            return "sent"
        return "answered" if s.recv(100) == b"ok" else "bad answer"
    except OSError as e:
        return err(e)
    finally:
        s.close()

def csum(b):
    if len(b) % 2:
        b += b"\0"
    n = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    n = (n >> 16) + (n & 0xffff)
    return ~(n + (n >> 16)) & 0xffff

def icmp(src, addr, typ, timeout):
    """[type, code] of the first ICMP message from addr, or timeout"""
    v6 = ":" in addr
    s = socket.socket(fam(addr), socket.SOCK_RAW,
                      socket.IPPROTO_ICMPV6 if v6 else socket.IPPROTO_ICMP)
    if src:
        s.bind((src, 0))
    if typ in (13,):            # timestamp request: id, seq, 3 stamps
        body = struct.pack("!HHIII", 0x2525, 1, 0, 0, 0)
    elif typ == 139:            # node information query, subject an address
        body = struct.pack("!HH8s", 4, 0, b"t25nonce") + socket.inet_pton(socket.AF_INET6, addr)
    else:                       # echo request
        body = struct.pack("!HH", 0x2525, 1) + b"t25 " * 8
    hdr = struct.pack("!BBH", typ, 0, 0) + body
    if not v6:                  # the kernel sums ICMPv6 itself
        hdr = hdr[:2] + struct.pack("!H", csum(hdr)) + hdr[4:]
    s.sendto(hdr, (addr, 0))
    end = time.monotonic() + timeout
    while True:
        left = end - time.monotonic()
        if left <= 0 or not select.select([s], [], [], left)[0]:
            return "timeout"
        data, peer = s.recvfrom(2000)
        if peer[0] != addr and not v6:
            continue
        if not v6:
            data = data[(data[0] & 15) * 4:]
        t, c = data[0], data[1]
        if v6 and (133 <= t <= 136 or t in (130, 131, 143)):
            continue            # neighbour discovery, MLD
        if t == typ:
            continue
        return [t, c]

out = []
for p in json.loads(sys.argv[1]):
    out.append(globals()[p[0]](*p[1:]))
    time.sleep(0.05)
print(json.dumps(out))
'''


def probe(ns, probes):
    """Run [("tcp", src, addr, port, timeout) | ("udp", src, addr, port, n) |
    ("icmp", src, addr, type, timeout)] in ns, one after the other."""
    script = "%s/probe.py" % TMP
    open(script, "w").write(PROBE)
    p = subprocess.run(["ip", "netns", "exec", ns, "python3", script, json.dumps(probes)],
                       capture_output=True, text=True, timeout=120)
    if p.returncode != 0:
        raise Fail("probe in %s failed: %s" % (ns, p.stderr))
    return json.loads(p.stdout)


def expect_results(got, want, what):
    for (pr, g, w) in zip(what, got, want):
        expect(g == w, "%s: %r, want %r" % (pr, g, w))


# ---- topologies and servers --------------------------------------------------
# Under TCG every process costs a good fraction of a second: a topology is
# built by one shell, and one process serves all of a namespace's ports.

def build(*cmds):
    sh("set -e\n" + "\n".join(cmds))


def ns_cmds(*names):
    return ["ip netns add %s; ip -n %s link set lo up" % (n, n) for n in names]


def veth_cmds(a, aif, b, bif):
    return ["ip link add %s netns %s type veth peer name %s netns %s" % (aif, a, bif, b),
            "ip -n %s link set %s up" % (a, aif), "ip -n %s link set %s up" % (b, bif)]


SERVERS = r'''
import select, socket, sys
out, specs = sys.argv[1], sys.argv[2:]
socks = {}
for spec in specs:
    kind, fam, port = spec.split(":")
    s = socket.socket(socket.AF_INET6 if fam == "6" else socket.AF_INET,
                      socket.SOCK_STREAM if kind == "tcp" else socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("::" if fam == "6" else "0.0.0.0", int(port)))
    if kind == "tcp":
        s.listen(16)
    socks[s] = [kind, "%s-%s-%s" % (out, kind, port), 0]
    open(socks[s][1], "w").write("0\n")
open(out + "-ready", "w").close()
while True:
    for s in select.select(list(socks), [], [])[0]:
        kind, path, n = socks[s]
        if kind == "tcp":
            c, _ = s.accept()
            c.settimeout(2)
            try:
                c.recv(100)
                c.sendall(b"ok")
            except OSError:
                pass
            c.close()
        else:
            _, peer = s.recvfrom(2000)
            s.sendto(b"ok", peer)
        socks[s][2] = n + 1
        open(path, "w").write("%d\n" % (n + 1))
'''


def servers(ns, *specs):
    """Like labtest's server() for each "kind:fam:port" of specs, in one
    process; returns their count functions."""
    out = "%s/srv-%s-%d" % (TMP, ns, time.monotonic_ns())
    script = "%s/servers.py" % TMP
    open(script, "w").write(SERVERS)
    subprocess.Popen(["ip", "netns", "exec", ns, "python3", script, out] + list(specs),
                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(300):
        if os.path.exists(out + "-ready"):
            break
        time.sleep(0.05)
    else:
        raise Fail("servers %s in %s did not start" % (specs, ns))

    def counter(spec):
        kind, fam, port = spec.split(":")
        path = "%s-%s-%s" % (out, kind, port)
        return lambda: int(open(path).read().strip() or 0)
    return [counter(sp) for sp in specs]


# ---- verdicts -------------------------------------------------------------------

def packets(tr, **match):
    return [e for e in tr.events() if e["event"] == "packet"
            and all(e.get(k) == v for k, v in match.items())]


def verdicts(tr, **match):
    vs = last_verdicts(tr)
    pk = packets(tr, **match)
    expect(pk, "no packet event with %s" % match)
    return [vs.get(p["id"], []) for p in pk]


def expect_dropped(tr, table, hook, **match):
    """Every matching packet's last verdict is table hook DROP (REJECT drops too)."""
    for v in verdicts(tr, **match):
        expect(v and v[-1] == (table, hook, "DROP"),
               "%s: verdicts %s, want the last %s %s DROP" % (match, v, table, hook))


def expect_accepted(tr, table, hook, **match):
    """The first matching packet was accepted by table hook and dropped nowhere."""
    v = verdicts(tr, **match)[0]
    expect((table, hook, "ACCEPT") in v and all(x[2] != "DROP" for x in v),
           "%s: verdicts %s, want %s %s ACCEPT and no DROP" % (match, v, table, hook))


def finish(tr, klog, ns, what):
    # The oracle goes first: a late packet (a SYN retransmitted after the
    # probes) is then marked by ipttrace alone and logged (--keep-log) while
    # ipttrace still runs, instead of being logged for the oracle only after
    # ipttrace has stopped (seen on arm64 TCG: 45 extra kernel steps).
    oracle_off(ns)
    time.sleep(0.3)
    tr.stop()
    klog.close()
    expect(tr.rc == 0, "exit %d: %s" % (tr.rc, tr.stderr()))
    ev = tr.events()            # parse the JSON once, not in every check
    tr.events = lambda: ev
    n = expect_same_steps_all(tr, klog, what)
    t = expect_rule_text(tr, ns)
    return n, t


# ---- firewalld ------------------------------------------------------------------

def firewalld_router():
    """three_hosts(), and a second client address:
    cli 10.0.1.2, 10.0.1.66 -> rtr (10.0.1.1 | 10.0.2.1) -> srv 10.0.2.2"""
    build(*ns_cmds("cli", "rtr", "srv"),
          *veth_cmds("cli", "veth-rtr", "rtr", "veth-cli"),
          *veth_cmds("rtr", "veth-srv", "srv", "veth-rtr"),
          "ip -n cli addr add 10.0.1.2/24 dev veth-rtr",
          "ip -n cli addr add 10.0.1.66/24 dev veth-rtr",
          "ip -n rtr addr add 10.0.1.1/24 dev veth-cli",
          "ip -n rtr addr add 10.0.2.1/24 dev veth-srv",
          "ip -n srv addr add 10.0.2.2/24 dev veth-rtr",
          "ip -n cli route add default via 10.0.1.1",
          "ip -n srv route add default via 10.0.2.1",
          "ip netns exec rtr sysctl -qw net.ipv4.ip_forward=1")


def firewalld_v4():
    firewalld_router()
    restore("rtr", "firewalld.v4")
    ssh, web, wg = servers("rtr", "tcp:4:22", "tcp:4:80", "udp:4:51820")
    fwd, = servers("srv", "tcp:4:80")
    oracle_on("rtr", ["10.0.1.2", "10.0.1.66"])
    klog = KernelLog()
    tr = Tracer(["--netns", "rtr", "--keep-log", "host 10.0.1.2 or host 10.0.1.66"])
    plan = [
        (("tcp", "", "10.0.1.1", 22, 3), "ok"),              # service ssh
        (("tcp", "", "10.0.1.1", 80, 3), "ok"),              # service http
        (("tcp", "", "10.0.1.1", 8080, 3), "EHOSTUNREACH"),  # final REJECT
        (("tcp", "10.0.1.66", "10.0.1.1", 22, 0.8), "timeout"),  # rich rule: log, drop
        (("udp", "", "10.0.1.1", 51820, 2), "answered"),     # port 51820/udp
        (("udp", "", "10.0.1.1", 9, 1), "EHOSTUNREACH"),     # final REJECT
        (("icmp", "", "10.0.1.1", 8, 2), [0, 0]),            # ping: zone accepts icmp
        (("icmp", "", "10.0.1.1", 13, 2), [3, 10]),          # icmp-block timestamp
        (("tcp", "", "10.0.2.2", 80, 3), "ok"),              # forwarded by the direct rule
        (("tcp", "", "10.0.2.2", 22, 3), "EHOSTUNREACH"),    # FORWARD's final REJECT
        (("icmp", "", "10.0.2.2", 8, 2), [0, 0]),            # forwarded ping
    ]
    got = probe("cli", [p for p, _ in plan])
    n, t = finish(tr, klog, "rtr", "firewalld")
    expect_results(got, [w for _, w in plan], [p for p, _ in plan])
    expect((ssh(), web(), wg(), fwd()) == (1, 1, 2, 1),
           "servers saw ssh %d, http %d, udp %d, forwarded %d" % (ssh(), web(), wg(), fwd()))
    expect_accepted(tr, "filter", "INPUT", saddr="10.0.1.2", dport=22)
    expect_accepted(tr, "filter", "INPUT", saddr="10.0.1.2", dport=51820)
    expect_dropped(tr, "filter", "INPUT", saddr="10.0.1.2", dport=8080)
    expect_dropped(tr, "filter", "INPUT", saddr="10.0.1.66", dport=22)
    expect_dropped(tr, "filter", "INPUT", saddr="10.0.1.2", dport=9)
    expect_dropped(tr, "filter", "INPUT", saddr="10.0.1.2", icmp_type=13)
    expect_accepted(tr, "filter", "FORWARD", saddr="10.0.1.2", daddr="10.0.2.2", dport=80)
    expect_dropped(tr, "filter", "FORWARD", saddr="10.0.1.2", daddr="10.0.2.2", dport=22)
    expect_accepted(tr, "filter", "FORWARD", saddr="10.0.1.2", daddr="10.0.2.2", icmp_type=8)
    # the connection's later packets take conntrack's ESTABLISHED accept
    st = tr.steps()
    expect(("filter", "INPUT", "rule", "1") in st, "no filter:INPUT:rule:1 (ESTABLISHED) step")
    expect(("filter", "FORWARD", "rule", "1") in st, "no filter:FORWARD:rule:1 (ESTABLISHED) step")
    expect(("security", "INPUT_direct", "return", "1") in st, "security table not walked")
    return "%d steps equal, %d rule texts" % (n, t)


def firewalld_v6():
    """cli (fd00::1, fd00::66) -> srv, a firewalld host"""
    # two_hosts(), IPv6 only, and a second client address
    build(*ns_cmds("cli", "srv"), *veth_cmds("cli", "veth-cli", "srv", "veth-srv"),
          "ip -n cli -6 addr add fd00::1/64 dev veth-cli nodad",
          "ip -n cli -6 addr add fd00::66/64 dev veth-cli nodad",
          "ip -n srv -6 addr add fd00::2/64 dev veth-srv nodad")
    restore("srv", "firewalld.v6", v6=True)
    web, wg = servers("srv", "tcp:6:80", "udp:6:51820")
    oracle_on("srv", ["fd00::1", "fd00::66"])
    klog = KernelLog()
    tr = Tracer(["--netns", "srv", "--keep-log", "host fd00::1 or host fd00::66"])
    plan = [
        (("icmp", "fd00::1", "fd00::2", 128, 2), [129, 0]),     # ping, after neighbour discovery
        (("tcp", "fd00::1", "fd00::2", 80, 3), "ok"),           # service http
        (("tcp", "fd00::1", "fd00::2", 8080, 3), "EACCES"),     # final REJECT adm-prohibited
        (("tcp", "fd00::66", "fd00::2", 80, 0.8), "timeout"),  # rich rule: log, drop
        (("udp", "fd00::1", "fd00::2", 51820, 2), "answered"),  # port 51820/udp
        (("udp", "fd00::1", "fd00::2", 9, 1), "EACCES"),        # final REJECT
        (("icmp", "fd00::1", "fd00::2", 139, 2), [1, 1]),       # icmp-block node info query
    ]
    got = probe("cli", [p for p, _ in plan])
    n, t = finish(tr, klog, "srv", "firewalld v6")
    expect_results(got, [w for _, w in plan], [p for p, _ in plan])
    expect((web(), wg()) == (1, 2), "servers saw http %d, udp %d" % (web(), wg()))
    fams = {e["family"] for e in packets(tr)}
    expect(fams == {"ipv6"}, "families %s" % fams)
    # neighbour discovery was traced and let through
    nd = [e for e in packets(tr, saddr="fd00::1") if e.get("icmp_type") in (135, 136)]
    expect(nd, "no neighbour solicitation/advertisement from fd00::1 traced")
    for i in {e["id"] for e in nd}:
        v = last_verdicts(tr).get(i, [])
        expect(v and all(x[2] == "ACCEPT" for x in v), "neighbour discovery verdicts %s" % v)
    expect_accepted(tr, "filter", "INPUT", saddr="fd00::1", icmp_type=128)
    expect_accepted(tr, "filter", "INPUT", saddr="fd00::1", dport=80)
    expect_dropped(tr, "filter", "INPUT", saddr="fd00::1", dport=8080)
    expect_dropped(tr, "filter", "INPUT", saddr="fd00::66", dport=80)
    expect_dropped(tr, "filter", "INPUT", saddr="fd00::1", dport=9)
    expect_dropped(tr, "filter", "INPUT", saddr="fd00::1", icmp_type=139)
    return "%d steps equal, %d rule texts" % (n, t)


# ---- Docker -----------------------------------------------------------------------

def docker_host():
    """client 10.0.1.2, 10.0.1.66 --- eth0 10.0.1.1 [host] docker0 172.17.0.1
    --- vethc0ffee/eth0 web 172.17.0.2 (published: 10.0.1.1:8080 -> web:80)"""
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


def docker():
    docker_host()
    restore("host", "docker.v4")
    web, = servers("web", "tcp:4:80")
    dns, = servers("client", "udp:4:53")
    oracle_on("host", ["10.0.1.2", "10.0.1.66"])
    klog = KernelLog()
    tr = Tracer(["--netns", "host", "--keep-log", "host 10.0.1.2 or host 10.0.1.66"])
    plan = [
        (("tcp", "", "10.0.1.1", 8080, 3), "ok"),                # published port
        (("tcp", "10.0.1.66", "10.0.1.1", 8080, 0.8), "timeout"),  # DOCKER-USER drop
        (("tcp", "", "172.17.0.2", 80, 3), "ok"),                # container address, port 80
        (("tcp", "", "172.17.0.2", 81, 0.8), "timeout"),         # unpublished: FORWARD policy
        (("icmp", "", "10.0.1.1", 8, 2), [0, 0]),                # the host answers pings
        (("icmp", "", "172.17.0.2", 8, 1), "timeout"),           # the container does not
    ]
    got = probe("client", [p for p, _ in plan])
    # the container asks the client's DNS server: out through MASQUERADE
    got_web = probe("web", [("udp", "", "10.0.1.2", 53, 1)])
    n, t = finish(tr, klog, "host", "docker")
    expect_results(got, [w for _, w in plan], [p for p, _ in plan])
    expect(got_web == ["answered"] and dns() == 1, "container's DNS query: %s, client got %d"
           % (got_web, dns()))
    expect(web() == 2, "the container's web server got %d connections" % web())
    expect_accepted(tr, "filter", "FORWARD", saddr="10.0.1.2", dport=8080)
    expect_dropped(tr, "filter", "FORWARD", saddr="10.0.1.66", dport=8080)
    expect_accepted(tr, "filter", "FORWARD", saddr="10.0.1.2", daddr="172.17.0.2", dport=80)
    expect_dropped(tr, "filter", "FORWARD", saddr="10.0.1.2", dport=81)
    expect_accepted(tr, "filter", "INPUT", saddr="10.0.1.2", daddr="10.0.1.1", icmp_type=8)
    expect_dropped(tr, "filter", "FORWARD", saddr="10.0.1.2", daddr="172.17.0.2", icmp_type=8)
    expect_accepted(tr, "filter", "FORWARD", saddr="172.17.0.2", dport=53)
    nats = [e for e in tr.events() if e["event"] == "nat"]
    dnat = [e for e in nats if e["from"].get("dport") == 8080]
    expect(dnat and dnat[0]["to"]["daddr"] == "172.17.0.2" and dnat[0]["to"]["dport"] == 80
           and dnat[0]["after"] == "nat:DOCKER:rule:2", "published port NAT %s" % dnat[:1])
    # MASQUERADE: the rule step, and the "nat" event read from conntrack as
    # nat POSTROUTING returns (no table runs after it)
    out = {e["id"] for e in packets(tr, saddr="172.17.0.2", dport=53)}
    masq = [e for e in tr.events() if e["event"] == "rule" and e["id"] in out
            and (e["table"], e["chain"], e["rulenum"]) == ("nat", "POSTROUTING", 1)]
    expect(len(masq) == 1, "%d MASQUERADE steps for the container's udp, want 1" % len(masq))
    snat = [e for e in nats if e["id"] in out and e["after"] == "nat:POSTROUTING:rule:1"]
    expect(len(snat) == 1 and snat[0]["from"]["saddr"] == "172.17.0.2"
           and snat[0]["to"]["saddr"] == "10.0.1.1", "MASQUERADE nat event: %s" % snat)
    return "%d steps equal, %d rule texts" % (n, t)


# ---- kube-proxy ------------------------------------------------------------------

def kube_node():
    """cli 10.0.1.2, 10.0.1.66 --- eth0 10.0.1.1 [node] cni0 10.244.1.1
    --- pod-a 10.244.1.2, pod-b 10.244.1.3; the node holds the load balancer
    address 192.0.2.10 (as a cloud's guest agent puts it there)"""
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
    # the node's default route: the LAN's router, the client's second hat
    cmds += ["ip -n cli addr add %s/24 dev eth0" % a for a in ("10.0.1.2", "10.0.1.66", "10.0.1.254")]
    cmds += ["ip -n node route add default via 10.0.1.254"]
    cmds += ["ip -n cli route add %s via 10.0.1.1" % n for n in ("10.96.0.0/12", "10.244.0.0/16", "192.0.2.10/32")]
    # A packet for a service without endpoints leaves by the interface it
    # came in on: a redirect would go first, be dropped by NAT (its
    # connection is unconfirmed), and use up the ICMP rate limit that the
    # REJECT's port unreachable needs.  One-armed routers turn them off.
    cmds += ["ip netns exec node sysctl -qw net.ipv4.ip_forward=1 net.ipv4.conf.all.send_redirects=0 "
             "net.ipv4.conf.eth0.send_redirects=0"]
    build(*cmds)


def kube_proxy():
    kube_node()
    restore("node", "kube-proxy.v4")
    web_a, = servers("pod-a", "tcp:4:8080")
    web_b, dns = servers("pod-b", "tcp:4:8080", "udp:4:53")
    oracle_on("node", ["10.0.1.2", "10.0.1.66"])
    klog = KernelLog()
    tr = Tracer(["--netns", "node", "--keep-log", "host 10.0.1.2 or host 10.0.1.66"])
    plan = [
        (("tcp", "", "10.96.23.140", 80, 3), "ok"),      # ClusterIP, random endpoint
        (("tcp", "", "10.96.23.140", 80, 3), "ok"),
        (("tcp", "", "10.96.23.140", 80, 3), "ok"),
        (("tcp", "", "10.0.1.1", 31080, 3), "ok"),       # NodePort
        (("tcp", "10.0.1.2", "192.0.2.10", 80, 3), "ok"),  # LoadBalancer, allowed source
        (("tcp", "10.0.1.66", "192.0.2.10", 80, 0.8), "timeout"),  # KUBE-MARK-DROP
        (("tcp", "", "10.96.200.7", 80, 3), "ECONNREFUSED"),  # no endpoints
        (("tcp", "", "10.0.1.1", 31081, 3), "ECONNREFUSED"),  # no endpoints, NodePort
        (("udp", "", "10.96.0.10", 53, 1), "answered"),  # kube-dns, two lookups
        (("udp", "", "10.96.0.10", 53, 1), "answered"),
        (("icmp", "", "10.0.1.1", 8, 2), [0, 0]),        # the node answers pings
        (("icmp", "", "10.244.1.2", 8, 1), "timeout"),   # a pod from outside: FORWARD policy
    ]
    got = probe("cli", [p for p, _ in plan])
    n, t = finish(tr, klog, "node", "kube-proxy")
    expect_results(got, [w for _, w in plan], [p for p, _ in plan])
    expect(web_a() + web_b() == 5, "pods got %d + %d connections, want 5" % (web_a(), web_b()))
    expect(dns() == 2, "kube-dns pod got %d datagrams" % dns())
    expect_accepted(tr, "filter", "FORWARD", daddr="10.96.23.140", dport=80)
    expect_accepted(tr, "filter", "FORWARD", daddr="10.0.1.1", dport=31080)
    expect_accepted(tr, "filter", "FORWARD", saddr="10.0.1.2", daddr="192.0.2.10", dport=80)
    expect_dropped(tr, "filter", "INPUT", saddr="10.0.1.66", daddr="192.0.2.10", dport=80)
    expect_dropped(tr, "filter", "FORWARD", daddr="10.96.200.7", dport=80)
    expect_dropped(tr, "filter", "INPUT", daddr="10.0.1.1", dport=31081)
    expect_accepted(tr, "filter", "FORWARD", daddr="10.96.0.10", dport=53)
    expect_accepted(tr, "filter", "INPUT", daddr="10.0.1.1", icmp_type=8)
    expect_dropped(tr, "filter", "FORWARD", daddr="10.244.1.2", icmp_type=8)
    # each ClusterIP connection went to a pod through KUBE-SVC -> KUBE-SEP
    nats = [e for e in tr.events() if e["event"] == "nat" and e["after"].startswith("nat:")
            and e["from"].get("daddr") == "10.96.23.140"]
    expect(len(nats) == 3, "%d NAT events for the ClusterIP, want 3" % len(nats))
    for e in nats:
        sep = {"10.244.1.2": "KUBE-SEP-6GGW2WMK5EEZEICL", "10.244.1.3": "KUBE-SEP-EO343764D7SKD2Y5"}
        expect(e["to"]["dport"] == 8080 and e["after"] == "nat:%s:rule:2" % sep.get(e["to"]["daddr"]),
               "ClusterIP NAT %s" % e)
    st = tr.steps()
    expect(("filter", "KUBE-FIREWALL", "rule", "1") in st, "no KUBE-FIREWALL drop step")
    expect(("nat", "KUBE-SVC-YANT6CQCT3GHMULW", "rule", "3") in st
           or ("nat", "KUBE-SVC-YANT6CQCT3GHMULW", "rule", "4") in st, "no endpoint choice step")
    return "%d steps equal, %d rule texts" % (n, t)


run("firewalld router: services, rich rule, icmp-block, direct rule, REJECTs equal the kernel TRACE log", firewalld_v4)
run("firewalld IPv6 host: neighbour discovery, services, adm-prohibited REJECTs equal the kernel TRACE log", firewalld_v6)
run("Docker host: published port, DOCKER-USER drop, masquerade equal the kernel TRACE log", docker)
run("kube-proxy node: ClusterIP, NodePort, LoadBalancer, marked drop, no-endpoint REJECT equal the kernel TRACE log", kube_proxy)
