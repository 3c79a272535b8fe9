// Running probes: the thin I/O shell over the pure checker state. Asio stays out of this
// header; callers pass their asio::io_context.
#ifndef VIGIL_CHECK_PROBE_H_
#define VIGIL_CHECK_PROBE_H_

#include <functional>
#include <memory>

#include "base/clock.h"
#include "check/types.h"

namespace asio {
class io_context;
}  // namespace asio

namespace vigil::check {

using ProbeCallback = std::function<void(ProbeResult)>;

// Starts one attempt of `spec` on `io` and returns at once; `done` is called exactly once,
// from `io`, with the result (unless `io` is stopped or destroyed first). MISC checks without
// a timeout are bounded by `default_timeout` (keepalived uses delay_loop).
void StartProbe(asio::io_context& io, const ProbeSpec& spec, Duration default_timeout,
                ProbeCallback done);

class SynProber;

// What a prober keeps about one probe between its runs: for a half-open TCP_CHECK, the
// route's source address and the raw socket that serves it, so that a steady probe costs
// no table lookups. Owned by the caller, one per probe, opaque to it; the caller clears it
// (`= {}`) when the probe fails, and it expires on its own.
struct ProbeMemo {
  const void* owner = nullptr;  // the prober that filled it
  void* endpoint = nullptr;
  TimePoint expires{};
};

// Starts probes on one loop: a TCP_CHECK half-open through a shared SynProber wherever that
// can run it, every other probe (and a TCP_CHECK the prober declines) with StartProbe.
class ProbeStarter {
 public:
  explicit ProbeStarter(asio::io_context& io);
  ~ProbeStarter();
  ProbeStarter(const ProbeStarter&) = delete;
  ProbeStarter& operator=(const ProbeStarter&) = delete;

  // As StartProbe, except that `done` is never called once the starter is destroyed;
  // `memo` (may be null) is the probe's ProbeMemo.
  void Start(const ProbeSpec& spec, Duration default_timeout, ProbeMemo* memo, ProbeCallback done);

 private:
  asio::io_context& io_;
  std::unique_ptr<SynProber> syn_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);  // watched by running probes
};

}  // namespace vigil::check

#endif  // VIGIL_CHECK_PROBE_H_
