// SPDX-License-Identifier: GPL-2.0
// alpc through a section, and alpc batched, through the raw ioctls.
//
// alpc-section: the client maps a section of the connection once. One-way,
// the sender writes each message into the next slot of the section (its
// one copy: the bytes must get into the shared memory somehow) and sends a
// read-only view of it; the receive maps exactly that view, no byte is
// copied by the kernel. The port's queue holds two slots fewer than the
// section has, so a slot is never rewritten while its view is being read.
// Ping-pong, the client writes the request into slot 0 and lends a
// read-write view of slots 0 and 1; the server writes its reply into slot
// 1 through it and answers with an empty reply.
//
// alpc-batched: one-way only, 32 datagrams per ALPC_IOC_BATCH on the
// sender, receives in batches of up to 32 (the first waits, the others
// take what is queued).
//
// alpc-dgrams: one-way only, 32 datagrams packed into one buffer per
// ALPC_IOC_SEND_DGRAMS on the sender; the receiver takes up to 32 per
// ALPC_IOC_RECV_DGRAMS (waiting only for the first).
#include "alpc_base.hpp"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <linux/alpc.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <vector>

namespace bench {
namespace {

class AlpcSection : public AlpcBase {
public:
    ~AlpcSection() override {
        unmap_view();
        if (map_ != MAP_FAILED)
            munmap(map_, map_len_);
        if (sec_ >= 0)
            close(sec_);
    }

    std::size_t max_size() const override { return 64u << 20; }

    void prepare(Pattern pattern, std::size_t size) override {
        long page = sysconf(_SC_PAGESIZE);
        stride_ = (size + page - 1) / page * page;
        // One-way: a ring of slots, two more than can be queued; large
        // messages get fewer slots (64 MiB of ring at most, 3 at least).
        slots_ = pattern == Pattern::pingpong
                     ? 2
                     : std::clamp<std::size_t>((64u << 20) / stride_, 3, 10);
        map_len_ = slots_ * stride_;
        alpc_port_attr attr{};
        attr.max_queued_msgs = pattern == Pattern::pingpong ? 4 : slots_ - 2;
        attr.max_section_size = map_len_;
        attr.max_section_bytes = map_len_;
        open_port(attr);
    }

    void server_accept() override { accept_one(); }

    void client_setup() override {
        connect_one();
        alpc_create_section cs{};
        cs.size = map_len_;
        sec_ = ioctl_or_fail(conn_, ALPC_IOC_CREATE_SECTION, &cs, "CREATE_SECTION");
        map_ = mmap(nullptr, map_len_, PROT_READ | PROT_WRITE, MAP_SHARED, sec_, 0);
        if (map_ == MAP_FAILED)
            fail_errno("mmap section");
    }

    const std::byte* call(const std::byte* req, std::size_t len) override {
        auto* base = static_cast<std::byte*>(map_);
        std::memcpy(base, req, len);
        alpc_msg_attrs a{};
        a.flags = ALPC_ATTR_VIEW;
        a.section_fd = sec_;
        a.view_len = stride_ + len;
        alpc_send_wait s{};
        s.attrs = ptr(&a);
        s.context = len;
        s.timeout_ns = -1;
        xioctl(conn_, ALPC_IOC_SEND_WAIT, &s, "SEND_WAIT");
        check(s.reply, ALPC_MSG_REPLY, "reply");
        return base + stride_;
    }

    const std::byte* reply_recv(const std::byte* reply, std::size_t len, bool next) override {
        if (reply)
            std::memcpy(static_cast<std::byte*>(view_) + stride_, reply, len);
        unmap_view();
        alpc_reply_recv rr{};
        rr.ref_id = reply ? last_id_ : 0;
        rr.recv.timeout_ns = next ? -1 : 0;
        if (!next) {
            alpc_send s{};
            s.type = ALPC_MSG_REPLY;
            s.ref_id = last_id_;
            xioctl(port_, ALPC_IOC_SEND, &s, "SEND reply");
            return nullptr;
        }
        xioctl(port_, ALPC_IOC_REPLY_RECV, &rr, "REPLY_RECV");
        if (rr.reply_status)
            failf("REPLY_RECV: the reply failed: %s", std::strerror(-rr.reply_status));
        take_view(rr.recv.info, ALPC_MSG_REQUEST, stride_ + len);
        last_id_ = rr.recv.info.id;
        return static_cast<const std::byte*>(view_);
    }

