#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The race programs of selftests/race/ in a short run, for the manifest
# (make check, make check-debug): stress programs, not unit tests, whose
# verdict is the kernel's log. As the review's race.sh ran them: each for
# S seconds, race_conn with race_nl beside it, then some allocation churn
# (to make a damaged slab show) before the log is read.
#
#   race_test.sh [--duration S] [--debug-duration S] [NAME...]
#
# --debug-duration replaces --duration on a kernel with lockdep (the
# debug kernel), as in alpc_fuzz and soak_test. NAMEs (default: tight
# conn sec dgram access misc) pick programs; conn runs race_conn and
# race_nl. One TAP line per program: ok if it exited 0 and the kernel
# logged no splat (the pattern of /init) from its start to the end of the
# churn after it. A splat during conn fails race_conn and race_nl both.
T=/tests
dur=5 ddur=
while [ $# -gt 0 ]; do
	case $1 in
	--duration) dur=$2; shift 2 ;;
	--debug-duration) ddur=$2; shift 2 ;;
	*) break ;;
	esac
done
[ -n "$ddur" ] && [ -e /proc/lockdep ] && dur=$ddur
names=${*:-tight conn sec dgram access misc}
# A program that has not ended well after its time is hung: killed.
limit=$((dur * 2 + 60))

SPLAT='BUG:|WARNING:|Oops|KASAN|general protection fault|INFO: task .* blocked|soft lockup|hard LOCKUP|unreferenced object|suspected memory leak|possible recursive locking|circular locking|inconsistent lock state|Kernel panic|Call Trace:'

plan=0
for t in $names; do
	plan=$((plan + 1))
	[ "$t" = conn ] && plan=$((plan + 1))
done
echo "1..$plan"
echo "# race programs, $dur s each, on $(uname -r)"

n=0 failed=0
# result NAME RC OUTFILE: one TAP line for race_NAME, its output as comments.
result() {
	n=$((n + 1))
	sed 's/^/# /' "$3"
	if [ "$2" = 0 ] && [ "$splat" = 0 ]; then
		echo "ok $n race_$1"
		return
	fi
	[ "$2" = 0 ] || echo "# race_$1 exited with status $2"
	[ "$splat" = 0 ] || echo "# the kernel logged a splat while race_$1 ran"
	echo "not ok $n race_$1"
	failed=1
}

# Allocation and free churn after each program, as race.sh does.
churn() {
	i=0
	while [ $i -lt 200 ]; do
		cat /proc/self/status >/dev/null
		i=$((i + 1))
	done
	echo 3 >/proc/sys/vm/drop_caches
}

# check_log: splat=1 and the excerpt, as comments, if the kernel logged one.
check_log() {
	dmesg -c >/tmp/race.kmsg 2>/dev/null
	splat=0
	grep -qE "$SPLAT" /tmp/race.kmsg || return 0
	splat=1
	first=$(grep -m1 -nE "$SPLAT" /tmp/race.kmsg | cut -d: -f1)
	tail -n +"$first" /tmp/race.kmsg | head -60 | sed 's/^/# kernel: /'
}

for t in $names; do
	if [ ! -x "$T/race_$t" ]; then
		n=$((n + 1))
		echo "not ok $n race_$t # no $T/race_$t"
		failed=1
		continue
	fi
	dmesg -c >/dev/null 2>&1
	echo "alpc-runner: race_test.sh: race_$t" >/dev/kmsg
	start=$(date +%s)
	nl=
	if [ "$t" = conn ]; then
		timeout -s KILL $limit $T/race_nl "$dur" >/tmp/race_nl.out 2>&1 </dev/null &
		nl=$!
	fi
	timeout -s KILL $limit "$T/race_$t" "$dur" >/tmp/race.out 2>&1 </dev/null
	rc=$?
	if [ -n "$nl" ]; then
		wait "$nl"
		nlrc=$?
	fi
	churn
	echo "# race_$t: $(($(date +%s) - start)) s with the churn"
	check_log
	result "$t" $rc /tmp/race.out
	[ -n "$nl" ] && result nl "$nlrc" /tmp/race_nl.out
done
exit $failed
