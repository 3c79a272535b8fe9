#include "daemon/engine_slot.h"

#include <cerrno>
#include <deque>

#include <asio.hpp>
#include <gtest/gtest.h>

namespace vigil::daemon {
namespace {

using namespace std::chrono_literals;

// A start function that plays back scripted outcomes: a pid, or a failure with an errno.
class ScriptedStarts {
 public:
  void Succeed(pid_t pid) { outcomes_.push_back(pid); }
  void Fail(int err) { outcomes_.push_back(-err); }
  EngineSlot::StartFn Fn() {
    return [this]() -> Result<pid_t> {
      ++calls;
      if (outcomes_.empty()) return std::unexpected(Error::FromErrno(EAGAIN, "fork"));
      int next = outcomes_.front();
      outcomes_.pop_front();
      if (next > 0) return next;
      return std::unexpected(Error::FromErrno(-next, next == -EMFILE ? "socketpair" : "fork"));
    };
  }
  int calls = 0;

 private:
  std::deque<int> outcomes_;
};

const Backoff kFast{.min = 10ms, .max = 40ms, .stable_run = 1h};

// Runs the loop until `pred` holds (bounded: 200 rounds of 10 ms).
template <typename Pred>
void RunUntil(asio::io_context& io, Pred pred) {
  for (int i = 0; i < 200 && !pred(); ++i) {
    io.restart();
    io.run_for(10ms);
  }
}

TEST(EngineSlotTest, AFailedStartIsRetriedWithBackoffUntilItSucceeds) {
  asio::io_context io;
  ScriptedStarts starts;
  starts.Fail(EMFILE);
  starts.Fail(EAGAIN);
  starts.Succeed(4242);
  int changes = 0;
  EngineSlot slot(io, "vrrp", starts.Fn(), [] { return true; }, kFast);
  slot.set_on_change([&] { ++changes; });
  EXPECT_FALSE(slot.StartNow());
  control::EngineStatus s = slot.Status();
  EXPECT_EQ(s.name, "vrrp");
  EXPECT_FALSE(s.running);
  EXPECT_EQ(s.pid, 0);
  EXPECT_EQ(s.start_failures, 1u);
  EXPECT_EQ(s.last_error, "socketpair: Too many open files");
  EXPECT_GE(s.retry_in_s, 0);
  EXPECT_TRUE(slot.retry_pending());
  RunUntil(io, [&] { return slot.running(); });
  EXPECT_EQ(starts.calls, 3);
  s = slot.Status();
  EXPECT_TRUE(s.running);
  EXPECT_EQ(s.pid, 4242);
  EXPECT_EQ(s.starts, 1u);
  EXPECT_EQ(s.start_failures, 2u);
  EXPECT_EQ(s.last_error, "");
  EXPECT_EQ(s.retry_in_s, -1);
  EXPECT_FALSE(slot.retry_pending());
  EXPECT_EQ(changes, 3);
}

TEST(EngineSlotTest, BackoffDoublesUpToItsMaximum) {
  asio::io_context io;
  ScriptedStarts starts;
  starts.Succeed(10);
  EngineSlot slot(io, "check", starts.Fn(), [] { return true; }, kFast);
  ASSERT_TRUE(slot.StartNow());
  EXPECT_EQ(slot.Ended("was killed by signal 9", true), 10ms);
  // Every further start fails: 20, 40, 40 ms.
  RunUntil(io, [&] { return starts.calls == 4; });
  EXPECT_EQ(starts.calls, 4);
  EXPECT_FALSE(slot.running());
  EXPECT_EQ(slot.Status().start_failures, 3u);
  EXPECT_TRUE(slot.retry_pending());
}

TEST(EngineSlotTest, StartNowReplacesAPendingRetry) {
  asio::io_context io;
  ScriptedStarts starts;
  starts.Fail(ENOMEM);
  starts.Succeed(77);
  EngineSlot slot(io, "vrrp", starts.Fn(), [] { return true; },
                  Backoff{.min = 1h, .max = 1h, .stable_run = 1h});
  EXPECT_FALSE(slot.StartNow());
  EXPECT_TRUE(slot.retry_pending());
  // A reload does not wait for the hour-long back-off.
  EXPECT_TRUE(slot.StartNow());
  EXPECT_EQ(slot.pid(), 77);
  EXPECT_FALSE(slot.retry_pending());
  EXPECT_TRUE(slot.StartNow()) << "already running: nothing started";
  EXPECT_EQ(starts.calls, 2);
}

TEST(EngineSlotTest, ARetryDueWhenTheEngineIsNoLongerWantedStartsNothing) {
  asio::io_context io;
  ScriptedStarts starts;
  starts.Fail(EAGAIN);
  starts.Succeed(5);
  bool wanted = true;
  EngineSlot slot(io, "vrrp", starts.Fn(), [&] { return wanted; }, kFast);
  EXPECT_FALSE(slot.StartNow());
  wanted = false;
  RunUntil(io, [&] { return !slot.retry_pending(); });
  io.restart();
  io.run_for(30ms);
  EXPECT_EQ(starts.calls, 1);
  EXPECT_FALSE(slot.running());
}

TEST(EngineSlotTest, AnEndWithoutRestartSchedulesNothing) {
  asio::io_context io;
  ScriptedStarts starts;
  starts.Succeed(8);
  EngineSlot slot(io, "vrrp", starts.Fn(), [] { return true; }, kFast);
  ASSERT_TRUE(slot.StartNow());
  slot.Ended("exited with 0", false);
  EXPECT_FALSE(slot.running());
  EXPECT_FALSE(slot.retry_pending());
  EXPECT_EQ(slot.Status().last_error, "exited with 0");
}

}  // namespace
}  // namespace vigil::daemon
