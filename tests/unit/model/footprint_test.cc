// The model's per-real-server and per-checker footprint: at 37,205 real servers each byte of
// RealServer or CheckSpec is 37 KB of `vigild -t`'s peak (bench/README.md, "vigild -t memory
// at keepalived's size").
#include <gtest/gtest.h>

#include <string>
#include <variant>

#include "model/boxed.h"
#include "model/config.h"

namespace vigil::model {
namespace {

TEST(FootprintTest, RealServerAndCheckSpecStayPacked) {
  // x86-64, libstdc++: a pointer and a length for each vector, string and box.
  EXPECT_EQ(sizeof(CheckDetail), 16u);  // a box and the kind (MiscCheck's 184 inline before)
  EXPECT_EQ(sizeof(CheckSpec), 112u);   // 360 before
  EXPECT_EQ(sizeof(RealServer), 168u);  // 216 before
  EXPECT_EQ(sizeof(Forwarding), 6u);
}

TEST(FootprintTest, RarelySetScriptsAreOnTheHeap) {
  EXPECT_EQ(sizeof(VrrpNotify), 7 * sizeof(void*));  // 1,512 bytes inline before
  EXPECT_EQ(sizeof(VirtualServer), 448u);            // 864 before (quorum_up/down inline)
}

TEST(BoxedTest, CopiesTheValueAndComparesValues) {
  Boxed<std::string> a(std::string("up"));
  Boxed<std::string> b = a;
  EXPECT_NE(&*a, &*b);  // a copy of its own
  EXPECT_EQ(a, b);
  *b = "down";
  EXPECT_EQ(*a, "up");
  EXPECT_FALSE(a == b);
  b = a;
  EXPECT_EQ(b->size(), 2u);
}

TEST(CheckDetailTest, HoldsOneKindAndSeesItThroughTheBox) {
  CheckDetail d;  // TCP_CHECK
  EXPECT_TRUE(d.holds<TcpCheck>());
  EXPECT_EQ(d.get_if<HttpCheck>(), nullptr);
  EXPECT_EQ(CheckKindName(d), "TCP_CHECK");
  EXPECT_EQ(d.index(), 0u);

  HttpCheck h;
  h.ssl = true;
  d = h;
  ASSERT_NE(d.get_if<HttpCheck>(), nullptr);
  EXPECT_FALSE(d.holds<TcpCheck>());
  EXPECT_EQ(CheckKindName(d), "SSL_GET");
  EXPECT_EQ(d.index(), 1u);
  d.get<HttpCheck>().virtualhost = "www";

  CheckDetail copy = d;
  EXPECT_EQ(copy, d);
  EXPECT_NE(copy.get_if<HttpCheck>(), d.get_if<HttpCheck>());  // a copy of its own
  copy.get<HttpCheck>().virtualhost = "other";
  EXPECT_EQ(*d.get<HttpCheck>().virtualhost, "www");
  EXPECT_FALSE(copy == d);
  EXPECT_FALSE(CheckDetail(TcpCheck{}) == d);
  EXPECT_THROW((void)CheckDetail().get<DnsCheck>(), std::bad_variant_access);

  const CheckDetail dns = DnsCheck{.type = "A", .name = "example.org"};
  EXPECT_EQ(dns.visit([](const auto& k) -> std::string {
    if constexpr (std::is_same_v<std::decay_t<decltype(k)>, DnsCheck>) return k.name;
    return "?";
  }), "example.org");
  EXPECT_EQ(dns.index(), 4u);
}

}  // namespace
}  // namespace vigil::model
