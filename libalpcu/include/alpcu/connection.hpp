// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <sys/types.h>
#include <vector>

#include "alpcu/device.hpp"
#include "alpcu/fd.hpp"
#include "alpcu/message.hpp"
#include "alpcu/result.hpp"
#include "alpcu/section.hpp"
#include "alpcu/security.hpp"
#include "alpcu/timeout.hpp"

namespace alpcu {

class ConnectResult;

// How Connection::connect and connect_async connect.
struct ConnectOptions {
    // Secure connect (ALPC_CONNECT_SERVER_UID, like NtSecureConnectPort's
    // server SID): the port must be owned by this uid, in the caller's
    // user namespace, or the connect throws std::system_error EPERM and
    // the server sees nothing. Defeats name squatting: another user cannot
    // take the name first and pose as the server.
    std::optional<uid_t> server_uid;
};

// One end of a connection: the client communication port a connect
// returns, or a server communication port taken with Port::accept_port.
// Owns its fd like Fd: explicit constructor, noexcept move, no copy.
//
// Calls that can wait take a Timeout; calls returning Result or Status
// report the outcomes listed with them as values and throw
// std::system_error for anything else.
//
// Fds: send, send_request, request and reply take the fds to pass as a
// span of ints or of Fds, on ports created with PortAttributes::allow_fds
// (else they throw EPERM), at most the port's max_fds (else EINVAL); alpc
// port fds and UNIX sockets cannot be passed (EINVAL). The receiver gets
// new fds for the same open files (Message::fds()); the caller's stay
// open and its own. Fds that arrive in a reply or message are always
// received, as RAII Fds owned by the Message.
//
// Identity: on a module with API version 3, connect registers a pidfd of
// the calling process (see Message::pidfd), and each message carries the
// sender's credentials (Message::sender()).
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
    // while waiting). Throws std::system_error: ENOENT when no port has
    // that name, EACCES when the port's security descriptor refuses the
    // caller (the server never knows), EPERM when opts.server_uid does
    // not own the port.
    [[nodiscard]] static ConnectResult connect(std::string_view name,
                                               std::span<const std::byte> data = {},
                                               Timeout timeout = forever, ConnectOptions opts = {});
    [[nodiscard]] static ConnectResult connect(const Device& dev, std::string_view name,
                                               std::span<const std::byte> data = {},
                                               Timeout timeout = forever, ConnectOptions opts = {});

    explicit Connection(Fd fd) noexcept : fd_(std::move(fd)) {}
    // A server's communication port, with the identity of the client it
    // serves (as Port::accept_port makes it).
    explicit Connection(Fd fd, const Credentials& peer) noexcept
        : fd_(std::move(fd)), peer_(peer) {}

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
    // The same, passing fds with the payload.
    Result<std::uint64_t> send(std::span<const std::byte> data, std::span<const int> fds,
                               Timeout timeout = forever, std::uint64_t context = 0);
    Result<std::uint64_t> send(std::span<const std::byte> data, std::span<const Fd> fds,
                               Timeout timeout = forever, std::uint64_t context = 0) {
        return send(data, raw_fds(fds), timeout, context);
    }
    Result<std::uint64_t> send_request(std::span<const std::byte> data, std::span<const int> fds,
                                       Timeout timeout = forever, std::uint64_t context = 0);
    Result<std::uint64_t> send_request(std::span<const std::byte> data, std::span<const Fd> fds,
                                       Timeout timeout = forever, std::uint64_t context = 0) {
        return send_request(data, raw_fds(fds), timeout, context);
    }
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
    // A request passing fds. Values: as above.
    Result<Message> request(std::span<const std::byte> data, std::span<const int> fds,
                            Timeout timeout = forever, std::uint64_t context = 0);
    Result<Message> request(std::span<const std::byte> data, std::span<const Fd> fds,
                            Timeout timeout = forever, std::uint64_t context = 0) {
        return request(data, raw_fds(fds), timeout, context);
    }
    // Receives the next message from the other end, or a reply to a
    // send_request; opts asks for the sender's groups or pidfd too.
    // Values: timed_out, would_block, interrupted, disconnected (the
    // connection is gone and nothing is left). A view or fds this
    // process cannot take arrive flagged (Message::view_lost, fds_lost).
    Result<Message> receive(Timeout timeout = forever, ReceiveOptions opts = {});
    // Answers a request received here. Values: lost (canceled, or its
    // sender left), disconnected.
    Status reply(const Message& request, std::span<const std::byte> data,
                 std::uint64_t context = 0);
    Status reply(const Message& request, const SectionRange& view, std::uint64_t context = 0);
    Status reply(const Message& request, std::span<const std::byte> data, std::span<const int> fds,
                 std::uint64_t context = 0);
    Status reply(const Message& request, std::span<const std::byte> data, std::span<const Fd> fds,
                 std::uint64_t context = 0) {
        return reply(request, data, raw_fds(fds), context);
    }
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

    // For a server's communication port (Port::accept_port): the client
    // it serves, as the kernel vouched for it in the connection request,
    // that is as of connect. Not refreshed: the client may have changed
    // its credentials since (its messages then say credentials_changed,
    // and carry the new ids in Message::sender()), or exited. Empty for a
    // client's Connection (the server is known only through its port's
    // owner: use ConnectOptions::server_uid) and one made from a bare fd.
    [[nodiscard]] const std::optional<Credentials>& peer() const noexcept { return peer_; }

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
    std::optional<Credentials> peer_;
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
