#include "lb/backend.h"

namespace vigil::lb {

Result<std::vector<std::string>> Backend::Audit(const State& owned) {
  auto kernel = Read();
  if (!kernel) return std::unexpected(kernel.error());
  return Differences(owned, *kernel, kAuditFindings);
}

}  // namespace vigil::lb
