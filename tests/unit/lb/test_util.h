// Helpers shared by the lb unit tests: terse builders for services and destinations.
#ifndef VIGIL_TESTS_UNIT_LB_TEST_UTIL_H_
#define VIGIL_TESTS_UNIT_LB_TEST_UTIL_H_

#include <string>

#include "lb/reconciler.h"
#include "lb/state.h"

namespace vigil::lb::testing {

inline IpAddress Ip(const std::string& text) { return IpAddress::Parse(text).value(); }

inline Service Tcp(const std::string& vip, uint16_t port, Scheduler scheduler = Scheduler::kRr) {
  Service s;
  s.key = AddressKey{Protocol::kTcp, Ip(vip), port};
  s.scheduler = scheduler;
  return s;
}

inline Service Fwmark(uint32_t mark, Scheduler scheduler = Scheduler::kRr,
                      Family family = Family::kIpv4) {
  Service s;
  s.key = FwmarkKey{family, mark};
  s.scheduler = scheduler;
  return s;
}

inline Destination Dest(const std::string& address, uint16_t port, uint32_t weight = 1) {
  Destination d;
  d.key = DestinationKey{Ip(address), port};
  d.weight = weight;
  return d;
}

inline std::string ToString(const std::vector<Op>& ops) {
  std::string out;
  for (const Op& op : ops) out += lb::ToString(op) + "\n";
  return out;
}

}  // namespace vigil::lb::testing

#endif  // VIGIL_TESTS_UNIT_LB_TEST_UTIL_H_
