// How an engine process is scheduled: global_defs vrrp_priority, vrrp_no_swap,
// vrrp_rt_priority, vrrp_cpu_affinity, vrrp_rlimit_rttime and their checker_* twins, so that
// an overloaded host does not delay adverts or probes. A pure plan from the model, and a thin
// function that applies it; a failure is logged, never fatal.
#ifndef VIGIL_DAEMON_PROCESS_TUNING_H_
#define VIGIL_DAEMON_PROCESS_TUNING_H_

#include <sched.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "model/config.h"

namespace vigil::daemon {

// RLIMIT_RTTIME (µs) set with a real-time priority when *_rlimit_rttime is not given, as
// keepalived does: a runaway real-time loop is stopped instead of starving the host.
inline constexpr uint32_t kDefaultRlimitRttime = 10000;

struct TuningPlan {
  int nice = 0;                        // 0 with SCHED_RR, as keepalived
  int policy = SCHED_OTHER;
  int rt_priority = 0;                 // with SCHED_RR
  std::optional<uint32_t> rlimit_rttime;  // hard, µs (soft: half); set only with SCHED_RR
  bool lock_memory = false;            // mlockall(MCL_CURRENT | MCL_FUTURE)
  std::vector<int> cpus;               // empty: every CPU
  bool operator==(const TuningPlan&) const = default;
};

// The plan for engine `who` ("vrrp" or "check"; any other name: the defaults). The default
// plan is how the supervisor starts an engine. Pure.
TuningPlan PlanTuning(const model::Config& config, const std::string& who);

// A one-line description of `plan` for the log, e.g. "nice -5, SCHED_RR 10 (rttime 10000us),
// memory locked, cpus 0,1". Pure.
std::string DescribeTuning(const TuningPlan& plan);

// keepalived's automatic priority (max_auto_priority, min_auto_priority_delay) for engine
// `who`: an engine whose timers run late raises its scheduling priority.
struct AutoPriority {
  int max = 0;  // the highest SCHED_RR priority it goes to; <= 0: off
  std::chrono::microseconds min_delay{1000000};  // lateness that counts: more than this
  uint32_t rlimit_rttime = kDefaultRlimitRttime;  // set with a first real-time priority
  bool operator==(const AutoPriority&) const = default;
};

// The automatic priority settings for engine `who` ("vrrp", "check"). Pure.
AutoPriority AutoPriorityOf(const model::Config& config, const std::string& who);

// Returns the plan after one of the engine's timers ran `late` past its expiry, under
// `current`, nullopt when it does not change: as keepalived, a lateness above min_delay
// switches a SCHED_OTHER process to SCHED_RR 1 (nice 0, RLIMIT_RTTIME rlimit_rttime unless
// one is set), and raises a SCHED_RR one by one priority up to `max`. Pure.
std::optional<TuningPlan> RaisePriority(const TuningPlan& current, const AutoPriority& a,
                                        std::chrono::microseconds late);

// Applies `plan` to this process; what fails is logged as a warning for `who`.
void ApplyTuning(const TuningPlan& plan, const std::string& who);

// Applies the plan for `config` when it differs from `current` (at start, the default
// plan; on reload, the one applied last) and records it in `current`.
void UpdateTuning(const model::Config& config, const std::string& who, TuningPlan& current);

}  // namespace vigil::daemon

#endif  // VIGIL_DAEMON_PROCESS_TUNING_H_
