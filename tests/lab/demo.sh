#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make demo: a small Docker-style host built from network namespaces, a few
# packets through it, and what ipttrace says about them.  Runs inside the lab
# VM (tests/lab/vm), so it works on any machine that has QEMU.
#
#   client 10.0.1.2 --- eth0 10.0.1.1 [ docker host ] docker0 172.17.0.1 --- web 172.17.0.2
#   bad    10.0.1.66 -'                (published: 10.0.1.1:8080 -> web:80)
set -eu
cd "$(dirname "$0")/../.."
ipt=build/ipttrace

ns() { ip netns exec "$@"; }
for n in client host web; do ip netns add $n; ns $n ip link set lo up; done
ip link add eth0 netns host type veth peer name eth0 netns client
ip link add vethc0ffee netns host type veth peer name eth0 netns web
ns host ip link add docker0 type bridge
ns host ip link set vethc0ffee master docker0
for l in eth0 docker0 vethc0ffee; do ns host ip link set $l up; done
ns client ip link set eth0 up
ns web ip link set eth0 up
ns host ip addr add 10.0.1.1/24 dev eth0
ns host ip addr add 172.17.0.1/16 dev docker0
ns client ip addr add 10.0.1.2/24 dev eth0
ns client ip addr add 10.0.1.66/24 dev eth0
ns web ip addr add 172.17.0.2/16 dev eth0
ns web ip route add default via 172.17.0.1
ns host sysctl -qw net.ipv4.ip_forward=1
ns host iptables-legacy-restore < tests/lab/rulesets/docker.v4
# the container's web server, answering any request with "hello"
printf 'HTTP/1.0 200 OK\r\nContent-Length: 6\r\n\r\nhello\n' >/tmp/demo-reply
ns web socat TCP-LISTEN:80,bind=172.17.0.2,fork,reuseaddr SYSTEM:"cat /tmp/demo-reply" &
until ns web ss -ltn | grep -q '172.17.0.2:80 '; do sleep 0.1; done

echo "### The docker host's ruleset (iptables-legacy-save):"
ns host iptables-legacy-save | grep -v '^#'
echo
echo "### \$ ipttrace --netns host -c 4 'tcp[tcpflags] & tcp-syn != 0'"
echo "### while: curl from the client to the published port, from the blocked"
echo "### address, and a direct connection to the container's address: their SYNs"
ready=$(mktemp -u)
$ipt --netns host -c 4 --ready-file "$ready" 'tcp[tcpflags] & tcp-syn != 0' &
pid=$!
while [ ! -e "$ready" ]; do sleep 0.1; done
ns client curl -s -o /dev/null -w '### curl 10.0.1.1:8080 -> HTTP %{http_code}\n' --max-time 3 http://10.0.1.1:8080/ || true
ns client curl -s -o /dev/null --interface 10.0.1.66 --max-time 1 --retry 0 http://10.0.1.1:8080/ ||
	echo "### curl from 10.0.1.66 -> timed out (dropped)"
ns client ip route add 172.17.0.0/16 via 10.0.1.1
# dockerd's FORWARD rules accept this too: anyone who can route to the
# bridge reaches the container's port, published or not
ns client curl -s -o /dev/null -w '### curl 172.17.0.2:80 directly -> HTTP %{http_code}\n' \
	--max-time 1 http://172.17.0.2/ || echo "### curl 172.17.0.2 directly -> timed out (dropped)"
wait $pid
echo
echo "### JSON lines for machines: the first SYN of three connections (--json -c 3):"
$ipt --netns host -c 3 --json --ready-file "$ready.2" 'tcp[tcpflags] & tcp-syn != 0 and tcp[tcpflags] & tcp-ack == 0' > /tmp/demo.json &
pid=$!
while [ ! -e "$ready.2" ]; do sleep 0.1; done
for i in 1 2 3; do ns client curl -s -o /dev/null --max-time 2 http://10.0.1.1:8080/ || true; done
wait $pid
head -n 6 /tmp/demo.json
echo "..."
lsmod | grep -q '^ipttrace' && { echo "ipttrace.ko still loaded!"; exit 1; }
echo "### ipttrace.ko unloaded again: lsmod shows no ipttrace"
