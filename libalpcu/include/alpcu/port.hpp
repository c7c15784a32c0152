// SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <stop_token>
#include <string_view>
#include <vector>

#include "alpcu/connection.hpp"
#include "alpcu/device.hpp"
#include "alpcu/fd.hpp"
#include "alpcu/message.hpp"
#include "alpcu/result.hpp"
#include "alpcu/security.hpp"
#include "alpcu/timeout.hpp"

namespace alpcu {

// Limits of a connection port and its connections (struct alpc_port_attr),
// and who may connect (struct alpc_create_port's mode); 0 takes the
// kernel's default. The fields from allow_fds on need a module with API
// version 3 (ALPC_FEAT_SECURITY); an older one refuses non-zero values
// with EINVAL.
struct PortAttributes {
    std::uint32_t max_msg_len = 0;       // inline payload limit, bytes (default 256)
    std::uint32_t max_queued_msgs = 0;   // per connection and direction (default 64)
    std::uint32_t max_queued_bytes = 0;  // per connection and direction (default 64 KiB)
    std::uint32_t max_connections = 0;   // (default 1024)
    std::uint64_t max_section_size = 0;  // the largest section (default 64 MiB)
    std::uint64_t max_section_bytes = 0; // per connection, all sections (default 128 MiB)
    bool direct_access = false;          // requests may lend memory (ALPC_PORT_DIRECT_ACCESS)
    bool allow_fds = false;              // messages may carry fds (ALPC_PORT_ALLOW_FDS)
    std::uint32_t max_fds = 0;      // with allow_fds: fds per message (default 16, at most 253)
    std::uint32_t max_sections = 0; // per connection, sections alive at once (default 64)
    // Views this server holds mapped at once (API version 5); one more
    // arrives as Message::view_lost(). Default 0: no limit but the
    // process's own.
    std::uint32_t max_views = 0;
    // Who may connect, as a file's mode: the owner (the creator's
    // effective uid), its group, others; a class may connect if it has
    // write permission. Default 0600: the owner's uid only. An access list
    // is added with Port::set_security. Port::attributes() reports the
    // mode the port was created with, or last set through this Port.
    std::uint32_t mode = 0;
};

class Responder;

// What Port::serve counted.
struct ServeStats {
    std::uint64_t messages = 0;     // received
    std::uint64_t replies = 0;      // delivered
    std::uint64_t lost_replies = 0; // their requester had canceled or left
};

// A named connection port: where clients connect, and where their messages
// arrive unless the server took a communication port for them. Owns its fd
// like Fd: explicit constructor, noexcept move, no copy. The name is freed
// when the port's last fd closes.
//
// Security (API version 3): the port belongs to its creator's effective
// uid and gid, and only clients its security descriptor allows may
// connect: PortAttributes::mode at creation (0600 by default: the owner
// alone), an access list and later changes through set_security(). The
// kernel checks at connect; a refused client never reaches the port.
// Every message names its sender (Message::sender()); for impersonation,
// which Linux has no safe analog of, use those credentials and the
// sender's pidfd instead.
class Port {
public:
    using Handler = std::function<void(const Message&, Responder&)>;

    // Creates the port; throws std::system_error (EEXIST: the name is
    // taken in this IPC namespace; EINVAL: bad name or limits).
    [[nodiscard]] static Port create(std::string_view name, PortAttributes attr = {});
    [[nodiscard]] static Port create(const Device& dev, std::string_view name,
                                     PortAttributes attr = {});

    explicit Port(Fd fd, PortAttributes attr = {}) noexcept : fd_(std::move(fd)), attr_(attr) {}

