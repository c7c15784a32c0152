// SPDX-License-Identifier: MIT
#include "alpcu/batch.hpp"

#include <algorithm>
#include <array>
#include <stdexcept>
#include <sys/ioctl.h>

#include "alpcu/error.hpp"
#include "ioctl.hpp"

namespace alpcu {

namespace {

alpc_send make_send(std::uint32_t type, std::span<const std::byte> data, Timeout timeout,
                    std::uint64_t context, std::uint64_t ref_id) {
    alpc_send s{};
    s.type = type;
    s.len = detail::length(data, "BatchOp");
    s.buf = detail::user_ptr(data.data());
    s.context = context;
    s.ref_id = ref_id;
    s.timeout_ns = timeout.ns();
    return s;
}

constexpr std::uint32_t op_code(BatchOp::Kind k) noexcept {
    switch (k) {
    case BatchOp::Kind::send:
        return ALPC_OP_SEND;
    case BatchOp::Kind::receive:
        return ALPC_OP_RECV;
    case BatchOp::Kind::cancel:
        return ALPC_OP_CANCEL;
    }
    return 0;
}

const alpc_msg_info no_info{};

} // namespace

BatchOp BatchOp::datagram(std::span<const std::byte> data, Timeout timeout, std::uint64_t context) {
    return BatchOp(make_send(ALPC_MSG_DATAGRAM, data, timeout, context, 0));
}

BatchOp BatchOp::request(std::span<const std::byte> data, Timeout timeout, std::uint64_t context) {
    return BatchOp(make_send(ALPC_MSG_REQUEST, data, timeout, context, 0));
}

BatchOp BatchOp::reply(const Message& request, std::span<const std::byte> data,
                       std::uint64_t context) {
    return reply(request.id, data, context);
}

BatchOp BatchOp::reply(std::uint64_t request_id, std::span<const std::byte> data,
                       std::uint64_t context) {
    return BatchOp(make_send(ALPC_MSG_REPLY, data, forever, context, request_id));
}

BatchOp BatchOp::receive(std::span<std::byte> buf, Timeout timeout) {
    alpc_recv r{};
    r.size = static_cast<std::uint32_t>(std::min<std::size_t>(buf.size(), UINT32_MAX));
    r.buf = detail::user_ptr(buf.data());
    r.timeout_ns = timeout.ns();
    BatchOp op(r);
    op.buf_ = buf;
    return op;
}

BatchOp BatchOp::cancel(std::uint64_t request_id) {
    alpc_cancel c{};
    c.id = request_id;
    return BatchOp(c);
}

Status BatchOp::status() const {
    if (!performed_)
        throw std::logic_error("BatchOp::status: not submitted");
    if (!error_)
        return Status::ok;
    switch (kind()) {
    case Kind::send:
        if (std::get<alpc_send>(arg_).type == ALPC_MSG_REPLY)
            return detail::expect(error_, "ALPC_OP_SEND (reply)",
                                  {Status::lost, Status::disconnected});
        return detail::expect(
            error_, "ALPC_OP_SEND",
            {Status::would_block, Status::timed_out, Status::interrupted, Status::disconnected});
    case Kind::receive:
        return detail::expect(
            error_, "ALPC_OP_RECV",
            {Status::would_block, Status::timed_out, Status::interrupted, Status::disconnected});
    case Kind::cancel:
        break;
    }
    return detail::expect(error_, "ALPC_OP_CANCEL", {Status::lost});
}

std::uint64_t BatchOp::id() const noexcept {
    const auto* s = std::get_if<alpc_send>(&arg_);
    return s && ok() ? s->id : 0;
}

const alpc_msg_info& BatchOp::info() const noexcept {
    const auto* r = std::get_if<alpc_recv>(&arg_);
    return r ? r->info : no_info;
}

std::span<const std::byte> BatchOp::payload() const noexcept {
    const auto* r = std::get_if<alpc_recv>(&arg_);
    if (!r || !ok())
        return {};
    return buf_.first(std::min<std::size_t>(r->info.len, buf_.size()));
}

Message BatchOp::message() {
    if (kind() != Kind::receive || !ok())
        throw std::logic_error("BatchOp::message: no message received");
    return Message(info(), payload(), std::move(view_));
}

void BatchOp::prepare() noexcept {
    performed_ = false;
    error_ = 0;
    view_.reset();
    if (auto* s = std::get_if<alpc_send>(&arg_))
        s->id = 0;
    else if (auto* r = std::get_if<alpc_recv>(&arg_))
        r->info = alpc_msg_info{};
}

void BatchOp::complete(int result) noexcept {
    performed_ = true;
    error_ = -result;
    if (auto* r = std::get_if<alpc_recv>(&arg_); r && !error_)
        view_ = View::adopt(r->info);
}

std::size_t submit_fd(int fd, std::span<BatchOp> ops) {
    std::size_t succeeded = 0;
    std::array<alpc_batch_op, ALPC_BATCH_MAX> raw;
    while (!ops.empty()) {
        auto chunk = ops.first(std::min<std::size_t>(ops.size(), ALPC_BATCH_MAX));
        for (std::size_t i = 0; i < chunk.size(); ++i) {
            BatchOp& op = chunk[i];
            op.prepare();
            raw[i] = alpc_batch_op{};
            raw[i].op = op_code(op.kind());
            raw[i].arg = std::visit([](auto& a) { return detail::user_ptr(&a); }, op.arg_);
        }
        alpc_batch b{};
        b.ops = detail::user_ptr(raw.data());
        b.count = static_cast<std::uint32_t>(chunk.size());
        check(::ioctl(fd, ALPC_IOC_BATCH, &b), "ALPC_IOC_BATCH");
        for (std::size_t i = 0; i < b.done; ++i) {
            chunk[i].complete(raw[i].result);
            succeeded += chunk[i].ok();
        }
        if (b.done != chunk.size())
            throw_errno("ALPC_IOC_BATCH: not every operation was performed", EFAULT);
        ops = ops.subspan(chunk.size());
    }
    return succeeded;
}

} // namespace alpcu
