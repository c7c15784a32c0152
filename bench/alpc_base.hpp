// SPDX-License-Identifier: GPL-2.0
// What the alpc transports share: a port, one client connection, and
// ioctl helpers that count system calls on the measured path.
#pragma once

#include "bench.hpp"

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <linux/alpc.h>
#include <sys/ioctl.h>
#include <unistd.h>

namespace bench {

inline std::uint64_t ptr(const void* p) {
    return reinterpret_cast<std::uintptr_t>(p);
}

class AlpcBase : public Transport {
public:
    ~AlpcBase() override {
        for (int fd : {dev_, port_, conn_})
            if (fd >= 0)
                close(fd);
    }

protected:
    void open_port(alpc_port_attr attr) {
        static unsigned seq;
        dev_ = open(ALPC_DEVICE_PATH, O_RDWR | O_CLOEXEC);
        if (dev_ < 0)
            fail_errno(ALPC_DEVICE_PATH);
        alpc_create_port cp{};
        std::snprintf(cp.name, sizeof(cp.name), "alpc-bench-x-%d-%u", getpid(), seq++);
        cp.attr = attr;
        port_ = ioctl_or_fail(dev_, ALPC_IOC_CREATE_PORT, &cp, "CREATE_PORT");
        std::memcpy(name_, cp.name, sizeof(name_));
    }

    // The one-way transports' port: 4 KiB messages, deep queues.
    void open_oneway_port() {
        alpc_port_attr attr{};
        attr.max_msg_len = 4096;
        attr.max_queued_msgs = 1024;
        attr.max_queued_bytes = 4 << 20;
        open_port(attr);
    }

    void accept_one() {
        std::byte buf[ALPC_MSG_DEFAULT_MAX];
        alpc_recv r{};
        r.buf = ptr(buf);
        r.size = sizeof(buf);
        r.timeout_ns = -1;
        ioctl_or_fail(port_, ALPC_IOC_RECV, &r, "RECV connection request");
        if (r.info.type != ALPC_MSG_CONNECTION_REQUEST)
            failf("expected a connection request, got a message of type %u", r.info.type);
        alpc_accept a{};
        a.id = r.info.id;
        ioctl_or_fail(port_, ALPC_IOC_ACCEPT, &a, "ACCEPT");
    }

    void connect_one() {
        close(port_);
        port_ = -1;
        alpc_connect c{};
        std::memcpy(c.name, name_, sizeof(c.name));
        c.timeout_ns = -1;
        conn_ = ioctl_or_fail(dev_, ALPC_IOC_CONNECT, &c, "CONNECT");
    }

    static int ioctl_or_fail(int fd, unsigned long req, void* arg, const char* what) {
        int ret = ioctl(fd, req, arg);
        if (ret < 0)
            fail_errno(what);
        return ret;
    }

    void xioctl(int fd, unsigned long req, void* arg, const char* what) {
        if (sys_ioctl(fd, req, arg) < 0)
            fail_errno(what);
    }

    static void check(const alpc_msg_info& info, std::uint32_t type, const char* what) {
        if (info.type != type)
            failf("%s: message type %u, expected %u", what, info.type, type);
    }

    int dev_ = -1, port_ = -1, conn_ = -1;
    char name_[ALPC_NAME_MAX] = {};
};

} // namespace bench
