#include "check/health_engine.h"

#include <gtest/gtest.h>

#include "probe_test_util.h"

namespace vigil::check {
namespace {

using asio::ip::tcp;
using Kind = Event::Kind;

class ZeroRandom final : public RandomSource {
 public:
  uint64_t Uniform(uint64_t) override { return 0; }
};

TEST(HealthEngineTest, RunsSharedProbesAndReportsChanges) {
  asio::io_context io;
  auto acceptor = std::make_unique<tcp::acceptor>(
      io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  const uint16_t port = acceptor->local_endpoint().port();

  CheckTiming timing;
  timing.delay_loop = std::chrono::milliseconds(5);
  timing.delay_before_retry = std::chrono::milliseconds(5);
  timing.warmup = Duration::zero();
  timing.retry = 1;
  VirtualServerSpec spec;
  spec.config.real_servers = {{"rs", 3, false}};
  spec.checkers = {{0, ProbeSpec{testing::Loopback(port), TcpCheck{}}, timing}};

  std::vector<VsUpdate> updates;
  std::vector<bool> results;
  ZeroRandom random;
  HealthEngine engine(
      io, random,
      [&](const VsUpdate& u) {
        updates.push_back(u);
        if (u.virtual_server == 1 && u.events.size() == 2 && !u.events[0].init) io.stop();
      },
      [&](size_t, const ProbeResult& r, const Outcome&) {
        results.push_back(r.ok);
        if (results.size() == 2) acceptor.reset();  // the server goes away after two checks
      });
  engine.AddVirtualServer(spec);
  engine.AddVirtualServer(spec);  // same probe, second virtual server
  EXPECT_EQ(engine.core().registry().size(), 1u);
  engine.Start();
  asio::steady_timer guard(io, std::chrono::seconds(20));
  guard.async_wait([&](std::error_code) { io.stop(); });
  io.run();
  engine.Stop();

  // Start-up: both virtual servers gain quorum.
  ASSERT_GE(updates.size(), 4u);
  EXPECT_EQ(updates[0].events, (std::vector<Event>{{.kind = Kind::kQuorumUp, .init = true,
                                                    .live_weight = 3, .threshold = 1}}));
  EXPECT_EQ(updates[0].desired, (std::vector<Destination>{{0, 3}}));
  // Then: two successes, one failed attempt (retried), a second failure -> DOWN for both.
  EXPECT_EQ(results, (std::vector<bool>{true, true, false, false}));
  std::vector<Event> down = {{.kind = Kind::kRealServerDown, .real_server = 0},
                             {.kind = Kind::kQuorumDown, .live_weight = 0, .threshold = 1}};
  EXPECT_EQ(updates[2], (VsUpdate{0, down, {}}));
  EXPECT_EQ(updates[3], (VsUpdate{1, down, {}}));
  EXPECT_FALSE(engine.checker_state(0).up());
}

}  // namespace
}  // namespace vigil::check
