// SPDX-License-Identifier: MIT
#include "alpcu/connection.hpp"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <string>
#include <sys/ioctl.h>

#include "alpcu/error.hpp"
#include "ioctl.hpp"

namespace alpcu {

ConnectResult Connection::connect(std::string_view name, std::span<const std::byte> data,
                                  Timeout timeout, ConnectOptions opts) {
    return connect(Device::open(), name, data, timeout, opts);
}

namespace detail {

void connect_identity(alpc_connect& c, const Device& dev, const ConnectOptions& opts) {
    if (opts.server_uid) {
        c.flags |= ALPC_CONNECT_SERVER_UID;
        c.server_uid = *opts.server_uid;
    }
    // Lets the server ask for a pidfd of this process with each message.
    if (has_security(&dev)) {
        if (int pidfd = self_pidfd(); pidfd >= 0) {
            c.flags |= ALPC_CONNECT_PIDFD;
            c.pidfd = pidfd;
        }
    }
}

void throw_connect_error(int err, std::string_view name, const alpc_connect& c, const char* what) {
    std::string port = std::string(what) + " \"" + std::string(name) + "\"";
    switch (err) {
    case ENOENT:
        throw_errno((port + ": no such port").c_str(), err);
    case EACCES:
        throw_errno((port + ": the port's security descriptor refuses this caller").c_str(), err);
    case EPERM:
        if (c.flags & ALPC_CONNECT_SERVER_UID)
            throw_errno(
                (port + ": not owned by uid " + std::to_string(c.server_uid) + " as required")
                    .c_str(),
                err);
        break;
    }
}

} // namespace detail

ConnectResult Connection::connect(const Device& dev, std::string_view name,
                                  std::span<const std::byte> data, Timeout timeout,
                                  ConnectOptions opts) {
    auto reply = detail::scratch();
    alpc_connect c{};
    detail::copy_name(c.name, name, "ALPC_IOC_CONNECT");
    c.len = detail::length(data, "ALPC_IOC_CONNECT");
    c.buf = detail::user_ptr(data.data());
    c.timeout_ns = timeout.ns();
    c.reply_size = static_cast<std::uint32_t>(reply.size());
    c.reply_buf = detail::user_ptr(reply.data());
    detail::connect_identity(c, dev, opts);
    int rc = ::ioctl(dev.fd(), ALPC_IOC_CONNECT, &c);
    int err = errno;
    // The server's data comes back on success and on refusal alike.
    reply = reply.first(std::min<std::size_t>(c.reply_len, c.reply_size));
    std::vector<std::byte> server_data(reply.begin(), reply.end());
    if (rc >= 0)
        return {Connection(Fd(rc)), std::move(server_data)};
    detail::throw_connect_error(err, name, c, "ALPC_IOC_CONNECT");
    return {detail::expect(err, "ALPC_IOC_CONNECT",
                           {Status::refused, Status::timed_out, Status::would_block,
                            Status::interrupted, Status::disconnected}),
            std::move(server_data)};
}

namespace {

// inline_limit_ is a plain member, so that Connection moves by default,
// read and written through std::atomic_ref.
static_assert(std::atomic_ref<std::uint32_t>::required_alignment == alignof(std::uint32_t));

alpc_msg_attrs view_attrs(const SectionRange& view) noexcept {
    alpc_msg_attrs a{};
    a.flags = ALPC_ATTR_VIEW;
    a.section_fd = view.fd();
    a.view_flags = view.readonly() ? ALPC_VIEW_READONLY : 0;
    a.view_offset = view.offset();
    a.view_len = view.length();
    return a;
}

} // namespace

std::size_t Connection::inline_limit() const noexcept {
    return std::atomic_ref(const_cast<std::uint32_t&>(inline_limit_))
        .load(std::memory_order_relaxed);
}

void Connection::set_inline_limit(std::size_t bytes) noexcept {
    std::atomic_ref(inline_limit_)
        .store(static_cast<std::uint32_t>(std::min<std::size_t>(bytes, ALPC_MSG_LIMIT)),
               std::memory_order_relaxed);
}

template <class Issue>
int Connection::transmit(std::span<const std::byte> data, alpc_msg_attrs attrs, Issue&& issue) {
    if (data.size() <= inline_limit()) {
        int err = issue(data, attrs);
        if (err != EMSGSIZE || data.empty())
            return err;
        // The port's limit is lower than we took it to be: nothing was
        // sent, and payloads this large go through a section from now on.
        std::atomic_ref limit(inline_limit_);
        auto cur = limit.load(std::memory_order_relaxed);
        auto lower = static_cast<std::uint32_t>(data.size() - 1);
        while (lower < cur && !limit.compare_exchange_weak(cur, lower, std::memory_order_relaxed))
            ;
    }
    // A section of its own: the receiver's view of it may outlive this
    // call, so it is never reused. The kernel keeps its pages while the
    // message refers to them; the fd and mapping go with `section`.
    Section section = create_section(data.size());
    std::memcpy(section.bytes().data(), data.data(), data.size());
    attrs.flags |= ALPC_ATTR_VIEW;
    attrs.section_fd = section.fd();
    attrs.view_flags = ALPC_VIEW_READONLY;
    attrs.view_offset = 0;
    attrs.view_len = data.size();
    return issue(std::span<const std::byte>{}, attrs);
}

Result<std::uint64_t> Connection::send_message(std::uint32_t type, std::span<const std::byte> data,
                                               const alpc_msg_attrs& attrs, Timeout timeout,
                                               std::uint64_t context) {
    alpc_send s{};
    int err = transmit(data, attrs, [&](std::span<const std::byte> bytes, const alpc_msg_attrs& a) {
        s = alpc_send{};
        s.type = type;
        s.len = detail::length(bytes, "ALPC_IOC_SEND");
        s.buf = detail::user_ptr(bytes.data());
        s.context = context;
        s.timeout_ns = timeout.ns();
        s.attrs = detail::attrs_ptr(a);
        return detail::try_call(fd_.get(), ALPC_IOC_SEND, &s);
    });
    if (err)
        return detail::expect(
            err, "ALPC_IOC_SEND",
            {Status::would_block, Status::timed_out, Status::interrupted, Status::disconnected});
    return std::uint64_t{s.id};
}

Result<std::uint64_t> Connection::send(std::span<const std::byte> data, Timeout timeout,
                                       std::uint64_t context) {
    return send_message(ALPC_MSG_DATAGRAM, data, {}, timeout, context);
}

Result<std::uint64_t> Connection::send(const SectionRange& view, Timeout timeout,
                                       std::uint64_t context) {
    return send_message(ALPC_MSG_DATAGRAM, {}, view_attrs(view), timeout, context);
}

Result<std::uint64_t> Connection::send_request(std::span<const std::byte> data, Timeout timeout,
                                               std::uint64_t context) {
    return send_message(ALPC_MSG_REQUEST, data, {}, timeout, context);
}

Result<std::uint64_t> Connection::send_request(const SectionRange& view, Timeout timeout,
                                               std::uint64_t context) {
    return send_message(ALPC_MSG_REQUEST, {}, view_attrs(view), timeout, context);
}

Result<std::uint64_t> Connection::send(std::span<const std::byte> data, std::span<const int> fds,
                                       Timeout timeout, std::uint64_t context) {
    return send_message(ALPC_MSG_DATAGRAM, data, detail::fd_attrs(fds, "ALPC_IOC_SEND"), timeout,
                        context);
}

Result<std::uint64_t> Connection::send_request(std::span<const std::byte> data,
                                               std::span<const int> fds, Timeout timeout,
                                               std::uint64_t context) {
    return send_message(ALPC_MSG_REQUEST, data, detail::fd_attrs(fds, "ALPC_IOC_SEND"), timeout,
                        context);
}

Result<Message> Connection::send_wait(std::span<const std::byte> data, const alpc_msg_attrs& attrs,
                                      Timeout timeout, std::uint64_t context) {
    auto reply = detail::scratch();
    detail::RecvExtra extra;
    alpc_send_wait w{};
    int err = transmit(data, attrs, [&](std::span<const std::byte> bytes, const alpc_msg_attrs& a) {
        w = alpc_send_wait{};
        w.flags = extra.flags();
        w.len = detail::length(bytes, "ALPC_IOC_SEND_WAIT");
        w.buf = detail::user_ptr(bytes.data());
        w.context = context;
        w.timeout_ns = timeout.ns();
        w.reply_size = static_cast<std::uint32_t>(reply.size());
        w.reply_buf = detail::user_ptr(reply.data());
        w.extra = extra.arg();
        w.attrs = detail::attrs_ptr(a);
        int e = detail::try_call(fd_.get(), ALPC_IOC_SEND_WAIT, &w);
        // Sent, and the reply cut (never, with a buffer of ALPC_MSG_LIMIT
        // and room for ALPC_FDS_MAX fds): not the EMSGSIZE of a payload
        // over the limit. The view and fds that came are released.
        if (e == EMSGSIZE && w.id != 0) {
            extra.received(w.reply);
            View lost = View::adopt(w.reply);
            throw_errno("ALPC_IOC_SEND_WAIT: reply cut", e);
        }
        return e;
    });
    // The reply's view is mapped now, if it carried one, and its fds open.
    View view = View::adopt(w.reply);
    extra.received(w.reply);
    if (err)
        return detail::expect(err, "ALPC_IOC_SEND_WAIT",
                              {Status::timed_out, Status::would_block, Status::interrupted,
                               Status::disconnected, Status::canceled});
    Message m(w.reply, reply.first(std::min<std::size_t>(w.reply.len, w.reply_size)),
              std::move(view));
    extra.give(m);
    return m;
}

Result<Message> Connection::request(std::span<const std::byte> data, Timeout timeout,
                                    std::uint64_t context) {
    return send_wait(data, {}, timeout, context);
}

Result<Message> Connection::request(const SectionRange& view, Timeout timeout,
                                    std::uint64_t context) {
    return send_wait({}, view_attrs(view), timeout, context);
}

Result<Message> Connection::request(std::span<const std::byte> data, Lend lent, Timeout timeout,
                                    std::uint64_t context) {
    alpc_msg_attrs a{};
    a.flags = ALPC_ATTR_REGION;
    a.region_addr = detail::user_ptr(lent.memory().data());
    a.region_len = lent.memory().size();
    a.region_flags = static_cast<std::uint32_t>(lent.access());
    return send_wait(data, a, timeout, context);
}

Result<Message> Connection::request(std::span<const std::byte> data, std::span<const int> fds,
                                    Timeout timeout, std::uint64_t context) {
    return send_wait(data, detail::fd_attrs(fds, "ALPC_IOC_SEND_WAIT"), timeout, context);
}

Result<Message> Connection::receive(Timeout timeout, ReceiveOptions opts) {
    return detail::receive(
        fd_.get(), timeout,
        {Status::timed_out, Status::would_block, Status::interrupted, Status::disconnected}, opts);
}

Status Connection::send_reply(const Message& request, std::span<const std::byte> data,
                              const alpc_msg_attrs& attrs, std::uint64_t context) {
    int err = transmit(data, attrs, [&](std::span<const std::byte> bytes, const alpc_msg_attrs& a) {
        alpc_send s{};
        s.type = ALPC_MSG_REPLY;
        s.len = detail::length(bytes, "ALPC_IOC_SEND");
        s.buf = detail::user_ptr(bytes.data());
        s.context = context;
        s.ref_id = request.id;
        s.attrs = detail::attrs_ptr(a);
        return detail::try_call(fd_.get(), ALPC_IOC_SEND, &s);
    });
    if (err)
        return detail::expect(err, "ALPC_IOC_SEND (reply)", {Status::lost, Status::disconnected});
    return Status::ok;
}

Status Connection::reply(const Message& request, std::span<const std::byte> data,
                         std::uint64_t context) {
    return send_reply(request, data, {}, context);
}

Status Connection::reply(const Message& request, const SectionRange& view, std::uint64_t context) {
    return send_reply(request, {}, view_attrs(view), context);
}

Status Connection::reply(const Message& request, std::span<const std::byte> data,
                         std::span<const int> fds, std::uint64_t context) {
    return send_reply(request, data, detail::fd_attrs(fds, "ALPC_IOC_SEND (reply)"), context);
}

Status Connection::cancel(std::uint64_t id) {
    alpc_cancel c{};
    c.id = id;
    return detail::call(fd_.get(), ALPC_IOC_CANCEL, &c, "ALPC_IOC_CANCEL", {Status::lost}).status();
}

Section Connection::create_section(std::size_t size) {
    alpc_create_section c{};
    c.size = size;
    int fd = ::ioctl(fd_.get(), ALPC_IOC_CREATE_SECTION, &c);
    if (fd < 0)
        throw_errno(("ALPC_IOC_CREATE_SECTION (" + std::to_string(size) + " bytes)").c_str());
    return Section(Fd(fd), size);
}

Status Connection::read(const Message& request, std::uint64_t offset, std::span<std::byte> buf) {
    return detail::access(fd_.get(), request, ALPC_ACCESS_READ, offset, buf.data(), buf.size());
}

Status Connection::write(const Message& request, std::uint64_t offset,
                         std::span<const std::byte> data) {
    return detail::access(fd_.get(), request, ALPC_ACCESS_WRITE, offset, data.data(), data.size());
}

} // namespace alpcu
