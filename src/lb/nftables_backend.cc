#include "lb/nftables_backend.h"

#include <fcntl.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include <algorithm>
#include <iterator>
#include <set>
#include <utility>

#include "base/fd.h"
#include "net/conntrack.h"

namespace vigil::lb {

Result<std::unique_ptr<NetlinkBatchRunner>> NetlinkBatchRunner::Open(
    net::ReceiveBuffer receive_buffer) {
  auto socket = net::NetlinkSocket::Open(NETLINK_NETFILTER, {}, receive_buffer);
  if (!socket) return std::unexpected(socket.error());
  return std::unique_ptr<NetlinkBatchRunner>(new NetlinkBatchRunner(std::move(*socket)));
}

Result<void> NetlinkBatchRunner::Commit(const nft::Batch& batch) {
  size_t failed = 0;
  auto r = socket_.TransactBatch(batch.bytes, &failed);
  if (r) return {};
  if (failed < batch.steps.size() && r.error().sys_errno() != 0) {
    // The step in nft's words rather than the message's number.
    std::string context = "nftables: " + batch.steps[failed];
    const std::string& netlink = r.error().context();
    if (const size_t text = netlink.find(" ("); text != std::string::npos) {
      context += netlink.substr(text);  // the kernel's extended-ack text
    }
    return std::unexpected(Error::FromErrno(r.error().sys_errno(), std::move(context)));
  }
  return Fail(r.error().code(), "nftables: " + r.error().context(), r.error().sys_errno());
}

Result<void> NftBatchRunner::Query(std::span<const uint8_t>, const net::NetlinkReplyHandler&) {
  return Fail(ErrorCode::kUnsupported, "nftables: no netlink socket to ask the kernel");
}

Result<void> NetlinkBatchRunner::Query(std::span<const uint8_t> request,
                                       const net::NetlinkReplyHandler& on_reply) {
  return socket_.Transact(request, on_reply);
}

namespace {

// Returns whether the first `prefix` bits of `a` and `b` (`size` bytes each) agree.
bool SamePrefix(const uint8_t* a, const uint8_t* b, int prefix) {
  for (int i = 0; i < prefix; ++i) {
    const uint8_t bit = static_cast<uint8_t>(0x80 >> (i % 8));
    if ((a[i / 8] & bit) != (b[i / 8] & bit)) return false;
  }
  return true;
}

int PrefixOf(const uint8_t* mask, size_t size) {
  int n = 0;
  for (size_t i = 0; i < size * 8 && (mask[i / 8] & (0x80 >> (i % 8))); ++i) ++n;
  return n;
}

}  // namespace

std::map<IpAddress, std::string> DirectRouteDevices(const State& state) {
  std::map<IpAddress, std::string> out;
  std::set<IpAddress> wanted;
  for (const auto& [key, e] : state.services) {
    for (const auto& [k, d] : e.destinations) {
      if (d.forwarding == Forwarding::kDirectRoute) wanted.insert(k.address);
    }
  }
  if (wanted.empty()) return out;
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0) return out;
  std::map<IpAddress, int> best;  // the longest prefix seen so far
  for (const ifaddrs* i = list; i != nullptr; i = i->ifa_next) {
    if (i->ifa_addr == nullptr || i->ifa_netmask == nullptr || (i->ifa_flags & IFF_LOOPBACK)) {
      continue;
    }
    const uint8_t* addr = nullptr;
    const uint8_t* mask = nullptr;
    size_t size = 0;
    if (i->ifa_addr->sa_family == AF_INET) {
      addr = reinterpret_cast<const uint8_t*>(
          &reinterpret_cast<const sockaddr_in*>(i->ifa_addr)->sin_addr);
      mask = reinterpret_cast<const uint8_t*>(
          &reinterpret_cast<const sockaddr_in*>(i->ifa_netmask)->sin_addr);
      size = 4;
    } else if (i->ifa_addr->sa_family == AF_INET6) {
      addr = reinterpret_cast<const uint8_t*>(
          &reinterpret_cast<const sockaddr_in6*>(i->ifa_addr)->sin6_addr);
      mask = reinterpret_cast<const uint8_t*>(
          &reinterpret_cast<const sockaddr_in6*>(i->ifa_netmask)->sin6_addr);
      size = 16;
    } else {
      continue;
    }
    const int prefix = PrefixOf(mask, size);
    for (const IpAddress& rs : wanted) {
      if (rs.size() != size || !SamePrefix(rs.bytes().data(), addr, prefix)) continue;
      auto b = best.find(rs);
      if (b != best.end() && b->second >= prefix) continue;
      best[rs] = prefix;
      out[rs] = i->ifa_name;
    }
  }
  ::freeifaddrs(list);
  return out;
}

