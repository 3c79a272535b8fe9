#include "vrrp/start_gate.h"

#include <asio/io_context.hpp>
#include <gtest/gtest.h>

namespace vigil::vrrp {
namespace {

using std::chrono::seconds;

TEST(StartGateTest, NoDelayConfiguredLeavesNoEnd) {
  asio::io_context io;
  StartGate gate(io);
  gate.Begin(VrrpSpec{});
  EXPECT_FALSE(gate.until().has_value());
}

TEST(StartGateTest, AStartupDelayEndsThatLongAfterBegin) {
  asio::io_context io;
  StartGate gate(io);
  VrrpSpec spec;
  spec.startup_delay = seconds(5);
  const TimePoint before = std::chrono::steady_clock::now();
  gate.Begin(spec);
  const TimePoint after = std::chrono::steady_clock::now();
  ASSERT_TRUE(gate.until().has_value());
  EXPECT_GE(*gate.until(), before + seconds(5));
  EXPECT_LE(*gate.until(), after + seconds(5));
}

}  // namespace
}  // namespace vigil::vrrp
