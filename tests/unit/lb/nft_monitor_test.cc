#include <arpa/inet.h>

#include "lb/nft_monitor.h"

#include <gtest/gtest.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>

#include <cstring>
#include <vector>

namespace vigil::lb::nft {
namespace {

// Builds an nftables notification: nlmsghdr, nfgenmsg, then (type, payload) attributes.
class Message {
 public:
  Message(uint8_t type, uint8_t family) {
    bytes_.resize(NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(nfgenmsg)));
    auto* gen = reinterpret_cast<nfgenmsg*>(bytes_.data() + NLMSG_HDRLEN);
    gen->nfgen_family = family;
    type_ = static_cast<uint16_t>(NFNL_SUBSYS_NFTABLES << 8 | type);
  }
  Message& Str(uint16_t type, const std::string& s) {
    std::vector<uint8_t> p(s.begin(), s.end());
    p.push_back(0);
    return Attr(type, p);
  }
  Message& U32(uint16_t type, uint32_t host) {
    const uint32_t be = htonl(host);
    std::vector<uint8_t> p(4);
    std::memcpy(p.data(), &be, 4);
    return Attr(type, p);
  }
  const nlmsghdr& header() {
    auto* h = reinterpret_cast<nlmsghdr*>(bytes_.data());
    h->nlmsg_len = static_cast<uint32_t>(bytes_.size());
    h->nlmsg_type = type_;
    return *h;
  }

 private:
  Message& Attr(uint16_t type, const std::vector<uint8_t>& payload) {
    const uint16_t len = static_cast<uint16_t>(NLA_HDRLEN + payload.size());
    const size_t at = bytes_.size();
    bytes_.resize(at + NLA_ALIGN(len));
    std::memcpy(bytes_.data() + at, &len, 2);
    std::memcpy(bytes_.data() + at + 2, &type, 2);
    std::memcpy(bytes_.data() + at + NLA_HDRLEN, payload.data(), payload.size());
    return *this;
  }
  std::vector<uint8_t> bytes_;
  uint16_t type_ = 0;
};

Event Object(uint8_t type, uint8_t family, std::string table, std::string object) {
  Event e;
  e.type = type;
  e.family = family;
  e.table = std::move(table);
  e.object = std::move(object);
  return e;
}

Event Generation(uint32_t pid, std::string process) {
  Event e;
  e.type = NFT_MSG_NEWGEN;
  e.pid = pid;
  e.process = std::move(process);
  return e;
}

TEST(NftMonitorTest, ParsesObjectAndGenerationEvents) {
  Message rule(NFT_MSG_DELRULE, NFPROTO_INET);
  rule.Str(NFTA_RULE_TABLE, "vigil").Str(NFTA_RULE_CHAIN, "s_tcp_10.0.0.1_80");
  EXPECT_EQ(ParseEvent(rule.header()),
            Object(NFT_MSG_DELRULE, NFPROTO_INET, "vigil", "s_tcp_10.0.0.1_80"));
  Message chain(NFT_MSG_DELCHAIN, NFPROTO_INET);
  chain.Str(NFTA_CHAIN_TABLE, "vigil").Str(NFTA_CHAIN_NAME, "dispatch");
  EXPECT_EQ(ParseEvent(chain.header())->object, "dispatch");
  Message gen(NFT_MSG_NEWGEN, NFPROTO_UNSPEC);
  gen.U32(NFTA_GEN_ID, 7).U32(NFTA_GEN_PROC_PID, 4242).Str(NFTA_GEN_PROC_NAME, "nft");
  EXPECT_EQ(ParseEvent(gen.header()),
            Generation(4242, "nft"));
  nlmsghdr other{};
  other.nlmsg_len = NLMSG_HDRLEN;
  other.nlmsg_type = NLMSG_DONE;
  EXPECT_EQ(ParseEvent(other), std::nullopt);
}

TEST(NftMonitorTest, FilterReportsATransactionThatChangedTheTable) {
  ChangeFilter filter("vigil");
  auto event = Object;
  const Event gen = Generation(42, "nft");
  // Another table, another family: not vigil's.
  EXPECT_EQ(filter.Feed(event(NFT_MSG_DELRULE, NFPROTO_INET, "filter", "input")), std::nullopt);
  EXPECT_EQ(filter.Feed(event(NFT_MSG_DELRULE, NFPROTO_IPV4, "vigil", "input")), std::nullopt);
  EXPECT_EQ(filter.Feed(gen), std::nullopt);
  for (const char* chain : {"s_a", "s_b", "s_c", "s_d", "s_a"}) {
    EXPECT_EQ(filter.Feed(event(NFT_MSG_DELRULE, NFPROTO_INET, "vigil", chain)), std::nullopt);
  }
  EXPECT_EQ(filter.Feed(event(NFT_MSG_DELSETELEM, NFPROTO_INET, "vigil", "svc4")), std::nullopt);
  EXPECT_EQ(filter.Feed(event(NFT_MSG_DELTABLE, NFPROTO_INET, "vigil", "")), std::nullopt);
  EXPECT_EQ(filter.Feed(gen),
            "table inet vigil changed by nft (pid 42): elements deleted 1 (svc4); rules deleted "
            "5 (s_a, s_b, s_c and 1 more); table deleted");
  EXPECT_EQ(filter.Feed(gen), std::nullopt);  // each transaction once
  EXPECT_EQ(filter.Feed(event(NFT_MSG_NEWRULE, NFPROTO_INET, "vigil", "s_a")), std::nullopt);
  filter.Clear();
  EXPECT_EQ(filter.Feed(gen), std::nullopt);
}

TEST(NftMonitorTest, FilterWatchesTheNetdevTableOfTheSameName) {
  // DR services forward from `table netdev vigil`: damage there is vigil's to see too.
  ChangeFilter filter("vigil");
  auto event = Object;
  const Event gen = Generation(7, "nft");
  EXPECT_EQ(filter.Feed(event(NFT_MSG_DELSETELEM, NFPROTO_NETDEV, "other", "v_x")),
            std::nullopt);
  EXPECT_EQ(filter.Feed(gen), std::nullopt);
  EXPECT_EQ(filter.Feed(event(NFT_MSG_DELSETELEM, NFPROTO_NETDEV, "vigil", "v_x")), std::nullopt);
  EXPECT_EQ(filter.Feed(gen),
            "table netdev vigil changed by nft (pid 7): elements deleted 1 (v_x)");
  EXPECT_EQ(filter.Feed(event(NFT_MSG_DELTABLE, NFPROTO_NETDEV, "vigil", "")), std::nullopt);
  EXPECT_EQ(filter.Feed(event(NFT_MSG_DELTABLE, NFPROTO_INET, "vigil", "")), std::nullopt);
  EXPECT_EQ(filter.Feed(gen),
            "tables inet vigil and netdev vigil changed by nft (pid 7): table deleted");
  // The families seen go with the transaction: the next one names only its own.
  EXPECT_EQ(filter.Feed(event(NFT_MSG_DELRULE, NFPROTO_INET, "vigil", "s_a")), std::nullopt);
  EXPECT_EQ(filter.Feed(gen), "table inet vigil changed by nft (pid 7): rules deleted 1 (s_a)");
}

}  // namespace
}  // namespace vigil::lb::nft
