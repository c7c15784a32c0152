// SPDX-License-Identifier: MIT
#include "nl.hpp"

#include <cerrno>
#include <cstring>
#include <linux/alpc.h>
#include <linux/netlink.h>
#include <netlink/attr.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>
#include <sys/socket.h>

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

namespace alpcctl {
namespace {

// How often a dump that raced with changes is tried again.
constexpr int dump_tries = 5;

struct MsgFree {
    void operator()(nl_msg* m) const noexcept { nlmsg_free(m); }
};
struct CbPut {
    void operator()(nl_cb* cb) const noexcept { nl_cb_put(cb); }
};

// What the callbacks of one request collect.
struct Reply {
    std::vector<Object>* out = nullptr;
    int err = 0;     // the kernel's errno, positive
    std::string ack; // its extended ack message
    const std::function<bool(const Object&)>* fn = nullptr;
    bool stop = false;
};

Object parse(nl_msg* msg) {
    auto* gh = static_cast<genlmsghdr*>(nlmsg_data(nlmsg_hdr(msg)));
    Object o;
    o.cmd = gh->cmd;
    nlattr* a;
    int rem;
    nla_for_each_attr(a, genlmsg_attrdata(gh, 0), genlmsg_attrlen(gh, 0), rem) {
        int type = nla_type(a);
        if (type == ALPC_NL_A_PAD)
            continue;
        if (type == ALPC_NL_A_PORT_NAME) {
            auto* s = static_cast<const char*>(nla_data(a));
            o.name.assign(s, strnlen(s, nla_len(a)));
        } else if (nla_len(a) == sizeof(std::uint32_t)) {
            o.num[type] = nla_get_u32(a);
        } else if (nla_len(a) == sizeof(std::uint64_t)) {
            o.num[type] = nla_get_u64(a);
        }
    }
    return o;
}

int on_valid(nl_msg* msg, void* arg) {
    auto* r = static_cast<Reply*>(arg);
    Object o = parse(msg);
    if (r->fn && !(*r->fn)(o)) {
        r->stop = true;
        return NL_STOP;
    }
    if (r->out)
        r->out->push_back(std::move(o));
    return NL_OK;
}

int on_error(sockaddr_nl*, nlmsgerr* e, void* arg) {
    auto* r = static_cast<Reply*>(arg);
    r->err = -e->error;
    // NETLINK_CAP_ACK: the request's header only, then the ack's attributes.
    auto* nlh = reinterpret_cast<nlmsghdr*>(reinterpret_cast<char*>(e) - NLMSG_HDRLEN);
    int off = NLMSG_HDRLEN + sizeof(*e);
    if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
        off += e->msg.nlmsg_len - NLMSG_HDRLEN;
    if (nlh->nlmsg_flags & NLM_F_ACK_TLVS && static_cast<int>(nlh->nlmsg_len) > off) {
        nlattr* a;
        int rem;
        auto* head = reinterpret_cast<nlattr*>(reinterpret_cast<char*>(nlh) + off);
        nla_for_each_attr(a, head, nlh->nlmsg_len - off, rem) {
            if (nla_type(a) == NLMSGERR_ATTR_MSG) {
                auto* s = static_cast<const char*>(nla_data(a));
                r->ack.assign(s, strnlen(s, nla_len(a)));
            }
        }
    }
    return NL_STOP;
}

[[noreturn]] void fail(const std::string& what, int nlerr) {
    throw Error(what + ": " + nl_geterror(nlerr), 0, "");
}

std::unique_ptr<nl_cb, CbPut> callbacks(Reply& r) {
    std::unique_ptr<nl_cb, CbPut> cb(nl_cb_alloc(NL_CB_DEFAULT));
    if (!cb)
        throw std::bad_alloc();
    nl_cb_set(cb.get(), NL_CB_VALID, NL_CB_CUSTOM, on_valid, &r);
    nl_cb_err(cb.get(), NL_CB_CUSTOM, on_error, &r);
    return cb;
}

} // namespace

void Client::SockFree::operator()(nl_sock* sk) const noexcept {
    nl_socket_free(sk);
}

Client Client::open() {
    Sock sk(nl_socket_alloc());
    if (!sk)
        throw std::bad_alloc();
    nl_socket_disable_auto_ack(sk.get());
    if (int ret = genl_connect(sk.get()); ret < 0)
        fail("generic netlink socket", ret);
    int one = 1, fd = nl_socket_get_fd(sk.get());
    setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
    setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
    int family = genl_ctrl_resolve(sk.get(), ALPC_GENL_NAME);
    if (family == -NLE_OBJ_NOTFOUND)
        throw NotLoaded();
    if (family < 0)
        fail("looking up the generic netlink family \"alpc\"", family);
    return Client(std::move(sk), family);
}

int Client::request(std::uint8_t cmd, int flags, const Filter& filter, std::vector<Object>& out) {
    std::unique_ptr<nl_msg, MsgFree> msg(nlmsg_alloc());
    if (!msg)
        throw std::bad_alloc();
    if (!genlmsg_put(msg.get(), NL_AUTO_PORT, NL_AUTO_SEQ, family_, 0, flags, cmd,
                     ALPC_GENL_VERSION) ||
        (filter.id && nla_put_u64(msg.get(), ALPC_NL_A_PORT_ID, filter.id) < 0) ||
        (!filter.name.empty() &&
         nla_put_string(msg.get(), ALPC_NL_A_PORT_NAME, filter.name.c_str()) < 0))
        throw Error("request too large", EMSGSIZE, "");
    Reply r;
    r.out = &out;
    auto cb = callbacks(r);
    if (int ret = nl_send_auto(sk_.get(), msg.get()); ret < 0)
        fail("sending the request", ret);
    int ret = nl_recvmsgs(sk_.get(), cb.get());
    if (r.err)
        throw Error(std::strerror(r.err), r.err, r.ack);
    return ret;
}

std::vector<Object> Client::dump(std::uint8_t cmd, const Filter& filter) {
    std::vector<Object> out;
    for (int i = 0; i < dump_tries; i++) {
        out.clear();
        int ret = request(cmd, NLM_F_DUMP, filter, out);
        interrupted_ = ret == -NLE_DUMP_INTR;
        if (ret < 0 && !interrupted_)
            fail("dump", ret);
        if (!interrupted_)
            break;
    }
    return out;
}

Object Client::get(std::uint8_t cmd) {
    std::vector<Object> out;
    if (int ret = request(cmd, 0, {}, out); ret < 0)
        fail("request", ret);
    if (out.size() != 1)
        throw Error("unexpected answer", EPROTO, "");
    return out.front();
}

void Client::watch(const std::function<bool(const Object&)>& fn,
                   const std::function<void()>& lost) {
    int group = genl_ctrl_resolve_grp(sk_.get(), ALPC_GENL_NAME, ALPC_GENL_MCGRP_EVENTS);
    if (group < 0)
        fail("looking up the events group", group);
    int fd = nl_socket_get_fd(sk_.get());
    if (setsockopt(fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &group, sizeof(group)))
        throw Error(std::strerror(errno), errno, "");
    nl_socket_disable_seq_check(sk_.get());
    nl_socket_set_buffer_size(sk_.get(), 1 << 20, 0);
    Reply r;
    r.fn = &fn;
    auto cb = callbacks(r);
    while (!r.stop) {
        int ret = nl_recvmsgs(sk_.get(), cb.get());
        // ENOBUFS: the socket's buffer overflowed, and events were dropped.
        if (ret == -NLE_NOMEM)
            lost();
        else if (ret < 0)
            fail("receiving events", ret);
    }
}

} // namespace alpcctl
