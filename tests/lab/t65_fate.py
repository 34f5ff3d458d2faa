# SPDX-License-Identifier: GPL-2.0
"""Packet fate (issue 13): each fate made to happen for real, ipttrace's
answer checked against the evidence: a socket's count, a capture or an
nstat counter, the rule's own counter."""
from labtest import *


def ns_inode(ns):
    return int(os.stat("/run/netns/%s" % ns).st_ino)


def legacy(ns, rule=None):
    """ip_tables loaded and a filter table in ns (ipttrace traces legacy)"""
    sh("iptables-legacy %s" % (rule or "-L -n"), ns=ns)


def fates(tr):
    """id -> the fate events of that id, and the packet events"""
    ev = tr.events()
    out = {}
    for e in ev:
        if e["event"] == "fate":
            out.setdefault(e["id"], []).append(e)
    pk = [e for e in ev if e["event"] == "packet"]
    return out, pk


def one_fate(tr, pred, n, want, what):
    """n selected packets matching pred, each with exactly one fate want"""
    fs, pk = fates(tr)
    sel = [p for p in pk if pred(p)]
    expect(len(sel) == n, "%s: %d packet events, want %d: %s" % (what, len(sel), n, pk))
    got = []
    for p in sel:
        f = fs.get(p["id"], [])
        expect(len(f) == 1, "%s: id %d has %d fate events: %s" % (what, p["id"], len(f), f))
        expect(f[0]["fate"] == want, "%s: id %d fate %s, want %s" % (what, p["id"], f[0], want))
        got.append(f[0])
    return got


def nstat(ns, name):
    out = sh("nstat -asz %s" % name, ns=ns)
    for l in out.splitlines():
        if l.startswith(name + " "):
            return int(l.split()[1])
    raise Fail("nstat has no %s:\n%s" % (name, out))


def rule_packets(ns, chain, num, table="filter"):
    out = sh("iptables-legacy -t %s -L %s -v -x -n --line-numbers" % (table, chain), ns=ns)
    for l in out.splitlines():
        f = l.split()
        if f and f[0] == str(num):
            return int(f[1])
    raise Fail("no rule %s %d:\n%s" % (chain, num, out))


SEND_FROM = ("import socket,sys\n"
             "s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\n"
             "s.bind((sys.argv[1],0))\n"
             "for i in range(int(sys.argv[4])): s.sendto(b'x'*32,(sys.argv[2],int(sys.argv[3])))\n")

# a bare TCP ACK without a connection, through a raw socket (the kernel
# writes the IP header)
RAW_ACK = r'''
import socket, struct, sys
src, dst, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
def csum(b):
    if len(b) % 2: b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16: s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_TCP)
for i in range(n):
    h = struct.pack("!HHIIBBHHH", 40000 + i, 80, 1000, 2000, 5 << 4, 0x10, 8192, 0, 0)
    ph = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack("!BBH", 0, 6, len(h))
    h = h[:16] + struct.pack("!H", csum(ph + h)) + h[18:]
    s.sendto(h, (dst, 0))
'''


