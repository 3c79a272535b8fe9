// One Asio timer over a min-heap of deadlines, for code that sets many timeouts and cancels
// most of them by moving on: instead of cancelling, the owner answers `live(entry)` when the
// entry comes up, and dead entries are dropped without waking the loop. Entries due within
// `slack` of the current one fire in the same turn. Internal to check; single-threaded.
#ifndef VIGIL_CHECK_DEADLINE_QUEUE_H_
#define VIGIL_CHECK_DEADLINE_QUEUE_H_

#include <algorithm>
#include <asio.hpp>
#include <chrono>
#include <functional>
#include <memory>
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
    heap_.Push(Entry{due, std::move(value)});
    Arm();
  }

  // Drops dead entries at the front and (re)arms the timer for the earliest live one.
  void Arm() {
    while (!heap_.empty() && !live_(heap_.top().value)) heap_.Pop();
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
  };

  // A min-heap on `due` with four children per node: half the levels of a binary heap, and
  // a node's children side by side, so a pop from thousands of timers misses the cache at
  // half as many places.
  class Heap {
   public:
    bool empty() const { return v_.empty(); }
    const Entry& top() const { return v_.front(); }
    void Push(Entry e) {
      size_t i = v_.size();
      v_.push_back(std::move(e));
      Entry moving = std::move(v_[i]);
      while (i > 0) {
        const size_t parent = (i - 1) / kArity;
        if (!(moving.due < v_[parent].due)) break;
        v_[i] = std::move(v_[parent]);
        i = parent;
      }
      v_[i] = std::move(moving);
    }
    void Pop() {
      Entry last = std::move(v_.back());
      v_.pop_back();
      const size_t n = v_.size();
      if (n == 0) return;
      size_t i = 0;
      for (;;) {
        const size_t first = i * kArity + 1;
        if (first >= n) break;
        size_t least = first;
        const size_t end = std::min(first + kArity, n);
        for (size_t c = first + 1; c < end; ++c) {
          if (v_[c].due < v_[least].due) least = c;
        }
        if (!(v_[least].due < last.due)) break;
        v_[i] = std::move(v_[least]);
        i = least;
      }
      v_[i] = std::move(last);
    }

   private:
    static constexpr size_t kArity = 4;
    std::vector<Entry> v_;
  };

  void Fire() {
    const Time limit = std::chrono::steady_clock::now() + slack_;
    while (!heap_.empty() && heap_.top().due <= limit) {
      T value = heap_.top().value;
      heap_.Pop();
      if (live_(value)) fire_(std::move(value));
    }
    Arm();
  }

  asio::steady_timer timer_;
  std::chrono::steady_clock::duration slack_;
  std::function<bool(const T&)> live_;
  std::function<void(T)> fire_;
  Heap heap_;
  bool armed_ = false;
  Time armed_for_{};
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace vigil::check

#endif  // VIGIL_CHECK_DEADLINE_QUEUE_H_
