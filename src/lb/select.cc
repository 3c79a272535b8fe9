#include "lb/select.h"

#include <unistd.h>

namespace vigil::lb {

std::string_view BackendKindName(BackendKind kind) {
  return kind == BackendKind::kIpvs ? "ipvs" : "nftables";
}

Result<BackendKind> SelectBackend(std::string_view choice, const std::string& ipvs_proc_path) {
  if (choice == "ipvs") return BackendKind::kIpvs;
  if (choice == "nftables") return BackendKind::kNftables;
  if (choice == "auto" || choice.empty()) {
    return access(ipvs_proc_path.c_str(), F_OK) == 0 ? BackendKind::kIpvs : BackendKind::kNftables;
  }
  return Fail(ErrorCode::kInvalidArgument, "load balancer backend '" + std::string(choice) +
                                               "' is not one of ipvs, nftables or auto");
}

}  // namespace vigil::lb
