#include "lb/nft_batch.h"

#include <gtest/gtest.h>
#include <libnftnl/chain.h>
#include <libnftnl/rule.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "test_util.h"

namespace vigil::lb::nft {
namespace {

using testing::Dest;
using testing::Fwmark;
using testing::Tcp;

State OneService(const Service& s, const std::vector<Destination>& dests) {
  State state;
  state.Put(s);
  for (const Destination& d : dests) state.PutDestination(s.key, d);
  return state;
}

std::optional<Batch> Build(const State& want, const State& have) {
  return BuildBatch(Reconcile(want, have), want, have, Options{});
}

// The batch's messages, one byte vector each.
std::vector<std::vector<uint8_t>> Messages(const Batch& b) {
  std::vector<std::vector<uint8_t>> out;
  for (size_t at = 0; at + sizeof(nlmsghdr) <= b.bytes.size();) {
    const auto* h = reinterpret_cast<const nlmsghdr*>(b.bytes.data() + at);
    out.emplace_back(b.bytes.begin() + at, b.bytes.begin() + at + h->nlmsg_len);
    at += NLMSG_ALIGN(h->nlmsg_len);
  }
  return out;
}

// "type flags" of each message: "NEWRULE create,append,ack".
std::string Headers(const Batch& b) {
  std::string out;
  for (const auto& m : Messages(b)) {
    const auto* h = reinterpret_cast<const nlmsghdr*>(m.data());
    std::string name;
    switch (h->nlmsg_type) {
      case NFNL_MSG_BATCH_BEGIN: name = "BEGIN"; break;
      case NFNL_MSG_BATCH_END: name = "END"; break;
      default: {
        const int t = NFNL_MSG_TYPE(h->nlmsg_type);
        name = t == NFT_MSG_NEWRULE      ? "NEWRULE"
               : t == NFT_MSG_DELRULE    ? "DELRULE"
               : t == NFT_MSG_NEWCHAIN   ? "NEWCHAIN"
               : t == NFT_MSG_DELCHAIN   ? "DELCHAIN"
               : t == NFT_MSG_NEWSETELEM ? "NEWSETELEM"
               : t == NFT_MSG_DELSETELEM ? "DELSETELEM"
                                         : std::to_string(t);
      }
    }
    out += name;
    if (h->nlmsg_flags & NLM_F_CREATE) out += " create";
    if (h->nlmsg_flags & NLM_F_APPEND) out += " append";
    if (h->nlmsg_flags & NLM_F_ACK) out += " ack";
    out += "\n";
  }
  return out;
}

// The rule in message `m`, as libnftnl prints it (nft --debug=netlink's form).
std::string RuleText(const std::vector<uint8_t>& m) {
  std::unique_ptr<nftnl_rule, void (*)(const nftnl_rule*)> r(nftnl_rule_alloc(), nftnl_rule_free);
  if (nftnl_rule_nlmsg_parse(reinterpret_cast<const nlmsghdr*>(m.data()), r.get()) < 0) {
    return "unparsable";
  }
  char buf[4096];
  nftnl_rule_snprintf(buf, sizeof buf, r.get(), NFTNL_OUTPUT_DEFAULT, 0);
  return buf;
}

std::string Lines(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += s + "\n";
  return out;
}

TEST(NftBatchTest, OnlyRealServerChangesOfPlainAddressServicesAreBatched) {
  State have = OneService(Tcp("10.0.0.1", 80), {Dest("10.1.0.1", 80)});
  // A new service, a changed service, a deleted service: libnftables.
  State two = have;
  two.Put(Tcp("10.0.0.2", 80));
  EXPECT_FALSE(Build(two, have));
  EXPECT_FALSE(Build(OneService(Tcp("10.0.0.1", 80, Scheduler::kWrr), {Dest("10.1.0.1", 80)}),
                     have));
  EXPECT_FALSE(Build(State{}, have));
  // Persistent and fwmark services: libnftables.
  Service sticky = Tcp("10.0.0.1", 80);
  sticky.persistence_timeout = 60;
  EXPECT_FALSE(Build(OneService(sticky, {Dest("10.1.0.1", 80, 2)}),
                     OneService(sticky, {Dest("10.1.0.1", 80)})));
  EXPECT_FALSE(Build(OneService(Fwmark(7), {Dest("10.1.0.1", 80, 2)}),
                     OneService(Fwmark(7), {Dest("10.1.0.1", 80)})));
  // A weight change of a plain service: a batch. No change: an empty one.
  EXPECT_TRUE(Build(OneService(Tcp("10.0.0.1", 80), {Dest("10.1.0.1", 80, 2)}), have));
  auto none = Build(have, have);
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->bytes.empty());
}

TEST(NftBatchTest, ServerLeavingDeletesOnlyTheSlotsThatChange) {
  State have = OneService(Tcp("10.0.0.1", 80),
                          {Dest("10.1.0.1", 80), Dest("10.1.0.2", 80), Dest("10.1.0.3", 80)});
  State want = OneService(Tcp("10.0.0.1", 80), {Dest("10.1.0.1", 80), Dest("10.1.0.3", 80)});
  auto b = Build(want, have);
  ASSERT_TRUE(b);
  EXPECT_EQ(Lines(b->steps),
            "begin\n"
            "inet vigil: flush chain s_tcp_10.0.0.1_80\n"
            "inet vigil: delete element v_tcp_10.0.0.1_80 { 1, 2 }\n"
            "inet vigil: flush chain d_tcp_10.0.0.1_80_10.1.0.2_80\n"
            "inet vigil: delete chain d_tcp_10.0.0.1_80_10.1.0.2_80\n"
            "inet vigil: add element v_tcp_10.0.0.1_80 { 1 comment \"vigil-dst tcp 10.0.0.1 80 "
            "10.1.0.3 80 1\" : 10.1.0.3 . 80 }\n"
            "inet vigil: add rule s_tcp_10.0.0.1_80 (selector mod 2)\n"
            "inet vigil: add rule s_tcp_10.0.0.1_80 (drop)\n"
            "end\n");
  EXPECT_EQ(Headers(*b),
            "BEGIN\n"
            "DELRULE\n"
            "DELSETELEM\n"
            "DELRULE\n"
            "DELCHAIN\n"
            "NEWSETELEM create\n"
            "NEWRULE create append\n"
            "NEWRULE create append ack\n"
            "END\n");
  const auto m = Messages(*b);
  EXPECT_EQ(RuleText(m[6]),
            "inet vigil s_tcp_10.0.0.1_80\n"
            "  [ meta load l4proto => reg 1 ]\n"
            "  [ cmp eq reg 1 0x00000006 ]\n"
            "  [ numgen reg 1 = inc mod 2 ]\n"
            "  [ lookup reg 1 set v_tcp_10.0.0.1_80 dreg 1 ]\n"
            "  [ nat dnat ip addr_min reg 1 proto_min reg 9 ]\n");
  EXPECT_EQ(RuleText(m[7]),
            "inet vigil s_tcp_10.0.0.1_80\n"
            "  [ immediate reg 0 drop ]\n"
            "  userdata = { \\x00#vigil-svc tcp 10.0.0.1 80 rr 0 0 -\\x00 }");
  // The element deletion, byte for byte: nlmsghdr (len 92, NFNL_SUBSYS_NFTABLES << 8 |
  // NFT_MSG_DELSETELEM, NLM_F_REQUEST, seq and port 0), nfgenmsg (inet, v0, res_id 0), then
  // the set's name, the table's name and the list of two elements (nests numbered 1 and 2,
  // as libnftnl numbers them), each a nested key whose value is the slot in host order.
  const std::vector<uint8_t> del = {
      0x5c, 0x00, 0x00, 0x00, 0x0e, 0x0a, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
      0x00,  // nlmsghdr
      0x01, 0x00, 0x00, 0x00,  // nfgenmsg
      0x16, 0x00, 0x02, 0x00, 'v', '_', 't', 'c', 'p', '_', '1', '0', '.', '0', '.', '0', '.',
      '1', '_', '8', '0', 0x00, 0x00, 0x00,  // NFTA_SET_ELEM_LIST_SET
      0x0a, 0x00, 0x01, 0x00, 'v', 'i', 'g', 'i', 'l', 0x00, 0x00, 0x00,  // ..._LIST_TABLE
      0x24, 0x00, 0x03, 0x80,  // NFTA_SET_ELEM_LIST_ELEMENTS
      0x10, 0x00, 0x01, 0x80, 0x0c, 0x00, 0x01, 0x80, 0x08, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00,
      0x00,  // element: key { value 1 }
      0x10, 0x00, 0x02, 0x80, 0x0c, 0x00, 0x01, 0x80, 0x08, 0x00, 0x01, 0x00, 0x02, 0x00, 0x00,
      0x00,  // element: key { value 2 }
  };
  EXPECT_EQ(m[2], del);
}

TEST(NftBatchTest, DestinationRulesAndSelectorsAreWhatNftBuilds) {
  // A UDP server joins with its port; an IPv6 sh-port service gains a server.
  Service dns = Tcp("10.0.0.3", 53);
  dns.key = AddressKey{Protocol::kUdp, testing::Ip("10.0.0.3"), 53};
  State have = OneService(dns, {Dest("10.1.0.2", 53)});
  State want = OneService(dns, {Dest("10.1.0.1", 53, 3), Dest("10.1.0.2", 53)});
  Service sh = Tcp("fd00::1", 443, Scheduler::kSh);
  sh.scheduler_flags = kSchedFlag2;
  have.Put(sh);
  have.PutDestination(sh.key, Dest("fd00::10", 0));
  want.Put(sh);
  want.PutDestination(sh.key, Dest("fd00::10", 0));
  want.PutDestination(sh.key, Dest("fd00::11", 0));
  auto b = Build(want, have);
  ASSERT_TRUE(b);
  std::string rules;
  const auto m = Messages(*b);
  for (size_t i = 0; i < m.size(); ++i) {
    if (b->steps[i].find("add rule") != std::string::npos) rules += RuleText(m[i]);
  }
  EXPECT_EQ(rules,
            "inet vigil d_tcp_fd00--1_443_fd00--11_0\n"
            "  [ immediate reg 1 0x000000fd 0x00000000 0x00000000 0x11000000 ]\n"
            "  [ nat dnat ip6 addr_min reg 1 ]\n"
            "  userdata = { \\x00'vigil-dst tcp fd00::1 443 fd00::11 0 -\\x00 }"
            "inet vigil d_udp_10.0.0.3_53_10.1.0.1_53\n"
            "  [ meta load l4proto => reg 1 ]\n"
            "  [ cmp eq reg 1 0x00000011 ]\n"
            "  [ immediate reg 1 0x0100010a ]\n"
            "  [ immediate reg 2 0x00003500 ]\n"
            "  [ nat dnat ip addr_min reg 1 proto_min reg 2 flags 0x2 ]\n"
            "  userdata = { \\x00(vigil-dst udp 10.0.0.3 53 10.1.0.1 53 -\\x00 }"
            "inet vigil s_tcp_fd00--1_443\n"
            "  [ meta load l4proto => reg 1 ]\n"
            "  [ cmp eq reg 1 0x00000006 ]\n"
            "  [ meta load nfproto => reg 1 ]\n"
            "  [ cmp eq reg 1 0x0000000a ]\n"
            "  [ payload load 16b @ network header + 8 => reg 2 ]\n"
            "  [ payload load 2b @ transport header + 0 => reg 3 ]\n"
            "  [ hash reg 1 = jhash(reg 2, 20, 0x0) % mod 2 ]\n"
            "  [ lookup reg 1 set v_tcp_fd00--1_443 dreg 1 ]\n"
            "  [ nat dnat ip6 addr_min reg 1 proto_min reg 2 ]\n"
            "inet vigil s_tcp_fd00--1_443\n"
            "  [ immediate reg 0 drop ]\n"
            "  userdata = { \\x00#vigil-svc tcp fd00::1 443 sh 2 0 -\\x00 }"
            "inet vigil s_udp_10.0.0.3_53\n"
            "  [ meta load l4proto => reg 1 ]\n"
            "  [ cmp eq reg 1 0x00000011 ]\n"
            "  [ numgen reg 1 = inc mod 2 ]\n"
            "  [ lookup reg 1 set v_udp_10.0.0.3_53 dreg 1 ]\n"
            "  [ nat dnat ip addr_min reg 1 proto_min reg 9 ]\n"
            "inet vigil s_udp_10.0.0.3_53\n"
            "  [ immediate reg 0 drop ]\n"
            "  userdata = { \\x00#vigil-svc udp 10.0.0.3 53 rr 0 0 -\\x00 }");
}

TEST(NftBatchTest, RrWeightChangeRewritesOnlyTheSlotThatCarriesIt) {
  // rr keeps one slot per server whatever its weight: the slot's comment carries the weight,
  // so the change is that one element deleted and added again; no rule, no chain.
  State have = OneService(Tcp("10.0.0.1", 80), {Dest("10.1.0.1", 80), Dest("10.1.0.2", 0)});
  State want = OneService(Tcp("10.0.0.1", 80), {Dest("10.1.0.1", 80), Dest("10.1.0.2", 0, 5)});
  auto b = Build(want, have);
  ASSERT_TRUE(b);
  EXPECT_EQ(Lines(b->steps),
            "begin\n"
            "inet vigil: delete element v_tcp_10.0.0.1_80 { 1 }\n"
            "inet vigil: add element v_tcp_10.0.0.1_80 { 1 comment \"vigil-dst tcp 10.0.0.1 80 "
            "10.1.0.2 0 5\" : 10.1.0.2 . 80 }\n"
            "end\n");
  EXPECT_EQ(Headers(*b), "BEGIN\nDELSETELEM\nNEWSETELEM create ack\nEND\n");
  // The new element, byte for byte: key { 1 }, data { 10.1.0.2, port 80 }, then the
  // comment as nft writes it (udata TLV: type 0 = comment, length, text and its NUL).
  const std::string comment = "vigil-dst tcp 10.0.0.1 80 10.1.0.2 0 5";
  std::vector<uint8_t> element = {
      0x00, 0x00, 0x01, 0x80,                                                  // element
      0x0c, 0x00, 0x01, 0x80, 0x08, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00,  // key { 1 }
      0x10, 0x00, 0x02, 0x80, 0x0c, 0x00, 0x01, 0x00,                          // data { value
      0x0a, 0x01, 0x00, 0x02, 0x00, 0x50, 0x00, 0x00,                          // 10.1.0.2, 80 }
  };
  const size_t udata = 2 + comment.size() + 1;
  element.push_back(static_cast<uint8_t>(4 + udata));  // NFTA_SET_ELEM_USERDATA
  element.push_back(0);
  element.push_back(NFTA_SET_ELEM_USERDATA);
  element.push_back(0);
  element.push_back(0);  // NFTNL_UDATA_SET_ELEM_COMMENT
  element.push_back(static_cast<uint8_t>(comment.size() + 1));
  element.insert(element.end(), comment.begin(), comment.end());
  element.push_back(0);
  element.resize((element.size() + 3) & ~size_t{3}, 0);
  element[0] = static_cast<uint8_t>(element.size());  // the nest ends padded
  const auto m = Messages(*b);
  const std::vector<uint8_t> tail(m[2].end() - static_cast<long>(element.size()), m[2].end());
  EXPECT_EQ(tail, element);
  // To and from weight 0: the slot goes (or comes) and the record takes (or leaves) the
  // weight.
  State off = OneService(Tcp("10.0.0.1", 80), {Dest("10.1.0.1", 80), Dest("10.1.0.2", 0, 0)});
  auto down = Build(off, want);
  ASSERT_TRUE(down);
  EXPECT_EQ(Lines(down->steps),
            "begin\n"
            "inet vigil: flush chain s_tcp_10.0.0.1_80\n"
            "inet vigil: delete element v_tcp_10.0.0.1_80 { 1 }\n"
            "inet vigil: flush chain d_tcp_10.0.0.1_80_10.1.0.2_0\n"
            "inet vigil: add rule d_tcp_10.0.0.1_80_10.1.0.2_0 (vigil-dst tcp 10.0.0.1 80 10.1.0.2 0 "
            "0)\n"
            "inet vigil: add rule s_tcp_10.0.0.1_80 (selector mod 1)\n"
            "inet vigil: add rule s_tcp_10.0.0.1_80 (drop)\n"
            "end\n");
  auto up = Build(want, off);
  ASSERT_TRUE(up);
  EXPECT_EQ(up->steps[3],
            "inet vigil: add rule d_tcp_10.0.0.1_80_10.1.0.2_0 (vigil-dst tcp 10.0.0.1 80 10.1.0.2 0 "
            "-)");
  // A server without a port joins: its slot holds the service's port, after its address.
  State more = want;
  more.PutDestination(Tcp("10.0.0.1", 80).key, Dest("10.1.0.3", 0));
  auto add = Build(more, want);
  ASSERT_TRUE(add);
  ASSERT_EQ(add->steps[4],
            "inet vigil: add element v_tcp_10.0.0.1_80 { 2 comment \"vigil-dst tcp 10.0.0.1 80 "
            "10.1.0.3 0 1\" : 10.1.0.3 . 80 }");
}

TEST(NftBatchTest, WrrWeightChangeAppendsOrDropsSlotsAtTheEnd) {
  // wrr's slots are interleaved (one round per weight unit), so a server going from weight
  // 1 to 2 gains a slot at the end: its first slot's comment and one new element change,
  // and the selector's modulus; no other slot moves.
  const Service wrr = Tcp("10.0.0.1", 80, Scheduler::kWrr);
  State have = OneService(wrr, {Dest("10.1.0.1", 80), Dest("10.1.0.2", 80), Dest("10.1.0.3", 80),
                                Dest("10.1.0.4", 80)});
  State want = have;
  want.PutDestination(wrr.key, Dest("10.1.0.2", 80, 2));
  EXPECT_EQ(Slots(*want.Find(wrr.key)),
            (std::vector<DestinationKey>{Dest("10.1.0.1", 80).key, Dest("10.1.0.2", 80).key,
                                         Dest("10.1.0.3", 80).key, Dest("10.1.0.4", 80).key,
                                         Dest("10.1.0.2", 80).key}));
  auto b = Build(want, have);
  ASSERT_TRUE(b);
  EXPECT_EQ(Lines(b->steps),
            "begin\n"
            "inet vigil: flush chain s_tcp_10.0.0.1_80\n"
            "inet vigil: delete element v_tcp_10.0.0.1_80 { 1 }\n"
            "inet vigil: add element v_tcp_10.0.0.1_80 { 1 comment \"vigil-dst tcp 10.0.0.1 80 "
            "10.1.0.2 80 2\" : 10.1.0.2 . 80, 4 : 10.1.0.2 . 80 }\n"
            "inet vigil: add rule s_tcp_10.0.0.1_80 (selector mod 5)\n"
            "inet vigil: add rule s_tcp_10.0.0.1_80 (drop)\n"
            "end\n");
  // And back: the last slot goes.
  auto back = Build(have, want);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->steps[2], "inet vigil: delete element v_tcp_10.0.0.1_80 { 1, 4 }");
  EXPECT_EQ(back->steps.size(), 7u);
}