def delivered():
    two_hosts()
    legacy("srv")
    udp = server("srv", "udp", 7)
    web = server("srv", "tcp", 80)
    srv = ns_inode("srv")
    tr = Tracer(["--netns", "srv", "udp dst port 7 or tcp dst port 80 or icmp[icmptype] == 8"])
    udp_send("cli", "10.0.0.2", 7, 3)
    expect(tcp_connect("cli", "10.0.0.2", 80), "tcp 80 not answered")
    expect(ping("cli", "10.0.0.2", 2), "ping not answered")
    tr.stop()
    expect(tr.rc == 0, "exit %d: %s" % (tr.rc, tr.stderr()))
    expect(udp() == 3 and web() == 1, "servers saw %d udp, %d tcp" % (udp(), web()))
    u = one_fate(tr, lambda p: p.get("dport") == 7, 3, "delivered", "udp/7")
    expect(all(f["proto"] == "udp" and f["port"] == 7 and f["netns"] == srv for f in u),
           "udp fates %s" % u)
    fs, pk = fates(tr)
    t = [p for p in pk if p.get("dport") == 80]
    expect(len(t) >= 3, "tcp packets %s" % t)      # SYN, ACK, data, FIN ...
    # every segment but a FIN is delivered.  The server closes first: the
    # client's FIN then finishes the orphaned socket, and the kernel frees
    # it from the receive queue as QUEUE_PURGE (sk_stream_kill_queues) --
    # what the kernel says, reported as it says it
    fin = lambda p: "F" in p.get("tcp_flags", "")
    n_fin = sum(1 for p in t if fin(p))
    t = one_fate(tr, lambda p: p.get("dport") == 80 and not fin(p), len(t) - n_fin,
                 "delivered", "tcp/80")
    expect(all(f["proto"] == "tcp" and f["port"] == 80 for f in t), "tcp fates %s" % t)
    syn = [p for p in pk if p.get("dport") == 80 and p.get("tcp_flags") == "S"]
    expect(len(syn) == 1, "SYNs %s" % syn)
    for p in pk:
        if p.get("dport") == 80 and fin(p):
            f = fs.get(p["id"], [])
            # 6.1 has no QUEUE_PURGE reason yet: NOT_SPECIFIED, same function
            expect(len(f) == 1 and (f[0]["fate"] == "delivered" or
                                    f[0].get("function") == "sk_stream_kill_queues" and
                                    f[0].get("reason") in ("QUEUE_PURGE", "NOT_SPECIFIED")),
                   "FIN fate %s" % f)
    i = one_fate(tr, lambda p: p.get("proto") == "icmp", 2, "delivered", "echo")
    expect(all(f["proto"] == "icmp" for f in i), "icmp fates %s" % i)
    return "udp 3/3, tcp %d/%d, icmp echo 2/2 delivered (server counts, replies)" % (len(t), len(t))


def forwarded_sent():
    three_hosts()
    legacy("rtr")
    legacy("cli")
    legacy("srv")
    udp = server("srv", "udp", 7)
    fwd_before = nstat("rtr", "IpForwDatagrams")
    out_before = nstat("cli", "IpOutRequests")
    # one tracer, every namespace: the same datagram is sent (cli),
    # forwarded (rtr) and delivered (srv), a packet event in each
    tr = Tracer(["udp dst port 7"])
    udp_send("cli", "10.0.2.2", 7, 3)
    tr.stop()
    fwd = nstat("rtr", "IpForwDatagrams") - fwd_before
    out = nstat("cli", "IpOutRequests") - out_before
    expect(tr.rc == 0, "exit %d: %s" % (tr.rc, tr.stderr()))
    expect(udp() == 3, "server saw %d datagrams" % udp())
    expect(fwd == 3 and out == 3, "IpForwDatagrams on rtr +%d, IpOutRequests on cli +%d" % (fwd, out))
    cli, rtr, srv = ns_inode("cli"), ns_inode("rtr"), ns_inode("srv")
    f = one_fate(tr, lambda p: p.get("dport") == 7 and p["netns"] == rtr, 3, "forwarded", "rtr")
    expect(all(x["interface"] == "veth-srv" and x["netns"] == rtr for x in f),
           "forwarded fates %s" % f)
    s = one_fate(tr, lambda p: p.get("dport") == 7 and p["netns"] == cli, 3, "sent", "cli")
    expect(all(x["interface"] == "veth-rtr" and x["netns"] == cli for x in s),
           "sent fates %s" % s)
    d = one_fate(tr, lambda p: p.get("dport") == 7 and p["netns"] == srv, 3, "delivered", "srv")
    expect(all(x["port"] == 7 and x["netns"] == srv for x in d), "delivered fates %s" % d)
    return "3 sent out cli veth-rtr (IpOutRequests +3), 3 forwarded out rtr veth-srv (IpForwDatagrams +3), 3 delivered (server got 3)"


