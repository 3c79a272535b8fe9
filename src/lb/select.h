// Choosing the load-balancer backend.
#ifndef VIGIL_LB_SELECT_H_
#define VIGIL_LB_SELECT_H_

#include <string>
#include <string_view>

#include "base/error.h"

namespace vigil::lb {

enum class BackendKind : uint8_t { kIpvs, kNftables };

// Returns "ipvs" or "nftables".
std::string_view BackendKindName(BackendKind kind);

inline constexpr char kIpvsProcPath[] = "/proc/net/ip_vs";

// Returns the backend to use. `choice` is "ipvs", "nftables" or "auto" (also ""): auto picks
// ipvs when `ipvs_proc_path` exists (the kernel has IPVS) and nftables otherwise. An explicit
// choice is returned as is. Anything else is kInvalidArgument.
Result<BackendKind> SelectBackend(std::string_view choice,
                                  const std::string& ipvs_proc_path = kIpvsProcPath);

}  // namespace vigil::lb

#endif  // VIGIL_LB_SELECT_H_
