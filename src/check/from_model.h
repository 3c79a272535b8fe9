// Pure mapping from the configuration model (model::VirtualServer, RealServer, CheckSpec)
// to check's own parameter structs and to the load balancer's desired lb::State. No I/O:
// user look-ups go through an injected resolver.
#ifndef VIGIL_CHECK_FROM_MODEL_H_
#define VIGIL_CHECK_FROM_MODEL_H_

#include <sys/types.h>

#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/error.h"
#include "base/subprocess.h"
#include "check/health_core.h"
#include "check/types.h"
#include "check/virtual_server.h"
#include "lb/state.h"
#include "model/config.h"

namespace vigil::check {

// Resolves a user (and optional group) to (uid, gid): base/subprocess.h's.
using UserResolver = vigil::UserResolver;

// Returns vigil's display name of `vs`: "10.0.0.1:80/tcp", "[fd00::1]:80/tcp", "fwmark 7"
// or "group NAME".
std::string VirtualServerName(const model::VirtualServer& vs);

// Returns the identity of `vs` across reloads (the same for a service whatever its other
// settings): its display name.
inline std::string VirtualServerId(const model::VirtualServer& vs) { return VirtualServerName(vs); }

// Returns keepalived's name of `vs` as written to notify FIFOs and logs:
// "[10.0.0.1]:tcp:80", "FWM 7", or "[NAME]:0" for a group.
std::string KeepalivedVsName(const model::VirtualServer& vs);

// Returns keepalived's name of real server `rs` of `vs`: "[10.0.0.2]:tcp:8080" (the
// protocol is the virtual server's; "none" when it has none, as for fwmark services).
std::string KeepalivedRsName(const model::RealServer& rs, const model::VirtualServer& vs);
std::string KeepalivedRsName(const model::SorryServer& rs, const model::VirtualServer& vs);

// Returns "10.0.0.2:8080" or "[fd00::2]:8080".
std::string AddressPortName(const model::IpAddress& address, uint16_t port);

// Returns the process to run for `script`: argv split as keepalived splits it, run as
// PrepareScript says (the script's user, else script_user, else keepalived_script, else
// vigild's own). Fails if the command is empty, the user cannot be resolved or
// enable_script_security refuses the file.
Result<SpawnSpec> ScriptSpawnSpec(const model::Script& script, const model::Global& global,
                                  const UserResolver& resolve);

// Returns the checker timing of `check` (inheritance is already resolved in the model).
CheckTiming ToTiming(const model::CheckSpec& check);

// Returns the probe for `check` of real server `rs`: connect to connect_ip/connect_port,
// else the real server's address/port. HTTP/SSL use the global SSL block of `config`;
// FILE_CHECK looks up its track_file in `config`. Fails for an unknown DNS type, an
// unknown track_file, or a MISC_CHECK user that cannot be resolved.
Result<ProbeSpec> ToProbeSpec(const model::CheckSpec& check, const model::RealServer& rs,
                              const model::Config& config, const UserResolver& resolve);

// Returns check's view of `vs`: real servers named as keepalived names them, weights,
// inhibit_on_failure, the sorry server (weight 1), quorum and hysteresis, the global
// rs_init_notifies, and one CheckerSpec per configured checker.
Result<VirtualServerSpec> ToVirtualServerSpec(const model::VirtualServer& vs,
                                              const model::Config& config,
                                              const UserResolver& resolve);

// Returns the kernel services that carry `vs`: one for an address or a fwmark; for a
// virtual_server_group, one per address of every range entry and one per fwmark entry.
// Fails for an unknown group, a range that crosses its last byte (IPv4) or 16 bits
// (IPv6), or an address service without an address family.
Result<std::vector<lb::ServiceKey>> ServiceKeys(const model::VirtualServer& vs,
                                                const model::Config& config);

// Returns the lb attributes of `vs` under `key`: scheduler, flags, one-packet scheduling,
// persistence timeout and granularity (as a prefix length).
lb::Service ToService(const model::VirtualServer& vs, const lb::ServiceKey& key);

// Returns the lb destination for real server `rs` at `weight`: its forwarding method and
// tunnel, thresholds; port 0 (same as the service's) for fwmark services with no port.
lb::Destination ToDestination(const model::RealServer& rs, uint32_t weight);
// The sorry server of `vs` at `weight`; a sorry server without a port takes the virtual
// server's.
lb::Destination ToDestination(const model::SorryServer& s, const model::VirtualServer& vs,
                              uint32_t weight);

// Adds `vs`'s services to `out` with the destinations in `desired` (as computed by
// VirtualServerState::Desired(): real-server indexes into vs.real_servers, or the sorry
// server). A service with no destination is still added (it drops traffic).
void AddToState(const model::VirtualServer& vs, const std::vector<lb::ServiceKey>& keys,
                const std::vector<Destination>& desired, lb::State& out);

// Adds `vs`'s services to `out` with every real server and the sorry server at its
// configured weight: what the backend must be able to express for `vs`.
void AddFullToState(const model::VirtualServer& vs, const std::vector<lb::ServiceKey>& keys,
                    lb::State& out);

// Returns the state AddFullToState makes of every virtual server of `config`.
Result<lb::State> FullState(const model::Config& config);

// Returns the IPVS scheduler of the model as an lb scheduler.
lb::Scheduler ToScheduler(model::Scheduler s);

// Returns `address` as an lb address; nullopt if it is unspecified.
std::optional<lb::IpAddress> ToLbAddress(const model::IpAddress& address);

}  // namespace vigil::check

#endif  // VIGIL_CHECK_FROM_MODEL_H_
