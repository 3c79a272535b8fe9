// vrrp_track_process: counting the running processes that match a tracker's `process`
// line. The matcher is pure; reading /proc is a separate function so tests can feed it.
#ifndef VIGIL_VRRP_PROCESS_TRACK_H_
#define VIGIL_VRRP_PROCESS_TRACK_H_

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace vigil::vrrp {

// One running process as /proc shows it.
struct ProcInfo {
  std::string comm;               // /proc/PID/comm (at most 15 characters)
  std::vector<std::string> argv;  // /proc/PID/cmdline split at NULs
  pid_t pid = 0;
};

enum class ParamMatch { kExact, kInitial, kPartial };

struct ProcessSpec {
  std::string name;
  std::string process;               // matched against comm, or argv[0] with full_command
  std::vector<std::string> params;   // matched against argv[1..] per param_match
  ParamMatch param_match = ParamMatch::kExact;
  bool full_command = false;
  uint32_t quorum = 1;
  std::optional<uint32_t> quorum_max;
  std::chrono::microseconds fork_delay{0};       // a gain must last this long to count
  std::chrono::microseconds terminate_delay{0};  // a loss must last this long to count
  friend bool operator==(const ProcessSpec&, const ProcessSpec&) = default;
};

// Returns whether `p` is a process `spec` tracks. Without parameters only the name is
// compared; with them, exact = the same arguments, initial = the arguments start with
// them, partial = they appear in a row anywhere among the arguments.
bool Matches(const ProcInfo& p, const ProcessSpec& spec);

// Returns how many of `procs` match `spec`.
size_t CountMatching(const std::vector<ProcInfo>& procs, const ProcessSpec& spec);

// Returns whether `count` satisfies the tracker's quorum (and quorum_max).
bool QuorumMet(const ProcessSpec& spec, size_t count);

// Returns every process under `proc_root` (default /proc); unreadable entries are skipped.
std::vector<ProcInfo> ReadProcesses(const std::string& proc_root = "/proc");
// Returns process `pid` under `proc_root`; nullopt when it is gone, unreadable or a zombie.
std::optional<ProcInfo> ReadProcess(pid_t pid, const std::string& proc_root = "/proc");

}  // namespace vigil::vrrp

#endif  // VIGIL_VRRP_PROCESS_TRACK_H_
