// How long the VRRP engine holds its instances back at start: vrrp_startup_delay and
// vrrp_delay_after_boot, combined as keepalived combines them. Pure: the uptime is an
// argument (the engine reads /proc/uptime).
#ifndef VIGIL_VRRP_STARTUP_DELAY_H_
#define VIGIL_VRRP_STARTUP_DELAY_H_

#include <chrono>
#include <optional>
#include <string_view>

namespace vigil::vrrp {

// Returns the system's uptime from the text of /proc/uptime (its first field: seconds with
// a fraction), or nullopt if the text does not start with one.
std::optional<std::chrono::microseconds> ParseUptime(std::string_view proc_uptime);

// Returns the start delay: the longer of `startup_delay` and what is left of
// `delay_after_boot` once the system has been up `uptime` (nothing once it has been up that
// long). An unknown uptime (nullopt) leaves `delay_after_boot` out, as keepalived ignores it
// when /proc/uptime cannot be read.
std::chrono::microseconds StartupDelay(std::chrono::microseconds startup_delay,
                                       std::chrono::microseconds delay_after_boot,
                                       std::optional<std::chrono::microseconds> uptime);

}  // namespace vigil::vrrp

#endif  // VIGIL_VRRP_STARTUP_DELAY_H_
