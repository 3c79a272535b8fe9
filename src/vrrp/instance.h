// Instance: one running vrrp_instance as the VRRP engine holds it — its spec, its pure
// StateMachine and timer, its advert I/O on its interface, what it put in the kernel and
// what it counted. The engine (vrrp/engine.cc) drives it; Bindings (vrrp/bindings.h)
// keeps its advert I/O on the interface that carries its name. Not thread-safe.
#ifndef VIGIL_VRRP_INSTANCE_H_
#define VIGIL_VRRP_INSTANCE_H_

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <asio/steady_timer.hpp>

#include "control/status.h"
#include "vrrp/advert_intake.h"
#include "vrrp/advert_io.h"
#include "vrrp/instance_spec.h"
#include "vrrp/state_machine.h"

namespace vigil::vrrp {

struct Instance {
  Instance(asio::io_context& io, const AdvertIo::Kernel& kernel) : timer(io), io(kernel) {}
  InstanceSpec spec;
  std::unique_ptr<StateMachine> sm;
  asio::steady_timer timer;
  uint64_t timer_generation = 0;
  // Its advert I/O on its interface. An instance follows its interface by name; without
  // it (missing, deleted, or no address to send from) it waits in FAULT.
  AdvertIo io;
  bool vips_installed = false;
  bool link_ok = true;
  // Its interface lost the address adverts came from and has no other (FAULT; the flag
  // holds only while a master says priority 0 with the old source, then it unbinds).
  bool address_lost = false;
  bool own_fault = false;   // this instance's own trackers / link (not its sync group's)
  std::string fault_reason;  // why it is faulted (its own causes, else its sync group's)
  std::vector<model::IpAddress> advertised;  // VIPs in the adverts
  control::InstanceStatus status;
  AdvertIntake intake;  // checks, counts and logs the adverts it hears
  // The master advert interval the interface's up/down delays were last capped for.
  std::chrono::microseconds debounce_capped_for{0};
};

// The engine's instances by name.
using Instances = std::map<std::string, std::unique_ptr<Instance>>;

}  // namespace vigil::vrrp

#endif  // VIGIL_VRRP_INSTANCE_H_
