# SPDX-License-Identifier: GPL-2.0
"""The lab harness itself: the module loads and unloads, and the BPF programs
attach to ipt_do_table by fentry and by kprobe and really run."""
from labtest import *


def module_load_unload():
    ko = "%s/build/kmod/%s/ipttrace.ko" % (REPO, KREL)
    sh("insmod %s" % ko)
    expect(module_loaded(), "not in /proc/modules after insmod")
    expect("ipttrace" in sh("lsmod"), "lsmod does not list ipttrace")
    expect(os.path.exists("/dev/ipttrace"), "/dev/ipttrace missing")
    expect("ipttrace: loaded" in sh("dmesg"), "no 'loaded' line in the kernel log")
    sh("rmmod ipttrace")
    expect(not module_loaded(), "still loaded after rmmod")
    expect("ipttrace: unloaded" in sh("dmesg"), "no 'unloaded' line in the kernel log")


def attach(probe):
    two_hosts()
    restore("srv", "chains.v4")
    tr = Tracer(["--latency", "--probe", probe])
    n = 7
    ping("cli", "10.0.0.2", n)
    tr.stop()
    expect(tr.rc == 0, "exit %d: %s" % (tr.rc, tr.stderr()))
    expect(probe in tr.stderr(), "did not say it used %s: %s" % (probe, tr.stderr()))
    hits = {(e["table"], e["hook"]): e["count"] for e in tr.events()}
    # every echo request walks mangle and filter INPUT once
    expect(hits.get(("filter", "INPUT")) == n, "filter INPUT count %s, want %d (%s)"
           % (hits.get(("filter", "INPUT")), n, hits))
    expect(hits.get(("mangle", "PREROUTING")) == n, "mangle PREROUTING count %s" % hits)
    expect(not module_loaded(), "--latency loaded the module")


run("module loads, shows in lsmod and the log, unloads", module_load_unload)
run("BPF attaches to ipt_do_table by fentry and runs", needs_fentry(lambda: attach("fentry")))
run("BPF attaches to ipt_do_table by kprobe and runs", lambda: attach("kprobe"))
