// Network namespaces by name, as `ip netns` keeps them: a namespace file bound at
// /run/netns/NAME. vigild enters the one `net_namespace` names before anything else, and
// opens the IPVS socket in the one `net_namespace_ipvs` names.
#ifndef VIGIL_NET_NETNS_H_
#define VIGIL_NET_NETNS_H_

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "base/error.h"

namespace vigil::net {

// Where `ip netns` binds its namespaces.
inline constexpr char kNetnsDir[] = "/run/netns/";
// The namespace of the host's init process: `net_namespace_ipvs` without a name.
inline constexpr char kInitNetns[] = "/proc/1/ns/net";

// Returns the namespace file of the `ip netns` namespace `name`: /run/netns/NAME.
std::string NetnsPath(std::string_view name);

// Returns the namespace file IPVS is programmed in for the model's `net_namespace_ipvs`:
// "" (vigild's own namespace) for nullopt, kInitNetns for "", else NetnsPath(name).
std::string IpvsNetnsPath(const std::optional<std::string>& net_namespace_ipvs);

// Moves the calling thread into the network namespace of the namespace file `path`
// (call it before other threads exist for the whole process to follow). Fails with the
// errno of open or setns, naming `path`.
Result<void> EnterNetns(const std::string& path);

// Runs `body` with the calling thread in the network namespace of `path` and moves it back
// to its own namespace afterwards: sockets `body` opens stay in that namespace for their
// whole life. An empty `path` runs `body` where the thread is. Fails, without running
// `body`, when the namespace cannot be entered; fails too if the way back fails.
Result<void> InNetns(const std::string& path, const std::function<void()>& body);

}  // namespace vigil::net

#endif  // VIGIL_NET_NETNS_H_
