// SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>
#include <linux/alpc.h>

#include "alpcu/fd.hpp"

namespace alpcu {

struct Features {
    std::uint32_t version = 0;  // ALPC_API_VERSION of the loaded module
    std::uint64_t features = 0; // ALPC_FEAT_* bits
    [[nodiscard]] bool has(std::uint64_t bits) const noexcept { return (features & bits) == bits; }
};

// The misc device /dev/alpc, through which every alpc object is created.
class Device {
public:
    // Opens the device (O_RDWR | O_CLOEXEC); throws std::system_error,
    // with ENOENT when the module is not loaded.
    static Device open(const char* path = ALPC_DEVICE_PATH);

    explicit Device(Fd fd) noexcept : fd_(std::move(fd)) {}

    [[nodiscard]] Features features() const;
    [[nodiscard]] int fd() const noexcept { return fd_.get(); }

private:
    Fd fd_;
};

} // namespace alpcu