TEST(NftBatchTest, MhServerLeavingRewritesOnlyTheSlotsItsTableChanges) {
  Service mh = Tcp("10.0.0.1", 80, Scheduler::kMh);
  std::vector<Destination> ten;
  for (int i = 1; i <= 10; ++i) ten.push_back(Dest("10.1.0." + std::to_string(i), 80));
  State have = OneService(mh, ten);
  ten.erase(ten.begin() + 3);
  State want = OneService(mh, ten);
  auto b = Build(want, have);
  ASSERT_TRUE(b);
  const std::vector<DestinationKey> before = Slots(*have.Find(mh.key)),
                                    after = Slots(*want.Find(mh.key));
  const std::vector<std::string> noted_before = SlotComments(*have.Find(mh.key), before),
                                 noted_after = SlotComments(*want.Find(mh.key), after);
  std::vector<uint32_t> changed;
  for (uint32_t i = 0; i < before.size(); ++i) {
    if (before[i] != after[i] || noted_before[i] != noted_after[i]) changed.push_back(i);
  }
  // The table keeps its size: the selector stays, and the slots that change go and come
  // back, 128 to a message.
  const size_t messages = (changed.size() + 127) / 128;
  ASSERT_EQ(b->steps.size(), 2 + messages + 2 + messages);
  EXPECT_EQ(b->steps[1].rfind("inet vigil: delete element v_tcp_10.0.0.1_80 { " +
                                  std::to_string(changed[0]) + ", " + std::to_string(changed[1]),
                              0),
            0u)
      << b->steps[1].substr(0, 200);
  EXPECT_EQ(b->steps[1 + messages], "inet vigil: flush chain d_tcp_10.0.0.1_80_10.1.0.4_80");
  EXPECT_EQ(b->steps[2 + messages], "inet vigil: delete chain d_tcp_10.0.0.1_80_10.1.0.4_80");
  EXPECT_EQ(b->steps[3 + messages].rfind("inet vigil: add element v_tcp_10.0.0.1_80 { " +
                                             std::to_string(changed[0]) + " : " +
                                             after[changed[0]].address.ToString() + " . 80, ",
                                         0),
            0u);
  for (const std::string& step : b->steps) {
    EXPECT_EQ(step.find("s_tcp_10.0.0.1_80"), std::string::npos) << step;
  }
  // About a tenth of the table: the leaving server's share and a few more.
  EXPECT_GE(changed.size(), 65537u / 10);
  EXPECT_LE(changed.size(), 65537u / 10 + 65537u / 100);
}

