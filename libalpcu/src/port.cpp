// SPDX-License-Identifier: MIT
#include "alpcu/port.hpp"

#include <algorithm>
#include <cerrno>
#include <stdexcept>
#include <string>
#include <sys/ioctl.h>

#include "alpcu/error.hpp"
#include "ioctl.hpp"

namespace alpcu {

Port Port::create(std::string_view name, PortAttributes attr) {
    return create(Device::open(), name, attr);
}

Port Port::create(const Device& dev, std::string_view name, PortAttributes attr) {
    alpc_create_port c{};
    detail::copy_name(c.name, name, "ALPC_IOC_CREATE_PORT");
    c.attr.max_msg_len = attr.max_msg_len;
    c.attr.max_queued_msgs = attr.max_queued_msgs;
    c.attr.max_queued_bytes = attr.max_queued_bytes;
    c.attr.max_connections = attr.max_connections;
    c.attr.max_section_size = attr.max_section_size;
    c.attr.max_section_bytes = attr.max_section_bytes;
    c.attr.max_fds = attr.max_fds;
    c.attr.max_sections = attr.max_sections;
    c.attr.max_views = attr.max_views;
    c.attr.flags = (attr.direct_access ? ALPC_PORT_DIRECT_ACCESS : 0) |
                   (attr.allow_fds ? ALPC_PORT_ALLOW_FDS : 0);
    c.mode = attr.mode;
    int fd = ::ioctl(dev.fd(), ALPC_IOC_CREATE_PORT, &c);
    if (fd < 0)
        throw_errno(("ALPC_IOC_CREATE_PORT \"" + std::string(name) + "\"").c_str());
    return Port(Fd(fd), {.max_msg_len = c.attr.max_msg_len,
                         .max_queued_msgs = c.attr.max_queued_msgs,
                         .max_queued_bytes = c.attr.max_queued_bytes,
                         .max_connections = c.attr.max_connections,
                         .max_section_size = c.attr.max_section_size,
                         .max_section_bytes = c.attr.max_section_bytes,
                         .direct_access = (c.attr.flags & ALPC_PORT_DIRECT_ACCESS) != 0,
                         .allow_fds = (c.attr.flags & ALPC_PORT_ALLOW_FDS) != 0,
                         .max_fds = c.attr.max_fds,
                         .max_sections = c.attr.max_sections,
                         .max_views = c.attr.max_views,
                         .mode = c.mode ? c.mode : 0600});
}

Result<Message> Port::receive(Timeout timeout, ReceiveOptions opts) {
    return detail::receive(fd_.get(), timeout,
                           {Status::timed_out, Status::would_block, Status::interrupted}, opts);
}

namespace {

Result<int> do_accept(int fd, const Message& request, std::uint32_t flags,
                      std::uint64_t port_context, std::span<const std::byte> data) {
    alpc_accept a{};
    a.id = request.id;
    a.flags = flags;
    a.len = detail::length(data, "ALPC_IOC_ACCEPT");
    a.buf = detail::user_ptr(data.data());
    a.port_context = port_context;
    // Lets the client ask for a pidfd of this process with each message.
    if (!(flags & ALPC_ACCEPT_REJECT) && detail::has_security()) {
        if (int pidfd = detail::self_pidfd(); pidfd >= 0) {
            a.flags |= ALPC_ACCEPT_PIDFD;
            a.pidfd = pidfd;
        }
    }
    return detail::call(fd, ALPC_IOC_ACCEPT, &a, "ALPC_IOC_ACCEPT", {Status::lost});
}

} // namespace

Status Port::accept(const Message& request, std::uint64_t port_context,
                    std::span<const std::byte> data) {
    return do_accept(fd_.get(), request, 0, port_context, data).status();
}

Result<Connection> Port::accept_port(const Message& request, std::uint64_t port_context,
                                     std::span<const std::byte> data) {
    auto r = do_accept(fd_.get(), request, ALPC_ACCEPT_COMM_PORT, port_context, data);
    if (!r.ok())
        return r.status();
    Connection conn{Fd(*r), request.sender()};
    if (attr_.max_msg_len)
        conn.set_inline_limit(attr_.max_msg_len);
    return conn;
}

Status Port::reject(const Message& request, std::span<const std::byte> data) {
    return do_accept(fd_.get(), request, ALPC_ACCEPT_REJECT, 0, data).status();
}

namespace {

[[noreturn]] void throw_reply_too_big(const char* what) {
    throw_errno((std::string(what) + ": a reply over max_msg_len needs a section, which only a "
                                     "communication port (Port::accept_port) can create")
                    .c_str(),
                EMSGSIZE);
}

// Port::reply sends inline only: data must fit in the port's max_msg_len.
void check_reply_size(const PortAttributes& attr, std::span<const std::byte> data,
                      const char* what) {
    if (attr.max_msg_len && data.size() > attr.max_msg_len)
        throw_reply_too_big(what);
}

} // namespace

Status Port::reply(const Message& request, std::span<const std::byte> data, std::uint64_t context) {
    return reply(request, data, std::span<const int>{}, context);
}

Status Port::reply(const Message& request, std::span<const std::byte> data,
                   std::span<const int> fds, std::uint64_t context) {
    check_reply_size(attr_, data, "alpcu::Port::reply");
    return detail::send_reply(fd_.get(), request.id, data, context, fds);
}

Status Port::read(const Message& request, std::uint64_t offset, std::span<std::byte> buf) {
    return detail::access(fd_.get(), request, ALPC_ACCESS_READ, offset, buf.data(), buf.size());
}

Status Port::write(const Message& request, std::uint64_t offset, std::span<const std::byte> data) {
    return detail::access(fd_.get(), request, ALPC_ACCESS_WRITE, offset, data.data(), data.size());
}

ServeStats Port::serve(const Handler& handler, std::stop_token stop, Timeout check_every) {
    return serve(handler, ReceiveOptions{}, std::move(stop), check_every);
}

ServeStats Port::serve(const Handler& handler, ReceiveOptions opts, std::stop_token stop,
                       Timeout check_every) {
    ServeStats stats;
    Timeout wait = stop.stop_possible() ? check_every : forever;
    std::size_t room = ALPC_MSG_LIMIT;
    // The reply to the last request, sent with the next receive.
    bool pending = false;
    std::uint64_t ref_id = 0;
    std::uint64_t reply_context = 0;
    std::vector<std::byte> reply;

    auto count_reply = [&](int status) {
        if (status == 0)
            ++stats.replies;
        else if (status == -ENOENT || status == -ECONNRESET)
            ++stats.lost_replies;
        else
            throw_errno("ALPC_IOC_REPLY_RECV (reply)", -status);
    };

    while (!stop.stop_requested()) {
        // Fetched anew each time: the handler may have grown the buffer.
        auto buf = detail::scratch(room);
        detail::RecvExtra extra(opts);
        alpc_reply_recv rr{};
        if (pending) {
            rr.ref_id = ref_id;
            rr.len = detail::length(reply, "ALPC_IOC_REPLY_RECV");
            rr.buf = detail::user_ptr(reply.data());
            rr.context = reply_context;
        }
        rr.recv.size = static_cast<std::uint32_t>(std::min<std::size_t>(buf.size(), UINT32_MAX));
        rr.recv.buf = detail::user_ptr(buf.data());
        rr.recv.timeout_ns = wait.ns();
        rr.recv.flags = extra.flags();
        rr.recv.extra = extra.arg();
        int rc = ::ioctl(fd_.get(), ALPC_IOC_REPLY_RECV, &rr);
        int err = errno;
        // The reply went out (or was lost) whatever the receive then did,
        // unless the call failed before sending it.
        if (pending && (rr.reply_id != 0 || rr.reply_status != 0)) {
            pending = false;
            count_reply(rr.reply_status);
        }
        if (rc < 0) {
            if (err == EMSGSIZE && rr.recv.info.len > rr.recv.size) {
                room = rr.recv.info.len;
                continue;
            }
            detail::expect(err, "ALPC_IOC_REPLY_RECV",
                           {Status::timed_out, Status::would_block, Status::interrupted});
            continue;
        }

        // The request's view and fds, if any, go with msg, after the handler.
        extra.received(rr.recv.info);
        Message msg(rr.recv.info, buf.first(std::min(rr.recv.info.len, rr.recv.size)),
                    View::adopt(rr.recv.info));
        extra.give(msg);
        ++stats.messages;
        Responder r(*this, msg);
        handler(msg, r);
        if (r.sent_) {
            count_reply(-to_errno(r.sent_status_));
        } else if (msg.type == MessageType::request) {
            pending = true;
            ref_id = msg.id;
            reply_context = r.reply_context_;
            reply = std::move(r.reply_);
        } else if (msg.type == MessageType::connection_request && !r.answered()) {
            (void)reject(msg);
        }
    }
    if (pending)
        count_reply(-to_errno(detail::send_reply(fd_.get(), ref_id, reply, reply_context)));
    return stats;
}

void Responder::answer(MessageType expected, const char* what) {
    if (msg_.type != expected)
        throw std::logic_error(std::string("alpcu::Responder::") + what + " on a " +
                               to_string(msg_.type) + " message");
    if (answered_)
        throw std::logic_error(std::string("alpcu::Responder::") + what +
                               ": the message was already answered");
    answered_ = true;
}

Status Responder::accept(std::uint64_t port_context, std::span<const std::byte> data) {
    answer(MessageType::connection_request, "accept");
    return port_.accept(msg_, port_context, data);
}

Status Responder::reject(std::span<const std::byte> data) {
    answer(MessageType::connection_request, "reject");
    return port_.reject(msg_, data);
}

void Responder::reply(std::span<const std::byte> data, std::uint64_t context) {
    if (msg_.type == MessageType::request)
        check_reply_size(port_.attributes(), data, "alpcu::Responder::reply");
    answer(MessageType::request, "reply");
    reply_.assign(data.begin(), data.end());
    reply_context_ = context;
}

Status Responder::reply(std::span<const std::byte> data, std::span<const int> fds,
                        std::uint64_t context) {
    if (msg_.type == MessageType::request)
        check_reply_size(port_.attributes(), data, "alpcu::Responder::reply");
    answer(MessageType::request, "reply");
    sent_status_ = port_.reply(msg_, data, fds, context);
    sent_ = true;
    return sent_status_;
}

Status Responder::read(std::uint64_t offset, std::span<std::byte> buf) {
    if (msg_.type != MessageType::request)
        throw std::logic_error(std::string("alpcu::Responder::read on a ") + to_string(msg_.type) +
                               " message");
    return port_.read(msg_, offset, buf);
}

Status Responder::write(std::uint64_t offset, std::span<const std::byte> data) {
    if (msg_.type != MessageType::request)
        throw std::logic_error(std::string("alpcu::Responder::write on a ") + to_string(msg_.type) +
                               " message");
    return port_.write(msg_, offset, data);
}

} // namespace alpcu
