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
kfiles=$(git ls-files 'kmod/*.c' 'kmod/*.h' 'include/uapi/*.h' 'selftests/*.c' 'selftests/*.h' |
	grep -v '^kmod/compat.h$')
# compat.h is where the version checks the kernel lines need live, by
# design; checkpatch flags every LINUX_VERSION_CODE, so only those two
# message types are waived there.
if ! out=$({ perl "$cp" --no-tree --strict --terse --show-types -f $kfiles
	perl "$cp" --no-tree --strict --terse --show-types \
		--ignore LINUX_VERSION_CODE,CONSTANT_COMPARISON -f kmod/compat.h; } 2>&1 |
	grep -E 'ERROR|WARNING|CHECK'); then
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
