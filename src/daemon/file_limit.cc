#include "daemon/file_limit.h"

#include <algorithm>
#include <cerrno>

#include "base/log.h"
#include "control/server.h"

namespace vigil::daemon {
namespace {

// Per item: what one of them can hold open at once.
constexpr uint64_t kPerInstance = 4;       // advert socket, its share of notify children
constexpr uint64_t kPerTrackedScript = 2;  // a running script: pidfd, its pipe
constexpr uint64_t kPerCheck = 2;          // a probe's socket, or a MISC_CHECK's pidfd + pipe
constexpr uint64_t kPerVirtualServer = 2;  // quorum scripts
// The control socket and the metrics endpoint, each at its connection cap.
constexpr uint64_t kListenerConnections = 2 * control::ListenerLimits{}.max_connections;

}  // namespace

uint64_t FileLimitNeeded(const model::Config& config, const std::string& who) {
  uint64_t n = kFileLimitBase;
  if (who.empty()) return n + kListenerConnections;
  if (who == "vrrp") {
    n += kPerInstance * config.vrrp_instances.size();
    n += kPerTrackedScript * (config.vrrp_scripts.size() + config.track_files.size());
    return n;
  }
  n += kPerVirtualServer * config.virtual_servers.size();
  for (const auto& vs : config.virtual_servers)
    for (const auto& rs : vs.real_servers) n += kPerCheck * std::max<size_t>(rs.checks.size(), 1);
  return n;
}

rlimit RaisedFileLimit(rlimit current, uint64_t needed) {
  if (current.rlim_cur != RLIM_INFINITY && current.rlim_cur < needed) {
    current.rlim_cur = needed;
    if (current.rlim_max != RLIM_INFINITY && current.rlim_max < needed) current.rlim_max = needed;
  }
  return current;
}

Result<rlimit> RaiseFileLimit(uint64_t needed) {
  rlimit now{};
  if (getrlimit(RLIMIT_NOFILE, &now) != 0) return FailErrno("getrlimit(RLIMIT_NOFILE)");
  rlimit want = RaisedFileLimit(now, needed);
  if (want.rlim_cur == now.rlim_cur && want.rlim_max == now.rlim_max) return now;
  if (setrlimit(RLIMIT_NOFILE, &want) == 0) return want;
  if (errno != EPERM || want.rlim_max == now.rlim_max)
    return FailErrno("cannot raise the open file limit to " + std::to_string(needed));
  // Without CAP_SYS_RESOURCE the hard limit stays: the soft one goes as far as it allows.
  want = {now.rlim_max, now.rlim_max};
  if (setrlimit(RLIMIT_NOFILE, &want) != 0)
    return FailErrno("cannot raise the open file limit to " + std::to_string(now.rlim_max));
  return want;
}

void ApplyFileLimit(const model::Config& config, const std::string& who) {
  std::string process = who.empty() ? "vigild" : who;
  uint64_t needed = FileLimitNeeded(config, who);
  rlimit before{};
  getrlimit(RLIMIT_NOFILE, &before);
  auto r = RaiseFileLimit(needed);
  if (!r) {
    log::Warning(process + ": " + r.error().ToString());
  } else if (r->rlim_cur < needed) {
    log::Warning(process + ": open file limit raised only to " + std::to_string(r->rlim_cur) +
                 " (the hard limit); the configuration needs " + std::to_string(needed));
  } else if (r->rlim_cur != before.rlim_cur) {
    log::Info(process + ": open file limit raised to " + std::to_string(r->rlim_cur) +
              " (the configuration needs " + std::to_string(needed) + ")");
  }
}

}  // namespace vigil::daemon
