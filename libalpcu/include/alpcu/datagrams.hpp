// SPDX-License-Identifier: MIT
// Many plain datagrams in one buffer and one system call
// (ALPC_IOC_SEND_DGRAMS, ALPC_IOC_RECV_DGRAMS), for streams of small
// messages. Each is an ordinary DATAGRAM: Connection::receive and
// Port::receive take one sent this way, and receive_datagrams takes
// those sent with Connection::send, as long as they are inline (no view,
// no fds).
//
// They need a module with API version 4 (ALPC_FEAT_DGRAMS, see
// Device::features): with an older one, send_datagrams and
// receive_datagrams throw std::system_error EOPNOTSUPP (the ioctl's
// ENOTTY when /dev/alpc cannot be opened to ask).
//
//   alpcu::DatagramWriter w;
//   (void)w.add(alpcu::bytes("a"), 1); // false once it holds ALPC_BATCH_MAX
//   (void)w.add(alpcu::bytes("b"), 2);
//   auto sent = alpcu::send_datagrams(conn, w); // all or none; sent, w is empty
//
//   alpcu::DatagramBuffer in(64 * alpcu::datagram_size(256));
//   if (alpcu::receive_datagrams(port, in, 1s).ok())
//       for (const alpcu::Datagram& d : in)
//           use(d.port_context, d.payload);
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <iterator>
#include <linux/alpc.h>
#include <span>
#include <string_view>
#include <vector>

#include "alpcu/connection.hpp"
#include "alpcu/message.hpp"
#include "alpcu/port.hpp"
#include "alpcu/result.hpp"
#include "alpcu/timeout.hpp"

namespace alpcu {

// The bytes a datagram of len payload bytes takes in a buffer: its
// header, and the payload padded to a multiple of 8 (ALPC_DGRAM_SIZE,
// without its 32-bit arithmetic).
[[nodiscard]] constexpr std::size_t datagram_size(std::size_t len) noexcept {
    return sizeof(alpc_dgram) + ((len + 7) & ~std::size_t{7});
}

// One datagram of a buffer (struct alpc_dgram and its payload). Received,
// it has the id, context and port_context a Message would have, and flags
// ALPC_MSGF_CRED_CHANGED when its sender acts with other credentials than
// at connect (the sender is the connection's peer: pid and uid are not
// reported). payload points into the buffer it was read from.
struct Datagram {
    std::uint64_t id = 0;
    std::uint64_t context = 0;
    std::uint64_t port_context = 0;
    std::uint32_t flags = 0;
    std::span<const std::byte> payload;

    [[nodiscard]] std::string_view text() const noexcept { return alpcu::text(payload); }
};

// The datagrams packed in some bytes, oldest first: a forward range of
// Datagram values, read with memcpy (the bytes need no alignment). Does
// not own the bytes.
class Datagrams {
public:
    class iterator {
    public:
        using iterator_concept = std::forward_iterator_tag;
        using iterator_category = std::input_iterator_tag; // operator* returns a value
        using value_type = Datagram;
        using difference_type = std::ptrdiff_t;

        iterator() noexcept = default;

        [[nodiscard]] Datagram operator*() const noexcept {
            alpc_dgram h;
            std::memcpy(&h, p_, sizeof(h));
            return {h.id, h.context, h.port_context, h.flags,
                    std::span(p_ + sizeof(h), std::size_t{h.len})};
        }
        iterator& operator++() noexcept {
            std::uint32_t len;
            std::memcpy(&len, p_ + offsetof(alpc_dgram, len), sizeof(len));
            p_ += datagram_size(len);
            return *this;
        }
        iterator operator++(int) noexcept {
            iterator old = *this;
            ++*this;
            return old;
        }
        friend bool operator==(const iterator&, const iterator&) noexcept = default;

    private:
        friend class Datagrams;
        explicit iterator(const std::byte* p) noexcept : p_(p) {}

        const std::byte* p_ = nullptr;
    };

    Datagrams() noexcept = default;
    // Checks that bytes hold whole datagrams, back to back, and nothing
    // else; throws std::system_error EINVAL if not.
    explicit Datagrams(std::span<const std::byte> bytes);

    [[nodiscard]] iterator begin() const noexcept { return iterator(bytes_.data()); }
    [[nodiscard]] iterator end() const noexcept { return iterator(bytes_.data() + bytes_.size()); }
    // How many datagrams.
    [[nodiscard]] std::size_t size() const noexcept { return count_; }
    [[nodiscard]] bool empty() const noexcept { return count_ == 0; }
    [[nodiscard]] std::span<const std::byte> bytes() const noexcept { return bytes_; }

private:
    friend class DatagramBuffer;
    // bytes the kernel wrote: count datagrams, not checked again.
    Datagrams(std::span<const std::byte> bytes, std::size_t count) noexcept
        : bytes_(bytes), count_(count) {}