    void send(const std::byte* msg, std::size_t len) override {
        std::size_t off = next_slot_++ % slots_ * stride_;
        std::memcpy(static_cast<std::byte*>(map_) + off, msg, len);
        alpc_msg_attrs a{};
        a.flags = ALPC_ATTR_VIEW;
        a.section_fd = sec_;
        a.view_flags = ALPC_VIEW_READONLY;
        a.view_offset = off;
        a.view_len = len;
        alpc_send s{};
        s.type = ALPC_MSG_DATAGRAM;
        s.attrs = ptr(&a);
        s.timeout_ns = -1;
        xioctl(conn_, ALPC_IOC_SEND, &s, "SEND view");
    }

    const std::byte* recv(std::size_t len) override {
        unmap_view();
        alpc_recv r{};
        r.timeout_ns = -1;
        xioctl(port_, ALPC_IOC_RECV, &r, "RECV view");
        take_view(r.info, ALPC_MSG_DATAGRAM, len);
        return static_cast<const std::byte*>(view_);
    }

    void finish() override { unmap_view(); }

private:
    void take_view(const alpc_msg_info& info, std::uint32_t type, std::size_t len) {
        check(info, type, "view message");
        if (!(info.flags & ALPC_MSGF_VIEW) || info.view_len != len)
            failf("expected a view of %zu bytes, got flags %#x, %llu bytes", len, info.flags,
                  static_cast<unsigned long long>(info.view_len));
        view_ = reinterpret_cast<void*>(info.view_addr);
        view_len_ = info.view_len;
    }

    // A view is mapped in whole pages around it; it is the receiver's to unmap.
    void unmap_view() {
        if (!view_)
            return;
        long page = sysconf(_SC_PAGESIZE);
        auto addr = reinterpret_cast<std::uintptr_t>(view_);
        auto base = addr & ~std::uintptr_t(page - 1);
        std::size_t len = (addr - base + view_len_ + page - 1) / page * page;
        munmap(reinterpret_cast<void*>(base), len);
        view_ = nullptr;
    }

    int sec_ = -1;
    void* map_ = MAP_FAILED;
    std::size_t map_len_ = 0, stride_ = 0, slots_ = 0, next_slot_ = 0;
    void* view_ = nullptr;
    std::size_t view_len_ = 0;
    std::uint64_t last_id_ = 0;
};

// What the batched one-way transports share: 32 messages per call, one
// connection, no ping-pong.
class AlpcOneway : public AlpcBase {
public:
    static constexpr unsigned depth = 32;

    std::size_t max_size() const override { return 4096; }
    bool supports(Pattern p) const override { return p == Pattern::oneway; }

    void server_accept() override { accept_one(); }
    void client_setup() override { connect_one(); }

    const std::byte* call(const std::byte*, std::size_t) override {
        failf("one-way only: no ping-pong");
    }
    const std::byte* reply_recv(const std::byte*, std::size_t, bool) override {
        failf("one-way only: no ping-pong");
    }
};

class AlpcBatched : public AlpcOneway {
public:
    void prepare(Pattern, std::size_t size) override {
        open_oneway_port();
        size_ = size;
        rbuf_.resize(depth * size);
    }

    void send(const std::byte* msg, std::size_t len) override {
        alpc_send& s = sends_[pending_];
        s = alpc_send{};
        s.type = ALPC_MSG_DATAGRAM;
        s.buf = ptr(msg);
        s.len = len;
        s.timeout_ns = -1;
        if (++pending_ == depth)
            flush();
    }

    void flush() override {
        if (!pending_)
            return;
        alpc_batch_op ops[depth];
        for (unsigned i = 0; i < pending_; i++)
            ops[i] = {ALPC_OP_SEND, 0, ptr(&sends_[i])};
        alpc_batch b{};
        b.ops = ptr(ops);
        b.count = pending_;
        xioctl(conn_, ALPC_IOC_BATCH, &b, "BATCH send");
        for (unsigned i = 0; i < pending_; i++)
            if (ops[i].result)
                failf("BATCH send %u: %s", i, std::strerror(-ops[i].result));
        pending_ = 0;
    }

