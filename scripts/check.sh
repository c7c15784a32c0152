#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# check.sh NAME LINE...: the test run behind `make check` (NAME=check) and
# `make check-debug`. Runs the host tests (check only), then for each
# kernel line builds the module and runs the VM tests. Prints one line per
# result, the failures again at the end, and last the count line
# "N passed, N failed, N skipped", also kept in build/results/NAME.counts.
set -uo pipefail
. "$(dirname "$0")/common.sh"

name=$1
shift
B=$ALPC_TOP/build
mkdir -p "$B/results"
all=$B/results/$name.all
: >"$all"

result() { # STATUS TEXT
	echo "$1 $2" >>"$all"
	printf '%s %s\n' "$1" "$2"
}

# tap PREFIX FILE: one result per TAP "ok"/"not ok" line.
tap() {
	local line st
	grep -E '^(not )?ok [0-9]+ ' "$2" | while IFS= read -r line; do
		case $line in
		not\ ok*) st=FAIL ;;
		*'# SKIP'*) st=SKIP ;;
		*) st=PASS ;;
		esac
		result "$st" "$1$(echo "$line" | sed -E 's/^(not )?ok [0-9]+ (- )?//; s/ *# SKIP.*//')"
	done
}

if [ "$name" = check ]; then
	out=$B/results/host-lint.out
	"$ALPC_TOP/scripts/lint.sh" >"$out" 2>&1
	tap "[host] lint: " "$out"
	grep '^#' "$out" | sed 's/^/     [host] /'
	out=$B/results/host-packaging.out
	"$ALPC_TOP/scripts/packaging-test.sh" >"$out" 2>&1
	tap "[host] packaging: " "$out"
	grep '^#' "$out" | sed 's/^/     [host] /'
	# Library tests that need no kernel run on the host too.
	out=$B/results/host-alpcu_test.out
	"$B/vm/tests/alpcu_test" -r tapcase '~[vm]' >"$out" 2>&1
	rc=$?
	tap "[host] alpcu_test: " "$out"
	if [ "$rc" != 0 ]; then
		grep -q '^not ok' "$out" || result FAIL "[host] alpcu_test: exited with status $rc"
		sed 's/^/     [host] /' "$out" | tail -40
	fi
	# alpcctl where the module is not loaded: its message and exit code.
	out=$B/results/host-alpcctl_test.out
	"$B/vm/tests/alpcctl_test" -r tapcase '~[vm]' >"$out" 2>&1
	rc=$?
	tap "[host] alpcctl_test: " "$out"
	if [ "$rc" != 0 ]; then
		grep -q '^not ok' "$out" || result FAIL "[host] alpcctl_test: exited with status $rc"
		sed 's/^/     [host] /' "$out" | tail -40
	fi
fi

for line in "$@"; do
	if ! scripts/build-module.sh "$line" "$B/$line" >"$B/results/$line.build" 2>&1; then
		result FAIL "[$line] build: module builds without warnings (W=1)"
		sed "s/^/     [$line] /" "$B/results/$line.build" | tail -30
		continue
	fi
	result PASS "[$line] build: module builds without warnings (W=1)"
	log "booting the $line kernel"
	"$ALPC_TOP/scripts/vm.sh" check "$line"
	res=$B/results/$line.results
	grep -E '^(PASS|FAIL|SKIP) ' "$res" | sed -E "s/^(PASS|FAIL|SKIP) /\1 [$line] /" >>"$all"
	grep -E '^INFO ' "$res" | sed "s/^INFO /[$line] /" | tr '\n' ' '
	echo
done

p=$(grep -c '^PASS' "$all")
f=$(grep -c '^FAIL' "$all")
s=$(grep -c '^SKIP' "$all")
if [ "$f" -gt 0 ]; then
	echo
	echo "Failed:"
	grep '^FAIL' "$all" | sed 's/^FAIL /  /'
	echo "(details above; VM console logs in $B/vm/<line>/console.log)"
fi
echo "$p passed, $f failed, $s skipped" | tee "$B/results/$name.counts"
[ "$f" = 0 ]
