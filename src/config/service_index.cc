#include "config/service_index.h"

#include <algorithm>

namespace vigil::config {

std::optional<size_t> ServiceIndex::Find(const model::VirtualServer& vs) const {
  std::optional<size_t> out;
  auto take = [&out](const auto& map, const auto& key) {
    if (auto it = map.find(key); it != map.end()) out = std::min(out.value_or(it->second), it->second);
  };
  if (vs.address) take(by_address_, std::make_tuple(*vs.address, vs.port, vs.protocol));
  if (vs.fwmark) take(by_fwmark_, std::make_pair(*vs.fwmark, vs.family));
  if (vs.group) take(by_group_, *vs.group);
  return out;
}

void ServiceIndex::Add(const model::VirtualServer& vs, size_t at) {
  if (vs.address) by_address_.emplace(std::make_tuple(*vs.address, vs.port, vs.protocol), at);
  if (vs.fwmark) by_fwmark_.emplace(std::make_pair(*vs.fwmark, vs.family), at);
  if (vs.group) by_group_.emplace(*vs.group, at);
}

}  // namespace vigil::config
