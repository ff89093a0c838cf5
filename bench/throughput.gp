# throughput.gp -- gnuplot script for bench/plot.sh: Gelem/s versus size, per kernel set, four panels.
# SPDX-License-Identifier: MIT
# plot.sh loads its settings first: datadir (files <dtype>-<op>-<series>.dat of "elements Gelem/s"),
# outfile, kernels (space-separated ISA names), figtitle, the x tics, and the ranges xmin..xmax and
# ymin..ymax (one y range for all panels, so that they compare at a glance).

set terminal pngcairo size 1600,1100 font "sans,12" linewidth 1.5 noenhanced
set output outfile

# One colour per kernel set, the same in every panel; the roofline black, the libm loop brown.
color(k) = k eq "scalar" ? "#1f77b4" : k eq "sse41" ? "#ff7f0e" : k eq "avx2" ? "#2ca02c" : \
           k eq "avx512" ? "#d62728" : k eq "neon" ? "#9467bd" : "#7f7f7f"
series(dt, op, s) = sprintf("%s/%s-%s-%s.dat", datadir, dt, op, s)

set logscale x 2
set logscale y 10
set xrange [xmin:xmax]
set yrange [ymin:ymax]
set format y "%g"
set grid xtics ytics mytics lc "#d0d0d0" lw 0.7
set ytics nomirror
set xtics nomirror
set mytics 10
set xlabel "elements per call (cache tier)" offset 0, -0.6
set ylabel "Gelem/s (10^9 elements/s)"
set key off

set multiplot title figtitle font "sans,15"
panel_w = 0.48
panel_h = 0.425
col_x(op) = op eq "fwd" ? 0.01 : 0.51
row_y(dt) = dt eq "f32" ? 0.515 : 0.085

do for [dt in "f32 f64"] {
    do for [op in "fwd bwd"] {
        set origin col_x(op), row_y(dt)
        set size panel_w, panel_h
        set title sprintf("%s %s", dt, op eq "fwd" ? "forward: y = softplus(x)" : \
                                                   "backward: dx = dy * sigmoid(beta*x)")
        plot series(dt, op, "copy") using 1:2 with lines dt 2 lw 2.5 lc "black", \
             series(dt, op, "libm") using 1:2 with linespoints dt 3 lw 1.5 pt 6 ps 1.2 lc "#8c564b", \
             for [k in kernels] series(dt, op, k) using 1:2 with linespoints lw 2 pt 7 ps 1.3 lc rgb color(k)
    }
}

# The key for every panel, in a strip of its own across the bottom.
set origin 0, 0
set size 1, 0.07
unset title
unset xlabel
unset ylabel
unset border
unset tics
unset grid
unset logscale
set xrange [0:1]
set yrange [0:1]
set key center center horizontal maxrows 1 reverse Left samplen 3 width 2 font "sans,12"
set label 1 "copy roofline: memcpy's rate for the same elements; backward streams 3 arrays to memcpy's 2, so its roofline is 2/3 of that" \
    at screen 0.5, 0.012 center font "sans,10"
plot NaN with lines dt 2 lw 2.5 lc "black" title "copy roofline", \
     NaN with linespoints dt 3 lw 1.5 pt 6 ps 1.2 lc "#8c564b" title "naive libm loop", \
     for [k in kernels] NaN with linespoints lw 2 pt 7 ps 1.3 lc rgb color(k) title k
unset multiplot
