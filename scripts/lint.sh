#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Style checks, run by `make check` on the host: kernel C (module, uapi
# header, kselftests) against checkpatch.pl --strict from the kernel tree,
# and C++ against the repository's .clang-format.
set -uo pipefail
. "$(dirname "$0")/common.sh"
cd "$ALPC_TOP"

rc=0
cp=$(src_tree)/scripts/checkpatch.pl
kfiles=$(git ls-files 'kmod/*.c' 'kmod/*.h' 'include/uapi/*.h' 'selftests/*.c' 'selftests/*.h')
if ! out=$(perl "$cp" --no-tree --strict --terse --show-types -f $kfiles 2>&1 | grep -E 'ERROR|WARNING|CHECK'); then
	echo "ok 1 checkpatch --strict: kernel C is clean"
else
	echo "not ok 1 checkpatch --strict: kernel C is clean"
	echo "$out" | sed 's/^/# /'
	rc=1
fi
cfiles=$(git ls-files '*.cpp' '*.hpp')
if out=$(clang-format --dry-run -Werror $cfiles 2>&1) && [ -z "$out" ]; then
	echo "ok 2 clang-format: C++ follows .clang-format"
else
	echo "not ok 2 clang-format: C++ follows .clang-format"
	echo "$out" | grep 'warning' | sed 's/^/# /' | head -20
	rc=1
fi
echo "1..2"
exit $rc
