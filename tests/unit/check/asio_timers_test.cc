// MakeAsioTimers: the engine's timers on one Asio timer.
#include <gtest/gtest.h>

#include <asio.hpp>
#include <chrono>
#include <string>
#include <vector>

#include "check/engine.h"

namespace vigil::check {
namespace {

using std::chrono::milliseconds;

TEST(AsioTimersTest, FireInDeadlineOrderAndNotWhenCancelled) {
  asio::io_context io;
  auto timers = MakeAsioTimers(io);
  std::vector<std::string> fired;
  timers->After(milliseconds(30), [&] { fired.push_back("30"); });
  const auto cancelled = timers->After(milliseconds(10), [&] { fired.push_back("10"); });
  timers->After(milliseconds(20), [&] { fired.push_back("20"); });
  timers->After(milliseconds(5), [&] { fired.push_back("5"); });
  timers->Cancel(cancelled);
  timers->Cancel(12345);  // unknown: nothing happens
  io.run_for(std::chrono::seconds(2));
  EXPECT_EQ(fired, (std::vector<std::string>{"5", "20", "30"}));
}

TEST(AsioTimersTest, NeverFiresMoreThanTheCoalescingWindowEarly) {
  asio::io_context io;
  auto timers = MakeAsioTimers(io);
  const auto start = std::chrono::steady_clock::now();
  std::vector<milliseconds> due = {milliseconds(20), milliseconds(21), milliseconds(40)};
  std::vector<std::chrono::steady_clock::duration> at(due.size());
  for (size_t i = 0; i < due.size(); ++i) {
    timers->After(due[i], [&, i] { at[i] = std::chrono::steady_clock::now() - start; });
  }
  io.run_for(std::chrono::seconds(2));
  for (size_t i = 0; i < due.size(); ++i) {
    EXPECT_GE(at[i], due[i] - milliseconds(1)) << i;  // kCoalesce
  }
}

TEST(AsioTimersTest, CallbacksMayScheduleAndCancel) {
  asio::io_context io;
  auto timers = MakeAsioTimers(io);
  int chain = 0;
  TimerService::Id victim = 0;
  std::function<void()> again = [&] {
    if (++chain < 5) timers->After(milliseconds(1), again);
  };
  timers->After(milliseconds(1), again);
  timers->After(milliseconds(2), [&] { timers->Cancel(victim); });
  victim = timers->After(milliseconds(50), [&] { ADD_FAILURE() << "cancelled timer fired"; });
  io.run_for(std::chrono::seconds(2));
  EXPECT_EQ(chain, 5);
}

TEST(AsioTimersTest, AStaleIdCancelsNothing) {
  asio::io_context io;
  auto timers = MakeAsioTimers(io);
  int first = 0;
  const auto spent = timers->After(milliseconds(1), [&] { ++first; });
  io.run_for(milliseconds(20));
  ASSERT_EQ(first, 1);
  // The next timers may reuse the spent one's place; its id must not reach them.
  std::vector<std::string> fired;
  const auto a = timers->After(milliseconds(2), [&] { fired.push_back("a"); });
  timers->After(milliseconds(3), [&] { fired.push_back("b"); });
  timers->Cancel(spent);
  const auto c = timers->After(milliseconds(4), [&] { fired.push_back("c"); });
  timers->Cancel(c);
  timers->Cancel(c);  // twice: still nothing else
  EXPECT_NE(a, spent);
  io.restart();  // the first run ran out of work
  io.run_for(std::chrono::seconds(1));
  EXPECT_EQ(fired, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(first, 1);
}

TEST(AsioTimersTest, DestroyingTheServiceWithTimersPendingIsSafe) {
  asio::io_context io;
  bool fired = false;
  {
    auto timers = MakeAsioTimers(io);
    timers->After(milliseconds(1), [&] { fired = true; });
  }
  io.run_for(milliseconds(50));
  EXPECT_FALSE(fired);
}

}  // namespace
}  // namespace vigil::check