    const std::byte* recv(std::size_t len) override {
        if (next_ == got_) {
            alpc_recv r[depth];
            alpc_batch_op ops[depth];
            for (unsigned i = 0; i < depth; i++) {
                r[i] = alpc_recv{};
                r[i].buf = ptr(rbuf_.data() + i * size_);
                r[i].size = size_;
                r[i].timeout_ns = i ? 0 : -1;
                ops[i] = {ALPC_OP_RECV, 0, ptr(&r[i])};
            }
            alpc_batch b{};
            b.ops = ptr(ops);
            b.count = depth;
            xioctl(port_, ALPC_IOC_BATCH, &b, "BATCH recv");
            // Received messages come first: the rest found the queue empty.
            got_ = 0;
            while (got_ < depth && !ops[got_].result) {
                check(r[got_].info, ALPC_MSG_DATAGRAM, "datagram");
                if (r[got_].info.len != len)
                    failf("datagram of %u bytes, expected %zu", r[got_].info.len, len);
                got_++;
            }
            if (!got_)
                failf("BATCH recv: %s", std::strerror(-ops[0].result));
            next_ = 0;
        }
        return rbuf_.data() + next_++ * size_;
    }

private:
    alpc_send sends_[depth];
    unsigned pending_ = 0, got_ = 0, next_ = 0;
    std::size_t size_ = 0;
    std::vector<std::byte> rbuf_;
};

class AlpcDgrams : public AlpcOneway {
public:
    void prepare(Pattern, std::size_t size) override {
        open_oneway_port();
        size_ = size;
        sbuf_.resize(depth * ALPC_DGRAM_SIZE(size));
        rbuf_.resize(depth * ALPC_DGRAM_SIZE(size));
    }

    void send(const std::byte* msg, std::size_t len) override {
        alpc_dgram h{};
        h.len = static_cast<std::uint32_t>(len);
        std::memcpy(sbuf_.data() + sused_, &h, sizeof(h));
        std::memcpy(sbuf_.data() + sused_ + sizeof(h), msg, len);
        sused_ += ALPC_DGRAM_SIZE(len);
        if (++pending_ == depth)
            flush();
    }

    void flush() override {
        if (!pending_)
            return;
        // All or none: waits for room for the lot.
        alpc_dgrams d{};
        d.buf = ptr(sbuf_.data());
        d.size = static_cast<std::uint32_t>(sused_);
        d.count = pending_;
        d.timeout_ns = -1;
        xioctl(conn_, ALPC_IOC_SEND_DGRAMS, &d, "SEND_DGRAMS");
        pending_ = 0;
        sused_ = 0;
    }

    const std::byte* recv(std::size_t len) override {
        if (!left_) {
            alpc_dgrams d{};
            d.buf = ptr(rbuf_.data());
            d.size = static_cast<std::uint32_t>(rbuf_.size());
            d.count = depth;
            d.timeout_ns = -1;
            xioctl(port_, ALPC_IOC_RECV_DGRAMS, &d, "RECV_DGRAMS");
            left_ = d.done;
            next_ = rbuf_.data();
        }
        alpc_dgram h;
        std::memcpy(&h, next_, sizeof(h));
        if (h.len != len)
            failf("datagram of %u bytes, expected %zu", h.len, len);
        const std::byte* payload = next_ + sizeof(h);
        next_ += ALPC_DGRAM_SIZE(h.len);
        left_--;
        return payload;
    }

private:
    std::vector<std::byte> sbuf_, rbuf_;
    std::size_t size_ = 0, sused_ = 0;
    unsigned pending_ = 0, left_ = 0;
    const std::byte* next_ = nullptr;
};

} // namespace

std::unique_ptr<Transport> make_alpc_section() {
    return std::make_unique<AlpcSection>();
}

std::unique_ptr<Transport> make_alpc_batched() {
    return std::make_unique<AlpcBatched>();
}

std::unique_ptr<Transport> make_alpc_dgrams() {
    return std::make_unique<AlpcDgrams>();
}

} // namespace bench
