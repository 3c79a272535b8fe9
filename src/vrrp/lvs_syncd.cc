#include "vrrp/lvs_syncd.h"

#include <linux/netlink.h>

#include <cerrno>

#include "base/log.h"
#include "model/config.h"
#include "net/netns.h"

namespace vigil::vrrp {

using lb::ipvs::SyncRole;

namespace {

LvsSyncdSpec SpecOf(const model::LvsSyncDaemon& d, uint32_t default_sync_id) {
  return {.instance = d.vrrp_instance,
          .config = lb::ipvs::SyncDaemonConfigOf(d, default_sync_id)};
}

}  // namespace

std::optional<LvsSyncdSpec> LvsSyncdSpecFromModel(const model::Config& config) {
  const auto& d = config.global.lvs_sync_daemon;
  if (!d || d->vrrp_instance.empty()) return std::nullopt;
  for (const auto& i : config.vrrp_instances) {
    // As keepalived: the sync id is the instance's VRID unless given.
    if (i.name == d->vrrp_instance) return SpecOf(*d, i.virtual_router_id);
  }
  return std::nullopt;
}

std::optional<LvsSyncdSpec> LvsSyncdCheckerSpecFromModel(const model::Config& config) {
  const auto& d = config.global.lvs_sync_daemon;
  if (!d || !d->vrrp_instance.empty()) return std::nullopt;
  return SpecOf(*d, 0);
}

SyncDaemons WantedSyncDaemons(State state) {
  switch (state) {
    case State::kStop:
      return {};
    case State::kMaster:
      return {.master = true, .backup = true};
    case State::kInit:
    case State::kBackup:
    case State::kFault:
      return {.master = false, .backup = true};
  }
  return {};
}

std::vector<SyncdStep> SyncdPlan(SyncDaemons running, SyncDaemons wanted) {
  std::vector<SyncdStep> steps;
  if (running.master && !wanted.master) steps.push_back({false, SyncRole::kMaster});
  if (running.backup && !wanted.backup) steps.push_back({false, SyncRole::kBackup});
  if (!running.backup && wanted.backup) steps.push_back({true, SyncRole::kBackup});
  if (!running.master && wanted.master) steps.push_back({true, SyncRole::kMaster});
  return steps;
}

std::string_view SyncRoleName(SyncRole role) {
  return role == SyncRole::kMaster ? "master" : "backup";
}

namespace {


bool& Flag(SyncDaemons& d, SyncRole role) {
  return role == SyncRole::kMaster ? d.master : d.backup;
}

}  // namespace

Result<std::unique_ptr<net::NetlinkTransport>> OpenIpvsSocket(const std::string& netns_path) {
  std::optional<Result<net::NetlinkSocket>> socket;
  auto in = net::InNetns(netns_path, [&] { socket = net::NetlinkSocket::Open(NETLINK_GENERIC); });
  if (!in) return std::unexpected(in.error());
  if (!*socket) return std::unexpected(socket->error());
  return std::unique_ptr<net::NetlinkTransport>(new net::NetlinkSocket(std::move(**socket)));
}

LvsSyncd::LvsSyncd(Opener open)
    : open_(open ? std::move(open) : Opener([] { return OpenIpvsSocket(""); })) {}

bool LvsSyncd::EnsureOpen() {
  if (transport_) return true;
  if (unavailable_) return false;
  auto t = open_();
  Result<void> r;
  std::optional<Result<uint16_t>> id;
  if (!t) {
    r = std::unexpected(t.error());
  } else {
    r = (*t)->Transact(lb::ipvs::BuildGetFamily(), [&](const nlmsghdr& reply) {
      if (!id) id = lb::ipvs::ParseFamilyId(reply);
    });
  }
  if (r && id && *id) {
    transport_ = std::move(*t);
    family_id_ = **id;
    return true;
  }
  unavailable_ = true;
  std::string why;
  if (!r && r.error().sys_errno() == ENOENT)
    why = "the kernel has no IPVS (load the ip_vs module)";
  else if (!r)
    why = r.error().ToString();
  else
    why = id ? id->error().ToString() : "no answer to the IPVS family request";
  log::Error("lvs_sync_daemon: " + why + "; the IPVS sync daemons are not started and "
             "connections are not synchronised (VRRP goes on)");
  return false;
}

bool LvsSyncd::Send(const SyncdStep& step, bool quiet_absent) {
  const auto& c = spec_->config;
  auto msg = step.start ? lb::ipvs::BuildStartDaemon(family_id_, step.role, c)
                        : lb::ipvs::BuildStopDaemon(family_id_, step.role, c.sync_id);
  auto r = transport_->Transact(msg, nullptr);
  std::string& last = last_error_[step.role == SyncRole::kMaster ? 0 : 1];
  const std::string what = std::string(SyncRoleName(step.role)) + " sync daemon";
  if (r) {
    last.clear();
    if (step.start)
      log::Info("lvs_sync_daemon: started the " + what + " on " + c.interface + " (syncid " +
                std::to_string(c.sync_id) + ")");
    else if (!quiet_absent)
      log::Info("lvs_sync_daemon: stopped the " + what);
    return true;
  }
  const int e = r.error().sys_errno();
  if (step.start && e == EEXIST) {
    log::Warning("lvs_sync_daemon: the " + what + " was running already; kept");
    return true;
  }
  if (!step.start && e == ESRCH) {  // not running: what a stop wants
    if (!quiet_absent) log::Warning("lvs_sync_daemon: the " + what + " was not running");
    return true;
  }
  std::string text = "lvs_sync_daemon: cannot " + std::string(step.start ? "start" : "stop") +
                     " the " + what + (step.start ? " on " + c.interface : "") + ": " +
                     r.error().ToString();
  if (text != last) log::Error(text);
  last = text;
  return false;
}

void LvsSyncd::Apply(SyncDaemons wanted) {
  if (!spec_ || wanted == running_ || !EnsureOpen()) return;
  for (const SyncdStep& step : SyncdPlan(running_, wanted)) {
    if (Send(step, /*quiet_absent=*/false)) Flag(running_, step.role) = step.start;
  }
}

void LvsSyncd::Configure(const std::optional<LvsSyncdSpec>& spec) {
  if (spec == spec_ && cleared_) return;
  if (spec_ && running_ != SyncDaemons{}) {
    log::Info("lvs_sync_daemon: configuration changed; restarting the sync daemons");
    StopAll();
  }
  spec_ = spec;
  if (!spec_ || cleared_) return;
  // Daemons left by an engine that did not stop (SIGKILL) would keep their configuration
  // and make our starts fail: stop whatever runs in the namespace first.
  if (!EnsureOpen()) return;
  cleared_ = true;
  for (SyncRole role : {SyncRole::kMaster, SyncRole::kBackup}) {
    auto r = transport_->Transact(lb::ipvs::BuildStopDaemon(family_id_, role, 0), nullptr);
    if (r)
      log::Notice("lvs_sync_daemon: stopped a " + std::string(SyncRoleName(role)) +
                  " sync daemon left by an earlier run");
  }
}

void LvsSyncd::Follow(const std::string& instance, State state) {
  if (!spec_ || instance != spec_->instance) return;
  Apply(WantedSyncDaemons(state));
}

void LvsSyncd::StopAll() {
  if (!spec_ || !transport_) return;
  Apply({});
}

}  // namespace vigil::vrrp
