# SPDX-License-Identifier: GPL-2.0
"""Outputs other tools read, judged by those tools (Debian's prometheus and
tshark packages): --metrics-file with promtool, -w pcapng with tshark and
capinfos, and --netns by process."""
from labtest import *

# what the tools saw, kept for a look (and the README's examples)
KEEP = os.path.join(REPO, "build", "lab-t70", KREL)
os.makedirs(KEEP, exist_ok=True)


def keep(name, text):
    with open(os.path.join(KEEP, name), "w") as f:
        f.write(text)


PROM_LINE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def promtool(path):
    p = subprocess.run("promtool check metrics < %s" % path, shell=True,
                       capture_output=True, text=True)
    expect(p.returncode == 0, "promtool check metrics rejects %s:\n%s%s\n%s"
           % (path, p.stdout, p.stderr, open(path).read()[:3000]))


def prom_samples(path):
    """[(name, {label: value}, float)] of the text format file"""
    out = []
    for l in open(path).read().splitlines():
        if not l or l.startswith("#"):
            continue
        m = PROM_LINE.match(l)
        expect(m, "not a sample line: %r" % l)
        labels = {k: re.sub(r'\\(.)', lambda x: {"n": "\n"}.get(x.group(1), x.group(1)), v)
                  for k, v in LABEL.findall(m.group(2) or "")}
        out.append((m.group(1), labels, float(m.group(3))))
    return out


def metrics_latency():
    two_hosts()
    restore("srv", "chains.v4")
    server("srv", "udp", 7)
    prom = "%s/lat.prom" % TMP
    tr = Tracer(["--latency", "--per-netns", "--metrics-file", prom, "-I", "1"])
    srv_ns = int(os.stat("/run/netns/srv").st_ino)
    time.sleep(1.5)
    expect(os.path.exists(prom), "no %s after -I 1 and 1.5 s" % prom)
    promtool(prom)      # the interval's file, and no temp file left next to it
    expect([f for f in os.listdir(TMP) if f.startswith(".lat.prom")] == [],
           "temp files left: %s" % os.listdir(TMP))
    expect(ping("cli", "10.0.0.2", 5), "ping failed")
    udp_send("cli", "10.0.0.2", 7, 4)
    tr.stop()
    expect(tr.rc == 0, "exit %d: %s" % (tr.rc, tr.stderr()))
    promtool(prom)
    keep("latency.prom", open(prom).read())
    # ipttrace's own JSON at exit is cumulative since start (no -I printing
    # happened in JSON... -I prints intervals: sum them)
    want = {}
    for e in tr.events():
        if e["event"] == "latency" and e.get("backend") != "nft":
            k = (e["family"], e["table"], e["hook"], str(e["netns"]))
            w = want.setdefault(k, [0, [0] * len(e["slots"])])
            w[0] += e["count"]
            w[1] = [a + b for a, b in zip(w[1], e["slots"])]
    got = {}
    for name, lab, v in prom_samples(prom):
        if not name.startswith("ipttrace_table_latency_seconds"):
            continue
        expect(lab.get("backend") == "legacy", "labels %s" % lab)
        k = (lab["family"], lab["table"], lab["hook"], lab["netns"])
        g = got.setdefault(k, {"buckets": []})
        if name.endswith("_bucket"):
            g["buckets"].append((float(lab["le"]), v))
        elif name.endswith("_count"):
            g["count"] = v
        elif name.endswith("_sum"):
            g["sum"] = v
    expect(set(got) == set(want), "metrics keys %s\nJSON keys %s" % (sorted(got), sorted(want)))
    checked = 0
    for k, g in got.items():
        count, slots = want[k]
        b = sorted(g["buckets"])
        expect(b[-1][0] == float("inf") and b[-1][1] == g["count"] == count,
               "%s: +Inf %s, _count %s, JSON count %d" % (k, b[-1][1], g.get("count"), count))
        cum = 0
        for i, (le, v) in enumerate(b[:-1]):
            cum += slots[i]
            expect(v == cum and le == (2 ** i - 1) / 1e9,
                   "%s: bucket le=%s is %d, JSON slots give %d" % (k, le, v, cum))
        checked += 1
    srv = {k[1:3]: g["count"] for k, g in got.items() if k[3] == str(srv_ns)}
    expect(srv.get(("filter", "INPUT")) == 9 and srv.get(("filter", "OUTPUT")) == 5,
           "srv filter INPUT/OUTPUT counts %s, want 9 and 5" % srv)
    return "%d histograms: buckets equal the JSON histograms, +Inf = _count" % checked


