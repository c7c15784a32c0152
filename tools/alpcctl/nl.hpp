// SPDX-License-Identifier: MIT
// alpcctl's side of the generic netlink family "alpc" (include/uapi/linux/alpc.h),
// on libnl-genl.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

struct nl_sock;

namespace alpcctl {

// One message of a dump, a reply or an event: its command and attributes.
struct Object {
    std::uint8_t cmd = 0;
    std::map<int, std::uint64_t> num; // the u32 and u64 attributes, by type
    std::string name;                 // ALPC_NL_A_PORT_NAME

    [[nodiscard]] bool has(int attr) const { return num.contains(attr); }
    [[nodiscard]] std::uint64_t get(int attr) const {
        auto it = num.find(attr);
        return it == num.end() ? 0 : it->second;
    }
};

// A request the kernel refused: its errno and, if it said why, the
// extended ack's message.
class Error : public std::runtime_error {
public:
    Error(const std::string& what, int err, std::string ack)
        : std::runtime_error(what), err_(err), ack_(std::move(ack)) {}
    [[nodiscard]] int err() const noexcept { return err_; }
    [[nodiscard]] const std::string& ack() const noexcept { return ack_; }

private:
    int err_;
    std::string ack_;
};

// The family is not registered: the module is not loaded.
class NotLoaded : public std::runtime_error {
public:
    NotLoaded() : std::runtime_error("no generic netlink family \"alpc\"") {}
};

// Which port a dump is about: by id, by name, or (neither) all of them.
struct Filter {
    std::uint64_t id = 0;
    std::string name;
};

// A generic netlink socket that talks to the alpc family.
class Client {
public:
    // Throws NotLoaded, or Error for anything else.
    static Client open();

    // A dump (ALPC_NL_CMD_GET_PORT or GET_CONN). A dump that raced with
    // changes is repeated, a few times; interrupted() tells if the last
    // one still raced.
    std::vector<Object> dump(std::uint8_t cmd, const Filter& filter = {});
    // A request answered by one message (ALPC_NL_CMD_GET_STATS).
    Object get(std::uint8_t cmd);
    [[nodiscard]] bool interrupted() const noexcept { return interrupted_; }

    // Joins the events group (Error with EPERM without CAP_SYS_ADMIN),
    // then hands each event to fn until it returns false. Events lost to
    // a full socket buffer are reported to lost, and watching goes on.
    void watch(const std::function<bool(const Object&)>& fn, const std::function<void()>& lost);

private:
    struct SockFree {
        void operator()(nl_sock* sk) const noexcept;
    };
    using Sock = std::unique_ptr<nl_sock, SockFree>;

    Client(Sock sk, int family) : sk_(std::move(sk)), family_(family) {}
    int request(std::uint8_t cmd, int flags, const Filter& filter, std::vector<Object>& out);

    Sock sk_;
    int family_;
    bool interrupted_ = false;
};

} // namespace alpcctl
