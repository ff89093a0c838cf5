#!/usr/bin/env bash
# plot.sh -- render bench_softplus's CSV as a PNG: throughput versus size per kernel, beside the copy roofline.
# SPDX-License-Identifier: MIT
#
# Usage: bash bench/plot.sh <bench.csv> <out.png> [title]
#   <bench.csv>  written by bench_softplus --csv FILE (bash bench/run.sh --csv FILE passes it on)
#   <out.png>    four panels, f32/f64 x forward/backward; Gelem/s (log) against elements (log), one line
#                per kernel set (layout "kernel": the ISA's kernel on contiguous arrays), the memcpy
#                roofline and the naive libm loop (bench/throughput.gp draws them)
#   [title]      the figure's title, e.g. the CPU model (default: "libsoftplus throughput")
# The roofline is the rate at which memcpy moves the same elements: forward streams x in and y out, as
# memcpy does; backward streams dy and x in and dx out, 3 arrays to memcpy's 2, so its roofline is
# 2/3 of the measured copy rate. The sizes are bench_softplus's cache tiers (L1, L2, LLC, DRAM; --quick
# gives the first two), labelled by tier when the CSV has 2 or 4 sizes.
set -euo pipefail

csv=${1:?usage: plot.sh <bench.csv> <out.png> [title]}
png=${2:?usage: plot.sh <bench.csv> <out.png> [title]}
title=${3:-libsoftplus throughput}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

command -v gnuplot >/dev/null || { echo "plot.sh: gnuplot not found (Debian: gnuplot-nox)" >&2; exit 3; }
[[ -r $csv ]] || { echo "plot.sh: cannot read $csv" >&2; exit 2; }
head -n 1 "$csv" | grep -qx 'kernel,dtype,op,size,layout,gelem_s,copy_gelem_s,libm_gelem_s' ||
    { echo "plot.sh: $csv is not a bench_softplus CSV (unexpected header)" >&2; exit 2; }

data=$(mktemp -d)
trap 'rm -rf "$data"' EXIT

# One file per panel and series: <dtype>-<op>-<series>.dat holding "elements Gelem/s" lines by size.
# Only forward and backward (the four panels), and only measured rates: a libm row of an op without a libm
# loop carries nan.
awk -F, -v dir="$data" 'NR > 1 && $4 > 1 && ($3 == "fwd" || $3 == "bwd") && $6 + 0 > 0 {
    if ($5 == "kernel") series = $1
    else if ($5 == "copy") { series = "copy"; if ($3 == "bwd") $6 = $6 * 2 / 3 }
    else if ($5 == "libm") series = "libm"
    else next
    print $4, $6 >> (dir "/" $2 "-" $3 "-" series ".dat")
}' "$csv"
for f in "$data"/*.dat; do
    [[ -e $f ]] || { echo "plot.sh: no kernel, copy or libm rows in $csv" >&2; exit 2; }
    sort -n -o "$f" "$f"
done

# The kernel sets present, in the order of their ISA.
kernels=""
for k in scalar sse41 avx2 avx512 neon; do
    compgen -G "$data/*-$k.dat" >/dev/null && kernels+="${kernels:+ }$k"
done

# x tics: each measured size as 1K/32K/1M..., with its tier when the tier set is recognisable.
mapfile -t sizes < <(awk -F, 'NR > 1 && $4 > 1 { print $4 }' "$csv" | sort -n -u)
case ${#sizes[@]} in
    4) tiers=(L1 L2 LLC DRAM) ;;
    2) tiers=(L1 L2) ;;
    *) tiers=() ;;
esac
tics=""
for i in "${!sizes[@]}"; do
    n=${sizes[$i]}
    if ((n % (1 << 20) == 0)); then label="$((n >> 20))M"
    elif ((n % (1 << 10) == 0)); then label="$((n >> 10))K"
    else label=$n
    fi
    [[ ${#tiers[@]} -gt 0 ]] && label+="\\n${tiers[$i]}"
    tics+="${tics:+, }\"$label\" $n"
done

# Settings for throughput.gp; the title goes through gnuplot's single-quoted string (quotes doubled).
{
    echo "datadir = '$data'"
    echo "outfile = '${png//\'/\'\'}'"
    echo "kernels = '$kernels'"
    echo "figtitle = '${title//\'/\'\'}'"
    echo "set xtics ($tics)"
    echo "xmin = ${sizes[0]} / 2.0"
    echo "xmax = ${sizes[${#sizes[@]} - 1]} * 2.0"
    cat "$data"/*.dat | awk 'NR == 1 || $2 < lo { lo = $2 } NR == 1 || $2 > hi { hi = $2 }
        END { printf "ymin = %g\nymax = %g\n", lo / 2, hi * 2 }'
} >"$data/settings.gp"

gnuplot -e "load '$data/settings.gp'" "$here/throughput.gp"
echo "plot.sh: wrote $png ($kernels; ${#sizes[@]} sizes)"