    std::span<const std::byte> bytes_;
    std::size_t count_ = 0;
};

// What send_datagrams queued: the first count datagrams of the writer,
// with the ids first_id, first_id + 1, ...
struct SentDatagrams {
    std::size_t count = 0;
    std::uint64_t first_id = 0;
};

class DatagramWriter;
class DatagramBuffer;

// Sends the writer's datagrams in order, in one system call, all or
// none: it waits at most timeout for queue room for all of them. Sent,
// they leave the writer (it is empty); otherwise it keeps them all. An
// empty writer sends nothing and returns {0, 0}. Values (nothing was
// sent): would_block, timed_out, interrupted, disconnected. Throws
// std::system_error, sending nothing: EMSGSIZE (a payload over the
// port's max_msg_len, with no section fallback here, or more datagrams
// or bytes than the port's queue limits let wait at once: split the
// writer), EOPNOTSUPP (on a connection port, or a module without
// ALPC_FEAT_DGRAMS).
Result<SentDatagrams> send_datagrams(const Connection& conn, DatagramWriter& w,
                                     Timeout timeout = forever);

// Receives into buf, replacing what it held, up to max (1 to
// ALPC_BATCH_MAX; more is taken as ALPC_BATCH_MAX) datagrams: those at
// the head of the queue, for as long as they are plain (inline, no fds)
// and fit. Waits at most timeout for the first; returns how many it took.
// Values (buf is then empty): timed_out, would_block, interrupted,
// disconnected (on a Connection: the connection is gone and nothing is
// left); not_datagram (the oldest message is a request, reply,
// notification, connection request, or a datagram carrying a view or
// fds: take it with receive()); too_large (the oldest datagram does not
// fit: buf.needed() is the room it needs). Throws std::system_error
// EOPNOTSUPP on a module without ALPC_FEAT_DGRAMS.
Result<std::size_t> receive_datagrams(const Connection& conn, DatagramBuffer& buf,
                                      Timeout timeout = forever, std::size_t max = ALPC_BATCH_MAX);
// On a connection port: the datagrams of clients without a communication
// port, each with the port_context of its client's accept.
Result<std::size_t> receive_datagrams(const Port& port, DatagramBuffer& buf,
                                      Timeout timeout = forever, std::size_t max = ALPC_BATCH_MAX);

// Datagrams packed for send_datagrams, in a buffer it owns and reuses
// (clear() keeps its capacity).
class DatagramWriter {
public:
    DatagramWriter() noexcept = default;
    // Reserves bytes of room (see datagram_size).
    explicit DatagramWriter(std::size_t bytes) { buf_.reserve(bytes); }

    // Appends a datagram, copying payload; false, adding nothing, when the
    // writer holds ALPC_BATCH_MAX already (what one call sends). Throws
    // std::system_error EMSGSIZE for a payload over ALPC_MSG_LIMIT bytes,
    // which no port takes.
    [[nodiscard]] bool add(std::span<const std::byte> payload, std::uint64_t context = 0);

    [[nodiscard]] std::size_t count() const noexcept { return count_; }
    [[nodiscard]] bool empty() const noexcept { return count_ == 0; }
    // The packed datagrams, as the kernel reads them (padding zeroed).
    [[nodiscard]] std::span<const std::byte> bytes() const noexcept { return buf_; }
    void clear() noexcept {
        buf_.clear();
        count_ = 0;
    }

private:
    friend Result<SentDatagrams> send_datagrams(const Connection&, DatagramWriter&, Timeout);

    std::vector<std::byte> buf_;
    std::size_t count_ = 0;
};

// A buffer of a fixed room that receive_datagrams fills; then a range of
// the Datagrams it holds, whose payloads stay valid until the next
// receive, reserve() or clear().
class DatagramBuffer {
public:
    // room bytes: a datagram of len payload bytes takes datagram_size(len).
    explicit DatagramBuffer(std::size_t room) : buf_(room) {}

    [[nodiscard]] std::size_t room() const noexcept { return buf_.size(); }
    // Grows the room to at least room bytes (never shrinks it), and
    // forgets what was received.
    void reserve(std::size_t room);

    // What the last receive took.
    [[nodiscard]] Datagrams datagrams() const noexcept {
        return Datagrams(std::span(buf_).first(used_), count_);
    }
    [[nodiscard]] Datagrams::iterator begin() const noexcept { return datagrams().begin(); }
    [[nodiscard]] Datagrams::iterator end() const noexcept { return datagrams().end(); }
    [[nodiscard]] std::size_t size() const noexcept { return count_; }
    [[nodiscard]] bool empty() const noexcept { return count_ == 0; }
    // After a receive that returned too_large, the room the oldest
    // datagram needs (its datagram_size); otherwise 0.
    [[nodiscard]] std::size_t needed() const noexcept { return needed_; }
    void clear() noexcept { used_ = count_ = needed_ = 0; }

private:
    friend Result<std::size_t> receive_datagrams(const Connection&, DatagramBuffer&, Timeout,
                                                 std::size_t);
    friend Result<std::size_t> receive_datagrams(const Port&, DatagramBuffer&, Timeout,
                                                 std::size_t);
    Result<std::size_t> receive(int fd, Timeout timeout, std::size_t max,
                                std::initializer_list<Status> expected);

    std::vector<std::byte> buf_;
    std::size_t used_ = 0;
    std::size_t count_ = 0;
    std::size_t needed_ = 0;
};

} // namespace alpcu
