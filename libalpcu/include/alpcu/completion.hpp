// SPDX-License-Identifier: MIT
// Completion ports: the events of many ports and connections for one
// waiter (a thread pool, or an epoll loop), and asynchronous connects.
#pragma once

#include <cstddef>
#include <cstdint>
#include <linux/alpc.h>
#include <span>
#include <string_view>
#include <vector>

#include "alpcu/connection.hpp"
#include "alpcu/device.hpp"
#include "alpcu/fd.hpp"
#include "alpcu/port.hpp"
#include "alpcu/result.hpp"
#include "alpcu/timeout.hpp"

namespace alpcu {

// What a completion entry reports: a message of that type queued on the
// port its key stands for, or an asynchronous connect answered.
enum class CompletionKind : std::uint32_t {
    request = ALPC_MSG_REQUEST,
    datagram = ALPC_MSG_DATAGRAM,
    reply = ALPC_MSG_REPLY,
    connection_request = ALPC_MSG_CONNECTION_REQUEST,
    port_closed = ALPC_MSG_PORT_CLOSED,
    client_died = ALPC_MSG_CLIENT_DIED,
    canceled = ALPC_MSG_CANCELED,
    connect = ALPC_COMPLETION_CONNECT, // status: 0, -ECONNREFUSED or -ECONNRESET
};

[[nodiscard]] const char* to_string(CompletionKind k) noexcept;

// One completion entry (struct alpc_completion, which it mirrors byte for
// byte, so the kernel writes straight into a span of them). The message
// itself stays queued: receive it from the Port or Connection of key.
struct Completion {
    std::uint64_t key = 0;    // chosen at associate() or connect_async()
    std::uint64_t msg_id = 0; // the message queued; connect: the REPLY holding
                              // the server's data (the request's id if none)
    CompletionKind kind{};
    std::int32_t status = 0;    // connect: 0 or a negative errno; otherwise 0
    std::uint64_t reserved = 0; // the kernel's, 0

    // connect: ok (accepted), refused, or disconnected (the port closed
    // before answering); other entries: ok. Throws std::system_error for
    // any other errno.
    [[nodiscard]] Status outcome() const;
};

// A completion port: owns the completion port's fd, the eventfd the
// kernel signals once per entry, and the mapping of its ring, if it has
// one. Noexcept move, no copy, no implicit bool; the destructor unmaps and
// closes once. Ports and connections associated with it post entries
// until either side is closed.
//
// Taking entries: dequeue() waits in the kernel and may be called from
// many threads at once (each entry wakes one). reap() takes entries from
// the ring in shared memory without a system call; take() and wait() reap
// first. The ring has a single consumer: do not reap, take or wait in one
// thread while another reaps, takes, waits or dequeues.
//
// An event loop watches event_fd() (or fd()) for EPOLLIN; when it fires,
// call clear_event() first, then take() until it returns fewer entries
// than asked. In that order, an entry posted meanwhile signals again.
class CompletionPort {
public:
    // Creates a completion port with its own eventfd (EFD_CLOEXEC |
    // EFD_NONBLOCK) and, for ring_entries (a power of two up to
    // ALPC_RING_MAX) other than 0, a ring of that many entries. Throws
    // std::system_error (EINVAL: ring_entries).
    [[nodiscard]] static CompletionPort create(std::uint32_t ring_entries = 0);
    [[nodiscard]] static CompletionPort create(const Device& dev, std::uint32_t ring_entries = 0);
    // The same with the caller's eventfd, which the CompletionPort then
    // owns; clear_event() expects it to be EFD_NONBLOCK (or to be called
    // only when the eventfd polls readable).
    [[nodiscard]] static CompletionPort create(const Device& dev, Fd eventfd,
                                               std::uint32_t ring_entries = 0);

    // Takes a completion port fd made with ring_entries and its eventfd,
    // and maps the ring. Throws std::system_error if mmap fails (the fds
    // are closed then).
    explicit CompletionPort(Fd fd, Fd eventfd, std::uint32_t ring_entries = 0);
    CompletionPort(CompletionPort&& other) noexcept;
    CompletionPort& operator=(CompletionPort&& other) noexcept;
    CompletionPort(const CompletionPort&) = delete;
    CompletionPort& operator=(const CompletionPort&) = delete;
    ~CompletionPort() { unmap(); }

