// The checker and load-balancer engine: runs every health checker of the configuration on
// one event loop (identical probes shared), keeps real-server and quorum state, runs the
// notify scripts and FIFO lines, and keeps the kernel's load balancer (IPVS or nftables)
// equal to the desired state after every change. Reload keeps the health state and kernel
// entries of what did not change.
#ifndef VIGIL_CHECK_ENGINE_H_
#define VIGIL_CHECK_ENGINE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "base/clock.h"
#include "base/error.h"
#include "check/background.h"
#include "check/checker_state.h"
#include "check/from_model.h"
#include "check/notify.h"
#include "check/probe.h"
#include "control/engine.h"
#include "lb/backend.h"
#include "lb/select.h"

namespace asio {
class io_context;
}

namespace vigil::net {
class AddressSource;
class NetlinkTransport;
}

namespace vigil::check {

// What the daemon's command line says to the engine.
struct EngineOptions {
  bool dont_release_lb = false;  // -I: leave vigil's load-balancer entries at stop
  // The daemon's config id (-i), which names its nftables table (lb::nft::TableName).
  std::optional<std::string> config_id;
  // Where the nftables table's lock lives (lb::NftablesBackend::Claim).
  std::string lock_dir = "/run";
};

// Calls functions later on the event loop. The seam for the engine's timers.
class TimerService {
 public:
  using Id = uint64_t;
  virtual ~TimerService() = default;
  // Calls `fn` once after `delay` (from the loop) unless cancelled first. Ids are never 0.
  virtual Id After(Duration delay, std::function<void()> fn) = 0;
  // Cancels timer `id`; nothing happens if it already ran or is unknown.
  virtual void Cancel(Id id) = 0;
};

// Returns a TimerService over Asio steady timers on `io`.
std::unique_ptr<TimerService> MakeAsioTimers(asio::io_context& io);

// Runs one probe attempt and calls `done` once, later, from the loop. Returns a ticket for
// ProbeCanceller, or 0 if the attempt cannot be cancelled (it ends on its own soon).
using ProbeRunner = std::function<ProbeTicket(const ProbeSpec& spec, Duration default_timeout,
                                              ProbeMemo* memo, ProbeCallback done)>;
// Ends the attempt of `ticket` at once (sockets closed, script killed); its `done` still
// comes, later, with a failure.
using ProbeCanceller = std::function<void(ProbeTicket ticket)>;

// Makes the load-balancer backend of `kind`.
using BackendFactory = std::function<Result<std::unique_ptr<lb::Backend>>(lb::BackendKind kind)>;

// Replaceable parts of the engine. Unset members get the production implementation; set
// pointers must outlive the engine.
struct EngineSeams {
  BackendFactory make_backend;  // default: libnftables / IPVS generic netlink
  ProbeRunner run_probe;        // default: a ProbeStarter on the loop
  ProbeCanceller cancel_probe;  // default: the ProbeStarter's; with run_probe set, none
  TimerService* timers = nullptr;
  RandomSource* random = nullptr;
  ScriptRunner* scripts = nullptr;
  const Clock* clock = nullptr;
  UserResolver resolve_user;     // default: LookupUser
  std::string ipvs_proc_path = lb::kIpvsProcPath;
  lb::ModuleLoader load_module;  // default: lb::ModprobeModule
  // The rtnetlink transport of vigil_announce_table's routes; default: a NETLINK_ROUTE
  // socket opened when the configuration first names a table.
  net::NetlinkTransport* route_netlink = nullptr;
  // Where the load balancer's periodic audit reads and compares the kernel when the
  // backend can do it away from the loop (lb::Backend::MakeAuditJob); default: a thread of
  // its own (MakeThreadRunner), started at the first such audit.
  BackgroundRunner* background = nullptr;
  // ha_suspend's local addresses; default: a net::AddressWatch, opened when a virtual
  // server first has ha_suspend.
  net::AddressSource* addresses = nullptr;
};

// Returns the checker engine on `io` (see control::Engine). Start picks the backend from
// global_defs `vigil_lb_backend auto|ipvs|nftables` (default auto) and fails when the
// backend cannot express the configuration (e.g. a scheduler nftables lacks).
std::unique_ptr<control::Engine> MakeEngine(asio::io_context& io, EngineOptions options);
std::unique_ptr<control::Engine> MakeEngine(asio::io_context& io, EngineOptions options,
                                            EngineSeams seams);

}  // namespace vigil::check

#endif  // VIGIL_CHECK_ENGINE_H_
