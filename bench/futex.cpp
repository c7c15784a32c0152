// SPDX-License-Identifier: GPL-2.0
// A reference for the cost of a wake-up: the payload is memcpy'd into
// MAP_SHARED memory and out again on the other side, and a side that finds
// nothing to do sleeps in FUTEX_WAIT. A side only calls FUTEX_WAKE when
// the other announced that it is going to sleep, so how many system calls
// a round trip takes depends on timing.
//
// Ping-pong: one buffer, and a word per direction counting the requests
// (replies) published so far; each word has one waiter. One-way: a byte ring; the client copies a
// message in as room frees up, the server copies it out.
#include "bench.hpp"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <linux/futex.h>
#include <new>
#include <vector>

namespace bench {
namespace {

constexpr std::size_t ring_size = 1 << 20;

// A futex word and the flag its waiter raises before sleeping on it.
struct alignas(64) Word {
    std::atomic<std::uint32_t> value;
    std::atomic<std::uint32_t> waiting;
};

struct Shm {
    Word req;  // ping-pong: requests published
    Word rep;  // ping-pong: replies published
    Word head; // one-way: bytes produced, mod 2^32
    Word tail; // one-way: bytes consumed, mod 2^32
    // The buffer or the ring follows.
    std::byte* data() { return reinterpret_cast<std::byte*>(this + 1); }
};

static_assert(std::atomic<std::uint32_t>::is_always_lock_free);

class FutexTransport : public Transport {
public:
    ~FutexTransport() override { unmap_shared(shm_, shm_len_); }

    std::size_t max_size() const override { return std::size_t(1) << 30; }

    void prepare(Pattern pattern, std::size_t size) override {
        shm_len_ = sizeof(Shm) + (pattern == Pattern::oneway ? ring_size : size);
        shm_ = new (map_shared(shm_len_)) Shm;
        buf_.resize(size);
    }

    const std::byte* call(const std::byte* req, std::size_t len) override {
        std::memcpy(shm_->data(), req, len);
        publish(shm_->req, ++seq_);
        await(shm_->rep, seq_ - 1);
        std::memcpy(buf_.data(), shm_->data(), len);
        return buf_.data();
    }

    const std::byte* reply_recv(const std::byte* reply, std::size_t len, bool next) override {
        if (reply) {
            std::memcpy(shm_->data(), reply, len);
            publish(shm_->rep, seq_);
        }
        if (!next)
            return nullptr;
        await(shm_->req, seq_++);
        std::memcpy(buf_.data(), shm_->data(), len);
        return buf_.data();
    }

    void send(const std::byte* msg, std::size_t len) override {
        std::uint32_t head = shm_->head.value.load(std::memory_order_relaxed);
        while (len) {
            std::uint32_t tail = shm_->tail.value.load(std::memory_order_acquire);
            std::size_t room = ring_size - (head - tail);
            if (!room) {
                await(shm_->tail, tail);
                continue;
            }
            std::size_t n = std::min({room, len, ring_size - head % ring_size});
            std::memcpy(shm_->data() + head % ring_size, msg, n);
            head += n;
            msg += n;
            len -= n;
            publish(shm_->head, head);
        }
    }

    const std::byte* recv(std::size_t len) override {
        std::uint32_t tail = shm_->tail.value.load(std::memory_order_relaxed);
        std::byte* out = buf_.data();
        while (len) {
            std::uint32_t head = shm_->head.value.load(std::memory_order_acquire);
            if (head == tail) {
                await(shm_->head, head);
                continue;
            }
            std::size_t n = std::min({std::size_t(head - tail), len, ring_size - tail % ring_size});
            std::memcpy(out, shm_->data() + tail % ring_size, n);
            tail += n;
            out += n;
            len -= n;
            publish(shm_->tail, tail);
        }
        return buf_.data();
    }

private:
    // Stores @v and wakes the other side if it said it would sleep. With
    // await(), a Dekker pair: both sides store, then load, sequentially
    // consistent, so at least one of them sees the other's store.
    void publish(Word& w, std::uint32_t v) {
        w.value.store(v, std::memory_order_seq_cst);
        if (w.waiting.load(std::memory_order_seq_cst))
            sys_futex(&w.value, FUTEX_WAKE, 1);
    }

    // Waits until @w no longer holds @old.
    void await(Word& w, std::uint32_t old) {
        while (w.value.load(std::memory_order_acquire) == old) {
            w.waiting.store(1, std::memory_order_seq_cst);
            if (w.value.load(std::memory_order_seq_cst) == old)
                sys_futex(&w.value, FUTEX_WAIT, old);
            w.waiting.store(0, std::memory_order_relaxed);
        }
    }

    Shm* shm_ = nullptr;
    std::size_t shm_len_ = 0;
    std::uint32_t seq_ = 0;
    std::vector<std::byte> buf_;
};

} // namespace

std::unique_ptr<Transport> make_futex() {
    return std::make_unique<FutexTransport>();
}

} // namespace bench
