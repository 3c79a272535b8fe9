// The nftables backend: vigil's `table inet vigil` programmed through libnftables.
// See lb/nft_render.h for the table's layout.
#ifndef VIGIL_LB_NFTABLES_BACKEND_H_
#define VIGIL_LB_NFTABLES_BACKEND_H_

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "base/unique_fd.h"
#include "lb/backend.h"
#include "lb/nft_batch.h"
#include "lb/nft_monitor.h"
#include "lb/nft_render.h"
#include "net/netlink.h"
#include "net/nft_runner.h"

namespace vigil::lb {

// The seam to libnftables (net/nft_runner.h), under the names this module's users know.
using NftRunner = net::NftRunner;
using LibNftablesRunner = net::LibNftablesRunner;

// The seam to the kernel's nftables netlink, for the batches of lb/nft_batch.h. Tests
// substitute a recording fake.
class NftBatchRunner {
 public:
  virtual ~NftBatchRunner() = default;
  // Commits `batch` as one transaction and returns once the kernel acknowledged it. If the
  // kernel rejects a message, nothing is applied and the Error names that message's step,
  // with the kernel's errno (a missing chain or element is kNotFound).
  virtual Result<void> Commit(const nft::Batch& batch) = 0;
  // Sends one request (a complete nftables message) and passes each message of the answer
  // to `on_reply` (net::NetlinkTransport::Transact). By default: kUnsupported.
  virtual Result<void> Query(std::span<const uint8_t> request,
                             const net::NetlinkReplyHandler& on_reply);
};

// NftBatchRunner over one persistent NETLINK_NETFILTER socket, opened in the network
// namespace of the calling thread.
class NetlinkBatchRunner final : public NftBatchRunner {
 public:
  static Result<std::unique_ptr<NetlinkBatchRunner>> Open(
      net::ReceiveBuffer receive_buffer = net::NetlinkSocket::kDefaultReceiveBuffer);
  Result<void> Commit(const nft::Batch& batch) override;
  Result<void> Query(std::span<const uint8_t> request,
                     const net::NetlinkReplyHandler& on_reply) override;

 private:
  explicit NetlinkBatchRunner(net::NetlinkSocket socket) : socket_(std::move(socket)) {}
  net::NetlinkSocket socket_;
};

// Returns the egress interface of each DR real server of `state`: the interface (not
// loopback) with an address whose subnet holds the real server's, the longest prefix
// winning. Real servers on no such subnet are left out.
std::map<IpAddress, std::string> DirectRouteDevices(const State& state);

// Returns the names of the namespace's interfaces but loopback, sorted: those the DR
// ingress chain hooks.
std::vector<std::string> NonLoopbackInterfaces();

class NftablesBackend final : public Backend {
 public:
  using DeviceLookup = std::function<std::map<IpAddress, std::string>(const State&)>;
  // With `batches`, real-server changes (nft::BuildBatch) go to the kernel as netlink
  // batches once the table is known to be in sync; everything else goes through `runner`.
  NftablesBackend(std::unique_ptr<NftRunner> runner, nft::Options options,
                  std::unique_ptr<NftBatchRunner> batches = nullptr);
  // Removes the lock file of Claim (while still holding the lock).
  ~NftablesBackend() override;

