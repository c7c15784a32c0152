// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "alpcu/device.hpp"
#include "alpcu/fd.hpp"
#include "alpcu/message.hpp"
#include "alpcu/result.hpp"
#include "alpcu/section.hpp"
#include "alpcu/timeout.hpp"

namespace alpcu {

class ConnectResult;

// One end of a connection: the client communication port a connect
// returns, or a server communication port taken with Port::accept_port.
// Owns its fd like Fd: explicit constructor, noexcept move, no copy.
//
// Calls that can wait take a Timeout; calls returning Result or Status
// report the outcomes listed with them as values and throw
// std::system_error for anything else.
//
// Payloads of any size: send, send_request, request and reply copy a
// payload of up to inline_limit() bytes inline, and put a larger one in a
// section of its own (copied in once, sent as a read-only view), which the
// receiver's Message::payload() returns the same way. The section's size
// is limited by the port's max_section_size (64 MiB by default; beyond,
// ALPC_IOC_CREATE_SECTION throws EINVAL) and max_section_bytes.
class Connection {
public:
    // Connects to the connection port `name` with connection data `data`
    // and waits for the server's answer. Values: refused (server_data()
    // holds the server's reason), timed_out, would_block (the port has
    // its maximum of clients), interrupted, disconnected (the port closed
    // while waiting). Throws ENOENT when no port has that name.
    [[nodiscard]] static ConnectResult
    connect(std::string_view name, std::span<const std::byte> data = {}, Timeout timeout = forever);
    [[nodiscard]] static ConnectResult connect(const Device& dev, std::string_view name,
                                               std::span<const std::byte> data = {},
                                               Timeout timeout = forever);

    explicit Connection(Fd fd) noexcept : fd_(std::move(fd)) {}

    // Sends a datagram; returns its id. Values: would_block, timed_out
    // (no queue space in time), interrupted, disconnected.
    Result<std::uint64_t> send(std::span<const std::byte> data, Timeout timeout = forever,
                               std::uint64_t context = 0);
    // Sends a datagram carrying a view of a section of this connection,
    // and no inline bytes. Values: as above.
    Result<std::uint64_t> send(const SectionRange& view, Timeout timeout = forever,
                               std::uint64_t context = 0);
    // Sends a request without waiting for its reply; returns its id, the
    // ref_id of the reply receive() will return, and what cancel() takes.
    // Values: as send().
    Result<std::uint64_t> send_request(std::span<const std::byte> data, Timeout timeout = forever,
                                       std::uint64_t context = 0);
    Result<std::uint64_t> send_request(const SectionRange& view, Timeout timeout = forever,
                                       std::uint64_t context = 0);
    // Sends a request and waits for its reply, in one call; the timeout
    // covers both. A wait that ends without the reply cancels the request.
    // Values: timed_out, would_block, interrupted, disconnected, canceled
    // (by cancel() from another thread).
    Result<Message> request(std::span<const std::byte> data, Timeout timeout = forever,
                            std::uint64_t context = 0);
    Result<Message> request(const SectionRange& view, Timeout timeout = forever,
                            std::uint64_t context = 0);
    // A request that also lends memory to its receiver (direct access; the
    // port must allow it, else EPERM): the receiver reads or writes it with
    // read() and write() until it replies. Values: as above.
    Result<Message> request(std::span<const std::byte> data, Lend lent, Timeout timeout = forever,
                            std::uint64_t context = 0);
    // Receives the next message from the other end, or a reply to a
    // send_request. Values: timed_out, would_block, interrupted,
    // disconnected (the connection is gone and nothing is left).
    Result<Message> receive(Timeout timeout = forever);
    // Answers a request received here. Values: lost (canceled, or its
    // sender left), disconnected.
    Status reply(const Message& request, std::span<const std::byte> data,
                 std::uint64_t context = 0);
    Status reply(const Message& request, const SectionRange& view, std::uint64_t context = 0);
    // Cancels a request sent with send_request. Values: lost (it was
    // already answered, or is unknown).
    Status cancel(std::uint64_t id);

    // Creates a section of size bytes for this connection, zero-filled and
    // mapped. Throws EINVAL (size 0 or over the port's max_section_size),
    // ENOMEM (over the connection's max_section_bytes, or no memory).
    [[nodiscard]] Section create_section(std::size_t size);

    // Direct access to the memory lent by request, received here and not
    // yet answered: copies buf.size() bytes at offset of it into buf, or
    // from data. Values: lost (answered, canceled, or its sender is gone).
    // Throws EPERM (nothing lent, or not with that right), EINVAL (outside
    // the lent memory).
    Status read(const Message& request, std::uint64_t offset, std::span<std::byte> buf);
    Status write(const Message& request, std::uint64_t offset, std::span<const std::byte> data);

    // Payloads up to this many bytes are sent inline, larger ones through
    // a section. A client cannot learn the port's max_msg_len, so this
    // starts at the kernel's default (ALPC_MSG_DEFAULT_MAX, 256 bytes); a
    // server's Connection from Port::accept_port takes the port's limit.
    // Too high is harmless: an inline send the kernel refuses (EMSGSIZE)
    // goes through a section instead and lowers the limit. Too low only
    // costs speed; raise it with set_inline_limit when the server's port
    // has a higher max_msg_len (at most ALPC_MSG_LIMIT).
    [[nodiscard]] std::size_t inline_limit() const noexcept;
    void set_inline_limit(std::size_t bytes) noexcept;

    [[nodiscard]] int fd() const noexcept { return fd_.get(); }
    // Gives up ownership of the fd without closing it.
    [[nodiscard]] int release() noexcept { return fd_.release(); }

private:
    Result<std::uint64_t> send_message(std::uint32_t type, std::span<const std::byte> data,
                                       const alpc_msg_attrs& attrs, Timeout timeout,
                                       std::uint64_t context);
    Result<Message> send_wait(std::span<const std::byte> data, const alpc_msg_attrs& attrs,
                              Timeout timeout, std::uint64_t context);
    Status send_reply(const Message& request, std::span<const std::byte> data,
                      const alpc_msg_attrs& attrs, std::uint64_t context);
    // Calls issue(bytes, attrs) once, with the payload inline or in a new
    // section named by a view in attrs; returns what issue returned (0 or
    // an errno).
    template <class Issue>
    int transmit(std::span<const std::byte> data, alpc_msg_attrs attrs, Issue&& issue);

    Fd fd_;
    std::uint32_t inline_limit_ = ALPC_MSG_DEFAULT_MAX; // through std::atomic_ref
};

// The outcome of Connection::connect: the Connection, or the Status saying
// why there is none; and in both cases the data the server answered with.
class [[nodiscard]] ConnectResult : public Result<Connection> {
public:
    ConnectResult(Result<Connection> r, std::vector<std::byte> server_data)
        : Result<Connection>(std::move(r)), server_data_(std::move(server_data)) {}

    // The server's accept data, or its reject data when refused.
    [[nodiscard]] std::span<const std::byte> server_data() const noexcept { return server_data_; }

private:
    std::vector<std::byte> server_data_;
};

} // namespace alpcu
