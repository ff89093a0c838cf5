#!/usr/bin/env bash
# libmvec_calls.sh -- which glibc libmvec variants each libmvec peer function of bench_peers calls.
# SPDX-License-Identifier: MIT
#
# Usage: bash bench/peers/libmvec_calls.sh BUILD/bench/peers/bench_peers
# Disassembles the peer_mvec_* and peer_libm_* functions and lists their call targets: the main loop
# of a vectorised function calls _ZGV<isa>N<lanes>v_<fn> (b = SSE, d = AVX2, e = AVX-512), its epilogue
# a narrower variant and scalar calls. Exits 1 when a peer_mvec_* function calls no vector variant
# (GCC did not vectorise it: the peer would be timing scalar libm under libmvec's name).
set -euo pipefail
bin=${1:?usage: libmvec_calls.sh path/to/bench_peers}
command -v objdump >/dev/null || { echo "libmvec_calls: objdump not found (binutils)"; exit 0; }
objdump -d --no-show-raw-insn "$bin" | awk '
    /^[0-9a-f]+ <peer_(mvec|libm)_[a-z0-9_]+>:$/ { fn = substr($2, 2, length($2) - 3); order[++n] = fn; next }
    /^$/ { fn = ""; next }
    fn != "" && /call/ {
        t = $NF; gsub(/[<>]|@plt/, "", t)
        if (index(seen[fn], " " t " ") == 0) { seen[fn] = seen[fn] " " t " "; calls[fn] = calls[fn] " " t }
    }
    END {
        bad = 0
        for (i = 1; i <= n; i++) {
            f = order[i]
            printf "  %-26s%s\n", f, calls[f]
            if (f ~ /^peer_mvec_/ && calls[f] !~ /_ZGV/) { print "    ^ not vectorised: no libmvec call"; bad = 1 }
        }
        exit bad
    }'
