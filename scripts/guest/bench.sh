#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The benchmarks (make bench), run inside the VM with alpc.ko loaded:
# loads binder if the kernel has it, runs alpc_bench, prints its table,
# then its JSON records between BENCH-JSON-BEGIN and BENCH-JSON-END lines,
# one record per line, for the host to pick out, and last BENCH PASS or
# BENCH FAIL.
#
# Arguments for alpc_bench (--quick, --transports ...) come from
# /tests/bench.args, which scripts/bench.sh writes from BENCH_ARGS; the
# accelerator from alpc.accel= on the kernel command line, if there.
T=/tests
args=
[ -f $T/bench.args ] && args=$(cat $T/bench.args)
accel=$(sed -n 's/.*alpc\.accel=\([a-z]*\).*/\1/p' /proc/cmdline)

if [ -f /lib/binder_linux.ko ] && [ ! -e /dev/binder ]; then
	insmod /lib/binder_linux.ko devices=binder ||
		echo "bench: binder_linux.ko did not load; binder is skipped"
fi
echo "bench: $(uname -r), $(grep -c ^processor /proc/cpuinfo) CPUs," \
	"clocksource $(cat /sys/devices/system/clocksource/clocksource0/current_clocksource)," \
	"args: ${args:-none}"

# shellcheck disable=SC2086
$T/alpc_bench --json /tmp/bench.json --accel "${accel:-unknown}" $args
rc=$?

echo BENCH-JSON-BEGIN
[ -f /tmp/bench.json ] && cat /tmp/bench.json
echo BENCH-JSON-END
if [ $rc = 0 ]; then
	echo "BENCH PASS"
else
	echo "BENCH FAIL"
fi
exit $rc
