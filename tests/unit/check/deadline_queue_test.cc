// DeadlineQueue: many deadlines on one Asio timer, fired in order, dead ones skipped.
#include "check/deadline_queue.h"

#include <gtest/gtest.h>

#include <asio.hpp>
#include <chrono>
#include <random>
#include <set>
#include <vector>

namespace vigil::check {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

TEST(DeadlineQueueTest, FiresEveryLiveEntryInDeadlineOrderAndSkipsDeadOnes) {
  asio::io_context io;
  std::set<int> dead;
  std::vector<int> fired;
  std::vector<Clock::time_point> due_of;
  DeadlineQueue<int> queue(
      io, Clock::duration::zero(), [&](const int& v) { return !dead.contains(v); },
      [&](int v) { fired.push_back(v); });
  std::mt19937 rng(7);
  const auto start = Clock::now();
  for (int i = 0; i < 2000; ++i) {
    due_of.push_back(start + std::chrono::microseconds(rng() % 40000));
    queue.Push(due_of.back(), i);
    if (i % 3 == 0) dead.insert(i);
  }
  io.run_for(std::chrono::seconds(2));
  ASSERT_EQ(fired.size(), 2000u - dead.size());
  for (size_t k = 0; k < fired.size(); ++k) {
    EXPECT_FALSE(dead.contains(fired[k]));
    if (k > 0) {
      EXPECT_LE(due_of[fired[k - 1]], due_of[fired[k]]) << k;
    }
  }
  EXPECT_GE(Clock::now() - start, milliseconds(35));  // the last ones waited for their time
}

TEST(DeadlineQueueTest, EntriesPushedWhileFiringRunInTheirTurn) {
  asio::io_context io;
  std::vector<int> fired;
  DeadlineQueue<int>* q = nullptr;
  DeadlineQueue<int> queue(
      io, Clock::duration::zero(), [](const int&) { return true; },
      [&](int v) {
        fired.push_back(v);
        if (v < 5) q->Push(Clock::now() + milliseconds(1), v + 10);  // later than the rest
      });
  q = &queue;
  const auto now = Clock::now();
  for (int v = 0; v < 5; ++v) queue.Push(now + milliseconds(v), v);
  io.run_for(std::chrono::seconds(1));
  ASSERT_EQ(fired.size(), 10u);
  EXPECT_EQ(fired[0], 0);
  EXPECT_EQ(fired.back(), 14);
}

}  // namespace
}  // namespace vigil::check
