// SPDX-License-Identifier: MIT
#include "alpcu/completion.hpp"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstddef>
#include <stdexcept>
#include <string>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <utility>

#include "alpcu/error.hpp"
#include "ioctl.hpp"

namespace alpcu {

// The kernel writes struct alpc_completion into Completion arrays.
static_assert(sizeof(Completion) == sizeof(alpc_completion));
static_assert(offsetof(Completion, key) == offsetof(alpc_completion, key));
static_assert(offsetof(Completion, msg_id) == offsetof(alpc_completion, msg_id));
static_assert(offsetof(Completion, kind) == offsetof(alpc_completion, kind));
static_assert(offsetof(Completion, status) == offsetof(alpc_completion, status));
static_assert(offsetof(Completion, reserved) == offsetof(alpc_completion, reserved));
static_assert(std::atomic_ref<std::uint32_t>::required_alignment == alignof(__u32));
static_assert(std::atomic_ref<__u64>::required_alignment == alignof(__u64));

const char* to_string(CompletionKind k) noexcept {
    if (k == CompletionKind::connect)
        return "connect";
    return to_string(static_cast<MessageType>(k));
}

Status Completion::outcome() const {
    if (status == 0)
        return Status::ok;
    return detail::expect(-status, "async connect", {Status::refused, Status::disconnected});
}

namespace {

constexpr std::size_t ring_bytes(std::uint32_t entries) noexcept {
    return sizeof(alpc_ring) + std::size_t{entries} * sizeof(alpc_completion);
}

constexpr std::size_t dequeue_max = 1024; // ALPC_IOC_DEQUEUE's limit

void do_associate(int fd, int completion_fd, std::uint64_t key) {
    alpc_associate a{};
    a.completion_fd = completion_fd;
    a.key = key;
    check(::ioctl(fd, ALPC_IOC_ASSOCIATE, &a), "ALPC_IOC_ASSOCIATE");
}

} // namespace

CompletionPort CompletionPort::create(std::uint32_t ring_entries) {
    return create(Device::open(), ring_entries);
}

CompletionPort CompletionPort::create(const Device& dev, std::uint32_t ring_entries) {
    Fd efd(static_cast<int>(check(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK), "eventfd")));
    return create(dev, std::move(efd), ring_entries);
}

CompletionPort CompletionPort::create(const Device& dev, Fd eventfd, std::uint32_t ring_entries) {
    alpc_create_completion c{};
    c.eventfd = eventfd.get();
    c.ring_entries = ring_entries;
    Fd fd(static_cast<int>(
        check(::ioctl(dev.fd(), ALPC_IOC_CREATE_COMPLETION, &c), "ALPC_IOC_CREATE_COMPLETION")));
    return CompletionPort(std::move(fd), std::move(eventfd), ring_entries);
}

CompletionPort::CompletionPort(Fd fd, Fd eventfd, std::uint32_t ring_entries)
    : fd_(std::move(fd)), event_(std::move(eventfd)) {
    if (!ring_entries)
        return;
    void* p =
        ::mmap(nullptr, ring_bytes(ring_entries), PROT_READ | PROT_WRITE, MAP_SHARED, fd_.get(), 0);
    if (p == MAP_FAILED)
        throw_errno("mmap of the completion ring");
    ring_ = static_cast<alpc_ring*>(p);
    entries_ = ring_entries;
}

CompletionPort::CompletionPort(CompletionPort&& other) noexcept
    : fd_(std::move(other.fd_)), event_(std::move(other.event_)),
      ring_(std::exchange(other.ring_, nullptr)), entries_(std::exchange(other.entries_, 0)) {}

CompletionPort& CompletionPort::operator=(CompletionPort&& other) noexcept {
    if (this != &other) {
        unmap();
        fd_ = std::move(other.fd_);
        event_ = std::move(other.event_);
        ring_ = std::exchange(other.ring_, nullptr);
        entries_ = std::exchange(other.entries_, 0);
    }
    return *this;
}

void CompletionPort::unmap() noexcept {
    if (ring_)
        ::munmap(ring_, ring_bytes(entries_));
    ring_ = nullptr;
    entries_ = 0;
}

void CompletionPort::associate(const Port& port, std::uint64_t key) {
    do_associate(port.fd(), fd_.get(), key);
}

void CompletionPort::associate(const Connection& conn, std::uint64_t key) {
    do_associate(conn.fd(), fd_.get(), key);
}

void CompletionPort::dissociate(const Port& port) {
    do_associate(port.fd(), -1, 0);
}

void CompletionPort::dissociate(const Connection& conn) {
    do_associate(conn.fd(), -1, 0);
}

Result<std::size_t> CompletionPort::dequeue(std::span<Completion> out, Timeout timeout) {
    if (out.empty())
        throw std::invalid_argument("CompletionPort::dequeue: no room for an entry");
    alpc_dequeue d{};
    d.entries = detail::user_ptr(out.data());
    d.max = static_cast<std::uint32_t>(std::min(out.size(), dequeue_max));
    d.timeout_ns = timeout.ns();
    auto r = detail::call(fd_.get(), ALPC_IOC_DEQUEUE, &d, "ALPC_IOC_DEQUEUE",
                          {Status::timed_out, Status::would_block, Status::interrupted});
    if (!r.ok())
        return r.status();
    return std::size_t{d.count};
}

