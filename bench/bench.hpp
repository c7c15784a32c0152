// SPDX-License-Identifier: GPL-2.0
// alpc_bench: what every transport implements, and the helpers they share.
//
// A run forks a server and a client process. Both inherit the Transport
// object the parent built with prepare(); each then uses only its own side.
// The runner (runner.cpp) does the timing, the verification, the pinning
// and the accounting; a transport only moves bytes, and counts every
// system call it issues through the sys_* wrappers below, so that
// syscalls per operation come out of the transport's own code.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace bench {

enum class Pattern { pingpong, oneway };

// A failed check or system call: the run fails with this text.
struct Failure : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// Throws Failure("<what>: <strerror(errno)>").
[[noreturn]] void fail_errno(const std::string& what);
// Throws Failure built with printf-style arguments.
[[noreturn]] void failf(const char* fmt, ...) __attribute__((format(printf, 1, 2)));

class Transport {
public:
    virtual ~Transport() = default;
    Transport(const Transport&) = delete;
    Transport& operator=(const Transport&) = delete;

    // The largest message the transport moves in one piece.
    virtual std::size_t max_size() const = 0;
    // Whether it runs @pattern at all (alpc-batched: one-way only).
    virtual bool supports(Pattern) const { return true; }

    // In the parent, before the fork: what both sides share (fds, shared
    // memory) and buffers for messages of @size bytes.
    virtual void prepare(Pattern pattern, std::size_t size) = 0;
    // In the server, before the client may start (binder: become the
    // context manager).
    virtual void server_setup() {}
    // In the server once the client may start (alpc: accept it).
    virtual void server_accept() {}
    // In the client once the server is set up (alpc: connect).
    virtual void client_setup() {}

    // Ping-pong, client side: sends @len bytes at @req and returns the
    // reply, @len bytes, valid until the next call.
    virtual const std::byte* call(const std::byte* req, std::size_t len) = 0;
    // Ping-pong, server side: answers the last request with @len bytes at
    // @reply (unless null), then, with @next, receives the next request
    // of @len bytes and returns it (valid until the next call).
    virtual const std::byte* reply_recv(const std::byte* reply, std::size_t len, bool next) = 0;

    // One-way: the client sends, the server receives, @len bytes each.
    virtual void send(const std::byte* msg, std::size_t len) = 0;
    virtual const std::byte* recv(std::size_t len) = 0;
    // One-way, client side: sends what send() held back (a batch), after
    // the warm-up and after the measured loop; counted.
    virtual void flush() {}

    // After the measured loop, uncounted (binder: free the last buffer).
    virtual void finish() {}

    std::uint64_t syscalls() const { return syscalls_; }
    void reset_syscalls() { syscalls_ = 0; }

protected:
    Transport() = default;

    // The only way transports enter the kernel on the measured path.
    long sys_read(int fd, void* buf, std::size_t len);
    long sys_write(int fd, const void* buf, std::size_t len);
    long sys_ioctl(int fd, unsigned long req, void* arg);
    long sys_futex(void* addr, int op, std::uint32_t val);
    void sys_usleep(unsigned us);

    // read()/write() until @len bytes moved; fails on EOF or an error.
    void read_full(int fd, void* buf, std::size_t len, const char* what);
    void write_full(int fd, const void* buf, std::size_t len, const char* what);

private:
    std::uint64_t syscalls_ = 0;
};

// One entry of the transport table (transports.cpp).
struct TransportInfo {
    const char* name;
    // Why the transport cannot run on this system, or "" if it can.
    std::string (*unavailable)();
    std::unique_ptr<Transport> (*make)();
};

const std::vector<TransportInfo>& transport_table();

// One per transport file.
std::unique_ptr<Transport> make_alpc_inline();
std::unique_ptr<Transport> make_alpc_section();
std::unique_ptr<Transport> make_alpc_batched();
std::unique_ptr<Transport> make_alpc_dgrams();
std::string alpc_unavailable();
std::unique_ptr<Transport> make_pipe();
std::unique_ptr<Transport> make_unix_stream();
std::unique_ptr<Transport> make_unix_seqpacket();
std::unique_ptr<Transport> make_futex();
std::unique_ptr<Transport> make_binder();
std::string binder_unavailable();

// Memory shared by the parent and both children (MAP_SHARED | MAP_ANONYMOUS),
// page-aligned, zero-filled; unmapped with unmap_shared().
void* map_shared(std::size_t len);
void unmap_shared(void* p, std::size_t len);

// futex(2) on shared (not private) memory, for the runner's own signals.
void futex_wake_all(std::uint32_t* addr);
void futex_wait_value(std::uint32_t* addr, std::uint32_t val);

std::int64_t now_ns();

} // namespace bench
