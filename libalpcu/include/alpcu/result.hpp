// SPDX-License-Identifier: MIT
#pragma once

#include <utility>
#include <variant>

#include "alpcu/error.hpp"

namespace alpcu {

// The outcomes of a call that are part of normal life, returned as values.
// Every other failure throws std::system_error (see error.hpp). Each call
// documents which of these it can return.
enum class Status {
    ok,
    timed_out,    // ETIMEDOUT: the timeout ran out
    would_block,  // EAGAIN: no_wait, and the call would have had to wait
                  // (queue full, nothing queued), or the port is full
    refused,      // ECONNREFUSED: the server rejected the connection
    lost,         // ENOENT: what is being answered or canceled is no longer
                  // outstanding (its sender canceled, timed out or left)
    canceled,     // ECANCELED: the request was canceled while waiting
    interrupted,  // EINTR: a signal ended the wait (never restarted)
    disconnected, // ECONNRESET: the other end of the connection is gone
    not_datagram, // ENOMSG: the oldest message is not a plain datagram, so
                  // receive_datagrams leaves it queued for receive()
    too_large,    // EMSGSIZE: the oldest message does not fit the buffer,
                  // and stays queued
};

// The errno a Status stands for (0 for ok).
[[nodiscard]] int to_errno(Status s) noexcept;
[[nodiscard]] const char* to_string(Status s) noexcept;

// A value of T, or the Status saying why there is none: a tiny
// std::expected<T, Status>. value() on a non-ok Result throws
// std::system_error with the Status's errno, for callers that treat the
// outcome as an error.
template <class T> class [[nodiscard]] Result {
public:
    Result(T value) : v_(std::move(value)) {}
    // s must not be Status::ok.
    Result(Status s) noexcept : v_(s) {}

    [[nodiscard]] bool ok() const noexcept { return v_.index() == 0; }
    [[nodiscard]] Status status() const noexcept { return ok() ? Status::ok : std::get<1>(v_); }

    [[nodiscard]] T& value() & {
        check();
        return std::get<0>(v_);
    }
    [[nodiscard]] const T& value() const& {
        check();
        return std::get<0>(v_);
    }
    [[nodiscard]] T&& value() && {
        check();
        return std::get<0>(std::move(v_));
    }
    [[nodiscard]] T& operator*() & { return value(); }
    [[nodiscard]] const T& operator*() const& { return value(); }
    [[nodiscard]] T&& operator*() && { return std::move(*this).value(); }
    [[nodiscard]] T* operator->() { return &value(); }
    [[nodiscard]] const T* operator->() const { return &value(); }

private:
    void check() const {
        if (!ok())
            throw_errno(to_string(status()), to_errno(status()));
    }

    std::variant<T, Status> v_;
};

} // namespace alpcu
