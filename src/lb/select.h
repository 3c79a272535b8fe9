// Choosing the load-balancer backend.
#ifndef VIGIL_LB_SELECT_H_
#define VIGIL_LB_SELECT_H_

#include <functional>
#include <string>
#include <string_view>

#include "base/error.h"

namespace vigil::lb {

enum class BackendKind : uint8_t { kIpvs, kNftables };

// Returns "ipvs" or "nftables".
std::string_view BackendKindName(BackendKind kind);

inline constexpr char kIpvsProcPath[] = "/proc/net/ip_vs";
inline constexpr char kIpvsModule[] = "ip_vs";

// Loads kernel module `name`; returns true if the load succeeded.
using ModuleLoader = std::function<bool(std::string_view name)>;

// Runs `modprobe -q NAME` (the program named by /proc/sys/kernel/modprobe, else
// /sbin/modprobe) and waits for it; returns true if it exited 0.
bool ModprobeModule(std::string_view name);

struct BackendSelection {
  BackendKind kind = BackendKind::kNftables;
  std::string reason;  // why, for the log: "the kernel has IPVS (/proc/net/ip_vs)", ...

  bool operator==(const BackendSelection&) const = default;
};

// Returns the backend to use and why. `choice` is "ipvs", "nftables" or "auto" (also ""):
// auto picks ipvs when `ipvs_proc_path` exists (the kernel has IPVS) and nftables otherwise.
// Before deciding that the kernel has no IPVS, auto (and an explicit ipvs) load the ip_vs
// module through `load_module`, as keepalived does, when one is given. An explicit choice is
// returned as is. Anything else is kInvalidArgument.
Result<BackendSelection> SelectBackend(std::string_view choice,
                                       const std::string& ipvs_proc_path = kIpvsProcPath,
                                       const ModuleLoader& load_module = nullptr);

}  // namespace vigil::lb

#endif  // VIGIL_LB_SELECT_H_
