// SPDX-License-Identifier: MIT
#include "alpcu/fd.hpp"

#include <unistd.h>

namespace alpcu {

void Fd::reset(int fd) noexcept {
    int old = std::exchange(fd_, fd);
    if (old >= 0)
        ::close(old);
}

} // namespace alpcu
