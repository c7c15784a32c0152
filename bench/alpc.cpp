// SPDX-License-Identifier: GPL-2.0
// alpc, messages inline, through the raw ioctls (not libalpcu), so the
// numbers are the kernel's. Ping-pong: the client calls SEND_WAIT, the
// server loops in REPLY_RECV on its connection port, one system call per
// side per round trip. One-way: the client SENDs datagrams (waiting for
// queue room without limit), the server RECVs them.
#include "alpc_base.hpp"

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

class AlpcInline : public AlpcBase {
public:
    std::size_t max_size() const override { return ALPC_MSG_LIMIT; }

    void prepare(Pattern, std::size_t size) override {
        alpc_port_attr attr{};
        attr.max_msg_len = ALPC_MSG_LIMIT;
        attr.max_queued_msgs = queued_msgs;
        attr.max_queued_bytes = queued_bytes;
        open_port(attr);
        buf_.resize(size);
    }

    void server_accept() override { accept_one(); }
    void client_setup() override { connect_one(); }

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
    static void check(const alpc_msg_info& info, std::uint32_t type, std::size_t len,
                      const char* what) {
        if (info.type != type)
            failf("%s: message type %u, expected %u", what, info.type, type);
        if (info.len != len)
            failf("%s: %u bytes, expected %zu", what, info.len, len);
    }

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
