// SPDX-License-Identifier: MIT
// The uapi header compiles as C++ (selftests/device_test.c includes it as
// C) and its layout is the same in both: fixed-size fields, no padding.
#include <catch2/catch.hpp>

#include <cstddef>
#include <linux/alpc.h>

static_assert(sizeof(alpc_features) == 48);
static_assert(offsetof(alpc_features, features) == 8);
static_assert(offsetof(alpc_features, reserved) == 16);

// Version 3: fields taken from reserved space keep every structure's size
// and the offsets of the fields around them.
static_assert(sizeof(alpc_port_attr) == 48);
static_assert(offsetof(alpc_port_attr, max_fds) == 20);
static_assert(offsetof(alpc_port_attr, max_sections) == 24);
static_assert(offsetof(alpc_port_attr, max_section_size) == 32);
static_assert(sizeof(alpc_create_port) == ALPC_NAME_MAX + 48 + 16);
static_assert(offsetof(alpc_create_port, mode) == ALPC_NAME_MAX + 48 + 4);
static_assert(sizeof(alpc_ace) == 8);
static_assert(sizeof(alpc_security) == 32 + ALPC_ACL_MAX * sizeof(alpc_ace));
static_assert(offsetof(alpc_security, acl) == 32);
static_assert(sizeof(alpc_port_security) == ALPC_NAME_MAX + 8 + sizeof(alpc_security));
static_assert(offsetof(alpc_port_security, sd) == ALPC_NAME_MAX + 8);
static_assert(sizeof(alpc_connect) == ALPC_NAME_MAX + 72);
static_assert(offsetof(alpc_connect, server_uid) == ALPC_NAME_MAX + 40);
static_assert(offsetof(alpc_connect, pidfd) == ALPC_NAME_MAX + 44);
static_assert(offsetof(alpc_connect, completion_fd) == ALPC_NAME_MAX + 56);
static_assert(sizeof(alpc_accept) == 48);
static_assert(offsetof(alpc_accept, pidfd) == 32);
static_assert(sizeof(alpc_msg_info) == 88);
static_assert(offsetof(alpc_msg_info, nfds) == 60);
static_assert(offsetof(alpc_msg_info, view_addr) == 64);
static_assert(sizeof(alpc_msg_attrs) == 72);
static_assert(offsetof(alpc_msg_attrs, fds) == 56);
static_assert(offsetof(alpc_msg_attrs, nfds) == 64);
static_assert(sizeof(alpc_recv_extra) == 48);
static_assert(offsetof(alpc_recv_extra, groups) == 16);
static_assert(offsetof(alpc_recv_extra, pidfd) == 32);
static_assert(sizeof(alpc_recv) == 24 + sizeof(alpc_msg_info) + 16);
static_assert(offsetof(alpc_recv, extra) == 24 + sizeof(alpc_msg_info));
static_assert(sizeof(alpc_send_wait) == 56 + sizeof(alpc_msg_info) + 24);
static_assert(offsetof(alpc_send_wait, extra) == 56 + sizeof(alpc_msg_info));

TEST_CASE("uapi header compiles as C++ with the layout the kernel expects", "[uapi]") {
    CHECK(ALPC_IOC_GET_FEATURES == _IOWR(0xA7, 0x00, alpc_features));
    CHECK(_IOC_SIZE(ALPC_IOC_GET_FEATURES) == sizeof(alpc_features));
    CHECK((ALPC_FEAT_ALL & ~ALPC_FEAT_ALL) == 0);
}

TEST_CASE("uapi version 3 numbers the security ioctls after CONNECT", "[uapi]") {
    CHECK(ALPC_API_VERSION >= 3);
    CHECK((ALPC_FEAT_ALL & ALPC_FEAT_SECURITY) != 0);
    CHECK(_IOC_NR(ALPC_IOC_GET_SECURITY) == 0x03);
    CHECK(_IOC_NR(ALPC_IOC_SET_SECURITY) == 0x04);
    CHECK(_IOC_SIZE(ALPC_IOC_GET_SECURITY) == sizeof(alpc_port_security));
    CHECK(_IOC_DIR(ALPC_IOC_SET_SECURITY) == _IOC_WRITE);
}