def metrics_summary():
    two_hosts()
    restore("srv", "chains.v4")
    server("srv", "tcp", 80)
    prom = "%s/sum.prom" % TMP
    tr = Tracer(["--netns", "srv", "--summary", "--metrics-file", prom, "host 10.0.0.1"])
    ping("cli", "10.0.0.2", 3)
    tcp_connect("cli", "10.0.0.2", 80)
    udp_send("cli", "10.0.0.2", 9, 2)
    tr.stop()
    expect(tr.rc == 0, "exit %d: %s" % (tr.rc, tr.stderr()))
    promtool(prom)
    keep("summary.prom", open(prom).read())
    want_rules, want_verd = {}, {}
    for e in tr.events():
        if e["event"] == "summary_rule":
            want_rules[(e["table"], e["chain"], e["kind"], str(e["rulenum"]))] = (e["hits"], e.get("rule"))
        elif e["event"] == "summary_verdicts":
            for v, n in e["verdicts"].items():
                want_verd[(e["table"], e["hook"], v)] = n
    rules, verd = {}, {}
    for name, lab, v in prom_samples(prom):
        if name == "ipttrace_rule_hits_total":
            rules[(lab["table"], lab["chain"], lab["kind"], lab["rulenum"])] = (int(v), lab["rule"] or None)
        elif name == "ipttrace_table_verdicts_total":
            verd[(lab["table"], lab["hook"], lab["verdict"])] = int(v)
    expect(rules and rules == want_rules, "metrics rules %s\n--summary %s" % (rules, want_rules))
    expect(verd == want_verd, "metrics verdicts %s\n--summary %s" % (verd, want_verd))
    expect(verd.get(("filter", "INPUT", "DROP")) == 2, "filter INPUT DROP: %s" % verd)
    quoted = [r for _, r in rules.values() if r and r.endswith('--comment "discard \\"port 9\\" probes" -j DROP')]
    expect(quoted, "no rule label with the quoted comment: %s" % rules)
    return "%d rule counters, %d verdict counters equal --summary" % (len(rules), len(verd))


def packet_blocks(text):
    """human output -> {id: block text}"""
    blocks, cur = {}, None
    for l in text.splitlines():
        m = re.match(r"\S+ ipv[46] id (\d+) ", l)
        if m:
            cur = int(m.group(1))
            blocks[cur] = [l]
        elif cur is not None and l.startswith("    "):
            blocks[cur].append(l)
        else:
            cur = None
    return {k: "\n".join(v) for k, v in blocks.items()}


def tshark_json(path, fields):
    p = subprocess.run(["tshark", "-r", path, "-T", "json"] + sum([["-e", f] for f in fields], []),
                       capture_output=True, text=True)
    expect(p.returncode == 0, "tshark -r %s failed: %s" % (path, p.stderr))
    return [{k: v[0] if len(v) == 1 else v for k, v in pk["_source"]["layers"].items()}
            for pk in json.loads(p.stdout)]


def capinfos(path):
    p = subprocess.run(["capinfos", "-M", path], capture_output=True, text=True)
    expect(p.returncode == 0 and not p.stderr.strip(), "capinfos %s: %d %s" % (path, p.returncode, p.stderr))
    return p.stdout


