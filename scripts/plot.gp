# SPDX-License-Identifier: GPL-2.0
# One figure of alpc_bench results, written as out.png and out.svg: a panel
# per placement, a line per transport, message size on a log x axis.
# scripts/bench-report.py calls it with:
#   files   data files, one per panel, space-separated
#   panels  the panels' titles, space-separated
#   counts  the number of transports (data blocks) in each file
#   out, title, ylabel
# A data file holds a block per transport, two blank lines apart: the
# transport's name on the block's first line, then "size value" rows.

set logscale xy
set xtics ("16" 16, "64" 64, "240" 240, "4K" 4096, "64K" 65536, "1M" 1048576, "16M" 16777216)
set xrange [10:3e7]
set format y "%g"
set xlabel "message size (bytes)"
set ylabel ylabel
set grid
set key top left noenhanced
set style data linespoints

n = words(files)
do for [t in "png svg"] {
	if (t eq "png") {
		set terminal png size 700 * n, 560
	} else {
		set terminal svg size 700 * n, 560 dynamic
	}
	set output out . "." . t
	set multiplot layout 1, n title title noenhanced
	do for [k = 1:n] {
		f = word(files, k)
		set title word(panels, k) noenhanced
		plot for [i = 0:int(word(counts, k)) - 1] f index i using 1:2 title columnheader(1) \
			lw 2 pt 7 ps 0.8
	}
	unset multiplot
	set output
}
