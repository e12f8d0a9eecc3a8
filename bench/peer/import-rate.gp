# The import rate (records per second since the start of the stage) against
# the records it has imported, Warden and the PostgreSQL peer from one run.
# gnuplot -e "series='DIR'; png='FILE'; persons=N; subtitle='...'" import-rate.gp
# DIR holds one file per series (records, seconds): warden-import.dat,
# peer-whole.dat, peer-copy.dat, peer-insert.dat.
set terminal pngcairo size 900,640 font "sans,10"
set output png
set title sprintf("Import of %d generated persons: Warden and the PostgreSQL peer\n{/*0.8 %s}", persons, subtitle)
set xlabel "records imported"
set ylabel "records per second since the start"
set format x "%.1s%c"
set format y "%.0s%c"
set key below left Left reverse vertical maxrows 4
set grid
set yrange [0:*]
set xrange [0:persons]
rate(r, s) = s > 0 ? r / s : 1/0
plot series."/warden-import.dat" using 1:(rate($1, $2)) with linespoints lw 2 pt 7 title "Warden: offline import (parse, validate, seal, index, write)", \
     series."/peer-whole.dat" using 1:(rate($1, $2)) with linespoints lw 2 pt 5 title "peer: whole import (COPY + encrypting INSERT + index)", \
     series."/peer-copy.dat" using 1:(rate($1, $2)) with lines dt 2 title "peer: COPY into staging alone", \
     series."/peer-insert.dat" using 1:(rate($1, $2)) with lines dt 3 title "peer: encrypting INSERT alone"
