#include "net/netlink.h"

#include <linux/rtnetlink.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <vector>

#include <gtest/gtest.h>

#include "net/rtnetlink.h"
#include "netns_helper.h"

namespace vigil::net {
namespace {

using Bytes = std::vector<std::uint8_t>;

TEST(RawAddressTest, ParsesAndFormatsBothFamilies) {
  auto v4 = RawAddress::Parse("10.99.0.1");
  ASSERT_TRUE(v4.has_value());
  EXPECT_EQ(v4->family, AF_INET);
  EXPECT_EQ(v4->size(), 4u);
  EXPECT_EQ(v4->bytes[0], 10);
  EXPECT_EQ(v4->bytes[3], 1);
  EXPECT_EQ(v4->ToString(), "10.99.0.1");
  auto v6 = RawAddress::Parse("fd00:99::1");
  ASSERT_TRUE(v6.has_value());
  EXPECT_EQ(v6->family, AF_INET6);
  EXPECT_EQ(v6->ToString(), "fd00:99::1");
  EXPECT_FALSE(RawAddress::Parse("10.99.0.1/24").has_value());
  EXPECT_FALSE(RawAddress::Parse("host.example").has_value());
  EXPECT_EQ(RawAddress().ToString(), "");
  EXPECT_EQ(RawAddress::FromBytes("abc", 3).family, AF_UNSPEC);
}

// Builds an NLMSG_ERROR message answering a request of type 20 with `error` (negative errno).
Bytes ErrorMessage(int error, std::uint16_t flags = 0, const char* ext_text = nullptr) {
  Bytes m(16 + sizeof(nlmsgerr), 0);
  nlmsgerr err{};
  err.error = error;
  err.msg.nlmsg_len = 16;
  err.msg.nlmsg_type = 20;
  std::memcpy(m.data() + 16, &err, sizeof(err));
  if (ext_text != nullptr) {
    std::size_t len = std::strlen(ext_text) + 1;
    std::uint16_t nla_len = static_cast<std::uint16_t>(4 + len);
    std::uint16_t nla_type = NLMSGERR_ATTR_MSG;
    std::size_t at = m.size();
    m.resize(at + NLA_ALIGN(nla_len), 0);
    std::memcpy(m.data() + at, &nla_len, 2);
    std::memcpy(m.data() + at + 2, &nla_type, 2);
    std::memcpy(m.data() + at + 4, ext_text, len);
  }
  nlmsghdr h{};
  h.nlmsg_len = static_cast<std::uint32_t>(m.size());
  h.nlmsg_type = NLMSG_ERROR;
  h.nlmsg_flags = flags;
  std::memcpy(m.data(), &h, sizeof(h));
  return m;
}

const nlmsghdr& Header(const Bytes& b) { return *reinterpret_cast<const nlmsghdr*>(b.data()); }

TEST(NetlinkErrorTest, AckIsZero) {
  std::string text = "untouched";
  EXPECT_EQ(DecodeNetlinkError(Header(ErrorMessage(0)), &text), 0);
  EXPECT_EQ(text, "untouched");
}

TEST(NetlinkErrorTest, ErrorIsPositiveErrno) {
  EXPECT_EQ(DecodeNetlinkError(Header(ErrorMessage(-EEXIST)), nullptr), EEXIST);
}

TEST(NetlinkErrorTest, ExtendedAckTextIsExtracted) {
  std::string text;
  Bytes m = ErrorMessage(-EINVAL, NLM_F_CAPPED | NLM_F_ACK_TLVS, "Invalid prefix length");
  EXPECT_EQ(DecodeNetlinkError(Header(m), &text), EINVAL);
  EXPECT_EQ(text, "Invalid prefix length");
}

TEST(NetlinkErrorTest, TruncatedErrorIsBadMessage) {
  Bytes m = ErrorMessage(-EEXIST);
  auto* h = reinterpret_cast<nlmsghdr*>(m.data());
  h->nlmsg_len = 18;
  EXPECT_EQ(DecodeNetlinkError(*h, nullptr), EBADMSG);
}

TEST(ForEachNetlinkMessageTest, SplitsAlignedMessagesAndStopsAtTruncation) {
  Bytes a = BuildGetLinkByName("eth0");  // 44 bytes, aligned
  Bytes b = BuildSetLinkUp(3, true);     // 32 bytes
  Bytes datagram = a;
  datagram.insert(datagram.end(), b.begin(), b.end());
  std::vector<std::uint16_t> types;
  auto collect = [&](const nlmsghdr& m) { types.push_back(m.nlmsg_type); };
  EXPECT_EQ(ForEachNetlinkMessage(datagram, collect), 2u);
  EXPECT_EQ(types, (std::vector<std::uint16_t>{RTM_GETLINK, RTM_NEWLINK}));

  types.clear();
  datagram.resize(datagram.size() - 1);  // second message now claims more than is there
  EXPECT_EQ(ForEachNetlinkMessage(datagram, collect), 1u);
  EXPECT_EQ(types, (std::vector<std::uint16_t>{RTM_GETLINK}));

  types.clear();
  Bytes zero_len(16, 0);  // nlmsg_len 0 would loop forever if accepted
  EXPECT_EQ(ForEachNetlinkMessage(zero_len, collect), 0u);
}

TEST(NetlinkSocketTest, SequenceNumbersIncreaseAndSkipZero) {
  if (::geteuid() != 0) GTEST_SKIP() << "opened in a fresh netns only; needs root";
  VIGIL_IN_FRESH_NETNS([]() -> std::string {
    auto s = NetlinkSocket::Open(NETLINK_ROUTE);
    if (!s) return "open: " + s.error().ToString();
    std::uint32_t a = s->NextSequence();
    std::uint32_t b = s->NextSequence();
    if (a == 0 || b != a + 1) return "sequence " + std::to_string(a) + "," + std::to_string(b);
    if (s->port_id() == 0) return "no port id";
    if (s->receive_buffer() < 1024 * 1024) {
      return "receive buffer only " + std::to_string(s->receive_buffer());
    }
    return "";
  });
}

TEST(NetlinkSocketTest, ReceiveBufferIsPlainOrForcedAsAsked) {
  if (::geteuid() != 0) GTEST_SKIP() << "opened in a fresh netns only; needs root";
  VIGIL_IN_FRESH_NETNS([]() -> std::string {
    int rmem_max = 0;
    if (FILE* f = std::fopen("/proc/sys/net/core/rmem_max", "r")) {
      if (std::fscanf(f, "%d", &rmem_max) != 1) rmem_max = 0;
      std::fclose(f);
    }
    if (rmem_max < 200000 || rmem_max > (1 << 28)) return "rmem_max " + std::to_string(rmem_max);
    struct Case {
      ReceiveBuffer asked;
      int granted;  // the kernel doubles what it accepts
    };
    const Case cases[] = {
        {{100000, false}, 200000},              // SO_RCVBUF, under rmem_max
        {{rmem_max * 2, false}, rmem_max * 2},  // SO_RCVBUF: capped at rmem_max
        {{rmem_max * 2, true}, rmem_max * 4},   // SO_RCVBUFFORCE: past it
        {{100000, true}, 200000},
    };
    for (const Case& c : cases) {
      auto s = NetlinkSocket::Open(NETLINK_ROUTE, {}, c.asked);
      if (!s) return "open: " + s.error().ToString();
      if (s->receive_buffer() != c.granted)
        return "asked " + std::to_string(c.asked.bytes) + (c.asked.force ? " forced" : "") +
               ": granted " + std::to_string(s->receive_buffer()) + ", want " +
               std::to_string(c.granted);
    }
    return "";
  });
}

TEST(NetlinkSocketTest, TransactDumpsLinksAndDecodesKernelErrors) {
  VIGIL_IN_FRESH_NETNS([]() -> std::string {
    auto s = NetlinkSocket::Open(NETLINK_ROUTE);
    if (!s) return "open: " + s.error().ToString();
    std::vector<std::string> names;
    auto dump = s->Transact(BuildLinkDump(), [&](const nlmsghdr& m) {
      if (auto link = DecodeLink(m)) names.push_back(link->name);
    });
    if (!dump) return "dump: " + dump.error().ToString();
    if (names != std::vector<std::string>{"lo"}) return "fresh netns should hold only lo";

    auto missing = s->Transact(BuildGetLinkByName("nope0"), {});
    if (missing) return "lookup of a missing link succeeded";
    if (missing.error().sys_errno() != ENODEV) {
      return "missing link: " + missing.error().ToString();
    }
    // A /33 is rejected with an extended-ack message on current kernels.
    AddressSpec bad;
    bad.ifindex = 1;
    bad.address = *RawAddress::Parse("10.99.0.1");
    bad.prefix_len = 33;
    auto rejected = s->Transact(BuildAddressRequest(ChangeOp::kAdd, bad), {});
    if (rejected) return "a /33 was accepted";
    if (rejected.error().code() != ErrorCode::kInvalidArgument) {
      return "bad prefix: " + rejected.error().ToString();
    }
    return "";
  });
}

TEST(NetlinkSocketTest, SubscriberSeesNotificationsAndDrainsWithoutBlocking) {
  VIGIL_IN_FRESH_NETNS([]() -> std::string {
    const unsigned groups[] = {RTNLGRP_LINK};
    auto monitor = NetlinkSocket::Open(NETLINK_ROUTE, groups);
    auto cmd = NetlinkSocket::Open(NETLINK_ROUTE);
    if (!monitor || !cmd) return "open failed";
    int seen = 0;
    auto empty = monitor->ReceivePending([&](const nlmsghdr&) { ++seen; });
    if (!empty || *empty != ReceiveOutcome::kDrained || seen != 0) return "not empty at start";
    if (auto r = cmd->Transact(BuildSetLinkUp(1, true), {}); !r) return r.error().ToString();
    auto got = monitor->ReceivePending([&](const nlmsghdr& m) {
      if (m.nlmsg_type == RTM_NEWLINK) ++seen;
    });
    if (!got || *got != ReceiveOutcome::kDrained) return "receive failed";
    if (seen == 0) return "no RTM_NEWLINK after setting lo up";
    return "";
  });
}

}  // namespace
}  // namespace vigil::net
