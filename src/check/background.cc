#include "check/background.h"

#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <asio.hpp>
#include <cerrno>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <utility>

namespace vigil::check {
namespace {

// The worker's niceness: below the loop's, whose probes and timers must not wait for it.
constexpr int kWorkerNice = 10;

class ThreadRunner final : public BackgroundRunner {
 public:
  explicit ThreadRunner(asio::io_context& io) : io_(io) {
    // The thread inherits the signal mask: signals are the loop's to take.
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    thread_ = std::thread([this] { Loop(); });
    pthread_sigmask(SIG_SETMASK, &old, nullptr);
  }

  ~ThreadRunner() override {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
      queue_.clear();
    }
    wake_.notify_one();
    thread_.join();
  }

  void Run(std::function<void()> work, std::function<void()> done) override {
    {
      std::lock_guard lock(mutex_);
      queue_.emplace_back(std::move(work), std::move(done));
    }
    wake_.notify_one();
  }

 private:
  void Loop() {
    const pid_t tid = ::gettid();
    // A loop at a real-time policy (vigil's checker_process_priority) must not hand it on.
    sched_param normal{};
    (void)::sched_setscheduler(tid, SCHED_OTHER, &normal);
    errno = 0;
    const int nice = ::getpriority(PRIO_PROCESS, static_cast<id_t>(tid));
    if (errno != 0 || nice < kWorkerNice) {
      (void)::setpriority(PRIO_PROCESS, static_cast<id_t>(tid), kWorkerNice);
    }
    for (;;) {
      std::pair<std::function<void()>, std::function<void()>> job;
      {
        std::unique_lock lock(mutex_);
        wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
        if (stopping_) return;
        job = std::move(queue_.front());
        queue_.pop_front();
      }
      job.first();
      asio::post(io_, std::move(job.second));
    }
  }

  asio::io_context& io_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::pair<std::function<void()>, std::function<void()>>> queue_;  // by mutex_
  bool stopping_ = false;                                                      // by mutex_
  std::thread thread_;
};

}  // namespace

std::unique_ptr<BackgroundRunner> MakeThreadRunner(asio::io_context& io) {
  return std::make_unique<ThreadRunner>(io);
}

}  // namespace vigil::check
