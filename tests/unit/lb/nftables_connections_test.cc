// The nftables backend counts a real server's connections in conntrack (net/conntrack.h).
#include <gtest/gtest.h>

#include "lb/nftables_backend.h"
#include "net/conntrack.h"
#include "test_util.h"

// Designated initializers name only the fields a test cares about.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

namespace vigil::lb {
namespace {

using Bytes = std::vector<uint8_t>;

// Records the dump requests and answers none: every count is 0.
class RecordingTransport final : public net::NetlinkTransport {
 public:
  explicit RecordingTransport(std::vector<Bytes>* requests) : requests_(requests) {}
  Result<void> Transact(std::span<const uint8_t> request, const net::NetlinkReplyHandler&) override {
    requests_->emplace_back(request.begin(), request.end());
    if (fail) return Fail(ErrorCode::kIo, "netlink request");
    return {};
  }
  bool fail = false;

 private:
  std::vector<Bytes>* requests_;
};

net::RawAddress Raw(const char* text) { return *net::RawAddress::Parse(text); }

TEST(NftablesConnectionsTest, AnAddressServiceCountsWhatReachedItsVirtualAddressAndPort) {
  std::vector<Bytes> requests;
  NftablesBackend backend(std::make_unique<LibNftablesRunner>(), nft::Options{});
  backend.set_conntrack(std::make_unique<RecordingTransport>(&requests));
  const Destination d = testing::Dest("10.1.0.1", 8080);
  auto n = backend.Connections(testing::Tcp("10.0.0.1", 80).key, d.key);
  ASSERT_TRUE(n.has_value()) << n.error().ToString();
  EXPECT_EQ(*n, 0u);
  const net::conntrack::ServerMatch want{.server = Raw("10.1.0.1"), .server_port = 8080,
                                         .protocol = 6, .virtual_address = Raw("10.0.0.1"),
                                         .virtual_port = 80};
  EXPECT_EQ(requests, std::vector<Bytes>{net::conntrack::BuildServerDump(want)});
}

TEST(NftablesConnectionsTest, AFwmarkServiceCountsEveryProtocol) {
  std::vector<Bytes> requests;
  NftablesBackend backend(std::make_unique<LibNftablesRunner>(), nft::Options{});
  auto transport = std::make_unique<RecordingTransport>(&requests);
  transport->fail = true;
  backend.set_conntrack(std::move(transport));
  auto n = backend.Connections(FwmarkKey{.family = Family::kIpv4, .mark = 7},
                               testing::Dest("10.1.0.1", 0).key);
  EXPECT_EQ(n.error().ToString(), "conntrack: netlink request");
  EXPECT_EQ(requests, std::vector<Bytes>{net::conntrack::BuildServerDump(
                          {.server = Raw("10.1.0.1")})});
}

}  // namespace
}  // namespace vigil::lb