TEST(NftBatchTest, MhSelectorHashesTheClientAsSh) {
  // No schedulable server left, then one again: the selector goes and comes back.
  Service mh = Tcp("10.0.0.1", 80, Scheduler::kMh);
  mh.scheduler_flags = kSchedFlag1 | kSchedFlag2;
  State empty = OneService(mh, {Dest("10.1.0.1", 80, 0)});
  State one = OneService(mh, {Dest("10.1.0.1", 80, 1)});
  auto b = Build(one, empty);
  ASSERT_TRUE(b);
  const auto m = Messages(*b);
  ASSERT_GE(m.size(), 3u);
  EXPECT_EQ(b->steps[b->steps.size() - 3], "inet vigil: add rule s_tcp_10.0.0.1_80 (selector mod 65537)");
  EXPECT_EQ(RuleText(m[m.size() - 3]),
            "inet vigil s_tcp_10.0.0.1_80\n"
            "  [ meta load l4proto => reg 1 ]\n"
            "  [ cmp eq reg 1 0x00000006 ]\n"
            "  [ meta load nfproto => reg 1 ]\n"
            "  [ cmp eq reg 1 0x00000002 ]\n"
            "  [ payload load 4b @ network header + 12 => reg 2 ]\n"
            "  [ payload load 2b @ transport header + 0 => reg 13 ]\n"
            "  [ hash reg 1 = jhash(reg 2, 8, 0x0) % mod 65537 ]\n"
            "  [ lookup reg 1 set v_tcp_10.0.0.1_80 dreg 1 ]\n"
            "  [ nat dnat ip addr_min reg 1 proto_min reg 9 ]\n");
}