std::vector<std::string> NonLoopbackInterfaces() {
  std::vector<std::string> out;
  struct if_nameindex* list = ::if_nameindex();
  if (list == nullptr) return out;
  for (const struct if_nameindex* i = list; i->if_index != 0; ++i) {
    if (std::string_view(i->if_name) != "lo") out.emplace_back(i->if_name);
  }
  ::if_freenameindex(list);
  std::sort(out.begin(), out.end());
  return out;
}

namespace {

// Lists the inet table and the netdev one (DR services) through `runner`, joined
// (nft::JoinListings); kNotFound when the inet table is missing.
Result<std::string> ListTables(NftRunner& runner, const nft::Options& options) {
  auto inet = runner.Run("list table " + nft::TableRef(options), /*json=*/true);
  if (!inet) return inet;
  auto netdev = runner.Run("list table netdev " + options.table, /*json=*/true);
  if (!netdev) {
    if (netdev.error().code() != ErrorCode::kNotFound) return netdev;
    return inet;
  }
  return nft::JoinListings(*inet, *netdev);
}

// NftablesBackend::Audit's listing and comparison, through `runner`.
Result<std::vector<std::string>> AuditThrough(NftRunner& runner, const nft::Options& options,
                                              const State& owned) {
  const auto missing = [&] {
    return std::vector<std::string>{"table " + nft::TableRef(options) + " is missing"};
  };
  auto out = ListTables(runner, options);
  if (!out) {
    if (out.error().code() != ErrorCode::kNotFound) return std::unexpected(out.error());
    return missing();
  }
  auto findings = nft::AuditTable(*out, owned, options, Backend::kAuditFindings);
  if (findings.empty()) return findings;
  // As in Read: a listing taken while the kernel resizes a big slot map can skip or repeat
  // elements. What a second listing still shows is real.
  out = ListTables(runner, options);
  if (!out) {
    if (out.error().code() != ErrorCode::kNotFound) return std::unexpected(out.error());
    return missing();
  }
  return nft::AuditTable(*out, owned, options, Backend::kAuditFindings);
}

}  // namespace

Result<std::string> NftablesBackend::List() { return ListTables(*runner_, options_); }

NftablesBackend::NftablesBackend(std::unique_ptr<NftRunner> runner, nft::Options options,
                                 std::unique_ptr<NftBatchRunner> batches)
    : runner_(std::move(runner)), batches_(std::move(batches)), options_(options) {}

NftablesBackend::~NftablesBackend() {
  if (lock_.get() >= 0) ::unlink(lock_path_.c_str());
}

Result<void> NftablesBackend::ValidateService(const ServiceEntry& entry) const {
  return nft::ValidateService(entry);
}

Result<State> NftablesBackend::Read() {
  if (table_ == TableState::kDamaged) return State{};
  auto out = List();
  if (!out) {
    if (out.error().code() != ErrorCode::kNotFound) return std::unexpected(out.error());
    table_ = TableState::kAbsent;
    return State{};
  }
  if (table_ == TableState::kUnknown || table_ == TableState::kAbsent) {
    table_ = TableState::kPresent;
  }
  auto state = nft::ParseTable(*out);
  if (!state) {
    // A listing can be wrong while the kernel resizes a big slot map (a dump that resumes
    // in a rehashed table skips or repeats elements): only a second one counts.
    auto again = List();
    if (again) state = nft::ParseTable(*again);
  }
  if (!state) {
    return Fail(ErrorCode::kParse, "table " + nft::TableRef(options_) +
                                       " is inconsistent: " + state.error().ToString());
  }
  return state;
}

