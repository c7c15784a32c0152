// SPDX-License-Identifier: MIT
#include "alpcu/section.hpp"

#include <cerrno>
#include <stdexcept>
#include <sys/mman.h>
#include <unistd.h>
#include <utility>

#include "alpcu/error.hpp"

namespace alpcu {

namespace {

// The whole pages around len bytes at p: what the kernel mapped for a view.
std::span<std::byte> pages_around(std::byte* p, std::size_t len) noexcept {
    static const auto page = static_cast<std::uintptr_t>(::sysconf(_SC_PAGESIZE));
    auto addr = reinterpret_cast<std::uintptr_t>(p);
    auto first = addr & ~(page - 1);
    auto end = (addr + len + page - 1) & ~(page - 1);
    return {reinterpret_cast<std::byte*>(first), end - first};
}

} // namespace

Section::Section(Fd fd, std::size_t size) : fd_(std::move(fd)), size_(size) {
    if (size_ == 0)
        return;
    void* p = ::mmap(nullptr, size_, PROT_READ | PROT_WRITE, MAP_SHARED, fd_.get(), 0);
    if (p == MAP_FAILED)
        throw_errno("alpcu::Section: mmap");
    data_ = static_cast<std::byte*>(p);
}

Section::Section(Section&& other) noexcept
    : fd_(std::move(other.fd_)), data_(std::exchange(other.data_, nullptr)),
      size_(std::exchange(other.size_, 0)) {}

Section& Section::operator=(Section&& other) noexcept {
    if (this != &other) {
        reset();
        fd_ = std::move(other.fd_);
        data_ = std::exchange(other.data_, nullptr);
        size_ = std::exchange(other.size_, 0);
    }
    return *this;
}

void Section::reset() noexcept {
    if (data_)
        ::munmap(data_, size_);
    data_ = nullptr;
    size_ = 0;
    fd_.reset();
}

SectionRange Section::range(std::size_t offset, std::size_t length, Access access) const {
    if (offset > size_ || (length != npos && length > size_ - offset))
        throw_errno("alpcu::Section::range: outside the section", EINVAL);
    return {fd_.get(), offset, length == npos ? size_ - offset : length, access};
}

View View::adopt(const alpc_msg_info& info) noexcept {
    if (!(info.flags & ALPC_MSGF_VIEW) || !info.view_addr)
        return {};
    return {reinterpret_cast<std::byte*>(static_cast<std::uintptr_t>(info.view_addr)),
            static_cast<std::size_t>(info.view_len), (info.flags & ALPC_MSGF_VIEW_READONLY) != 0};
}

View::View(View&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)), size_(std::exchange(other.size_, 0)),
      readonly_(other.readonly_) {}

View& View::operator=(View&& other) noexcept {
    if (this != &other) {
        reset();
        data_ = std::exchange(other.data_, nullptr);
        size_ = std::exchange(other.size_, 0);
        readonly_ = other.readonly_;
    }
    return *this;
}

std::span<std::byte> View::writable() const {
    if (readonly_)
        throw std::logic_error("alpcu::View::writable: the view is read-only");
    return {data_, size_};
}

std::span<std::byte> View::release() noexcept {
    std::span<std::byte> s(data_, size_);
    data_ = nullptr;
    size_ = 0;
    return s;
}

void View::reset() noexcept {
    if (data_) {
        auto pages = pages_around(data_, size_);
        ::munmap(pages.data(), pages.size());
    }
    data_ = nullptr;
    size_ = 0;
}

} // namespace alpcu
