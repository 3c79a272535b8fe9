// Running probes: the thin I/O shell over the pure checker state. Asio stays out of this
// header; callers pass their asio::io_context.
#ifndef VIGIL_CHECK_PROBE_H_
#define VIGIL_CHECK_PROBE_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <unordered_map>

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

// Identifies a probe started by a ProbeStarter, for Cancel; 0 is none.
using ProbeTicket = uint64_t;

// Returns how many probes may hold descriptors at once in a process whose RLIMIT_NOFILE
// soft limit is `fd_limit`: the limit less a reserve for everything else the process opens
// (an eighth of it, at least 256), and at least 1.
size_t MaxActiveProbes(uint64_t fd_limit);
// As above, for this process's RLIMIT_NOFILE soft limit now.
size_t MaxActiveProbes();

// Starts probes on one loop: a TCP_CHECK half-open through a shared SynProber wherever that
// can run it (no descriptor of its own), every other probe (and a TCP_CHECK the prober
// declines) as a coroutine. At most `max_active` coroutine probes run at once (each holds a
// socket or a script's pidfd): the others wait in a queue, in order, instead of failing
// with EMFILE. Destroying the starter cancels every probe it runs.
class ProbeStarter {
 public:
  explicit ProbeStarter(asio::io_context& io);
  ProbeStarter(asio::io_context& io, size_t max_active);
  ~ProbeStarter();
  ProbeStarter(const ProbeStarter&) = delete;
  ProbeStarter& operator=(const ProbeStarter&) = delete;

  // As StartProbe, except that `done` is never called once the starter is destroyed;
  // `memo` (may be null) is the probe's ProbeMemo. Returns the probe's ticket, or 0 for a
  // half-open TCP_CHECK (it holds nothing to cancel and ends within its connect_timeout).
  ProbeTicket Start(const ProbeSpec& spec, Duration default_timeout, ProbeMemo* memo,
                    ProbeCallback done);
  // Ends probe `ticket` now if it still runs or waits: its sockets are closed, its script's
  // process group killed; its `done` is called later, from the loop, with a failure.
  // Unknown or finished tickets are ignored.
  void Cancel(ProbeTicket ticket);

  // Lets `max_active` probes (at least 1) hold descriptors at once from now on, and starts
  // queued probes that now fit. For a process whose open-file limit changed after the
  // starter was made (raised at start or on a reload to what the checks need).
  void SetMaxActive(size_t max_active);

  // Probes holding descriptors now, and probes waiting for their turn.
  size_t active() const { return running_.size(); }
  size_t queued() const { return queue_.size(); }
  size_t max_active() const { return max_active_; }

 private:
  struct Job;
  void Launch(std::shared_ptr<Job> job);
  void Finish(const std::shared_ptr<Job>& job, ProbeResult result);

  asio::io_context& io_;
  size_t max_active_;
  std::unique_ptr<SynProber> syn_;
  ProbeTicket next_ticket_ = 0;
  std::unordered_map<ProbeTicket, std::shared_ptr<Job>> running_;
  std::deque<std::shared_ptr<Job>> queue_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);  // watched by running probes
};

}  // namespace vigil::check

#endif  // VIGIL_CHECK_PROBE_H_
