// SPDX-License-Identifier: MIT
#include <catch2/catch.hpp>

#include <string>

#include "alpcu/message.hpp"

TEST_CASE("Message copies the kernel's info and the payload", "[message]") {
    alpc_msg_info info{};
    info.id = 11;
    info.ref_id = 10;
    info.context = 0xc0ffee;
    info.port_context = 7;
    info.type = ALPC_MSG_REPLY;
    info.len = 5;
    info.pid = 100;
    info.tid = 101;
    info.uid = 1000;
    info.gid = 1001;
    std::string data = "hello, world";
    alpcu::Message m(info, alpcu::bytes(data).first(5));
    data = "overwritten!";

    CHECK(m.id == 11);
    CHECK(m.ref_id == 10);
    CHECK(m.context == 0xc0ffee);
    CHECK(m.port_context == 7);
    CHECK(m.type == alpcu::MessageType::reply);
    CHECK(m.pid == 100);
    CHECK(m.tid == 101);
    CHECK(m.uid == 1000);
    CHECK(m.gid == 1001);
    CHECK(m.payload().size() == 5);
    CHECK(m.text() == "hello");
}

TEST_CASE("bytes and text view the same memory both ways", "[message]") {
    std::string_view s = "abc";
    auto b = alpcu::bytes(s);
    CHECK(b.size() == 3);
    CHECK(b[1] == std::byte{'b'});
    CHECK(alpcu::text(b) == "abc");
    CHECK(alpcu::bytes({}).empty());
}

TEST_CASE("MessageType names every uapi message type", "[message]") {
    for (std::uint32_t t = ALPC_MSG_REQUEST; t <= ALPC_MSG_CANCELED; ++t)
        CHECK(std::string(alpcu::to_string(static_cast<alpcu::MessageType>(t))) !=
              "unknown message type");
    CHECK(alpcu::MessageType::connection_request ==
          static_cast<alpcu::MessageType>(ALPC_MSG_CONNECTION_REQUEST));
}

TEST_CASE("Message::sender gathers the credentials and the changed flag", "[message][security]") {
    alpc_msg_info info{};
    info.type = ALPC_MSG_DATAGRAM;
    info.pid = 100;
    info.tid = 101;
    info.uid = 1000;
    info.gid = 1001;
    alpcu::Message m(info, {});
    CHECK(m.sender() == alpcu::Credentials{100, 101, 1000, 1001, false});
    info.flags = ALPC_MSGF_CRED_CHANGED;
    CHECK(alpcu::Message(info, {}).sender().credentials_changed);
}

TEST_CASE("a Message made from info alone owns no fds, pidfd or groups", "[message]") {
    alpc_msg_info info{};
    info.type = ALPC_MSG_DATAGRAM;
    info.flags = ALPC_MSGF_FDS | ALPC_MSGF_PIDFD; // what only a receive can honour
    info.nfds = 2;
    alpcu::Message m(info, {});
    CHECK(m.fds().empty());
    CHECK_FALSE(m.pidfd().valid());
    CHECK_FALSE(m.groups().has_value());
    CHECK(m.take_fds().empty());
}