def pcapng_file():
    two_hosts()
    restore("srv", "chains.v4")
    server("srv", "tcp", 80)
    pcap = "%s/trace.pcapng" % TMP
    tr = Tracer(["--netns", "srv", "-w", pcap, "host 10.0.0.1"], json_out=False)
    ping("cli", "10.0.0.2", 2)
    udp_send("cli", "10.0.0.2", 9, 2, sport=5555)
    tcp_connect("cli", "10.0.0.2", 80)
    tr.stop()
    expect(tr.rc == 0, "exit %d: %s" % (tr.rc, tr.stderr()))
    info = capinfos(pcap)
    keep("capinfos.txt", info)
    keep("trace.txt", tr.text)
    keep("tshark.txt", sh("tshark -r %s 2>/dev/null" % pcap))
    keep("tshark-comments.txt", sh("tshark -r %s -T fields -e frame.number -e frame.comment 2>/dev/null" % pcap))
    blocks = packet_blocks(tr.text)
    expect(re.search(r"Number of packets:\s+%d\n" % len(blocks), info),
           "capinfos:\n%s\nbut %d packets printed" % (info, len(blocks)))
    expect("Raw IP" in info or "Raw IPv4" in info or "RAW" in info.upper(), "encapsulation:\n" + info)
    pk = tshark_json(pcap, ["ip.src", "ip.dst", "ip.proto", "udp.srcport", "udp.dstport",
                            "tcp.srcport", "tcp.dstport", "icmp.type", "frame.comment",
                            "frame.interface_name", "frame.len", "frame.cap_len"])
    expect(len(pk) == len(blocks), "tshark: %d packets, printed %d" % (len(pk), len(blocks)))
    kinds = {"icmp": 0, "udp9": 0, "tcp80": 0}
    cut = 0
    for p in pk:
        c = p.get("frame.comment", "")
        m = re.match(r"\S+ ipv4 id (\d+) netns \d+ (\S+) in=(\S+) out=(\S+) (\S+) > (\S+) ", c)
        expect(m, "comment does not start with the packet line: %r" % c)
        expect(c == blocks[int(m.group(1))], "comment of id %s:\n%s\nprinted:\n%s" % (m.group(1), c, blocks[int(m.group(1))]))
        src, dst = sorted([p["ip.src"], p["ip.dst"]])
        expect((src, dst) == ("10.0.0.1", "10.0.0.2"), "addresses %s" % p)
        expect(p["frame.interface_name"] == "veth-srv", "interface %s" % p)
        # the snap length, or the end of the skb's linear data before it (a
        # payload in page fragments is left out; the headers never are)
        expect(20 <= int(p["frame.cap_len"]) <= min(int(p["frame.len"]), 128), "snap: %s" % p)
        cut += int(p["frame.cap_len"]) < min(int(p["frame.len"]), 128)
        if p.get("udp.dstport") == "9":
            expect(p["udp.srcport"] == "5555", "udp ports %s" % p)
            expect("filter:IN-LOG:rule:1" in c and "DROP" in c, "udp 9 trace: %s" % c)
            kinds["udp9"] += 1
        elif p.get("tcp.dstport") == "80" or p.get("tcp.srcport") == "80":
            expect("filter:IN-WEB:rule:1" in c or "OUTPUT" in c, "tcp trace: %s" % c)
            kinds["tcp80"] += 1
        elif p.get("icmp.type") in ("8", "0"):
            kinds["icmp"] += 1
    expect(kinds["udp9"] == 2 and kinds["icmp"] == 4 and kinds["tcp80"] >= 3, "packets seen %s" % kinds)
    return "%d packets: addresses, ports, comment = printed trace (%s; %d cut at the linear data)" % (len(pk), kinds, cut)


