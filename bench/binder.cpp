// SPDX-License-Identifier: GPL-2.0
// Android binder through raw BINDER_WRITE_READ ioctls, as libbinder's
// IPCThreadState drives them, without libbinder. The server is the
// context manager and loops: read BR_TRANSACTION, answer BC_REPLY (with
// BC_FREE_BUFFER of the request in the same write), which returns as soon
// as the driver reports BR_TRANSACTION_COMPLETE, then read again: two
// calls per round trip. The client writes BC_TRANSACTION to handle 0 and
// reads until BR_REPLY: one call, the driver defers its
// TRANSACTION_COMPLETE until the reply. Payloads are read in place from
// the receiver's mapping (binder's single copy) and freed with the next
// write. One-way: TF_ONE_WAY transactions; the client retries one that
// finds the server's async buffer space full.
#include "bench.hpp"

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fcntl.h>
#include <linux/android/binder.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <thread>
#include <unistd.h>

namespace bench {
namespace {

constexpr const char* device = "/dev/binder";
// The driver maps at most 4 MiB; a one-way message may use half of it.
constexpr std::size_t map_size = 4 << 20;

// Commands for one BINDER_WRITE_READ, packed as the driver reads them.
class Cmds {
public:
    void put(std::uint32_t cmd) { add(&cmd, sizeof(cmd)); }
    template <class T> void put(std::uint32_t cmd, const T& arg) {
        add(&cmd, sizeof(cmd));
        add(&arg, sizeof(arg));
    }
    const unsigned char* data() const { return buf_; }
    std::size_t size() const { return n_; }
    void clear() { n_ = 0; }

private:
    void add(const void* p, std::size_t len) {
        std::memcpy(buf_ + n_, p, len);
        n_ += len;
    }
    alignas(8) unsigned char buf_[256];
    std::size_t n_ = 0;
};

std::uint64_t ptr(const void* p) {
    return reinterpret_cast<std::uintptr_t>(p);
}

class Binder : public Transport {
public:
    ~Binder() override {
        if (map_ != MAP_FAILED)
            munmap(map_, map_size);
        if (fd_ >= 0)
            close(fd_);
    }

    // 1 MiB fits a one-way message in the async half of the mapping.
    std::size_t max_size() const override { return 1 << 20; }

    void prepare(Pattern, std::size_t) override {}

    void server_setup() override {
        open_device();
        // The previous run's context manager is released by a work item
        // after its process exits: until then, EBUSY.
        __s32 zero = 0;
        for (int i = 0; ioctl(fd_, BINDER_SET_CONTEXT_MGR, &zero); i++) {
            if (errno != EBUSY || i == 5000)
                fail_errno("BINDER_SET_CONTEXT_MGR");
            std::this_thread::sleep_for(std::chrono::milliseconds(2));
        }
        Cmds w;
        w.put(BC_ENTER_LOOPER);
        talk(w, false);
    }

    void client_setup() override { open_device(); }

    const std::byte* call(const std::byte* req, std::size_t len) override {
        Cmds w;
        free_pending(w);
        w.put(BC_TRANSACTION, transaction(req, len, 0));
        got_ = {};
        do
            talk(w, true);
        while (!got_.reply && !got_.failed);
        if (got_.failed)
            failf("BC_TRANSACTION: BR_FAILED_REPLY");
        return take(got_tr_, len, 0, "BR_REPLY");
    }

    const std::byte* reply_recv(const std::byte* reply, std::size_t len, bool next) override {
        Cmds w;
        got_ = {};
        if (reply) {
            free_pending(w);
            w.put(BC_REPLY, transaction(reply, len, 0));
            do
                talk(w, true);
            while (!got_.complete && !got_.failed);
            if (got_.failed)
                failf("BC_REPLY: BR_FAILED_REPLY");
        }
        return next ? wait_transaction(w, len, 0) : nullptr;
    }

    void send(const std::byte* msg, std::size_t len) override {
        Cmds w;
        const auto tr = transaction(msg, len, TF_ONE_WAY);
        for (;;) {
            w.put(BC_TRANSACTION, tr);
            got_ = {};
            do
                talk(w, true);
            while (!got_.complete && !got_.failed);
            if (got_.complete)
                return;
            // Failed: only a full async space is worth a retry.
            binder_extended_error ee{};
            if (sys_ioctl(fd_, BINDER_GET_EXTENDED_ERROR, &ee) || ee.param != -ENOSPC)
                failf("one-way BC_TRANSACTION failed (command %u, error %d)", ee.command, ee.param);
            sys_usleep(100);
        }
    }

    const std::byte* recv(std::size_t len) override {
        Cmds w;
        free_pending(w);
        got_ = {};
        return wait_transaction(w, len, TF_ONE_WAY);
    }

    void finish() override {
        Cmds w;
        free_pending(w);
        if (w.size())
            talk(w, false);
    }

private:
    struct Got {
        bool complete, reply, txn, failed;
    };