  std::string_view Name() const override { return nft::kBackendName; }
  Result<void> ValidateService(const ServiceEntry& entry) const override;
  // Reads vigil's table; an absent table is an empty State. A table whose contents make no
  // sense (e.g. a service chain someone flushed) is kParse, "table inet vigil is
  // inconsistent: ...". After Reset, returns an empty State without reading.
  Result<State> Read() override;
  // Applies `ops` in one transaction. The first call also creates the table if it is
  // missing, or resynchronises its masquerade sets if it exists; the first after Reset
  // replaces the table (whatever it holds) by a new one in the same transaction. Later
  // calls whose `ops` only change real servers of unchanged services send a netlink batch
  // (nft::BuildBatch) when the backend has an NftBatchRunner.
  Result<void> Apply(const std::vector<Op>& ops, const State& desired,
                     const State& actual) override;
  // Lists the table and compares every object with the table that holds `owned`
  // (nft::AuditTable); findings count only if a second listing shows them too (as an
  // inconsistent table in Read): the kernel's listing of a big map it is resizing can skip
  // or repeat elements.
  Result<std::vector<std::string>> Audit(const State& owned) override;
  // Audit as a job for another thread: over a libnftables context of its own (made on the
  // first call, on the caller's thread and so in its network namespace, and kept for the
  // next jobs), with copies of `owned` and of the table's options.
  AuditJob MakeAuditJob(const State& owned) override;
  // Replaces how the audit jobs' own runner is made (a LibNftablesRunner by default).
  void set_audit_runner_factory(std::function<std::unique_ptr<NftRunner>()> make) {
    make_audit_runner_ = std::move(make);
    audit_runner_.reset();
  }
  void Reset() override { table_ = TableState::kDamaged; }
  // Counts the open conntrack entries destination-NATed to `destination` from `service`'s
  // virtual address and port (net/conntrack.h; a fwmark service: from any).
  Result<uint64_t> Connections(const ServiceKey& service,
                               const DestinationKey& destination) override;
  // Replaces the ctnetlink channel Connections uses (by default a NETLINK_NETFILTER socket
  // opened at its first call, in the caller's network namespace).
  void set_conntrack(std::unique_ptr<net::NetlinkTransport> transport) {
    conntrack_ = std::move(transport);
  }
  // Deletes vigil's whole table (the last step of a shutdown that does not keep entries).
  Result<void> Teardown();
  // Returns whether the last successful Apply went as a netlink batch (not libnftables).
  bool last_apply_batched() const { return last_batched_; }
  // Replaces how DR real servers' egress devices are found (DirectRouteDevices).
  void set_device_lookup(DeviceLookup lookup) { device_lookup_ = std::move(lookup); }
  void set_hook_devices(std::function<std::vector<std::string>()> list) {
    hook_devices_ = std::move(list);
  }
  // What SyncHooks changed: the interfaces hooked and unhooked.
  struct HookChange {
    std::vector<std::string> added, removed;
  };
  // Makes the DR ingress chain, if there is one, hook the namespace's interfaces as they
  // are now (but loopback: NonLoopbackInterfaces, or set_hook_devices'): those it lacks are
  // added and those gone are removed, in one batch. The kernel holds the list, so this
  // reads it (nothing changes while the interfaces are those hooked). An interface comes
  // and goes with rtnetlink's link events, which the caller follows. A change counts in
  // writes(), as Apply's do. Needs the NftBatchRunner (kUnsupported without one).
  Result<HookChange> SyncHooks();

  // Returns "inet vigil" (the table this backend keeps).
  std::string table() const { return nft::TableRef(options_); }

  // Claims the table for this process in this network namespace: an exclusive lock on
  // `lock_dir`/vigild-lb.<netns inode>.<table>.lock, held (and the file removed at the
  // end) while the backend lives. Fails
  // (kExists) when another process holds it, naming its pid: two daemons sharing one table
  // would undo each other's changes.
  Result<void> Claim(const std::string& lock_dir);

  // Subscribes to nftables notifications (nft::Monitor); vigil's own transactions are told
  // apart and never reported.
  Result<void> Watch(net::ReceiveBuffer receive_buffer = net::NetlinkSocket::kDefaultReceiveBuffer);
  // Returns the descriptor to watch for readability, or -1 before Watch.
  int watch_fd() const { return monitor_ ? monitor_->fd() : -1; }
  // Returns the changes other processes made to the table since the last call, one line
  // per transaction (nft::ChangeFilter's words).
  std::vector<std::string> TakeChanges();

 private:
  enum class TableState { kUnknown, kAbsent, kPresent, kSynced, kDamaged };

  // Runs one of vigil's own transactions: what others did before it is kept for
  // TakeChanges, what it causes is not reported.
  Result<std::string> RunOwn(std::string_view commands);
  // Runs `commit` (RunOwn's, or a batch's) as one of vigil's own transactions, counted in
  // writes().
  template <typename Commit>
  auto Own(Commit commit) -> decltype(commit());
  void PollMonitor();
  // ListTables through runner_.
  Result<std::string> List();

  std::unique_ptr<NftRunner> runner_;
  std::unique_ptr<NftBatchRunner> batches_;
  std::function<std::unique_ptr<NftRunner>()> make_audit_runner_ = [] {
    return std::make_unique<LibNftablesRunner>();
  };
  std::shared_ptr<NftRunner> audit_runner_;  // shared with the audit job that runs
  nft::Options options_;
  DeviceLookup device_lookup_ = DirectRouteDevices;
  std::function<std::vector<std::string>()> hook_devices_ = NonLoopbackInterfaces;
  TableState table_ = TableState::kUnknown;
  bool last_batched_ = false;
  std::optional<nft::Monitor> monitor_;
  std::unique_ptr<net::NetlinkTransport> conntrack_;
  UniqueFd lock_;
  std::string lock_path_;
  std::vector<std::string> changes_;  // seen, not yet taken
};

}  // namespace vigil::lb

#endif  // VIGIL_LB_NFTABLES_BACKEND_H_