def pcapng_stdout_snaplen():
    two_hosts()
    restore("srv", "chains.v4")
    pcap = "%s/stdout.pcapng" % TMP
    ready = "%s/ready-w" % TMP
    out = open(pcap, "wb")
    err = open("%s/stderr-w" % TMP, "w+")
    p = subprocess.Popen([IPTTRACE, "--ready-file", ready, "--netns", "srv", "-w", "-", "-s", "40",
                          "--summary", "udp"], stdout=out, stderr=err)
    t0 = time.monotonic()
    while not os.path.exists(ready):
        expect(p.poll() is None and time.monotonic() - t0 < 60, "not ready")
        time.sleep(0.05)
    udp_send("cli", "10.0.0.2", 9, 3)
    time.sleep(0.5)
    p.send_signal(signal.SIGINT)
    expect(p.wait(30) == 0, "exit %d" % p.returncode)
    out.close()
    err.seek(0)
    text = err.read()
    capinfos(pcap)
    pk = tshark_json(pcap, ["udp.dstport", "frame.cap_len", "frame.len", "frame.comment"])
    expect(len(pk) == 3 and all(x["udp.dstport"] == "9" and x["frame.cap_len"] == "40"
                                and x["frame.len"] == "60" for x in pk), "packets %s" % pk)
    expect("Rule hits (traced packets):" in text and "ipv4 id" in text,
           "the human trace and summary go to stderr with -w -:\n" + text)
    return "3 packets cut at 40 bytes on stdout, trace and summary on stderr"


def netns_pid():
    two_hosts()
    restore("srv", "chains.v4")
    holder = subprocess.Popen(["ip", "netns", "exec", "srv", "sleep", "300"])
    time.sleep(0.3)
    pid = int(sh("pgrep -n -x sleep").strip())
    srv_ns = int(os.stat("/run/netns/srv").st_ino)
    try:
        tr = Tracer(["--netns", "pid:%d" % pid, "icmp"])
        ping("cli", "10.0.0.2", 2)
        tr.stop()
    finally:
        holder.kill()
    expect(tr.rc == 0, "exit %d: %s" % (tr.rc, tr.stderr()))
    nets = {e["netns"] for e in tr.events() if e["event"] == "packet"}
    expect(nets == {srv_ns}, "packets from netns %s, want srv's %d" % (nets, srv_ns))
    expect_clean_failure(["--netns", "pid:999999", "icmp"], "no process 999999")
    # no dockerd running (t62 runs Debian's own and stops it), no crictl
    # here: one line that names what is missing
    keep("missing.txt", "\n".join([expect_clean_failure(["--netns", "docker:web", "icmp"], "docker"),
                                    expect_clean_failure(["--netns", "cri:web", "icmp"], "crictl"), ""]))
    return "pid:%d is srv's namespace; missing docker/crictl named in one line" % pid


FAKE_DOCKERD = r'''
import json, os, re, socketserver, sys
from http.server import BaseHTTPRequestHandler
sock, pid = sys.argv[1], int(sys.argv[2])
class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def reply(self, code, body, ctype="application/json"):
        b = body.encode()
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(b)))
        self.send_header("Api-Version", "1.41")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(b)
    def do_HEAD(self):
        self.do_GET()
    def do_GET(self):
        self.client_address = ("docker", 0)
        if re.match(r"(/v[\d.]+)?/_ping$", self.path):
            return self.reply(200, "OK", "text/plain")
        if re.match(r"(/v[\d.]+)?/containers/web/json$", self.path):
            return self.reply(200, json.dumps({"Id": "0123456789ab", "Name": "/web",
                "State": {"Status": "running", "Running": True, "Pid": pid}}))
        return self.reply(404, json.dumps({"message": "No such container"}))
    def log_message(self, *a):
        pass
class S(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True
if os.path.exists(sock):
    os.unlink(sock)
S(sock, H).serve_forever()
'''


