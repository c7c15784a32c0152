// SPDX-License-Identifier: MIT
// The uapi header compiles as C++ (selftests/device_test.c includes it as
// C) and its layout is the same in both: fixed-size fields, no padding.
#include <catch2/catch.hpp>

#include <cstddef>
#include <linux/alpc.h>

static_assert(sizeof(alpc_features) == 48);
static_assert(offsetof(alpc_features, features) == 8);
static_assert(offsetof(alpc_features, reserved) == 16);

TEST_CASE("uapi header compiles as C++ with the layout the kernel expects", "[uapi]") {
    CHECK(ALPC_IOC_GET_FEATURES == _IOWR(0xA7, 0x00, alpc_features));
    CHECK(_IOC_SIZE(ALPC_IOC_GET_FEATURES) == sizeof(alpc_features));
    CHECK((ALPC_FEAT_ALL & ~ALPC_FEAT_ALL) == 0);
}
