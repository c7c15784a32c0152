// SPDX-License-Identifier: MIT
#include "alpcu/result.hpp"

#include <cerrno>

namespace alpcu {

int to_errno(Status s) noexcept {
    switch (s) {
    case Status::ok:
        return 0;
    case Status::timed_out:
        return ETIMEDOUT;
    case Status::would_block:
        return EAGAIN;
    case Status::refused:
        return ECONNREFUSED;
    case Status::lost:
        return ENOENT;
    case Status::canceled:
        return ECANCELED;
    case Status::interrupted:
        return EINTR;
    case Status::disconnected:
        return ECONNRESET;
    case Status::not_datagram:
        return ENOMSG;
    case Status::too_large:
        return EMSGSIZE;
    }
    return EINVAL;
}

const char* to_string(Status s) noexcept {
    switch (s) {
    case Status::ok:
        return "ok";
    case Status::timed_out:
        return "timed out";
    case Status::would_block:
        return "would block";
    case Status::refused:
        return "refused";
    case Status::lost:
        return "lost";
    case Status::canceled:
        return "canceled";
    case Status::interrupted:
        return "interrupted";
    case Status::disconnected:
        return "disconnected";
    case Status::not_datagram:
        return "not a plain datagram";
    case Status::too_large:
        return "too large";
    }
    return "unknown status";
}

} // namespace alpcu
