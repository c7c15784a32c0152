// SPDX-License-Identifier: MIT
#include "alpcu/datagrams.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <string>
#include <sys/ioctl.h>

#include "alpcu/error.hpp"
#include "ioctl.hpp"

namespace alpcu {

namespace {

// err, the errno of a failed ALPC_IOC_*_DGRAMS; throws EOPNOTSUPP instead
// when it is the ENOTTY of a module that has no such ioctl.
int dgrams_errno(int err, const char* what) {
    if (err == ENOTTY) {
        std::uint64_t f = detail::module_features();
        if (f && !(f & ALPC_FEAT_DGRAMS))
            throw_errno((std::string(what) +
                         ": the alpc module is older than API version 4 (no ALPC_FEAT_DGRAMS)")
                            .c_str(),
                        EOPNOTSUPP);
    }
    return err;
}

} // namespace

Datagrams::Datagrams(std::span<const std::byte> bytes) : bytes_(bytes) {
    for (std::size_t off = 0; off < bytes.size(); ++count_) {
        alpc_dgram h;
        if (bytes.size() - off < sizeof(h))
            throw_errno("alpcu::Datagrams: bytes after the last datagram", EINVAL);
        std::memcpy(&h, bytes.data() + off, sizeof(h));
        if (bytes.size() - off < datagram_size(h.len))
            throw_errno("alpcu::Datagrams: a datagram runs past the end", EINVAL);
        off += datagram_size(h.len);
    }
}

bool DatagramWriter::add(std::span<const std::byte> payload, std::uint64_t context) {
    if (payload.size() > ALPC_MSG_LIMIT)
        throw_errno("alpcu::DatagramWriter::add: a payload over ALPC_MSG_LIMIT", EMSGSIZE);
    if (count_ == ALPC_BATCH_MAX)
        return false;
    alpc_dgram h{};
    h.context = context;
    h.len = static_cast<std::uint32_t>(payload.size());
    std::size_t off = buf_.size();
    buf_.resize(off + datagram_size(payload.size())); // zeroes the padding
    std::memcpy(buf_.data() + off, &h, sizeof(h));
    if (!payload.empty())
        std::memcpy(buf_.data() + off + sizeof(h), payload.data(), payload.size());
    ++count_;
    return true;
}

Result<SentDatagrams> send_datagrams(const Connection& conn, DatagramWriter& w, Timeout timeout) {
    if (w.empty())
        return SentDatagrams{};
    // At most ALPC_BATCH_MAX datagrams of ALPC_MSG_LIMIT bytes: 32 bits.
    alpc_dgrams d{};
    d.buf = detail::user_ptr(w.buf_.data());
    d.size = static_cast<std::uint32_t>(w.buf_.size());
    d.count = static_cast<std::uint32_t>(w.count_);
    d.timeout_ns = timeout.ns();
    if (::ioctl(conn.fd(), ALPC_IOC_SEND_DGRAMS, &d) < 0)
        return detail::expect(
            dgrams_errno(errno, "ALPC_IOC_SEND_DGRAMS"), "ALPC_IOC_SEND_DGRAMS",
            {Status::would_block, Status::timed_out, Status::interrupted, Status::disconnected});
    // All or none: they all went.
    SentDatagrams sent{w.count_, d.first_id};
    w.clear();
    return sent;
}

void DatagramBuffer::reserve(std::size_t room) {
    clear();
    if (room > buf_.size())
        buf_.resize(room);
}

Result<std::size_t> DatagramBuffer::receive(int fd, Timeout timeout, std::size_t max,
                                            std::initializer_list<Status> expected) {
    clear();
    alpc_dgrams d{};
    d.buf = detail::user_ptr(buf_.data());
    d.size = static_cast<std::uint32_t>(std::min<std::size_t>(buf_.size(), UINT32_MAX));
    d.count = static_cast<std::uint32_t>(std::min<std::size_t>(max, ALPC_BATCH_MAX));
    d.timeout_ns = timeout.ns();
    if (::ioctl(fd, ALPC_IOC_RECV_DGRAMS, &d) < 0) {
        int err = dgrams_errno(errno, "ALPC_IOC_RECV_DGRAMS");
        if (err == EMSGSIZE)
            needed_ = d.bytes;
        return detail::expect(err, "ALPC_IOC_RECV_DGRAMS", expected);
    }
    used_ = std::min<std::size_t>(d.bytes, buf_.size());
    count_ = d.done;
    return count_;
}

Result<std::size_t> receive_datagrams(const Connection& conn, DatagramBuffer& buf, Timeout timeout,
                                      std::size_t max) {
    return buf.receive(conn.fd(), timeout, max,
                       {Status::would_block, Status::timed_out, Status::interrupted,
                        Status::disconnected, Status::not_datagram, Status::too_large});
}

Result<std::size_t> receive_datagrams(const Port& port, DatagramBuffer& buf, Timeout timeout,
                                      std::size_t max) {
    return buf.receive(port.fd(), timeout, max,
                       {Status::would_block, Status::timed_out, Status::interrupted,
                        Status::not_datagram, Status::too_large});
}

} // namespace alpcu