    // Receives the oldest message: connection requests, and the messages
    // and notifications of clients without a communication port; opts
    // asks for the sender's groups or pidfd too. A connection request's
    // sender() is the client as the kernel saw it at connect. Values:
    // timed_out, would_block, interrupted. A view or fds this process
    // cannot take arrive flagged (Message::view_lost, fds_lost).
    Result<Message> receive(Timeout timeout = forever, ReceiveOptions opts = {});
    // Accepts a CONNECTION_REQUEST; port_context comes with every later
    // message of this client. On a module with API version 3 it registers
    // this process's pidfd, which the client may ask for with each message
    // (Message::pidfd). Values: lost (the client gave up waiting).
    Status accept(const Message& request, std::uint64_t port_context = 0,
                  std::span<const std::byte> data = {});
    // Accepts, and returns the server communication port on which this
    // client's messages will arrive. Its Connection::inline_limit is the
    // port's max_msg_len, and its peer() the request's sender(). Values:
    // lost.
    Result<Connection> accept_port(const Message& request, std::uint64_t port_context = 0,
                                   std::span<const std::byte> data = {});
    // Refuses a CONNECTION_REQUEST: the client's connect returns refused
    // with data. Values: lost.
    Status reject(const Message& request, std::span<const std::byte> data = {});
    // Answers a REQUEST received on this port. Values: lost, disconnected.
    // Inline only: a connection port cannot create sections, so a reply
    // over max_msg_len throws EMSGSIZE; a server that answers with more
    // takes a communication port (accept_port) and replies there.
    Status reply(const Message& request, std::span<const std::byte> data,
                 std::uint64_t context = 0);
    // The same, passing fds (see Connection: on ports with allow_fds).
    Status reply(const Message& request, std::span<const std::byte> data, std::span<const int> fds,
                 std::uint64_t context = 0);
    Status reply(const Message& request, std::span<const std::byte> data, std::span<const Fd> fds,
                 std::uint64_t context = 0) {
        return reply(request, data, raw_fds(fds), context);
    }
    // Direct access to the memory lent by request, received here and not
    // yet answered, as Connection::read and write.
    Status read(const Message& request, std::uint64_t offset, std::span<std::byte> buf);
    Status write(const Message& request, std::uint64_t offset, std::span<const std::byte> data);

    // A server loop: receives every message and hands it to handler, which
    // answers through the Responder. A request's reply goes out with the
    // next receive (ALPC_IOC_REPLY_RECV); a request left unanswered gets an
    // empty reply, and a connection request left unanswered is rejected.
    // Notifications (port_closed, client_died, canceled) and datagrams need
    // no answer. A message's view is unmapped, and the fds it brought are
    // closed, once the handler returns (unless it took them: the Message is
    // const, so take a dup()). Returns once stop is requested, which it
    // checks after each message and at least every check_every while idle.
    // Exceptions from handler propagate.
    ServeStats serve(const Handler& handler, std::stop_token stop = {},
                     Timeout check_every = std::chrono::milliseconds(100));
    // The same, receiving with opts (the senders' groups or pidfds).
    ServeStats serve(const Handler& handler, ReceiveOptions opts, std::stop_token stop = {},
                     Timeout check_every = std::chrono::milliseconds(100));

    // The port's security descriptor: owner, mode and access list. Throws
    // std::system_error EPERM unless the caller owns the port (or has
    // CAP_SYS_ADMIN); see alpcu::get_security.
    [[nodiscard]] SecurityDescriptor security() const;
    // Replaces it, for connects from now on. Throws std::system_error as
    // alpcu::set_security.
    void set_security(const SecurityDescriptor& sd);

    // The limits in force (zeros for a Port made from a bare fd).
    [[nodiscard]] const PortAttributes& attributes() const noexcept { return attr_; }
    [[nodiscard]] int fd() const noexcept { return fd_.get(); }
    // Gives up ownership of the fd without closing it.
    [[nodiscard]] int release() noexcept { return fd_.release(); }

private:
    Fd fd_;
    PortAttributes attr_;
};

// How a Port::serve handler answers the message it was given; each
// message is answered at most once (a second answer, or one that does not
// fit the message type, throws std::logic_error).
class Responder {
public:
    // CONNECTION_REQUEST, right away. Values: lost.
    Status accept(std::uint64_t port_context = 0, std::span<const std::byte> data = {});
    Status reject(std::span<const std::byte> data = {});
    // REQUEST: the reply, sent with the next receive (data is copied).
    // Inline, as Port::reply: over the port's max_msg_len throws EMSGSIZE.
    void reply(std::span<const std::byte> data, std::uint64_t context = 0);
    // REQUEST: a reply passing fds, sent now, as Port::reply (the fds need
    // stay open only until it returns). Values: lost, disconnected.
    Status reply(std::span<const std::byte> data, std::span<const int> fds,
                 std::uint64_t context = 0);
    // REQUEST: direct access to the memory it lent (Message::region_len
    // bytes), as Port::read and write; also after reply(), whose answer
    // goes out only once the handler returns. Values: lost.
    Status read(std::uint64_t offset, std::span<std::byte> buf);
    Status write(std::uint64_t offset, std::span<const std::byte> data);

    [[nodiscard]] bool answered() const noexcept { return answered_; }

private:
    friend class Port;
    Responder(Port& port, const Message& msg) noexcept : port_(port), msg_(msg) {}
    void answer(MessageType expected, const char* what);

    Port& port_;
    const Message& msg_;
    bool answered_ = false;
    bool sent_ = false; // the reply went out already, with its status in sent_status_
    Status sent_status_ = Status::ok;
    std::vector<std::byte> reply_;
    std::uint64_t reply_context_ = 0;
};

} // namespace alpcu
