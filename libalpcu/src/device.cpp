// SPDX-License-Identifier: MIT
#include "alpcu/device.hpp"

#include <fcntl.h>
#include <sys/ioctl.h>

#include "alpcu/error.hpp"

namespace alpcu {

Device Device::open(const char* path) {
    int fd = ::open(path, O_RDWR | O_CLOEXEC);
    if (fd < 0)
        throw_errno(path);
    return Device(Fd(fd));
}

Features Device::features() const {
    alpc_features f{};
    check(::ioctl(fd_.get(), ALPC_IOC_GET_FEATURES, &f), "ALPC_IOC_GET_FEATURES");
    return Features{f.version, f.features};
}

} // namespace alpcu
