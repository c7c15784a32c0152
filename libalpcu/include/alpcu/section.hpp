// SPDX-License-Identifier: MIT
// Shared memory between the two ends of a connection: sections, the views
// a message carries of them, and memory lent to the receiver of a request.
#pragma once

#include <cstddef>
#include <cstdint>
#include <linux/alpc.h>
#include <span>

#include "alpcu/fd.hpp"

namespace alpcu {

// What the other end may do with memory handed to it: a view (read, or
// read_write) or lent memory (any of the three).
enum class Access : std::uint32_t {
    read = ALPC_REGION_READ,
    write = ALPC_REGION_WRITE,
    read_write = ALPC_REGION_READ | ALPC_REGION_WRITE,
};

[[nodiscard]] constexpr Access operator|(Access a, Access b) noexcept {
    return static_cast<Access>(static_cast<std::uint32_t>(a) | static_cast<std::uint32_t>(b));
}
// Whether a grants every right in b.
[[nodiscard]] constexpr bool allows(Access a, Access b) noexcept {
    return (static_cast<std::uint32_t>(a) & static_cast<std::uint32_t>(b)) ==
           static_cast<std::uint32_t>(b);
}

class SectionRange;

// A section: kernel pages that both ends of one connection can map, made
// with Connection::create_section. Owns the section's fd and a read-write
// mapping of all of it; the destructor unmaps and closes once. Noexcept
// move, no copy, no implicit bool.
//
// The pages live on while a message or a receiver's view refers to them,
// so a Section may be destroyed as soon as the message naming it is sent.
// The mapping is VM_PFNMAP: it cannot be the buffer of O_DIRECT I/O, of
// vmsplice() or of anything else that pins user pages; read() and write()
// into it work.
class Section {
public:
    static constexpr std::size_t npos = static_cast<std::size_t>(-1);

    Section() noexcept = default;
    // Maps size bytes of the section fd (MAP_SHARED, read and write) and
    // owns both. Throws std::system_error if mmap fails; fd is closed then.
    explicit Section(Fd fd, std::size_t size);
    Section(Section&& other) noexcept;
    Section& operator=(Section&& other) noexcept;
    Section(const Section&) = delete;
    Section& operator=(const Section&) = delete;
    ~Section() { reset(); }

    // The section's memory (empty for an empty Section).
    [[nodiscard]] std::span<std::byte> bytes() const noexcept { return {data_, size_}; }
    [[nodiscard]] std::size_t size() const noexcept { return size_; }
    [[nodiscard]] int fd() const noexcept { return fd_.get(); }
    // Gives up ownership of the fd without closing it. The mapping stays
    // this Section's, but it can no longer be named in a message.
    [[nodiscard]] int release() noexcept { return fd_.release(); }

    // length bytes at offset (npos: up to the end), for a message to carry
    // as a view: Access::read (the receiver cannot write it) or
    // Access::read_write (it shares the memory). The range refers to this
    // Section, which must outlive its use. Throws std::system_error EINVAL,
    // as the kernel would, for a range outside the section.
    [[nodiscard]] SectionRange range(std::size_t offset = 0, std::size_t length = npos,
                                     Access access = Access::read) const;

private:
    void reset() noexcept;

    Fd fd_;
    std::byte* data_ = nullptr;
    std::size_t size_ = 0;
};

// A range of a Section to send as a view (Section::range). It does not own
// the section: send it while the Section lives.
class SectionRange {
public:
    [[nodiscard]] int fd() const noexcept { return fd_; }
    [[nodiscard]] std::uint64_t offset() const noexcept { return offset_; }
    [[nodiscard]] std::uint64_t length() const noexcept { return length_; }
    [[nodiscard]] bool readonly() const noexcept { return !allows(access_, Access::write); }

private:
    friend class Section;
    SectionRange(int fd, std::uint64_t offset, std::uint64_t length, Access access) noexcept
        : fd_(fd), offset_(offset), length_(length), access_(access) {}

    int fd_;
    std::uint64_t offset_;
    std::uint64_t length_;
    Access access_;
};

// A view a received message carried: the kernel mapped it into this
// process at receive, and a View owns that mapping (the whole pages around
// the view's bytes) and unmaps it once, on destruction. Noexcept move, no
// copy, no implicit bool. Usually held by its Message (Message::view).
class View {
public:
    View() noexcept = default;
    // Takes ownership of the mapping a receive made, as info describes it:
    // none unless info.flags has ALPC_MSGF_VIEW and info.view_addr is set.
    [[nodiscard]] static View adopt(const alpc_msg_info& info) noexcept;

    View(View&& other) noexcept;
    View& operator=(View&& other) noexcept;
    View(const View&) = delete;
    View& operator=(const View&) = delete;
    ~View() { reset(); }

    [[nodiscard]] std::span<const std::byte> bytes() const noexcept { return {data_, size_}; }
    // The bytes, to write: shared with the sender's section. Throws
    // std::logic_error for a read-only view (whose pages cannot be made
    // writable at all).
    [[nodiscard]] std::span<std::byte> writable() const;
    [[nodiscard]] std::size_t size() const noexcept { return size_; }
    [[nodiscard]] bool readonly() const noexcept { return readonly_; }
    [[nodiscard]] bool mapped() const noexcept { return data_ != nullptr; }
    // Gives up ownership: the caller munmaps the whole pages around the
    // returned bytes.
    [[nodiscard]] std::span<std::byte> release() noexcept;
    // Unmaps now, if mapped.
    void reset() noexcept;

private:
    View(std::byte* data, std::size_t size, bool readonly) noexcept
        : data_(data), size_(size), readonly_(readonly) {}

    std::byte* data_ = nullptr;
    std::size_t size_ = 0;
    bool readonly_ = false;
};

// Memory of a requester lent to the receiver of one request (direct
// access, on ports made with PortAttributes::direct_access), made with
// lend(). The receiver reads or writes it with read() and write() until
// the request is answered or canceled; the buffer must stay valid that
// long, which Connection::request, waiting for the reply, guarantees.
class Lend {
public:
    [[nodiscard]] std::span<std::byte> memory() const noexcept { return mem_; }
    [[nodiscard]] Access access() const noexcept { return access_; }

private:
    friend Lend lend(std::span<std::byte> memory, Access access) noexcept;
    Lend(std::span<std::byte> memory, Access access) noexcept : mem_(memory), access_(access) {}

    std::span<std::byte> mem_;
    Access access_;
};

[[nodiscard]] inline Lend lend(std::span<std::byte> memory, Access access) noexcept {
    return {memory, access};
}

} // namespace alpcu
