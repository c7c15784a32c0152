// SPDX-License-Identifier: MIT
// Batches: sends, receives and cancels performed in order by one system
// call (ALPC_IOC_BATCH), each with its own outcome.
#pragma once

#include <cstddef>
#include <cstdint>
#include <linux/alpc.h>
#include <span>
#include <utility>
#include <variant>
#include <vector>

#include "alpcu/connection.hpp"
#include "alpcu/message.hpp"
#include "alpcu/port.hpp"
#include "alpcu/result.hpp"
#include "alpcu/section.hpp"
#include "alpcu/timeout.hpp"

namespace alpcu {

// One operation of a batch, made with the named constructors below.
// submit() performs it and leaves its outcome in it: error() and status(),
// and id() of a send, or the message a receive took. The buffers it names
// are not copied: they must stay valid until submit() returns (a receive's
// buffer, as long as payload() is used). Payloads go inline only, so a
// send over the port's max_msg_len fails with EMSGSIZE. Move-only: a
// receive that took a message carrying a view owns its mapping.
class BatchOp {
public:
    enum class Kind { send, receive, cancel };

    // A datagram, or a request whose reply arrives later as a message
    // (its ref_id is this op's id()). Outcomes: as Connection::send.
    [[nodiscard]] static BatchOp datagram(std::span<const std::byte> data,
                                          Timeout timeout = forever, std::uint64_t context = 0);
    [[nodiscard]] static BatchOp request(std::span<const std::byte> data, Timeout timeout = forever,
                                         std::uint64_t context = 0);
    // The reply to a request received on the fd the batch goes to.
    // Outcomes: lost, disconnected.
    [[nodiscard]] static BatchOp reply(const Message& request, std::span<const std::byte> data,
                                       std::uint64_t context = 0);
    [[nodiscard]] static BatchOp reply(std::uint64_t request_id, std::span<const std::byte> data,
                                       std::uint64_t context = 0);
    // Receives the next message into buf. Outcomes: would_block,
    // timed_out, interrupted, disconnected; a message larger than buf
    // stays queued (error() EMSGSIZE, info().len the room it needs), and
    // so does one carrying fds (EMSGSIZE, info().nfds the fds it carries):
    // a batch has no room for fds, groups or pidfds, so receive that one
    // with Connection::receive or Port::receive.
    [[nodiscard]] static BatchOp receive(std::span<std::byte> buf, Timeout timeout = forever);
    // Cancels a request sent on this fd. Outcomes: lost.
    [[nodiscard]] static BatchOp cancel(std::uint64_t request_id);

    BatchOp(BatchOp&&) noexcept = default;
    BatchOp& operator=(BatchOp&&) noexcept = default;
    BatchOp(const BatchOp&) = delete;
    BatchOp& operator=(const BatchOp&) = delete;
    ~BatchOp() = default;

    [[nodiscard]] Kind kind() const noexcept { return static_cast<Kind>(arg_.index()); }
    // Whether a submit() performed it.
    [[nodiscard]] bool performed() const noexcept { return performed_; }
    // 0, or the errno the single ioctl would have failed with.
    [[nodiscard]] int error() const noexcept { return error_; }
    [[nodiscard]] bool ok() const noexcept { return performed_ && error_ == 0; }
    // The outcome, as the single call reports it: ok, or one of the
    // values listed with the constructor. Throws std::system_error for
    // any other errno, std::logic_error before submit().
    [[nodiscard]] Status status() const;

    // Send: the message's id (0 unless ok()).
    [[nodiscard]] std::uint64_t id() const noexcept;
    // Receive: what the kernel said of the message (zeros unless ok(), or
    // EMSGSIZE: len is then the room needed), and the payload bytes in the
    // buffer (empty unless ok()).
    [[nodiscard]] const alpc_msg_info& info() const noexcept;
    [[nodiscard]] std::span<const std::byte> payload() const noexcept;
    // Receive, ok(): the message as a Message (the payload copied); it
    // takes the view the message carried, if any. Throws std::logic_error
    // for an operation that received nothing.
    [[nodiscard]] Message message();

private:
    friend std::size_t submit_fd(int fd, std::span<BatchOp> ops);
    template <class Arg> explicit BatchOp(Arg arg) noexcept : arg_(arg) {}
    void prepare() noexcept;
    void complete(int result) noexcept;

    std::variant<alpc_send, alpc_recv, alpc_cancel> arg_; // in Kind's order
    std::span<std::byte> buf_;                            // receive
    int error_ = 0;
    bool performed_ = false;
    View view_;
};

// Performs ops in order, as the single calls would, with ALPC_IOC_BATCH on
// the given fd: one system call per ALPC_BATCH_MAX (256) operations. An
// operation that fails does not stop the others. Returns how many
// succeeded. A repeated submit performs the operations again (and unmaps
// a view a receive took and message() did not). Throws std::system_error
// only if the kernel refuses the batch as a whole.
std::size_t submit_fd(int fd, std::span<BatchOp> ops);
inline std::size_t submit(const Connection& conn, std::span<BatchOp> ops) {
    return submit_fd(conn.fd(), ops);
}
// On a connection port: replies and receives (a datagram or request fails
// with EOPNOTSUPP).
inline std::size_t submit(const Port& port, std::span<BatchOp> ops) {
    return submit_fd(port.fd(), ops);
}

// A list of BatchOps to submit together. Each adder returns its
// operation's index, for operator[] once submitted.
//
//   alpcu::Batch b;
//   auto r = b.reply(req, alpcu::bytes("done"));
//   b.datagram(alpcu::bytes("news"));
//   auto in = b.receive(buf, alpcu::no_wait);
//   b.submit(conn);
//   if (b[r].status() == alpcu::Status::lost) ...
class Batch {
public:
    std::size_t add(BatchOp op) {
        ops_.push_back(std::move(op));
        return ops_.size() - 1;
    }
    std::size_t datagram(std::span<const std::byte> data, Timeout timeout = forever,
                         std::uint64_t context = 0) {
        return add(BatchOp::datagram(data, timeout, context));
    }
    std::size_t request(std::span<const std::byte> data, Timeout timeout = forever,
                        std::uint64_t context = 0) {
        return add(BatchOp::request(data, timeout, context));
    }
    std::size_t reply(const Message& request, std::span<const std::byte> data,
                      std::uint64_t context = 0) {
        return add(BatchOp::reply(request, data, context));
    }
    std::size_t reply(std::uint64_t request_id, std::span<const std::byte> data,
                      std::uint64_t context = 0) {
        return add(BatchOp::reply(request_id, data, context));
    }
    std::size_t receive(std::span<std::byte> buf, Timeout timeout = forever) {
        return add(BatchOp::receive(buf, timeout));
    }
    std::size_t cancel(std::uint64_t request_id) { return add(BatchOp::cancel(request_id)); }

    // Performs the operations (see submit()); returns how many succeeded.
    std::size_t submit(const Connection& conn) { return alpcu::submit(conn, ops_); }
    std::size_t submit(const Port& port) { return alpcu::submit(port, ops_); }

    [[nodiscard]] BatchOp& operator[](std::size_t i) { return ops_.at(i); }
    [[nodiscard]] const BatchOp& operator[](std::size_t i) const { return ops_.at(i); }
    [[nodiscard]] std::span<BatchOp> ops() noexcept { return ops_; }
    [[nodiscard]] std::size_t size() const noexcept { return ops_.size(); }
    [[nodiscard]] bool empty() const noexcept { return ops_.empty(); }
    void clear() noexcept { ops_.clear(); }

private:
    std::vector<BatchOp> ops_;
};

} // namespace alpcu
