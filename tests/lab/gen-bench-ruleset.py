#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Write tests/lab/rulesets/bench-router.v4, the benchmark router's ruleset.

    tests/lab/gen-bench-ruleset.py [OUT]

The router of labtest.three_hosts() (cli 10.0.1.2 -> veth-cli | rtr |
veth-srv -> srv 10.0.2.2) carries the shapes a Docker + kube-proxy host with
a site policy has: raw drops for unpublished container addresses, mangle
DSCP/MARK chains, kube-proxy service portals (nat and filter), Docker's
isolation and published-port chains, a blocklist and an allow list.

The benchmark's UDP flood (10.0.1.2:20000-20099 -> 10.0.2.2:9000) stays in
conntrack state NEW (it never gets a reply), so every packet walks raw,
mangle and filter FORWARD down to the allow rule near the end of FWD-POLICY:
about 120 rules evaluated and 28 of them hit (jumps, returns, MARKs,
policies) per packet, then ACCEPT.  nat sees only the first packet of each
flow, as conntrack has it.  The output is deterministic.
"""
import os
import sys

OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "rulesets", "bench-router.v4")

SERVICES = [  # (namespace/name:port, cluster IP, port, endpoint)
    ("default/kubernetes:https", "10.96.0.1", 443, "10.0.2.10:6443"),
    ("kube-system/kube-dns:dns-tcp", "10.96.0.10", 53, "10.244.0.2:53"),
    ("kube-system/kube-dns:metrics", "10.96.0.10", 9153, "10.244.0.2:9153"),
    ("kube-system/metrics-server:https", "10.96.12.7", 443, "10.244.0.5:4443"),
    ("ingress/ingress-nginx:http", "10.96.40.2", 80, "10.244.1.3:80"),
    ("ingress/ingress-nginx:https", "10.96.40.2", 443, "10.244.1.3:443"),
    ("monitoring/prometheus:web", "10.96.51.9", 9090, "10.244.2.4:9090"),
    ("monitoring/grafana:http", "10.96.51.20", 3000, "10.244.2.6:3000"),
]
NO_ENDPOINTS = [("shop/recommend:grpc", "10.96.77.8", 8080),
                ("shop/ads:grpc", "10.96.77.9", 9555),
                ("shop/mail:http", "10.96.77.10", 8080),
                ("batch/jobs:http", "10.96.90.1", 80),
                ("batch/queue:amqp", "10.96.90.2", 5672),
                ("legacy/ftp:ftp", "10.96.91.1", 21)]
NODEPORTS = [30080, 30443, 31000, 31500, 32000]
CONTAINERS = [("172.17.0.%d" % (2 + i), p) for i, p in
              enumerate([80, 443, 5432, 6379, 8080, 8443, 9000, 27017, 3306, 11211, 9200, 5601])]
BRIDGES = ["docker0", "br-3f2a9c1e", "br-77d0e4b2", "br-c01dbeef"]


def h(s):
    """kube-proxy style chain suffix (deterministic, not its real hash)"""
    v = 2166136261
    for c in s.encode():
        v = ((v ^ c) * 16777619) & 0xffffffff
    return ("%08X" % v) + ("%08X" % (v * 2654435761 & 0xffffffff))


def gen():
    out = []
    a = out.append
    nrules = 0

    def r(line):
        nonlocal nrules
        nrules += 1
        a(line)

    a("# Benchmark router ruleset, written by tests/lab/gen-bench-ruleset.py: do not edit.")
    # ---------------- raw ----------------
    a("*raw")
    for c in ("PREROUTING ACCEPT", "OUTPUT ACCEPT"):
        a(":%s [0:0]" % c)
    a(":RAW-PRE - [0:0]")
    r("-A PREROUTING -j RAW-PRE")
    for ip, _ in CONTAINERS:   # Docker 25+: no direct access to container addresses
        r("-A PREROUTING -d %s/32 ! -i docker0 -j DROP" % ip)
    r("-A RAW-PRE -i lo -j ACCEPT")
    r("-A RAW-PRE -p udp -m udp --dport 123 -j CT --notrack")
    r("-A RAW-PRE -p udp -m udp --dport 4789 -j CT --notrack")
    r("-A RAW-PRE -p udp -m udp --sport 53 -m udp --dport 1024:65535 -j CT --notrack")
    r("-A RAW-PRE -s 169.254.0.0/16 -j DROP")
    r("-A OUTPUT -p udp -m udp --dport 123 -j CT --notrack")
    a("COMMIT")
    # ---------------- mangle ----------------
    a("*mangle")
    for c in ("PREROUTING ACCEPT", "INPUT ACCEPT", "FORWARD ACCEPT", "OUTPUT ACCEPT",
              "POSTROUTING ACCEPT"):
        a(":%s [0:0]" % c)
    for c in ("KUBE-IPTABLES-HINT", "KUBE-KUBELET-CANARY", "KUBE-PROXY-CANARY", "MANGLE-PRE",
              "QOS-MARK"):
        a(":%s - [0:0]" % c)
    r("-A PREROUTING -j MANGLE-PRE")
    for port, cls in ((22, "CS6"), (179, "CS6"), (53, "CS5"), (5060, "EF"), (443, "AF41"),
                      (3389, "AF31"), (25, "CS1"), (873, "CS1")):
        r("-A MANGLE-PRE -p tcp -m tcp --dport %d -j DSCP --set-dscp-class %s" % (port, cls))
    r("-A MANGLE-PRE -i veth-cli -j QOS-MARK")
    r("-A QOS-MARK -p tcp -m multiport --dports 80,443,8080 -j MARK --set-xmark 0x10/0xff")
    r("-A QOS-MARK -p icmp -j MARK --set-xmark 0x20/0xff")
    r("-A QOS-MARK -j MARK --set-xmark 0x100/0xff00")
    r("-A QOS-MARK -j CONNMARK --save-mark --nfmask 0xff00 --ctmask 0xff00")
    r("-A FORWARD -p tcp -m tcp --tcp-flags SYN,RST SYN -j TCPMSS --clamp-mss-to-pmtu")
    r("-A POSTROUTING -o veth-srv -p tcp -m tcp --dport 1723 -j DSCP --set-dscp 0x00")
    a("COMMIT")
    # ---------------- nat ----------------
    a("*nat")
    for c in ("PREROUTING ACCEPT", "INPUT ACCEPT", "OUTPUT ACCEPT", "POSTROUTING ACCEPT"):
        a(":%s [0:0]" % c)
    chains = ["DOCKER", "KUBE-SERVICES", "KUBE-NODEPORTS", "KUBE-POSTROUTING", "KUBE-MARK-MASQ"]
    for name, _, _, _ in SERVICES:
        chains += ["KUBE-SVC-" + h(name), "KUBE-SEP-" + h("ep" + name)]
    for c in chains:
        a(":%s - [0:0]" % c)
    r('-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES')
    r("-A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER")
    r('-A OUTPUT -m comment --comment "kubernetes service portals" -j KUBE-SERVICES')
    r("-A OUTPUT ! -d 127.0.0.0/8 -m addrtype --dst-type LOCAL -j DOCKER")
    r('-A POSTROUTING -m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING')
    r("-A POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE")
    for ip, port in CONTAINERS[:6]:
        r("-A POSTROUTING -s %s/32 -d %s/32 -p tcp -m tcp --dport %d -j MASQUERADE" % (ip, ip, port))
    r("-A DOCKER -i docker0 -j RETURN")
    for i, (ip, port) in enumerate(CONTAINERS[:6]):
        r("-A DOCKER ! -i docker0 -p tcp -m tcp --dport %d -j DNAT --to-destination %s:%d"
          % (8000 + i, ip, port))
    r("-A KUBE-MARK-MASQ -j MARK --set-xmark 0x4000/0x4000")
    r("-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN")
    r("-A KUBE-POSTROUTING -j MARK --set-xmark 0x4000/0x0")
    r('-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" '
      "-j MASQUERADE --random-fully")
    for name, ip, port, ep in SERVICES:
        svc, sep = "KUBE-SVC-" + h(name), "KUBE-SEP-" + h("ep" + name)
        r('-A KUBE-SERVICES -d %s/32 -p tcp -m comment --comment "%s cluster IP" -m tcp '
          "--dport %d -j %s" % (ip, name, port, svc))
        r('-A %s ! -s 10.244.0.0/16 -d %s/32 -p tcp -m comment --comment "%s cluster IP" -m tcp '
          "--dport %d -j KUBE-MARK-MASQ" % (svc, ip, name, port))
        r('-A %s -m comment --comment "%s -> %s" -j %s' % (svc, name, ep, sep))
        r('-A %s -s %s/32 -m comment --comment "%s" -j KUBE-MARK-MASQ'
          % (sep, ep.split(":")[0], name))
        r('-A %s -p tcp -m comment --comment "%s" -m tcp -j DNAT --to-destination %s'
          % (sep, name, ep))
    r('-A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must be '
      'the last rule in this chain" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS')
    a("COMMIT")
    # ---------------- filter ----------------
    a("*filter")
    a(":INPUT ACCEPT [0:0]")
    a(":FORWARD DROP [0:0]")
    a(":OUTPUT ACCEPT [0:0]")
    for c in ("KUBE-PROXY-FIREWALL", "KUBE-FORWARD", "KUBE-SERVICES", "KUBE-EXTERNAL-SERVICES",
              "KUBE-FIREWALL", "DOCKER", "DOCKER-USER", "DOCKER-ISOLATION-STAGE-1",
              "DOCKER-ISOLATION-STAGE-2", "FWD-POLICY", "FWD-BLOCKLIST"):
        a(":%s - [0:0]" % c)
    r('-A INPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer '
      'firewall" -j KUBE-PROXY-FIREWALL')
    r('-A INPUT -m comment --comment "kubernetes health check service ports" -j KUBE-FIREWALL')
    r("-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT")
    r("-A INPUT -i lo -j ACCEPT")
    r("-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT")
    r('-A FORWARD -m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer '
      'firewall" -j KUBE-PROXY-FIREWALL')
    r('-A FORWARD -m comment --comment "kubernetes forwarding rules" -j KUBE-FORWARD')
    r('-A FORWARD -m conntrack --ctstate NEW -m comment --comment "kubernetes service portals" '
      "-j KUBE-SERVICES")
    r('-A FORWARD -m conntrack --ctstate NEW -m comment --comment "kubernetes externally-visible '
      'service portals" -j KUBE-EXTERNAL-SERVICES')
    r("-A FORWARD -j DOCKER-USER")
    r("-A FORWARD -j DOCKER-ISOLATION-STAGE-1")
    for br in BRIDGES:
        r("-A FORWARD -o %s -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT" % br)
        r("-A FORWARD -o %s -j DOCKER" % br)
        r("-A FORWARD -i %s ! -o %s -j ACCEPT" % (br, br))
        r("-A FORWARD -i %s -o %s -j ACCEPT" % (br, br))
    r("-A FORWARD -j FWD-POLICY")
    r('-A OUTPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer '
      'firewall" -j KUBE-PROXY-FIREWALL')
    r('-A OUTPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes service portals" '
      "-j KUBE-SERVICES")
    r("-A KUBE-FIREWALL ! -s 127.0.0.0/8 -d 127.0.0.0/8 -m comment --comment \"block incoming "
      "localnet connections\" -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP")
    r('-A KUBE-FORWARD -m conntrack --ctstate INVALID -j DROP')
    r('-A KUBE-FORWARD -m comment --comment "kubernetes forwarding rules" -m mark --mark '
      "0x4000/0x4000 -j ACCEPT")
    r('-A KUBE-FORWARD -m comment --comment "kubernetes forwarding conntrack rule" -m conntrack '
      "--ctstate RELATED,ESTABLISHED -j ACCEPT")
    for name, ip, port in NO_ENDPOINTS:
        r('-A KUBE-SERVICES -d %s/32 -p tcp -m comment --comment "%s has no endpoints" -m tcp '
          "--dport %d -j REJECT --reject-with icmp-port-unreachable" % (ip, name, port))
    for port in NODEPORTS:
        r('-A KUBE-EXTERNAL-SERVICES -p tcp -m comment --comment "nodeport %d has no endpoints" '
          "-m addrtype --dst-type LOCAL -m tcp --dport %d -j REJECT --reject-with "
          "icmp-port-unreachable" % (port, port))
    for ip, port in CONTAINERS:
        r("-A DOCKER -d %s/32 ! -i docker0 -o docker0 -p tcp -m tcp --dport %d -j ACCEPT"
          % (ip, port))
    r("-A DOCKER-USER -s 192.0.2.0/24 -j DROP")
    r("-A DOCKER-USER -i veth-cli -p tcp -m multiport --dports 23,445,3389 -j DROP")
    r("-A DOCKER-USER -j RETURN")
    for br in BRIDGES:
        r("-A DOCKER-ISOLATION-STAGE-1 -i %s ! -o %s -j DOCKER-ISOLATION-STAGE-2" % (br, br))
    r("-A DOCKER-ISOLATION-STAGE-1 -j RETURN")
    for br in BRIDGES:
        r("-A DOCKER-ISOLATION-STAGE-2 -o %s -j DROP" % br)
    r("-A DOCKER-ISOLATION-STAGE-2 -j RETURN")
    # the site's own policy: blocklist, then an allow list, then drop
    r("-A FWD-POLICY -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT")
    r("-A FWD-POLICY -m conntrack --ctstate INVALID -j DROP")
    r("-A FWD-POLICY -j FWD-BLOCKLIST")
    r("-A FWD-POLICY -p icmp -m icmp --icmp-type 8 -j ACCEPT")
    allow = []
    for net in ("10.0.2.0/24", "10.0.3.0/24"):
        for proto, port in (("tcp", 22), ("tcp", 80), ("tcp", 443), ("tcp", 5432),
                            ("tcp", 6379), ("udp", 53), ("udp", 123), ("udp", 514),
                            ("tcp", 8080), ("udp", 1812)):
            allow.append((net, proto, port))
    for net, proto, port in allow:
        r("-A FWD-POLICY -s 10.0.1.0/24 -d %s -p %s -m %s --dport %d -j ACCEPT"
          % (net, proto, proto, port))
    r('-A FWD-POLICY -s 10.0.1.0/24 -d 10.0.2.2/32 -p udp -m udp --dport 9000 -m comment '
      '--comment "bench flood" -j ACCEPT')
    r("-A FWD-POLICY -p tcp -j REJECT --reject-with tcp-reset")
    r("-A FWD-POLICY -j DROP")
    for i in range(16):
        r("-A FWD-BLOCKLIST -s 198.51.100.%d/32 -j DROP" % (7 * i + 3))
    r("-A FWD-BLOCKLIST -s 203.0.113.0/24 -j DROP")
    a("COMMIT")
    out.insert(1, "# %d rules" % nrules)
    return "\n".join(out) + "\n", nrules


if __name__ == "__main__":
    text, n = gen()
    with open(OUT, "w") as f:
        f.write(text)
    print("%s: %d rules" % (OUT, n))
