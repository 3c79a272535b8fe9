#include "lb/nftables_backend.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

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
  auto out = runner_->Run("list table " + nft::TableRef(options_), /*json=*/true);
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
    auto again = runner_->Run("list table " + nft::TableRef(options_), /*json=*/true);
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
    text += "add table " + nft::TableRef(options_) + "\n" + nft::RenderTeardown(options_);
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
  auto out = runner_->Run("list table " + nft::TableRef(options_), /*json=*/true);
  if (!out) {
    if (out.error().code() != ErrorCode::kNotFound) return std::unexpected(out.error());
    return std::vector<std::string>{"table " + nft::TableRef(options_) + " is missing"};
  }
  auto findings = nft::AuditTable(*out, owned, options_, kAuditFindings);
  if (findings.empty()) return findings;
  // As in Read: a listing taken while the kernel resizes a big slot map can skip or repeat
  // elements. What a second listing still shows is real.
  out = runner_->Run("list table " + nft::TableRef(options_), /*json=*/true);
  if (!out) {
    if (out.error().code() != ErrorCode::kNotFound) return std::unexpected(out.error());
    return std::vector<std::string>{"table " + nft::TableRef(options_) + " is missing"};
  }
  return nft::AuditTable(*out, owned, options_, kAuditFindings);
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
