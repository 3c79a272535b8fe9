#include "lb/backend.h"

namespace vigil::lb {

Result<void> Backend::Validate(const State& desired) const {
  for (const auto& [key, entry] : desired.services) {
    if (auto r = ValidateService(entry); !r) return r;
  }
  return {};
}

Result<std::vector<std::string>> Backend::Audit(const State& owned) {
  return Compare(owned, Read());
}

Result<std::vector<std::string>> Backend::Compare(const State& owned, Result<State> kernel) {
  if (!kernel) return std::unexpected(kernel.error());
  return Differences(owned, *kernel, kAuditFindings);
}

Backend::AuditJob Backend::MakeAuditJob(const State&) { return {}; }

Result<uint64_t> Backend::Connections(const ServiceKey& service, const DestinationKey&) {
  return Fail(ErrorCode::kUnsupported,
              std::string(Name()) + " cannot count connections (" + KeyToString(service) + ")");
}

Result<void> Backend::Flush() {
  return Fail(ErrorCode::kUnsupported, std::string(Name()) + " has no table of its own to flush");
}

}  // namespace vigil::lb
