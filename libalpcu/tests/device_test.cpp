// SPDX-License-Identifier: MIT
// Tests tagged [vm] need the module: they run in the VM only.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <system_error>

#include "alpcu/device.hpp"

TEST_CASE("Device opens /dev/alpc close-on-exec and reports the API version", "[vm][device]") {
    auto dev = alpcu::Device::open();
    CHECK((::fcntl(dev.fd(), F_GETFD) & FD_CLOEXEC) != 0);
    auto f = dev.features();
    CHECK(f.version == ALPC_API_VERSION);
    CHECK((f.features & ~ALPC_FEAT_ALL) == 0);
}

TEST_CASE("Device::open of a missing node throws system_error with ENOENT", "[device]") {
    try {
        (void)alpcu::Device::open("/nonexistent/alpc");
        FAIL("open did not throw");
    } catch (const std::system_error& e) {
        CHECK(e.code() == std::errc::no_such_file_or_directory);
    }
}
