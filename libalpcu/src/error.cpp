// SPDX-License-Identifier: MIT
#include "alpcu/error.hpp"

#include <system_error>

namespace alpcu {

void throw_errno(const char* what, int err) {
    throw std::system_error(err, std::generic_category(), what);
}

} // namespace alpcu