    // From now on, every message queued on port or conn posts an entry
    // under key (messages already queued post nothing). Replaces an
    // earlier association. A connection port's entries cover connection
    // requests and the messages of clients without a communication port.
    void associate(const Port& port, std::uint64_t key);
    void associate(const Connection& conn, std::uint64_t key);
    // Ends port's or conn's association, whichever completion port it is.
    static void dissociate(const Port& port);
    static void dissociate(const Connection& conn);

    // ALPC_IOC_DEQUEUE: up to out.size() (at most 1024) entries, the
    // ring's first, waiting up to timeout for the first one; returns how
    // many it wrote. Values: timed_out, would_block (no_wait),
    // interrupted. Throws std::invalid_argument for an empty out.
    Result<std::size_t> dequeue(std::span<Completion> out, Timeout timeout = forever);
    // Takes up to out.size() entries from the ring, without a system call;
    // returns how many (0 without a ring). Entries that overflowed the ring
    // wait in the kernel, and only dequeue() (or take()) gets them.
    std::size_t reap(std::span<Completion> out) noexcept;
    // Takes the entries ready now, without waiting: reaps the ring, and
    // dequeues while the ring has overflowed (or when there is no ring),
    // as the uapi's overflow rule asks. Returns how many it wrote; fewer
    // than out.size() means the port was empty, and its overflow is over.
    std::size_t take(std::span<Completion> out);
    // take(), and when nothing was ready, dequeue() with timeout. Values:
    // as dequeue().
    Result<std::size_t> wait(std::span<Completion> out, Timeout timeout = forever);

    // Resets the eventfd's count and returns it (0 if it was not
    // signalled).
    std::uint64_t clear_event();

    // The ring's state (false and 0 without a ring): whether entries wait
    // in the kernel behind a full ring (take() collects them), and how
    // many entries the kernel could not keep at all (it never lowers;
    // when it grows, receive from every associated port until
    // would_block: the entries are gone, their messages are not).
    [[nodiscard]] bool overflowed() const noexcept;
    [[nodiscard]] std::uint64_t dropped() const noexcept;
    [[nodiscard]] std::uint32_t ring_entries() const noexcept { return entries_; }

    // Polls readable while entries wait.
    [[nodiscard]] int fd() const noexcept { return fd_.get(); }
    // Signalled (its count grows by one) for every entry posted.
    [[nodiscard]] int event_fd() const noexcept { return event_.get(); }

private:
    void unmap() noexcept;

    Fd fd_;
    Fd event_;
    alpc_ring* ring_ = nullptr;
    std::uint32_t entries_ = 0;
};

// Connects to the connection port name without waiting for the answer:
// returns the client's Connection at once, associated with cp under key.
// The answer arrives on cp as a CompletionKind::connect entry under key;
// pass it to finish_connect(). Until then, sends throw ENOTCONN and
// receives wait; close the Connection to give up. Values: would_block
// (the port has its maximum of clients). Throws ENOENT when no port has
// that name, EMSGSIZE when data is over its max_msg_len, and EACCES and
// EPERM as Connection::connect, whose opts it takes.
[[nodiscard]] Result<Connection> connect_async(std::string_view name, CompletionPort& cp,
                                               std::uint64_t key,
                                               std::span<const std::byte> data = {},
                                               ConnectOptions opts = {});
[[nodiscard]] Result<Connection> connect_async(const Device& dev, std::string_view name,
                                               CompletionPort& cp, std::uint64_t key,
                                               std::span<const std::byte> data = {},
                                               ConnectOptions opts = {});

// What finish_connect learned: the outcome, and the server's accept or
// reject data.
struct ConnectAnswer {
    Status status = Status::ok; // ok, refused, disconnected
    std::vector<std::byte> server_data;
};

// Completes the asynchronous connect of conn, given its connect entry:
// receives the server's answer, which the kernel queued on conn. Throws
// std::invalid_argument for an entry of another kind, std::logic_error
// when the answer is no longer the first message queued.
[[nodiscard]] ConnectAnswer finish_connect(Connection& conn, const Completion& connected);

} // namespace alpcu
