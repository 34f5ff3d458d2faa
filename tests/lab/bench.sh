#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make bench: runs inside a tests/lab/vm guest (tests/lab/vm -c 2 6.12
# tests/lab/bench.sh).  Builds the two small helpers if they are missing or
# older than their sources (gcc in the guest takes a few seconds), then runs
# tests/lab/bench.py, which prints the table.  Arguments and BENCH_* variables
# go to bench.py.
cd "$(dirname "$0")/../.." || exit 1
mkdir -p build
build() { # OUT SRC LIBS...: compile unless OUT is newer than SRC
	local out=$1 src=$2
	shift 2
	[ -x "$out" ] && [ "$out" -nt "$src" ] && return 0
	echo "bench: cc $src" >&2
	cc -O2 -Wall -o "$out.tmp" "$src" "$@" && mv -f "$out.tmp" "$out" ||
		echo "bench: cannot build $out: the rows needing it will fail" >&2
}
build build/udpflood tests/lab/udpflood.c
build build/nflog_reader tests/lab/nflog_reader.c -lnetfilter_log
export PYTHONDONTWRITEBYTECODE=1
exec python3 -u tests/lab/bench.py "$@"