// The ingress chain's hook: devices added in a NEWCHAIN (an update: the chain exists) and
// removed in a DELCHAIN, the chain's hook (ingress, priority 0) and type beside them, as
// nft sends them; a chain message read back gives its devices sorted.
TEST(NftBatchTest, HookBatchAddsThenRemovesDevicesAndChainsDecode) {
  EXPECT_TRUE(BuildHookBatch({}, {}, Options{}).bytes.empty());
  const Batch b = BuildHookBatch({"eth2", "eth1"}, {"eth0"}, Options{.table = "vigil_x"});
  EXPECT_EQ(Lines(b.steps),
            "begin\n"
            "netdev vigil_x: add chain ingress { devices = { \"eth2\", \"eth1\" } }\n"
            "netdev vigil_x: delete chain ingress { devices = { \"eth0\" } }\n"
            "end\n");
  EXPECT_EQ(Headers(b), "BEGIN\nNEWCHAIN\nDELCHAIN ack\nEND\n");
  const auto messages = Messages(b);
  ASSERT_EQ(messages.size(), 4u);
  const auto* added = reinterpret_cast<const nlmsghdr*>(messages[1].data());
  EXPECT_EQ(reinterpret_cast<const nfgenmsg*>(NLMSG_DATA(added))->nfgen_family, NFPROTO_NETDEV);
  // (The kernel answers a GETCHAIN with the chain in this form.)
  EXPECT_EQ(DecodeChainDevices(*added), (std::vector<std::string>{"eth1", "eth2"}));
  EXPECT_EQ(DecodeChainDevices(*reinterpret_cast<const nlmsghdr*>(messages[2].data())),
            std::nullopt);  // (a DELCHAIN is not an answer)
  std::unique_ptr<nftnl_chain, void (*)(const nftnl_chain*)> c(nftnl_chain_alloc(),
                                                                 nftnl_chain_free);
  ASSERT_GE(nftnl_chain_nlmsg_parse(added, c.get()), 0);
  EXPECT_STREQ(nftnl_chain_get_str(c.get(), NFTNL_CHAIN_TABLE), "vigil_x");
  EXPECT_STREQ(nftnl_chain_get_str(c.get(), NFTNL_CHAIN_NAME), "ingress");
  EXPECT_STREQ(nftnl_chain_get_str(c.get(), NFTNL_CHAIN_TYPE), "filter");
  EXPECT_EQ(nftnl_chain_get_u32(c.get(), NFTNL_CHAIN_HOOKNUM), uint32_t{NF_NETDEV_INGRESS});
  EXPECT_EQ(nftnl_chain_get_s32(c.get(), NFTNL_CHAIN_PRIO), 0);

  const std::vector<uint8_t> get = BuildGetIngressChain(Options{});
  const auto* h = reinterpret_cast<const nlmsghdr*>(get.data());
  EXPECT_EQ(NFNL_MSG_TYPE(h->nlmsg_type), NFT_MSG_GETCHAIN);
  EXPECT_EQ(h->nlmsg_flags, NLM_F_REQUEST | NLM_F_ACK);
  EXPECT_EQ(get.size(), h->nlmsg_len);
}

}  // namespace
}  // namespace vigil::lb::nft
