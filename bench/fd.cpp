// SPDX-License-Identifier: GPL-2.0
// Transports over a pair of file descriptors: a pipe pair, a UNIX stream
// socket pair and a UNIX seqpacket socket pair. As in lmbench's lat_pipe,
// each side writes its message and reads the other's with read(2) and
// write(2); a stream is read until the message's length has arrived, a
// seqpacket message arrives whole in one read.
#include "bench.hpp"

#include <cerrno>
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <vector>

namespace bench {
namespace {

enum class Kind { pipe, stream, seqpacket };

class FdTransport : public Transport {
public:
    explicit FdTransport(Kind kind) : kind_(kind) {}
    ~FdTransport() override {
        for (int fd : {c_tx_, c_rx_, s_tx_, s_rx_})
            if (fd >= 0)
                close(fd);
    }

    // Seqpacket: one skb per message, and the kernel allocates most of a
    // large one in a single physically contiguous piece; 64 KiB is what
    // the default socket buffer takes.
    std::size_t max_size() const override {
        return kind_ == Kind::seqpacket ? 65536 : std::size_t(1) << 30;
    }

    void prepare(Pattern, std::size_t size) override {
        if (kind_ == Kind::pipe) {
            int a[2], b[2];
            if (pipe2(a, O_CLOEXEC) || pipe2(b, O_CLOEXEC))
                fail_errno("pipe2");
            c_tx_ = a[1], s_rx_ = a[0], s_tx_ = b[1], c_rx_ = b[0];
        } else {
            int type = kind_ == Kind::stream ? SOCK_STREAM : SOCK_SEQPACKET;
            int sv[2];
            if (socketpair(AF_UNIX, type | SOCK_CLOEXEC, 0, sv))
                fail_errno("socketpair");
            c_tx_ = c_rx_ = sv[0];
            s_tx_ = s_rx_ = sv[1];
        }
        // Room for one more byte than expected: a seqpacket read of a
        // longer message would otherwise go unnoticed (it truncates).
        buf_.resize(size + 1);
    }

    void server_setup() override { close_other(c_tx_, c_rx_); }
    void client_setup() override { close_other(s_tx_, s_rx_); }

    const std::byte* call(const std::byte* req, std::size_t len) override {
        put(c_tx_, req, len, "client write");
        return get(c_rx_, len, "client read");
    }

    const std::byte* reply_recv(const std::byte* reply, std::size_t len, bool next) override {
        if (reply)
            put(s_tx_, reply, len, "server write");
        return next ? get(s_rx_, len, "server read") : nullptr;
    }

    void send(const std::byte* msg, std::size_t len) override { put(c_tx_, msg, len, "write"); }
    const std::byte* recv(std::size_t len) override { return get(s_rx_, len, "read"); }

private:
    void close_other(int& tx, int& rx) {
        if (rx != tx)
            close(rx);
        close(tx);
        tx = rx = -1;
    }

    void put(int fd, const std::byte* p, std::size_t len, const char* what) {
        if (kind_ != Kind::seqpacket)
            return write_full(fd, p, len, what);
        long n;
        do
            n = sys_write(fd, p, len);
        while (n < 0 && errno == EINTR);
        if (n < 0)
            fail_errno(what);
        if (std::size_t(n) != len)
            failf("%s: sent %ld of %zu bytes", what, n, len);
    }

    const std::byte* get(int fd, std::size_t len, const char* what) {
        if (kind_ != Kind::seqpacket) {
            read_full(fd, buf_.data(), len, what);
            return buf_.data();
        }
        long n;
        do
            n = sys_read(fd, buf_.data(), len + 1);
        while (n < 0 && errno == EINTR);
        if (n < 0)
            fail_errno(what);
        if (std::size_t(n) != len)
            failf("%s: a message of %ld bytes, expected %zu", what, n, len);
        return buf_.data();
    }

    Kind kind_;
    int c_tx_ = -1, c_rx_ = -1, s_tx_ = -1, s_rx_ = -1;
    std::vector<std::byte> buf_;
};

} // namespace

std::unique_ptr<Transport> make_pipe() {
    return std::make_unique<FdTransport>(Kind::pipe);
}

std::unique_ptr<Transport> make_unix_stream() {
    return std::make_unique<FdTransport>(Kind::stream);
}

std::unique_ptr<Transport> make_unix_seqpacket() {
    return std::make_unique<FdTransport>(Kind::seqpacket);
}

} // namespace bench
