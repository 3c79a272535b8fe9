// HealthEngine: runs every shared probe on its schedule on one Asio loop and reports what
// changed. The thin I/O shell around HealthCore and CheckerState.
#ifndef VIGIL_CHECK_HEALTH_ENGINE_H_
#define VIGIL_CHECK_HEALTH_ENGINE_H_

#include <functional>
#include <memory>

#include "check/checker_state.h"
#include "check/health_core.h"

namespace asio {
class io_context;
}  // namespace asio

namespace vigil::check {

class HealthEngine {
 public:
  // Called for every virtual server update (start-up, then each change), on the loop.
  using UpdateHandler = std::function<void(const VsUpdate&)>;
  // Called after every probe attempt, for logs and metrics.
  using ProbeHandler =
      std::function<void(size_t probe, const ProbeResult& result, const Outcome& outcome)>;

  // `io` and `random` must outlive the engine.
  HealthEngine(asio::io_context& io, RandomSource& random, UpdateHandler on_update,
               ProbeHandler on_probe = nullptr);
  ~HealthEngine();
  HealthEngine(const HealthEngine&) = delete;
  HealthEngine& operator=(const HealthEngine&) = delete;

  // See HealthCore::AddVirtualServer. Must be called before Start().
  size_t AddVirtualServer(VirtualServerSpec spec);

  // Reports the start-up state of every virtual server, then schedules each probe's first run
  // after kBootstrapDelay + a random warmup. Returns at once.
  void Start();

  // Stops scheduling; probes in flight finish (bounded by their timeouts) and are ignored.
  void Stop();

  const HealthCore& core() const;
  // Returns the retry state of shared probe `probe` (see core().registry()).
  const CheckerState& checker_state(size_t probe) const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace vigil::check

#endif  // VIGIL_CHECK_HEALTH_ENGINE_H_
