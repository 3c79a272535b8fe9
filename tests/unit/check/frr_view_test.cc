#include "check/frr_view.h"

#include <deque>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace vigil::check {
namespace {

// FRR 8.4's answers, as vtysh printed them in the lab (trimmed of fields vigil ignores).
constexpr const char* kSummary = R"({
"ipv4Unicast":{
  "routerId":"10.99.0.2",
  "as":65002,
  "peers":{
    "10.99.0.1":{"remoteAs":65000,"localAs":65002,"pfxRcd":2,"pfxSnt":1,
                 "state":"Established","peerState":"OK"},
    "10.99.0.9":{"remoteAs":65009,"pfxRcd":0,"state":"Active","peerState":"OK"}
  },
  "totalPeers":2
}
})";

constexpr const char* kAdvertised = R"({
  "bgpTableVersion":1,
  "advertisedRoutes":{
    "10.99.0.101/32":{"addrPrefix":"10.99.0.101","prefixLen":32,"network":"10.99.0.101/32",
                      "path":""},
    "10.99.0.100/32":{"addrPrefix":"10.99.0.100","prefixLen":32,"network":"10.99.0.100/32",
                      "path":""},
    "10.99.0.102/32":{"addrPrefix":"10.99.0.102","prefixLen":32,"network":"10.99.0.102/32",
                      "path":"65000 65003"}
  },
  "totalPrefixCounter":2,
  "filteredPrefixCounter":0
})";

constexpr const char* kBfdPeers = R"([
  {"multihop":false,"peer":"10.99.0.1","local":"10.99.0.2","status":"up","diagnostic":"ok"},
  {"multihop":false,"peer":"10.99.0.7","status":"down"}
])";

TEST(FrrViewTest, ParsesTheBgpSummary) {
  auto peers = ParseBgpSummary(kSummary);
  ASSERT_TRUE(peers);
  ASSERT_EQ(peers->size(), 2u);
  control::FrrPeerStatus want;
  want.address = "10.99.0.1";
  want.state = "Established";
  want.remote_as = 65000;
  want.prefixes_received = 2;
  EXPECT_EQ((*peers)[0], want);
  EXPECT_EQ((*peers)[1].address, "10.99.0.9");
  EXPECT_EQ((*peers)[1].state, "Active");
  // bgpd without a BGP instance answers {}: no peers, not an error.
  EXPECT_EQ(ParseBgpSummary("{}"), std::vector<control::FrrPeerStatus>{});
  EXPECT_FALSE(ParseBgpSummary("% Unknown command"));
  EXPECT_FALSE(ParseBgpSummary(R"({"warning":"x"})"));
  EXPECT_FALSE(ParseBgpSummary("[1]"));
}

TEST(FrrViewTest, ParsesAdvertisedRoutesAndBfdPeers) {
  EXPECT_EQ(ParseAdvertised(kAdvertised),
            (std::vector<std::string>{"10.99.0.100/32", "10.99.0.101/32"}));
  EXPECT_TRUE(ParseAdvertised(R"({"warning":"No such neighbor in this view/vrf"})").empty());
  EXPECT_TRUE(ParseAdvertised("").empty());
  auto peers = *ParseBgpSummary(kSummary);
  ApplyBfdPeers(kBfdPeers, peers);
  EXPECT_EQ(peers[0].bfd, "up");
  EXPECT_EQ(peers[1].bfd, "");  // no session with it
  ApplyBfdPeers("garbage", peers);
  EXPECT_EQ(peers[0].bfd, "up");
}

// A runner that records each command and answers from a script, later (on Step).
struct FakeVtysh {
  std::vector<std::vector<std::string>> commands;
  std::deque<std::pair<bool, std::string>> answers;
  std::deque<std::function<void(bool, std::string)>> pending;
  FrrPoller::Runner Runner() {
    return [this](std::vector<std::string> argv, std::function<void(bool, std::string)> done) {
      commands.push_back(std::move(argv));
      pending.push_back(std::move(done));
    };
  }
  // Answers the oldest pending command with the next scripted answer.
  void Step() {
    auto done = std::move(pending.front());
    pending.pop_front();
    auto a = answers.front();
    answers.pop_front();
    done(a.first, a.second);
  }
};

TEST(FrrPollerTest, AsksTheEstablishedPeersThenBfd) {
  FakeVtysh vtysh;
  vtysh.answers = {{true, kSummary}, {true, kAdvertised}, {true, kBfdPeers}};
  FrrPoller poller(vtysh.Runner(), "/usr/bin/vtysh", "/run/frr-lab");
  std::optional<std::vector<control::FrrPeerStatus>> got;
  int calls = 0;
  poller.Poll([&](auto view) {
    got = std::move(view);
    ++calls;
  });
  poller.Poll([&](auto) { ADD_FAILURE() << "a second poll while one runs"; });
  EXPECT_TRUE(poller.polling());
  while (!vtysh.pending.empty()) vtysh.Step();
  EXPECT_FALSE(poller.polling());
  ASSERT_EQ(calls, 1);
  ASSERT_TRUE(got);
  ASSERT_EQ(got->size(), 2u);
  EXPECT_EQ((*got)[0].advertised, (std::vector<std::string>{"10.99.0.100/32", "10.99.0.101/32"}));
  EXPECT_EQ((*got)[0].bfd, "up");
  EXPECT_TRUE((*got)[1].advertised.empty());  // not Established: not asked
  using V = std::vector<std::string>;
  ASSERT_EQ(vtysh.commands.size(), 3u);
  EXPECT_EQ(vtysh.commands[0], (V{"/usr/bin/vtysh", "--vty_socket", "/run/frr-lab", "-d", "bgpd",
                                  "-c", "show bgp summary json"}));
  EXPECT_EQ(vtysh.commands[1], (V{"/usr/bin/vtysh", "--vty_socket", "/run/frr-lab", "-d", "bgpd",
                                  "-c", "show ip bgp neighbors 10.99.0.1 advertised-routes json"}));
  EXPECT_EQ(vtysh.commands[2], (V{"/usr/bin/vtysh", "--vty_socket", "/run/frr-lab", "-d", "bfdd",
                                  "-c", "show bfd peers json"}));
}

TEST(FrrPollerTest, NoBgpdMeansNoViewAndNoMoreQuestions) {
  FakeVtysh vtysh;
  vtysh.answers = {{false, ""}};
  FrrPoller poller(vtysh.Runner(), "/usr/bin/vtysh", std::nullopt);
  bool called = false;
  poller.Poll([&](auto view) {
    called = true;
    EXPECT_FALSE(view);
  });
  vtysh.Step();
  EXPECT_TRUE(called);
  ASSERT_EQ(vtysh.commands.size(), 1u);
  EXPECT_EQ(vtysh.commands[0],
            (std::vector<std::string>{"/usr/bin/vtysh", "-d", "bgpd", "-c", "show bgp summary json"}));
  // A poll later starts afresh.
  vtysh.answers = {{true, "{}"}, {false, ""}};
  poller.Poll([&](auto view) { EXPECT_EQ(view, std::vector<control::FrrPeerStatus>{}); });
  vtysh.Step();
  vtysh.Step();
  EXPECT_EQ(vtysh.commands.size(), 3u);
}

}  // namespace
}  // namespace vigil::check