def rule_drops_udp9(counter, rule, text):
    """3 datagrams to srv's udp/9, which a rule there drops: each fate is
    NETFILTER_DROP naming that rule and its text, and the rule's own
    counter (counter()) says 3"""
    tr = Tracer(["--netns", "srv", "udp dst port 9"])
    udp_send("cli", "10.0.0.2", 9, 3)
    tr.stop()
    expect(tr.rc == 0, "exit %d: %s" % (tr.rc, tr.stderr()))
    n = counter()
    f = one_fate(tr, lambda p: p.get("dport") == 9, 3, "dropped", "udp/9")
    for x in f:
        expect(x["reason"] == "NETFILTER_DROP" and x["rule"] == rule
               and text in (x.get("rule_text") or "") and x.get("function"),
               "fate %s" % x)
    expect(n == 3, "the rule counted %d" % n)
    return f[0]["function"]


def dropped_by_rule():
    two_hosts()
    legacy("srv", "-A INPUT -p udp --dport 9 -j DROP")
    fn = rule_drops_udp9(lambda: rule_packets("srv", "INPUT", 1), "filter:INPUT:rule:1", "-j DROP")
    return "3 NETFILTER_DROP by filter:INPUT:rule:1 in %s, rule counter 3" % fn


def nft_counter(ns, family, table, chain, handle):
    """packets counted by the counter of rule `handle` (nft -j)"""
    out = json.loads(sh("nft -j -a list chain %s %s %s" % (family, table, chain), ns=ns))
    for o in out["nftables"]:
        r = o.get("rule")
        if r and r["handle"] == handle:
            for x in r["expr"]:
                if "counter" in x:
                    return x["counter"]["packets"]
    raise Fail("no counter on %s %s %s handle %d: %s" % (family, table, chain, handle, out))


def nft_dropped_by_rule():
    """the same on nf_tables: a native rule drops, and the fate names it"""
    two_hosts()
    sh("nft -f -", ns="srv", input="table inet t {\n"
       " chain input { type filter hook input priority 0; policy accept;\n"
       "  udp dport 8 counter accept\n"
       "  udp dport 9 counter drop\n"
       " }\n}\n")
    handle = [o["rule"]["handle"] for o in json.loads(sh("nft -j -a list chain inet t input", ns="srv"))["nftables"]
              if "rule" in o][1]
    fn = rule_drops_udp9(lambda: nft_counter("srv", "inet", "t", "input", handle),
                         "inet t:input:rule:2", "udp dport 9")
    return "3 NETFILTER_DROP by inet t:input:rule:2 (nf_tables) in %s, rule counter 3" % fn


def ipv6():
    """IPv6: delivered to a UDP socket, and NO_SOCKET on a closed port"""
    two_hosts()
    legacy("srv")
    udp = server("srv", "udp", 7, fam="6")
    before = nstat("srv", "Udp6NoPorts")
    tr = Tracer(["--netns", "srv", "ip6 and (udp dst port 7 or udp dst port 9999)"])
    udp_send("cli", "fd00::2", 7, 3)
    udp_send("cli", "fd00::2", 9999, 3)
    tr.stop()
    expect(tr.rc == 0, "exit %d: %s" % (tr.rc, tr.stderr()))
    d = nstat("srv", "Udp6NoPorts") - before
    ok = one_fate(tr, lambda p: p.get("dport") == 7, 3, "delivered", "udp6/7")
    expect(all(x["proto"] == "udp" and x["port"] == 7 and x.get("family") == "ipv6" for x in ok),
           "fates %s" % ok)
    f = one_fate(tr, lambda p: p.get("dport") == 9999, 3, "dropped", "udp6/9999")
    expect(all(x["reason"] == "NO_SOCKET" for x in f), "fates %s" % f)
    expect(udp() == 3 and d == 3, "server got %d, Udp6NoPorts +%d" % (udp(), d))
    return "3 delivered (server 3), 3 NO_SOCKET in %s (Udp6NoPorts +3)" % f[0]["function"]