Result<void> NftablesBackend::Apply(const std::vector<Op>& ops, const State& desired,
                                    const State& actual) {
  // Only the services the operations name are rendered: the DR real servers' devices and the
  // interfaces to hook are looked up when one of them is DR as desired (else a change of a
  // NAT service would cost a pass over every destination and a listing of the interfaces).
  const ServiceKey* last = nullptr;
  const bool direct_route = std::any_of(ops.begin(), ops.end(), [&](const Op& op) {
    if (last != nullptr && *last == op.service.key) return false;
    last = &op.service.key;
    const ServiceEntry* want = desired.Find(op.service.key);
    return want != nullptr && nft::DirectRouted(*want);
  });
  options_.dr_devices = direct_route ? device_lookup_(desired) : decltype(options_.dr_devices){};
  options_.dr_hook_devices = direct_route ? hook_devices_() : std::vector<std::string>{};
  if (table_ == TableState::kSynced && batches_) {
    if (auto batch = nft::BuildBatch(ops, desired, actual, options_)) {
      if (batch->bytes.empty()) return {};
      auto r = Own([&] { return batches_->Commit(*batch); });
      if (r) last_batched_ = true;
      return r;
    }
  }
  auto rendered = nft::RenderOps(ops, desired, actual, options_);
  if (!rendered) return std::unexpected(rendered.error());
  if (table_ == TableState::kUnknown) {
    if (auto r = Read(); !r) return std::unexpected(r.error());
  }
  std::string text;
  if (table_ == TableState::kDamaged) {
    // `add` first, so that deleting a table someone already deleted cannot fail.
    text += nft::RenderTeardown(options_);
  }
  if (table_ == TableState::kAbsent || table_ == TableState::kDamaged) {
    text += nft::RenderSkeleton(options_);
  }
  if (table_ == TableState::kPresent) text += nft::RenderMasqueradeResync(actual, options_);
  text += *rendered;
  if (text.empty()) return {};
  if (auto r = RunOwn(text); !r) return std::unexpected(r.error());
  table_ = TableState::kSynced;
  last_batched_ = false;
  return {};
}

Result<std::vector<std::string>> NftablesBackend::Audit(const State& owned) {
  options_.dr_devices = device_lookup_(owned);
  return AuditThrough(*runner_, options_, owned);
}

Backend::AuditJob NftablesBackend::MakeAuditJob(const State& owned) {
  options_.dr_devices = device_lookup_(owned);
  if (!audit_runner_) audit_runner_ = make_audit_runner_();
  return [runner = audit_runner_, options = options_, owned = owned] {
    return AuditThrough(*runner, options, owned);
  };
}

Result<NftablesBackend::HookChange> NftablesBackend::SyncHooks() {
  if (!batches_) {
    return Fail(ErrorCode::kUnsupported,
                "no nftables netlink socket: interfaces are hooked at the next DR change");
  }
  std::optional<std::vector<std::string>> hooked;
  auto asked = batches_->Query(nft::BuildGetIngressChain(options_), [&](const nlmsghdr& m) {
    if (!hooked) hooked = nft::DecodeChainDevices(m);
  });
  if (!asked) {
    if (asked.error().code() == ErrorCode::kNotFound) return HookChange{};  // no DR service
    return Fail(asked.error().code(),
                "reading chain netdev " + options_.table + " " + std::string(nft::kIngressChain) +
                    ": " + asked.error().ToString(),
                asked.error().sys_errno());
  }
  if (!hooked) return HookChange{};
  std::vector<std::string> now = hook_devices_();
  std::sort(now.begin(), now.end());
  HookChange change;
  std::set_difference(now.begin(), now.end(), hooked->begin(), hooked->end(),
                      std::back_inserter(change.added));
  // (A chain keeps at least one device: with none left, the gone ones stay.)
  if (!now.empty()) {
    std::set_difference(hooked->begin(), hooked->end(), now.begin(), now.end(),
                        std::back_inserter(change.removed));
  }
  const nft::Batch batch = nft::BuildHookBatch(change.added, change.removed, options_);
  if (batch.bytes.empty()) return change;
  if (auto r = Own([&] { return batches_->Commit(batch); }); !r) return std::unexpected(r.error());
  return change;
}

Result<void> NftablesBackend::Teardown() {
  auto r = RunOwn(nft::RenderTeardown(options_));
  if (!r && r.error().code() != ErrorCode::kNotFound) return std::unexpected(r.error());
  table_ = TableState::kAbsent;
  return {};
}

