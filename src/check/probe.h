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

// Starts probes on one loop: a TCP_CHECK half-open through a shared SynProber wherever that
// can run it, every other probe (and a TCP_CHECK the prober declines) with StartProbe.
class ProbeStarter {
 public:
  explicit ProbeStarter(asio::io_context& io);
  ~ProbeStarter();
  ProbeStarter(const ProbeStarter&) = delete;
  ProbeStarter& operator=(const ProbeStarter&) = delete;

  // As StartProbe.
  void Start(const ProbeSpec& spec, Duration default_timeout, ProbeCallback done);

 private:
  asio::io_context& io_;
  std::unique_ptr<SynProber> syn_;
};

}  // namespace vigil::check

#endif  // VIGIL_CHECK_PROBE_H_