def rp_filter():
    two_hosts()
    legacy("srv")
    sh("sysctl -qw net.ipv4.conf.all.rp_filter=1", ns="srv")
    sh("sysctl -qw net.ipv4.conf.veth-srv.rp_filter=1", ns="srv")
    sh("ip addr add 192.0.2.1/32 dev veth-cli", ns="cli")   # the spoofed source
    # srv would not answer ARP from that source either (rp_filter): a
    # static neighbour lets the datagrams out of cli
    mac = json.loads(sh("ip -j link show veth-srv", ns="srv"))[0]["address"]
    sh("ip neigh replace 10.0.0.2 lladdr %s dev veth-cli nud permanent" % mac, ns="cli")
    udp = server("srv", "udp", 7)
    before = nstat("srv", "TcpExtIPReversePathFilter")
    tr = Tracer(["--netns", "srv", "udp dst port 7"])
    sh("python3 -c \"%s\" 192.0.2.1 10.0.0.2 7 3" % SEND_FROM, ns="cli")
    tr.stop()
    expect(tr.rc == 0, "exit %d: %s" % (tr.rc, tr.stderr()))
    d = nstat("srv", "TcpExtIPReversePathFilter") - before
    f = one_fate(tr, lambda p: p.get("dport") == 7, 3, "dropped", "spoofed")
    expect(all(x["reason"] == "IP_RPFILTER" and "rp_filter" in x.get("hint", "") for x in f),
           "fates %s" % f)
    expect(d == 3 and udp() == 0, "IPReversePathFilter +%d, server got %d" % (d, udp()))
    return "3 IP_RPFILTER in %s, TcpExtIPReversePathFilter +3" % f[0]["function"]


def no_route():
    three_hosts()
    legacy("rtr")
    before = nstat("rtr", "IpExtInNoRoutes")
    tr = Tracer(["--netns", "rtr", "udp dst port 7"])
    udp_send("cli", "198.51.100.1", 7, 3)
    tr.stop()
    expect(tr.rc == 0, "exit %d: %s" % (tr.rc, tr.stderr()))
    d = nstat("rtr", "IpExtInNoRoutes") - before
    f = one_fate(tr, lambda p: p.get("dport") == 7, 3, "dropped", "no route")
    reasons = {x["reason"] for x in f}
    funcs = {x.get("function") for x in f}
    expect(len(reasons) == 1, "reasons %s" % reasons)
    expect(d == 3, "IpExtInNoRoutes +%d" % d)
    # the kernel names the reason from 6.x on; earlier ip_error() frees with
    # no reason: then the function must say where
    r = reasons.pop()
    expect(r in ("IP_INNOROUTES", "IP_NOROUTE") or (r == "NOT_SPECIFIED" and funcs == {"ip_error"}),
           "reason %s in %s" % (r, funcs))
    return "3 dropped %s in %s, IpExtInNoRoutes +3" % (r, funcs.pop())


def no_socket():
    two_hosts()
    legacy("srv")
    before = nstat("srv", "UdpNoPorts")
    tr = Tracer(["--netns", "srv", "udp dst port 9999"])
    udp_send("cli", "10.0.0.2", 9999, 3)
    tr.stop()
    expect(tr.rc == 0, "exit %d: %s" % (tr.rc, tr.stderr()))
    d = nstat("srv", "UdpNoPorts") - before
    f = one_fate(tr, lambda p: p.get("dport") == 9999, 3, "dropped", "udp/9999")
    expect(all(x["reason"] == "NO_SOCKET" and x.get("hint") for x in f), "fates %s" % f)
    expect(d == 3, "UdpNoPorts +%d" % d)
    return "3 NO_SOCKET in %s, UdpNoPorts +3" % f[0]["function"]


def ct_invalid():
    two_hosts()
    legacy("srv", "-A INPUT -m conntrack --ctstate INVALID -j DROP")
    sh("sysctl -qw net.netfilter.nf_conntrack_tcp_loose=0", ns="srv")
    tr = Tracer(["--netns", "srv", "tcp dst port 80"])
    sh("python3 -c '%s' 10.0.0.1 10.0.0.2 3" % RAW_ACK.replace("'", "\"") , ns="cli")
    tr.stop()
    expect(tr.rc == 0, "exit %d: %s" % (tr.rc, tr.stderr()))
    n = rule_packets("srv", "INPUT", 1)
    f = one_fate(tr, lambda p: p.get("dport") == 80, 3, "dropped", "bare ACK")
    expect(all(x["reason"] == "NETFILTER_DROP" and x["rule"] == "filter:INPUT:rule:1"
               and "INVALID" in (x.get("rule_text") or "") for x in f), "fates %s" % f)
    expect(n == 3, "the INVALID rule counted %d" % n)
    return "3 NETFILTER_DROP by the ctstate INVALID rule, its counter 3"