    void open_device() {
        fd_ = open(device, O_RDWR | O_CLOEXEC);
        if (fd_ < 0)
            fail_errno(device);
        binder_version v{};
        if (ioctl(fd_, BINDER_VERSION, &v))
            fail_errno("BINDER_VERSION");
        if (v.protocol_version != BINDER_CURRENT_PROTOCOL_VERSION)
            failf("binder protocol %d, expected %d", v.protocol_version,
                  BINDER_CURRENT_PROTOCOL_VERSION);
        map_ = mmap(nullptr, map_size, PROT_READ, MAP_PRIVATE, fd_, 0);
        if (map_ == MAP_FAILED)
            fail_errno("mmap /dev/binder");
    }

    static binder_transaction_data transaction(const std::byte* p, std::size_t len,
                                               std::uint32_t flags) {
        binder_transaction_data tr{};
        tr.target.handle = 0;
        tr.code = 1;
        tr.flags = flags;
        tr.data_size = len;
        tr.data.ptr.buffer = ptr(p);
        return tr;
    }

    void free_pending(Cmds& w) {
        if (pending_free_)
            w.put(BC_FREE_BUFFER, binder_uintptr_t(pending_free_));
        pending_free_ = 0;
    }

    const std::byte* wait_transaction(Cmds& w, std::size_t len, std::uint32_t flags) {
        while (!got_.txn && !got_.failed)
            talk(w, true);
        if (got_.failed)
            failf("BR_FAILED_REPLY while waiting for a transaction");
        return take(got_tr_, len, flags, "BR_TRANSACTION");
    }

    // The payload of a received transaction, to be freed with the next write.
    const std::byte* take(const binder_transaction_data& tr, std::size_t len, std::uint32_t flags,
                          const char* what) {
        pending_free_ = tr.data.ptr.buffer;
        if (tr.flags & TF_STATUS_CODE)
            failf("%s: a status code, not data", what);
        if ((tr.flags & TF_ONE_WAY) != flags)
            failf("%s: flags %#x", what, tr.flags);
        if (tr.data_size != len || tr.offsets_size)
            failf("%s: %llu bytes, expected %zu", what, (unsigned long long)tr.data_size, len);
        return reinterpret_cast<const std::byte*>(tr.data.ptr.buffer);
    }

    // One BINDER_WRITE_READ: writes @w (and empties it), and with @read,
    // adds what the driver returns to got_.
    void talk(Cmds& w, bool read) {
        alignas(8) unsigned char rbuf[256];
        binder_write_read bwr{};
        bwr.write_buffer = ptr(w.data());
        bwr.write_size = w.size();
        if (read) {
            bwr.read_buffer = ptr(rbuf);
            bwr.read_size = sizeof(rbuf);
        }
        while (sys_ioctl(fd_, BINDER_WRITE_READ, &bwr))
            if (errno != EINTR)
                fail_errno("BINDER_WRITE_READ");
        if (bwr.write_consumed != bwr.write_size)
            failf("BINDER_WRITE_READ: %llu of %llu bytes written",
                  (unsigned long long)bwr.write_consumed, (unsigned long long)bwr.write_size);
        w.clear();
        for (std::size_t off = 0; off + 4 <= bwr.read_consumed;) {
            std::uint32_t cmd;
            std::memcpy(&cmd, rbuf + off, 4);
            const unsigned char* arg = rbuf + off + 4;
            off += 4 + _IOC_SIZE(cmd);
            switch (cmd) {
            case BR_NOOP:
                break;
            case BR_TRANSACTION_COMPLETE:
                got_.complete = true;
                break;
            case BR_REPLY:
            case BR_TRANSACTION:
                std::memcpy(&got_tr_, arg, sizeof(got_tr_));
                (cmd == BR_REPLY ? got_.reply : got_.txn) = true;
                break;
            case BR_FAILED_REPLY:
                got_.failed = true;
                break;
            case BR_DEAD_REPLY:
                failf("BR_DEAD_REPLY: the other side is gone");
            case BR_FROZEN_REPLY:
                failf("BR_FROZEN_REPLY");
            case BR_ERROR: {
                __s32 e;
                std::memcpy(&e, arg, sizeof(e));
                failf("BR_ERROR %d", e);
            }
            default:
                failf("unexpected binder return %#x", cmd);
            }
        }
    }

    int fd_ = -1;
    void* map_ = MAP_FAILED;
    std::uint64_t pending_free_ = 0;
    Got got_{};
    binder_transaction_data got_tr_{};
};

} // namespace

std::string binder_unavailable() {
    if (access(device, R_OK | W_OK))
        return std::string("no ") + device + " (insmod binder_linux.ko devices=binder)";
    return {};
}

std::unique_ptr<Transport> make_binder() {
    return std::make_unique<Binder>();
}

} // namespace bench
