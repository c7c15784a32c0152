#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# make fuzz, inside the VM with the module loaded: alpc_fuzz with the
# arguments the host left in /tests/fuzz.args. Then, if the module was
# built with gcov (a kernel with CONFIG_GCOV_KERNEL), its coverage data,
# base64 on "GCDA" lines, for the host to turn into a report. It is read
# here, before the module is unloaded.
args=$(cat /tests/fuzz.args 2>/dev/null)
# shellcheck disable=SC2086
/tests/alpc_fuzz $args
rc=$?
if [ -d /sys/kernel/debug/gcov ]; then
	find /sys/kernel/debug/gcov -name '*.gcda' | while read -r f; do
		echo "GCDA-FILE $f"
		base64 "$f" | sed 's/^/GCDA /'
	done
fi
exit $rc