def nfqueue():
    two_hosts()
    legacy("srv", "-A INPUT -p udp --dport 7 -j NFQUEUE --queue-num 3")
    udp = server("srv", "udp", 7)
    tr = Tracer(["--netns", "srv", "udp dst port 7"])
    udp_send("cli", "10.0.0.2", 7, 3)
    tr.stop()
    expect(tr.rc == 0, "exit %d: %s" % (tr.rc, tr.stderr()))
    n = rule_packets("srv", "INPUT", 1)
    fs, pk = fates(tr)
    f = [fs.get(p["id"], [None])[0] for p in pk if p.get("dport") == 7]
    expect(len(f) == 3 and all(x and x.get("last_verdict") == "QUEUE" for x in f), "fates %s" % f)
    # no listener: the kernel frees it in nf_queue; with one it would be
    # unknown (left our view): never delivered
    expect(all(x["fate"] in ("dropped", "unknown") for x in f), "fates %s" % f)
    expect(n == 3 and udp() == 0, "NFQUEUE rule counted %d, server got %d" % (n, udp()))
    d = f[0]
    return "3 %s %s in %s after QUEUE, rule counter 3, server 0" % (
        d["fate"], d.get("reason", ""), d.get("function", "?"))


def human():
    two_hosts()
    legacy("srv", "-A INPUT -p udp --dport 9 -j DROP")
    tr = Tracer(["--netns", "srv", "--summary", "udp dst port 9 or udp dst port 9999"], json_out=False)
    udp_send("cli", "10.0.0.2", 9, 2)
    udp_send("cli", "10.0.0.2", 9999, 1)
    tr.stop()
    out = tr.text
    expect(tr.rc == 0, "exit %d: %s" % (tr.rc, tr.stderr()))
    lines = [l for l in out.splitlines() if "fate:" in l]
    expect(len(lines) == 3, "fate lines:\n" + out)
    expect(sum("fate: dropped NETFILTER_DROP by filter:INPUT:rule:1 (-A INPUT -p udp -m udp --dport 9 -j DROP) in " in l
               for l in lines) == 2, "rule drop lines:\n" + out)
    expect(sum("fate: dropped NO_SOCKET in " in l for l in lines) == 1, "no socket line:\n" + out)
    expect(re.search(r"^\s+3\s+dropped$", out, re.M) and re.search(r"^\s+2\s+NETFILTER_DROP$", out, re.M)
           and re.search(r"^\s+1\s+NO_SOCKET$", out, re.M), "summary:\n" + out)
    return "fate lines and --summary counts"


run("fate: delivered to UDP, TCP and ICMP echo (server counts)", delivered)
run("fate: forwarded and sent, with interface and netns (capture, server count)", forwarded_sent)
run("fate: dropped by a rule, NETFILTER_DROP names it (rule counter)", dropped_by_rule)
run("fate: dropped by an nf_tables rule, NETFILTER_DROP names it (rule counter)", nft_dropped_by_rule)
run("fate: IPv6 delivered and NO_SOCKET (server count, nstat Udp6NoPorts)", ipv6)
run("fate: rp_filter on a spoofed source, IP_RPFILTER (nstat)", rp_filter)
run("fate: no route (nstat IpExtInNoRoutes)", no_route)
run("fate: no listening UDP socket, NO_SOCKET (nstat UdpNoPorts)", no_socket)
run("fate: conntrack INVALID dropped by its rule (rule counter)", ct_invalid)
run("fate: NFQUEUE with no listener (rule counter, server count)", nfqueue)
run("fate: human output and --summary", human)
