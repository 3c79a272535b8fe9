#include "check/background.h"

#include <sys/resource.h>
#include <unistd.h>

#include <asio.hpp>
#include <atomic>
#include <future>
#include <memory>
#include <vector>

#include <gtest/gtest.h>

namespace vigil::check {
namespace {

TEST(ThreadRunnerTest, WorksRunInOrderOnAnotherThreadAtNiceTenAndTheirEndsOnTheLoop) {
  asio::io_context io;
  auto runner = MakeThreadRunner(io);
  const pid_t loop = ::gettid();
  std::vector<pid_t> work_threads;
  std::vector<int> work_nice;
  std::vector<int> order;
  std::vector<pid_t> done_threads;
  auto guard = asio::make_work_guard(io);  // the loop runs until the third `done`
  for (int i = 0; i < 3; ++i) {
    runner->Run(
        [&, i] {
          work_threads.push_back(::gettid());
          work_nice.push_back(::getpriority(PRIO_PROCESS, static_cast<id_t>(::gettid())));
          order.push_back(i);
        },
        [&] {
          done_threads.push_back(::gettid());
          if (done_threads.size() == 3) guard.reset();
        });
  }
  io.run();
  EXPECT_EQ(order, (std::vector<int>{0, 1, 2}));
  ASSERT_EQ(work_threads.size(), 3u);
  for (pid_t t : work_threads) EXPECT_NE(t, loop);
  for (int n : work_nice) EXPECT_GE(n, 10);
  EXPECT_EQ(done_threads, (std::vector<pid_t>{loop, loop, loop}));
}

TEST(ThreadRunnerTest, DestroyingWaitsForTheWorkThatRunsAndDropsTheRest) {
  asio::io_context io;
  std::atomic<int> ran{0};
  std::promise<void> started;
  std::promise<void> release;
  {
    auto runner = MakeThreadRunner(io);
    runner->Run(
        [&] {
          started.set_value();
          release.get_future().wait();
          ++ran;
        },
        [] {});
    // The first work goes on once the second is dropped (its last copy destroyed), which
    // only the destructor does while the first runs.
    auto token = std::shared_ptr<int>(new int(0), [&](int* p) {
      delete p;
      release.set_value();
    });
    runner->Run([&ran, token] { ran += 10; }, [] {});
    token.reset();
    started.get_future().wait();
    runner.reset();  // waits for the first work; the second never starts
    EXPECT_EQ(ran.load(), 1);
  }
  EXPECT_EQ(io.poll(), 1u);  // the first work's `done`
}

}  // namespace
}  // namespace vigil::check
