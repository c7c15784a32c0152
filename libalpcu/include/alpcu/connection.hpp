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
    // Sends a request without waiting for its reply; returns its id, the
    // ref_id of the reply receive() will return, and what cancel() takes.
    // Values: as send().
    Result<std::uint64_t> send_request(std::span<const std::byte> data, Timeout timeout = forever,
                                       std::uint64_t context = 0);
    // Sends a request and waits for its reply, in one call; the timeout
    // covers both. A wait that ends without the reply cancels the request.
    // Values: timed_out, would_block, interrupted, disconnected, canceled
    // (by cancel() from another thread).
    Result<Message> request(std::span<const std::byte> data, Timeout timeout = forever,
                            std::uint64_t context = 0);
    // Receives the next message from the other end, or a reply to a
    // send_request. Values: timed_out, would_block, interrupted,
    // disconnected (the connection is gone and nothing is left).
    Result<Message> receive(Timeout timeout = forever);
    // Answers a request received here. Values: lost (canceled, or its
    // sender left), disconnected.
    Status reply(const Message& request, std::span<const std::byte> data,
                 std::uint64_t context = 0);
    // Cancels a request sent with send_request. Values: lost (it was
    // already answered, or is unknown).
    Status cancel(std::uint64_t id);

    [[nodiscard]] int fd() const noexcept { return fd_.get(); }
    // Gives up ownership of the fd without closing it.
    [[nodiscard]] int release() noexcept { return fd_.release(); }

private:
    Result<std::uint64_t> send_message(std::uint32_t type, std::span<const std::byte> data,
                                       Timeout timeout, std::uint64_t context);

    Fd fd_;
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
