// The specs VRRP unit tests start from.
#ifndef VIGIL_TESTS_UNIT_VRRP_TEST_SPECS_H_
#define VIGIL_TESTS_UNIT_VRRP_TEST_SPECS_H_

#include <string>
#include <string_view>

#include "vrrp/instance_spec.h"

namespace vigil::vrrp::test {

inline model::IpAddress Ip(std::string_view text) { return *model::IpAddress::Parse(text); }

// Returns the VIP `address`/`length` on `dev`.
inline VipSpec Vip(std::string_view address, uint8_t length = 32, std::string dev = "eth0") {
  VipSpec v;
  v.prefix = {Ip(address), length};
  v.dev = std::move(dev);
  return v;
}

// Returns instance VI_1: VRID 51 on eth0, priority 100, VIP 10.0.0.100/32.
inline InstanceSpec Instance() {
  InstanceSpec s;
  s.name = "VI_1";
  s.interface = "eth0";
  s.params.vrid = 51;
  s.params.priority = 100;
  s.vips = {Vip("10.0.0.100")};
  return s;
}

}  // namespace vigil::vrrp::test

#endif  // VIGIL_TESTS_UNIT_VRRP_TEST_SPECS_H_