std::size_t CompletionPort::reap(std::span<Completion> out) noexcept {
    if (!ring_)
        return 0;
    // Acquire on tail: the entries are written before it moves. Release on
    // head: they are read before the kernel may write over them.
    std::atomic_ref<std::uint32_t> head(ring_->head);
    std::atomic_ref<std::uint32_t> tail(ring_->tail);
    std::uint32_t h = head.load(std::memory_order_relaxed);
    std::uint32_t avail = tail.load(std::memory_order_acquire) - h;
    auto n = static_cast<std::uint32_t>(
        std::min<std::size_t>({out.size(), std::size_t{avail}, std::size_t{entries_}}));
    const auto* slots = reinterpret_cast<const alpc_completion*>(
        reinterpret_cast<const std::byte*>(ring_) + sizeof(alpc_ring));
    for (std::uint32_t i = 0; i < n; ++i) {
        const alpc_completion& c = slots[(h + i) & (entries_ - 1)];
        out[i] = Completion{c.key, c.msg_id, static_cast<CompletionKind>(c.kind), c.status, 0};
    }
    if (n)
        head.store(h + n, std::memory_order_release);
    return n;
}

std::size_t CompletionPort::take(std::span<Completion> out) {
    std::size_t n = reap(out);
    // Entries wait in the kernel only once the ring has overflowed, and
    // then new ones queue behind them: dequeue until the kernel runs dry.
    if (n == out.size() || (ring_ && !overflowed()))
        return n;
    while (n < out.size()) {
        auto rest = out.subspan(n);
        auto r = dequeue(rest, no_wait);
        if (!r.ok())
            break;
        n += *r;
        if (*r < std::min(rest.size(), dequeue_max))
            break;
    }
    return n;
}

Result<std::size_t> CompletionPort::wait(std::span<Completion> out, Timeout timeout) {
    if (std::size_t n = take(out))
        return n;
    return dequeue(out, timeout);
}

std::uint64_t CompletionPort::clear_event() {
    std::uint64_t count = 0;
    ssize_t rc = ::read(event_.get(), &count, sizeof(count));
    if (rc == sizeof(count))
        return count;
    if (rc < 0 && errno == EAGAIN)
        return 0;
    throw_errno("read of the completion eventfd", rc < 0 ? errno : EIO);
}

bool CompletionPort::overflowed() const noexcept {
    if (!ring_)
        return false;
    return (std::atomic_ref<std::uint32_t>(ring_->flags).load(std::memory_order_acquire) &
            ALPC_RING_OVERFLOW) != 0;
}

std::uint64_t CompletionPort::dropped() const noexcept {
    if (!ring_)
        return 0;
    return std::atomic_ref<__u64>(ring_->dropped).load(std::memory_order_relaxed);
}

Result<Connection> connect_async(std::string_view name, CompletionPort& cp, std::uint64_t key,
                                 std::span<const std::byte> data, ConnectOptions opts) {
    return connect_async(Device::open(), name, cp, key, data, opts);
}

Result<Connection> connect_async(const Device& dev, std::string_view name, CompletionPort& cp,
                                 std::uint64_t key, std::span<const std::byte> data,
                                 ConnectOptions opts) {
    alpc_connect c{};
    detail::copy_name(c.name, name, "ALPC_IOC_CONNECT (async)");
    c.flags = ALPC_CONNECT_ASYNC;
    c.len = detail::length(data, "ALPC_IOC_CONNECT (async)");
    c.buf = detail::user_ptr(data.data());
    c.timeout_ns = -1;
    c.completion_fd = cp.fd();
    c.key = key;
    detail::connect_identity(c, dev, opts);
    int rc = ::ioctl(dev.fd(), ALPC_IOC_CONNECT, &c);
    if (rc >= 0)
        return Connection(Fd(rc));
    int err = errno;
    detail::throw_connect_error(err, name, c, "ALPC_IOC_CONNECT (async)");
    return detail::expect(err, "ALPC_IOC_CONNECT (async)", {Status::would_block});
}

ConnectAnswer finish_connect(Connection& conn, const Completion& connected) {
    if (connected.kind != CompletionKind::connect)
        throw std::invalid_argument(std::string("finish_connect: a ") + to_string(connected.kind) +
                                    " entry, not a connect");
    ConnectAnswer a{connected.outcome(), {}};
    if (a.status == Status::disconnected)
        return a; // unanswered: no message
    auto m = conn.receive(no_wait);
    if (!m.ok() || m->type != MessageType::reply || m->id != connected.msg_id)
        throw std::logic_error("finish_connect: the server's answer is not the first message "
                               "queued on the connection");
    auto p = m->payload();
    a.server_data.assign(p.begin(), p.end());
    return a;
}

} // namespace alpcu
