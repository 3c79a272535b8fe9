// Work that must not hold the event loop (the load balancer's periodic audit of a large
// kernel table), run on a thread of its own with its result handed back to the loop.
#ifndef VIGIL_CHECK_BACKGROUND_H_
#define VIGIL_CHECK_BACKGROUND_H_

#include <functional>
#include <memory>

namespace asio {
class io_context;
}

namespace vigil::check {

// Runs work away from the event loop. The seam for the engine's background audit; tests
// substitute one that runs the work when they say.
class BackgroundRunner {
 public:
  virtual ~BackgroundRunner() = default;
  // Runs `work` away from the loop, then `done` on the loop. Works run one at a time, in
  // the order given. `work` must touch nothing the loop uses (it runs on another thread);
  // `done` may run after the owner of the runner is gone, so it checks that it is not.
  virtual void Run(std::function<void()> work, std::function<void()> done) = 0;
};

// Returns a BackgroundRunner whose works run on one thread of its own (started with every
// signal blocked, in the creator's network namespace, at the normal scheduling policy and
// nice 10, so that the loop's thread goes first), whose `done` are posted to `io`. Its
// destructor waits for the work that runs and drops those not started.
std::unique_ptr<BackgroundRunner> MakeThreadRunner(asio::io_context& io);

}  // namespace vigil::check

#endif  // VIGIL_CHECK_BACKGROUND_H_
