// SPDX-License-Identifier: MIT
#include "alpcu/connection.hpp"

#include <algorithm>
#include <cerrno>
#include <string>
#include <sys/ioctl.h>

#include "alpcu/error.hpp"
#include "ioctl.hpp"

namespace alpcu {

ConnectResult Connection::connect(std::string_view name, std::span<const std::byte> data,
                                  Timeout timeout) {
    return connect(Device::open(), name, data, timeout);
}

ConnectResult Connection::connect(const Device& dev, std::string_view name,
                                  std::span<const std::byte> data, Timeout timeout) {
    auto reply = detail::scratch();
    alpc_connect c{};
    detail::copy_name(c.name, name, "ALPC_IOC_CONNECT");
    c.len = detail::length(data, "ALPC_IOC_CONNECT");
    c.buf = detail::user_ptr(data.data());
    c.timeout_ns = timeout.ns();
    c.reply_size = static_cast<std::uint32_t>(reply.size());
    c.reply_buf = detail::user_ptr(reply.data());
    int rc = ::ioctl(dev.fd(), ALPC_IOC_CONNECT, &c);
    int err = errno;
    // The server's data comes back on success and on refusal alike.
    reply = reply.first(std::min<std::size_t>(c.reply_len, c.reply_size));
    std::vector<std::byte> server_data(reply.begin(), reply.end());
    if (rc >= 0)
        return {Connection(Fd(rc)), std::move(server_data)};
    if (err == ENOENT)
        throw_errno(("ALPC_IOC_CONNECT: no port named \"" + std::string(name) + "\"").c_str(), err);
    return {detail::expect(err, "ALPC_IOC_CONNECT",
                           {Status::refused, Status::timed_out, Status::would_block,
                            Status::interrupted, Status::disconnected}),
            std::move(server_data)};
}

Result<std::uint64_t> Connection::send_message(std::uint32_t type, std::span<const std::byte> data,
                                               Timeout timeout, std::uint64_t context) {
    alpc_send s{};
    s.type = type;
    s.len = detail::length(data, "ALPC_IOC_SEND");
    s.buf = detail::user_ptr(data.data());
    s.context = context;
    s.timeout_ns = timeout.ns();
    auto r = detail::call(
        fd_.get(), ALPC_IOC_SEND, &s, "ALPC_IOC_SEND",
        {Status::would_block, Status::timed_out, Status::interrupted, Status::disconnected});
    if (!r.ok())
        return r.status();
    return std::uint64_t{s.id};
}

Result<std::uint64_t> Connection::send(std::span<const std::byte> data, Timeout timeout,
                                       std::uint64_t context) {
    return send_message(ALPC_MSG_DATAGRAM, data, timeout, context);
}

Result<std::uint64_t> Connection::send_request(std::span<const std::byte> data, Timeout timeout,
                                               std::uint64_t context) {
    return send_message(ALPC_MSG_REQUEST, data, timeout, context);
}

Result<Message> Connection::request(std::span<const std::byte> data, Timeout timeout,
                                    std::uint64_t context) {
    auto reply = detail::scratch();
    alpc_send_wait w{};
    w.len = detail::length(data, "ALPC_IOC_SEND_WAIT");
    w.buf = detail::user_ptr(data.data());
    w.context = context;
    w.timeout_ns = timeout.ns();
    w.reply_size = static_cast<std::uint32_t>(reply.size());
    w.reply_buf = detail::user_ptr(reply.data());
    auto r = detail::call(fd_.get(), ALPC_IOC_SEND_WAIT, &w, "ALPC_IOC_SEND_WAIT",
                          {Status::timed_out, Status::would_block, Status::interrupted,
                           Status::disconnected, Status::canceled});
    if (!r.ok())
        return r.status();
    return Message(w.reply, reply.first(std::min<std::size_t>(w.reply.len, w.reply_size)));
}

Result<Message> Connection::receive(Timeout timeout) {
    return detail::receive(
        fd_.get(), timeout,
        {Status::timed_out, Status::would_block, Status::interrupted, Status::disconnected});
}

Status Connection::reply(const Message& request, std::span<const std::byte> data,
                         std::uint64_t context) {
    return detail::send_reply(fd_.get(), request.id, data, context);
}

Status Connection::cancel(std::uint64_t id) {
    alpc_cancel c{};
    c.id = id;
    return detail::call(fd_.get(), ALPC_IOC_CANCEL, &c, "ALPC_IOC_CANCEL", {Status::lost}).status();
}

} // namespace alpcu