def netns_docker():
    """docker:NAME against a stand-in dockerd (the Docker API on a unix
    socket): through the docker CLI when it is installed, and through
    ipttrace's own API client without it."""
    two_hosts()
    holder = subprocess.Popen(["ip", "netns", "exec", "srv", "sleep", "300"])
    time.sleep(0.3)
    pid = int(sh("pgrep -n -x sleep").strip())
    srv_ns = int(os.stat("/run/netns/srv").st_ino)
    sock = "%s/docker.sock" % TMP
    open("%s/fake_dockerd.py" % TMP, "w").write(FAKE_DOCKERD)
    fake = subprocess.Popen(["python3", "%s/fake_dockerd.py" % TMP, sock, str(pid)])
    import socket
    t0 = time.monotonic()
    while True:     # python's startup under TCG takes seconds: wait until it answers
        try:
            s = socket.socket(socket.AF_UNIX)
            s.connect(sock)
            s.close()
            break
        except OSError:
            expect(fake.poll() is None and time.monotonic() - t0 < 60,
                   "the stand-in dockerd did not come up")
            time.sleep(0.1)
    done = []
    env0 = dict(os.environ, DOCKER_HOST="unix://" + sock)
    try:
        import shutil
        ways = [("docker CLI", env0)] if shutil.which("docker") else []
        # ipttrace's own API client runs when no docker command is in PATH;
        # Debian's docker.io puts one in /usr/bin, next to what the test
        # needs (ping): a PATH of /usr/bin without docker
        nodocker = "%s/bin-nodocker" % TMP
        if not os.path.isdir(nodocker):
            os.makedirs(nodocker)
            # /bin too: the arm64 guest root is not usr-merged (ping is there)
            for d in ("/usr/bin", "/bin"):
                for f in os.listdir(d):
                    link = os.path.join(nodocker, f)
                    if f != "docker" and not os.path.lexists(link):
                        os.symlink(os.path.join(d, f), link)
        ways.append(("API socket", dict(env0, PATH="/usr/sbin:/sbin:" + nodocker)))
        for what, env in ways:
            if what == "API socket":
                expect(not shutil.which("docker", path=env["PATH"]), "docker in %s" % env["PATH"])
            saved = dict(os.environ)
            os.environ.clear()
            os.environ.update(env)
            try:
                tr = Tracer(["--netns", "docker:web", "icmp"])
                ping("cli", "10.0.0.2", 2)
                tr.stop()
                expect(tr.rc == 0, "%s: exit %d: %s" % (what, tr.rc, tr.stderr()))
                nets = {e["netns"] for e in tr.events() if e["event"] == "packet"}
                expect(nets == {srv_ns}, "%s: packets from netns %s, want srv's %d" % (what, nets, srv_ns))
                keep("docker-%s.txt" % what.split()[-1].lower(), "srv netns %d\n%s%s" % (srv_ns, tr.stderr(), tr.text))
                p = subprocess.run([IPTTRACE, "--netns", "docker:nosuch", "icmp"],
                                   capture_output=True, text=True, timeout=60)
                expect(p.returncode != 0 and len(p.stderr.strip().splitlines()) == 1
                       and "nosuch" in p.stderr, "%s: unknown container: %s" % (what, p.stderr))
            finally:
                os.environ.clear()
                os.environ.update(saved)
            done.append(what)
    finally:
        fake.kill()
        holder.kill()
    return "docker:web is srv's namespace through the %s" % " and the ".join(done)


run("metrics: --latency --metrics-file passes promtool, buckets equal the histograms", metrics_latency)
run("metrics: --summary --metrics-file passes promtool, counters equal --summary", metrics_summary)
run("pcapng: -w passes capinfos, tshark decodes addresses, ports and the trace comment", pcapng_file)
run("pcapng: -w - to stdout, -s 40", pcapng_stdout_snaplen)
run("netns: pid:PID; docker:/cri: without the runtime fail in one line", netns_pid)
run("netns: docker:NAME through the docker CLI and the Docker API socket (stand-in dockerd)", netns_docker)
