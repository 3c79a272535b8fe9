// lvs_sync_daemon driven by VRRP: the kernel's IPVS connection synchronisation daemons
// (master: multicasts the state of the connections this director handles; backup: receives
// a master's and creates its connections) started and stopped with the state of one
// vrrp_instance, so that a director taking over the VIP already has the connections.
//
// keepalived runs one daemon at a time: backup from the start, master while the instance
// is MASTER (stopping the backup daemon first). vigil runs the backup daemon the whole time
// and the master daemon while MASTER (the kernel runs both at once): a MASTER still takes
// what another master sends (two masters at once, a handover). A returning director learns
// the connections as BACKUP in both, before it preempts if preempt_delay gives the kernel
// time (keepalived #1966: a returning master that preempts at once has none). Its own
// master daemon does not loop back to its backup daemon (the kernel's sync sockets do not
// receive their own multicast).
//
// The decision (state -> wanted daemons -> steps) is pure; LvsSyncd owns the generic
// netlink socket and applies the steps.
#ifndef VIGIL_VRRP_LVS_SYNCD_H_
#define VIGIL_VRRP_LVS_SYNCD_H_

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/error.h"
#include "lb/ipvs_message.h"
#include "net/netlink.h"
#include "vrrp/state_machine.h"

namespace vigil::model {
struct Config;
}

namespace vigil::vrrp {

// global_defs lvs_sync_daemon (or a vrrp_instance's lvs_sync_daemon_interface).
struct LvsSyncdSpec {
  std::string instance;                // the vrrp_instance whose state drives the daemons
                                       // (empty: none, both run)
  lb::ipvs::SyncDaemonConfig config;   // sync_id defaults to the instance's VRID
  friend bool operator==(const LvsSyncdSpec&, const LvsSyncdSpec&) = default;
};

// Returns the spec the VRRP engine follows (nullopt without lvs_sync_daemon, without its
// instance, or in its interface-only form).
std::optional<LvsSyncdSpec> LvsSyncdSpecFromModel(const model::Config& config);
// Returns the spec of the interface-only form (`lvs_sync_daemon IF` with no instance), which
// the checker engine runs as keepalived's checker does: both daemons while it runs, sync id
// 0 unless given (instance empty). nullopt otherwise.
std::optional<LvsSyncdSpec> LvsSyncdCheckerSpecFromModel(const model::Config& config);

// The daemons that run (or are wanted).
struct SyncDaemons {
  bool master = false;
  bool backup = false;
  friend bool operator==(const SyncDaemons&, const SyncDaemons&) = default;
};

// Returns the daemons vigil runs while the driving instance is in `state`: the backup
// daemon in every state but STOP (INIT, BACKUP, FAULT, MASTER), the master daemon in MASTER
// only; none in STOP (the engine stops, or the instance is gone).
SyncDaemons WantedSyncDaemons(State state);

// One start or stop of one daemon.
struct SyncdStep {
  bool start = false;
  lb::ipvs::SyncRole role = lb::ipvs::SyncRole::kBackup;
  friend bool operator==(const SyncdStep&, const SyncdStep&) = default;
};

// Returns the steps from `running` to `wanted`: stops first (master, then backup), then
// starts (backup, then master). Nothing when they are equal.
std::vector<SyncdStep> SyncdPlan(SyncDaemons running, SyncDaemons wanted);

// Returns "master" or "backup".
std::string_view SyncRoleName(lb::ipvs::SyncRole role);

// Opens a NETLINK_GENERIC socket in the network namespace file `netns_path`
// (net::IpvsNetnsPath: net_namespace_ipvs, as keepalived's VRRP process talks to IPVS
// there too; "" = the caller's namespace).
Result<std::unique_ptr<net::NetlinkTransport>> OpenIpvsSocket(const std::string& netns_path);

// Owns the IPVS generic netlink socket of the VRRP engine and the daemons it started.
// Without IPVS in the kernel it logs one error and does nothing more (the instances keep
// running); a daemon that fails to start (no such interface, ...) is logged once per
// distinct error and tried again at the next change of the instance.
class LvsSyncd {
 public:
  using Opener = std::function<Result<std::unique_ptr<net::NetlinkTransport>>()>;
  // `open` makes the socket when it is first needed (default: a NETLINK_GENERIC socket in
  // the engine's namespace).
  explicit LvsSyncd(Opener open = {});

  // Sets the spec (at start and at each reload). A changed spec stops the daemons running
  // with the old one; the first spec stops any daemon left in the namespace (by an engine
  // that was killed), so that the daemons start with this configuration.
  void Configure(const std::optional<LvsSyncdSpec>& spec);
  // The state of `instance` is now `state`: starts and stops daemons when it drives them.
  void Follow(const std::string& instance, State state);
  // Starts and stops daemons so that `wanted` run, whatever drives them (the checker
  // engine's interface-only form: both).
  void Want(SyncDaemons wanted) { Apply(wanted); }
  // Stops every daemon started (the engine stops).
  void StopAll();

  const std::optional<LvsSyncdSpec>& spec() const { return spec_; }
  SyncDaemons running() const { return running_; }
  // Whether IPVS could not be reached (logged once; nothing is tried any more).
  bool unavailable() const { return unavailable_; }

 private:
  bool EnsureOpen();
  void Apply(SyncDaemons wanted);
  // Sends one step; returns whether the daemon is now in the wanted condition.
  bool Send(const SyncdStep& step, bool quiet_absent);

  Opener open_;
  std::unique_ptr<net::NetlinkTransport> transport_;
  uint16_t family_id_ = 0;
  bool unavailable_ = false;
  bool cleared_ = false;  // leftovers of an earlier engine stopped
  std::optional<LvsSyncdSpec> spec_;
  SyncDaemons running_;
  std::string last_error_[2];  // per role (master, backup): logged once while it repeats
};

}  // namespace vigil::vrrp

#endif  // VIGIL_VRRP_LVS_SYNCD_H_
