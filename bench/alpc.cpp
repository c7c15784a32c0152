// SPDX-License-Identifier: GPL-2.0
// alpc, messages inline, through the raw ioctls (not libalpcu), so the
// numbers are the kernel's. Ping-pong: the client calls SEND_WAIT, the
// server loops in REPLY_RECV on its connection port, one system call per
// side per round trip. One-way: the client SENDs datagrams (waiting for
// queue room without limit), the server RECVs them.
#include "bench.hpp"

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <linux/alpc.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <vector>

namespace bench {
namespace {

// Queue limits of the benchmark's port: a whole 64 KiB message in flight
// per direction several times over.
constexpr std::uint32_t queued_msgs = 1024;
constexpr std::uint32_t queued_bytes = 4 << 20;

std::uint64_t ptr(const void* p) {
    return reinterpret_cast<std::uintptr_t>(p);
}

class AlpcInline : public Transport {
public:
    ~AlpcInline() override {
        for (int fd : {dev_, port_, conn_})
            if (fd >= 0)
                close(fd);
    }

    std::size_t max_size() const override { return ALPC_MSG_LIMIT; }

    void prepare(Pattern, std::size_t size) override {
        static unsigned seq;
        dev_ = open(ALPC_DEVICE_PATH, O_RDWR | O_CLOEXEC);
        if (dev_ < 0)
            fail_errno(ALPC_DEVICE_PATH);
        alpc_create_port cp{};
        std::snprintf(cp.name, sizeof(cp.name), "alpc-bench-%d-%u", getpid(), seq++);
        cp.attr.max_msg_len = ALPC_MSG_LIMIT;
        cp.attr.max_queued_msgs = queued_msgs;
        cp.attr.max_queued_bytes = queued_bytes;
        port_ = ioctl_or_fail(dev_, ALPC_IOC_CREATE_PORT, &cp, "CREATE_PORT");
        std::memcpy(name_, cp.name, sizeof(name_));
        buf_.resize(size);
    }

    void server_accept() override {
        alpc_recv r{};
        r.buf = ptr(buf_.data());
        r.size = buf_.size();
        r.timeout_ns = -1;
        ioctl_or_fail(port_, ALPC_IOC_RECV, &r, "RECV connection request");
        if (r.info.type != ALPC_MSG_CONNECTION_REQUEST)
            failf("expected a connection request, got a message of type %u", r.info.type);
        alpc_accept a{};
        a.id = r.info.id;
        a.port_context = 1;
        ioctl_or_fail(port_, ALPC_IOC_ACCEPT, &a, "ACCEPT");
    }

    void client_setup() override {
        close(port_);
        port_ = -1;
        alpc_connect c{};
        std::memcpy(c.name, name_, sizeof(c.name));
        c.timeout_ns = -1;
        conn_ = ioctl_or_fail(dev_, ALPC_IOC_CONNECT, &c, "CONNECT");
    }

    const std::byte* call(const std::byte* req, std::size_t len) override {
        alpc_send_wait s{};
        s.buf = ptr(req);
        s.len = len;
        s.timeout_ns = -1;
        s.reply_buf = ptr(buf_.data());
        s.reply_size = buf_.size();
        xioctl(conn_, ALPC_IOC_SEND_WAIT, &s, "SEND_WAIT");
        check(s.reply, ALPC_MSG_REPLY, len, "reply");
        return buf_.data();
    }

    const std::byte* reply_recv(const std::byte* reply, std::size_t len, bool next) override {
        if (reply && !next) {
            alpc_send s{};
            s.type = ALPC_MSG_REPLY;
            s.buf = ptr(reply);
            s.len = len;
            s.ref_id = last_id_;
            xioctl(port_, ALPC_IOC_SEND, &s, "SEND reply");
            return nullptr;
        }
        alpc_reply_recv rr{};
        if (reply) {
            rr.ref_id = last_id_;
            rr.buf = ptr(reply);
            rr.len = len;
        }
        rr.recv.buf = ptr(buf_.data());
        rr.recv.size = buf_.size();
        rr.recv.timeout_ns = -1;
        xioctl(port_, ALPC_IOC_REPLY_RECV, &rr, "REPLY_RECV");
        if (rr.reply_status)
            failf("REPLY_RECV: the reply failed: %s", std::strerror(-rr.reply_status));
        check(rr.recv.info, ALPC_MSG_REQUEST, len, "request");
        last_id_ = rr.recv.info.id;
        return buf_.data();
    }

    void send(const std::byte* msg, std::size_t len) override {
        alpc_send s{};
        s.type = ALPC_MSG_DATAGRAM;
        s.buf = ptr(msg);
        s.len = len;
        s.timeout_ns = -1;
        xioctl(conn_, ALPC_IOC_SEND, &s, "SEND datagram");
    }

    const std::byte* recv(std::size_t len) override {
        alpc_recv r{};
        r.buf = ptr(buf_.data());
        r.size = buf_.size();
        r.timeout_ns = -1;
        xioctl(port_, ALPC_IOC_RECV, &r, "RECV");
        check(r.info, ALPC_MSG_DATAGRAM, len, "datagram");
        return buf_.data();
    }

private:
    static int ioctl_or_fail(int fd, unsigned long req, void* arg, const char* what) {
        int ret = ioctl(fd, req, arg);
        if (ret < 0)
            fail_errno(what);
        return ret;
    }

    // A wait ended by a signal is never restarted by the kernel (see the
    // uapi header); none is expected here, so EINTR fails too.
    void xioctl(int fd, unsigned long req, void* arg, const char* what) {
        if (sys_ioctl(fd, req, arg) < 0)
            fail_errno(what);
    }

    static void check(const alpc_msg_info& info, std::uint32_t type, std::size_t len,
                      const char* what) {
        if (info.type != type)
            failf("%s: message type %u, expected %u", what, info.type, type);
        if (info.len != len)
            failf("%s: %u bytes, expected %zu", what, info.len, len);
    }

    int dev_ = -1, port_ = -1, conn_ = -1;
    char name_[ALPC_NAME_MAX] = {};
    std::uint64_t last_id_ = 0;
    std::vector<std::byte> buf_;
};

} // namespace

std::string alpc_unavailable() {
    if (access(ALPC_DEVICE_PATH, R_OK | W_OK))
        return std::string("no ") + ALPC_DEVICE_PATH + " (alpc.ko not loaded?)";
    return {};
}

std::unique_ptr<Transport> make_alpc_inline() {
    return std::make_unique<AlpcInline>();
}

} // namespace bench
