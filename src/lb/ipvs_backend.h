// The IPVS backend: the kernel's IP virtual server, over generic netlink (family "IPVS").
// Message layout: lb/ipvs_message.h. IPVS has no transactions: operations are sent one by
// one, in the reconciler's order.
#ifndef VIGIL_LB_IPVS_BACKEND_H_
#define VIGIL_LB_IPVS_BACKEND_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string_view>

#include "base/error.h"
#include "lb/backend.h"
#include "lb/ipvs_message.h"
#include "net/netlink.h"

namespace vigil::lb {

class IpvsBackend final : public Backend {
 public:
  // Resolves the IPVS family id over `transport` (a NETLINK_GENERIC channel). Fails with
  // kNotFound and a message saying so when the kernel has no IPVS.
  static Result<std::unique_ptr<IpvsBackend>> Open(
      std::unique_ptr<net::NetlinkTransport> transport);
  // Opens a NETLINK_GENERIC socket in the network namespace of the namespace file
  // `netns_path` (net::IpvsNetnsPath; "" = the caller's) and calls Open.
  // Its receive buffer is as `receive_buffer` asks. The audit jobs' own socket is opened
  // the same way (MakeAuditJob).
  static Result<std::unique_ptr<IpvsBackend>> OpenKernel(
      const std::string& netns_path = "",
      net::ReceiveBuffer receive_buffer = net::NetlinkSocket::kDefaultReceiveBuffer);

  std::string_view Name() const override { return "ipvs"; }
  Result<void> ValidateService(const ServiceEntry& entry) const override;
  // Dumps every service in the namespace, then each service's destinations.
  Result<State> Read() override;
  // Audit (Read's dumps and the default comparison) as a job for another thread, over a
  // generic netlink socket of its own: the audit transport, made by the factory at the
  // first call (on the caller's thread: OpenKernel's opens a NETLINK_GENERIC socket in the
  // backend's network namespace) and kept for the next jobs; never the socket of Apply and
  // Read. Without a factory (Open over a given transport), or when it fails, there is no
  // job (Audit runs on the owner's loop).
  AuditJob MakeAuditJob(const State& owned) override;
  using TransportFactory = std::function<Result<std::unique_ptr<net::NetlinkTransport>>()>;
  // Replaces how the audit jobs' transport is made (and forgets the one made).
  void set_audit_transport_factory(TransportFactory make) {
    make_audit_transport_ = std::move(make);
    audit_transport_.reset();
  }
  // Sends each op in order and stops at the first the kernel refuses.
  Result<void> Apply(const std::vector<Op>& ops, const State& desired,
                     const State& actual) override;
  // Returns the destination's active + inactive connections (a GET_DEST dump of `service`).
  Result<uint64_t> Connections(const ServiceKey& service,
                               const DestinationKey& destination) override;
  // Deletes every IPVS service in the namespace (IPVS_CMD_FLUSH).
  Result<void> Flush() override;

  uint16_t family_id() const { return family_id_; }

  // Sets IPVS's connection timeouts to `t` (global_defs lvs_timeouts), as keepalived: the
  // first time any is set the kernel's values are read and kept; the timeouts `t` leaves
  // unset, and all of them once `t` is empty (a reload that drops lvs_timeouts), go back to
  // those kept values. Nothing is sent while no timeout was ever set.
  Result<void> SetTimeouts(const ipvs::Timeouts& t);

  // Starts / stops the kernel's `role` sync daemon (IPVS_CMD_NEW_DAEMON / DEL_DAEMON); the
  // errors carry the kernel's errno (EEXIST: running already, ESRCH: not running).
  Result<void> StartSyncDaemon(ipvs::SyncRole role, const ipvs::SyncDaemonConfig& config);
  Result<void> StopSyncDaemon(ipvs::SyncRole role);

 private:
  IpvsBackend(std::unique_ptr<net::NetlinkTransport> transport, uint16_t family_id)
      : transport_(std::move(transport)), family_id_(family_id) {}

  std::unique_ptr<net::NetlinkTransport> transport_;
  uint16_t family_id_;
  TransportFactory make_audit_transport_;
  std::shared_ptr<net::NetlinkTransport> audit_transport_;  // shared with the job that runs
  std::optional<ipvs::Timeouts> original_timeouts_;  // the kernel's, before vigil set any
};

}  // namespace vigil::lb

#endif  // VIGIL_LB_IPVS_BACKEND_H_
