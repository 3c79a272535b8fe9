// Finds the virtual server already built for a kernel service without a pass over every
// one built before it (a configuration of thousands of virtual servers made that pass
// quadratic).
#ifndef VIGIL_CONFIG_SERVICE_INDEX_H_
#define VIGIL_CONFIG_SERVICE_INDEX_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <utility>

#include "model/config.h"

namespace vigil::config {

// The virtual servers built so far, by what makes two of them one kernel service: address,
// port and protocol; fwmark and family; or the virtual_server_group.
class ServiceIndex {
 public:
  // Returns the position (as given to Add) of the first virtual server added that is the
  // same kernel service as `vs`, or nullopt.
  std::optional<size_t> Find(const model::VirtualServer& vs) const;
  // Records `vs` at position `at`; a service added before keeps its first position.
  void Add(const model::VirtualServer& vs, size_t at);

 private:
  std::map<std::tuple<model::IpAddress, uint16_t, model::Protocol>, size_t> by_address_;
  std::map<std::pair<uint32_t, model::Family>, size_t> by_fwmark_;
  std::map<std::string, size_t, std::less<>> by_group_;
};

}  // namespace vigil::config

#endif  // VIGIL_CONFIG_SERVICE_INDEX_H_
