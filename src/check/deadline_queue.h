// One Asio timer over a min-heap of deadlines, for code that sets many timeouts and cancels
// most of them by moving on: instead of cancelling, the owner answers `live(entry)` when the
// entry comes up, and dead entries are dropped without waking the loop. Entries due within
// `slack` of the current one fire in the same turn. Internal to check; single-threaded.
#ifndef VIGIL_CHECK_DEADLINE_QUEUE_H_
#define VIGIL_CHECK_DEADLINE_QUEUE_H_

#include <asio.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <queue>
#include <utility>
#include <vector>

namespace vigil::check {

template <typename T>
class DeadlineQueue {
 public:
  using Time = std::chrono::steady_clock::time_point;

  // `live` says whether an entry still matters; `fire` is called, from the loop, with each
  // live entry once it is due (never from Push). Both must stay valid while the queue lives.
  DeadlineQueue(asio::io_context& io, std::chrono::steady_clock::duration slack,
                std::function<bool(const T&)> live, std::function<void(T)> fire)
      : timer_(io), slack_(slack), live_(std::move(live)), fire_(std::move(fire)) {}
  ~DeadlineQueue() { *alive_ = false; }
  DeadlineQueue(const DeadlineQueue&) = delete;
  DeadlineQueue& operator=(const DeadlineQueue&) = delete;

  void Push(Time due, T value) {
    heap_.push(Entry{due, std::move(value)});
    Arm();
  }

  // Drops dead entries at the front and (re)arms the timer for the earliest live one.
  void Arm() {
    while (!heap_.empty() && !live_(heap_.top().value)) heap_.pop();
    if (heap_.empty()) return;
    const Time due = heap_.top().due;
    if (armed_ && due >= armed_for_) return;
    armed_ = true;
    armed_for_ = due;
    timer_.expires_at(due);
    timer_.async_wait([this, alive = std::weak_ptr<bool>(alive_)](const std::error_code& ec) {
      auto a = alive.lock();
      if (ec || !a || !*a) return;  // re-armed for an earlier deadline, or gone
      armed_ = false;
      Fire();
    });
  }

 private:
  struct Entry {
    Time due;
    T value;
    bool operator>(const Entry& o) const { return due > o.due; }
  };

  void Fire() {
    const Time limit = std::chrono::steady_clock::now() + slack_;
    while (!heap_.empty() && heap_.top().due <= limit) {
      T value = heap_.top().value;
      heap_.pop();
      if (live_(value)) fire_(std::move(value));
    }
    Arm();
  }

  asio::steady_timer timer_;
  std::chrono::steady_clock::duration slack_;
  std::function<bool(const T&)> live_;
  std::function<void(T)> fire_;
  std::priority_queue<Entry, std::vector<Entry>, std::greater<>> heap_;
  bool armed_ = false;
  Time armed_for_{};
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace vigil::check

#endif  // VIGIL_CHECK_DEADLINE_QUEUE_H_