Result<void> NftablesBackend::Claim(const std::string& lock_dir) {
  struct stat ns{};
  if (::stat("/proc/self/ns/net", &ns) != 0) {
    return Fail(ErrorCode::kIo, "stat /proc/self/ns/net", errno);
  }
  const std::string path = lock_dir + "/vigild-lb." + std::to_string(ns.st_ino) + "." +
                           options_.table + ".lock";
  UniqueFd fd = fd::Open(path.c_str(), O_RDWR | O_CREAT, 0600);
  if (fd.get() < 0) return Fail(ErrorCode::kIo, "open " + path, errno);
  if (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
    char buf[32] = {};
    const ssize_t n = ::pread(fd.get(), buf, sizeof buf - 1, 0);
    std::string pid = n > 0 ? std::string(buf, static_cast<size_t>(n)) : "?";
    while (!pid.empty() && (pid.back() == '\n' || pid.back() == ' ')) pid.pop_back();
    return Fail(ErrorCode::kExists,
                "table " + table() + " is kept by another vigild in this network namespace (pid " +
                    pid + "); give each daemon its own config id (-i ID uses table inet vigil_ID)");
  }
  const std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd.get(), 0) != 0 || ::pwrite(fd.get(), pid.data(), pid.size(), 0) < 0) {
    return Fail(ErrorCode::kIo, "write " + path, errno);
  }
  lock_ = std::move(fd);
  lock_path_ = path;
  return {};
}

Result<void> NftablesBackend::Watch(net::ReceiveBuffer receive_buffer) {
  auto m = nft::Monitor::Open(options_.table, receive_buffer);
  if (!m) return std::unexpected(m.error());
  monitor_.emplace(std::move(*m));
  return {};
}

void NftablesBackend::PollMonitor() {
  if (!monitor_) return;
  auto seen = monitor_->Poll();
  if (!seen) {
    changes_.push_back("reading nftables events failed: " + seen.error().ToString());
    return;
  }
  for (std::string& c : *seen) changes_.push_back(std::move(c));
}

std::vector<std::string> NftablesBackend::TakeChanges() {
  PollMonitor();
  return std::exchange(changes_, {});
}

template <typename Commit>
auto NftablesBackend::Own(Commit commit) -> decltype(commit()) {
  // What is queued before is someone else's; the transaction's own events are not heard
  // (the monitor leaves its group meanwhile) or, if it cannot leave, discarded after.
  CountWrite();
  PollMonitor();
  const bool paused = monitor_ && monitor_->Pause().has_value();
  auto r = commit();
  if (paused) {
    if (auto j = monitor_->Resume(); !j) {
      changes_.push_back("not hearing nftables events any more: " + j.error().ToString());
    }
  } else if (monitor_) {
    monitor_->Discard();
  }
  return r;
}

Result<std::string> NftablesBackend::RunOwn(std::string_view commands) {
  return Own([&] { return runner_->Run(commands, /*json=*/false); });
}

Result<uint64_t> NftablesBackend::Connections(const ServiceKey& service,
                                              const DestinationKey& destination) {
  if (!conntrack_) {
    auto socket = net::NetlinkSocket::Open(NETLINK_NETFILTER);
    if (!socket)
      return Fail(socket.error().code(), "conntrack: " + socket.error().context(),
                  socket.error().sys_errno());
    conntrack_ = std::make_unique<net::NetlinkSocket>(std::move(*socket));
  }
  auto raw = [](const IpAddress& a) { return net::RawAddress::FromBytes(a.bytes().data(), a.size()); };
  net::conntrack::ServerMatch match;
  match.server = raw(destination.address);
  match.server_port = destination.port;
  if (const auto* key = std::get_if<AddressKey>(&service)) {
    match.protocol = ProtocolNumber(key->protocol);
    match.virtual_address = raw(key->address);
    match.virtual_port = key->port;
  }
  auto n = net::conntrack::CountOpenConnections(*conntrack_, match);
  if (!n)
    return Fail(n.error().code(), "conntrack: " + n.error().context(), n.error().sys_errno());
  return uint64_t{*n};
}

}  // namespace vigil::lb
