#include "daemon/process_tuning.h"

#include <sys/mman.h>
#include <sys/resource.h>

#include <cerrno>
#include <cstring>

#include "base/log.h"

namespace vigil::daemon {

TuningPlan PlanTuning(const model::Config& config, const std::string& who) {
  TuningPlan plan;
  const model::ProcessTuning* t = who == "vrrp"    ? &config.global.vrrp_tuning
                                  : who == "check" ? &config.global.checker_tuning
                                  : who == "bfd"   ? &config.global.bfd_tuning
                                                   : nullptr;
  if (!t) return plan;
  // As keepalived: with a real-time priority the nice value does not matter and is not set.
  if (!t->rt_priority) plan.nice = t->priority.value_or(0);
  if (t->rt_priority) {
    plan.policy = SCHED_RR;
    plan.rt_priority = *t->rt_priority;
    plan.rlimit_rttime = t->rlimit_rttime.value_or(kDefaultRlimitRttime);
  }
  plan.lock_memory = t->no_swap;
  plan.cpus = t->cpu_affinity;
  return plan;
}

AutoPriority AutoPriorityOf(const model::Config& config, const std::string& who) {
  AutoPriority a;
  const model::ProcessTuning* t = who == "vrrp"    ? &config.global.vrrp_tuning
                                  : who == "check" ? &config.global.checker_tuning
                                                   : nullptr;
  if (!t) return a;
  a.max = config.global.max_auto_priority;
  a.min_delay = std::chrono::duration_cast<std::chrono::microseconds>(
      config.global.min_auto_priority_delay);
  a.rlimit_rttime = t->rlimit_rttime.value_or(kDefaultRlimitRttime);
  return a;
}

std::optional<TuningPlan> RaisePriority(const TuningPlan& current, const AutoPriority& a,
                                        std::chrono::microseconds late) {
  if (a.max <= 0 || late <= a.min_delay) return std::nullopt;
  TuningPlan plan = current;
  if (plan.policy == SCHED_RR) {
    if (plan.rt_priority >= a.max) return std::nullopt;
    ++plan.rt_priority;
  } else {
    plan.policy = SCHED_RR;
    plan.rt_priority = 1;  // sched_get_priority_min(SCHED_RR)
    plan.nice = 0;
  }
  if (!plan.rlimit_rttime) plan.rlimit_rttime = a.rlimit_rttime;
  return plan;
}

std::string DescribeTuning(const TuningPlan& plan) {
  std::string s = "nice " + std::to_string(plan.nice);
  if (plan.policy == SCHED_RR) {
    s += ", SCHED_RR " + std::to_string(plan.rt_priority);
    if (plan.rlimit_rttime) s += " (rttime " + std::to_string(*plan.rlimit_rttime) + "us)";
  } else {
    s += ", SCHED_OTHER";
  }
  s += plan.lock_memory ? ", memory locked" : ", memory not locked";
  if (plan.cpus.empty()) {
    s += ", all cpus";
  } else {
    s += ", cpus ";
    for (size_t i = 0; i < plan.cpus.size(); ++i)
      s += (i ? "," : "") + std::to_string(plan.cpus[i]);
  }
  return s;
}

void ApplyTuning(const TuningPlan& plan, const std::string& who) {
  auto warn = [&who](const std::string& what) {
    log::Warning(who + ": cannot " + what + ": " + std::strerror(errno));
  };
  if (::setpriority(PRIO_PROCESS, 0, plan.nice) != 0)
    warn("set the priority to " + std::to_string(plan.nice));
  // The limit first: the process never runs real-time without it. The soft limit at half
  // the hard one: SIGXCPU (logged by the engine) warns before SIGKILL.
  if (plan.rlimit_rttime) {
    rlimit rl{*plan.rlimit_rttime / 2, *plan.rlimit_rttime};
    if (::setrlimit(RLIMIT_RTTIME, &rl) != 0)
      warn("set RLIMIT_RTTIME to " + std::to_string(*plan.rlimit_rttime) + "us");
  }
  sched_param sp{};
  sp.sched_priority = plan.rt_priority;
  // A child never inherits real-time scheduling (the spawner resets it too).
  const int policy = plan.policy == SCHED_RR ? SCHED_RR | SCHED_RESET_ON_FORK : plan.policy;
  if (::sched_setscheduler(0, policy, &sp) != 0)
    warn(plan.policy == SCHED_RR ? "set real-time priority " + std::to_string(plan.rt_priority)
                                 : std::string("leave real-time scheduling"));
  if (plan.lock_memory) {
    if (::mlockall(MCL_CURRENT | MCL_FUTURE) != 0) warn("lock the process in memory");
  } else if (::munlockall() != 0) {
    warn("unlock the process's memory");
  }
  // Every CPU unless listed: the kernel keeps those of the mask that exist and are allowed.
  cpu_set_t set;
  std::memset(&set, 0xff, sizeof(set));
  if (!plan.cpus.empty()) {
    CPU_ZERO(&set);
    for (int c : plan.cpus) CPU_SET(c, &set);
  }
  if (::sched_setaffinity(0, sizeof(set), &set) != 0) warn("set the CPU affinity");
  log::Info(who + ": scheduling: " + DescribeTuning(plan));
}

void UpdateTuning(const model::Config& config, const std::string& who, TuningPlan& current) {
  TuningPlan plan = PlanTuning(config, who);
  if (plan == current) return;
  ApplyTuning(plan, who);
  current = std::move(plan);
}

}  // namespace vigil::daemon
