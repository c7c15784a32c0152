// SPDX-License-Identifier: MIT
#pragma once

#include <cerrno>

namespace alpcu {

// Throws std::system_error carrying err (errno by default) and what.
[[noreturn]] void throw_errno(const char* what, int err = errno);

// Returns rc when it is not negative; otherwise throws with errno.
inline long check(long rc, const char* what) {
    if (rc < 0)
        throw_errno(what);
    return rc;
}

} // namespace alpcu
