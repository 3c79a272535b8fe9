#include "check/engine.h"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <variant>
#include <vector>

#include <signal.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <asio.hpp>

#include "alert/settings.h"
#include "alert/smtp_sender.h"
#include "base/fd.h"
#include "base/log.h"
#include "check/announce.h"
#include "check/deadline_queue.h"
#include "check/frr_view.h"
#include "check/ha_suspend.h"
#include "check/mail.h"
#include "check/misc_log.h"
#include "check/probe_registry.h"
#include "check/virtual_server.h"
#include "lb/ipvs_backend.h"
#include "lb/load_balancer.h"
#include "lb/nftables_backend.h"
#include "model/config.h"
#include "net/address_watch.h"
#include "net/link_watch.h"
#include "net/netlink.h"
#include "net/netns.h"
#include "net/rtnetlink.h"

namespace vigil::check {
namespace {

// global_defs lvs_flush_on_stop as the load balancer's shutdown.
lb::ShutdownFlush ShutdownFlushOf(model::LvsFlushOnStop f) {
  switch (f) {
    case model::LvsFlushOnStop::kFull: return lb::ShutdownFlush::kAll;
    case model::LvsFlushOnStop::kVs: return lb::ShutdownFlush::kServices;
    case model::LvsFlushOnStop::kNone: break;
  }
  return lb::ShutdownFlush::kEach;
}

// How long shutdown waits for omega's notify scripts, and how often it looks.
constexpr auto kShutdownScriptWait = std::chrono::seconds(2);
constexpr auto kShutdownPoll = std::chrono::milliseconds(20);
// How soon a failed change of the announce table is tried again.
constexpr auto kAnnounceRetry = std::chrono::seconds(1);
// How often FRR's view is read (vtysh), and how long each vtysh may take.
constexpr auto kFrrPoll = std::chrono::seconds(3);
constexpr auto kVtyshTimeout = std::chrono::milliseconds(2000);
constexpr size_t kVtyshMaxOutput = 4 << 20;

// Returns the path of vtysh, "" when FRR's shell is not installed.
std::string FindVtysh() {
  for (const char* p : {"/usr/bin/vtysh", "/usr/local/bin/vtysh", "/usr/sbin/vtysh"})
    if (::access(p, X_OK) == 0) return p;
  return "";
}
// How long to wait before trying again when the kernel refused a change.
constexpr auto kApplyRetryDelay = std::chrono::seconds(2);
// How long `vigilctl drain` leaves a real server at weight 0 before it disables it, unless
// the operator names a timeout.
constexpr auto kDefaultDrainTimeout = std::chrono::seconds(300);
// How often the connections of draining real servers are counted (only while a drain is
// pending): a drain ends at the first count of 0.
constexpr auto kDrainPollInterval = std::chrono::seconds(1);
// How long a restoration waits after a change behind vigil's back was seen, so that one
// restoration answers a burst of foreign commands.
constexpr auto kRestoreDelay = std::chrono::milliseconds(50);
// How often the kernel's load balancer is compared with what vigil applied: nftables also
// reports changes as events (the audit is a backstop), IPVS has no events. Both backends'
// audits read and compare on the background runner (Backend::MakeAuditJob). An audit that
// takes long (a large table) waits kAuditCostFactor times its cost before the next one.
constexpr auto kNftablesAuditInterval = std::chrono::seconds(10);
constexpr auto kIpvsAuditInterval = std::chrono::seconds(1);
constexpr int kAuditCostFactor = 50;

// All of the engine's timers on one Asio timer (a DeadlineQueue). Every timer due within
// kCoalesce runs in the same turn, so ten thousand probes a second cost about a thousand
// wake-ups, not ten thousand (each at most kCoalesce early).
class AsioTimers final : public TimerService {
 public:
  explicit AsioTimers(asio::io_context& io)
      : queue_(io, kCoalesce, [this](const Id& id) { return Live(id); },
               [this](Id id) {
                 Slot& slot = slots_[Index(id)];
                 std::function<void()> fn = std::move(slot.fn);
                 Free(Index(id));
                 fn();
               }) {}

  Id After(Duration delay, std::function<void()> fn) override {
    uint32_t index;
    if (free_.empty()) {
      index = static_cast<uint32_t>(slots_.size());
      slots_.emplace_back();
    } else {
      index = free_.back();
      free_.pop_back();
    }
    Slot& slot = slots_[index];
    slot.fn = std::move(fn);
    const Id id = Id{slot.generation} << 32 | index;
    queue_.Push(std::chrono::steady_clock::now() + delay, id);
    return id;
  }

  void Cancel(Id id) override {
    if (Live(id)) Free(Index(id));
  }

 private:
  static constexpr auto kCoalesce = std::chrono::milliseconds(1);

  // A timer's callback lives in a reused slot; its id is (generation << 32 | slot), and a
  // slot's generation moves on when it is freed, so a stale id matches nothing.
  struct Slot {
    std::function<void()> fn;
    uint32_t generation = 1;  // ids are never 0
  };

  static uint32_t Index(Id id) { return static_cast<uint32_t>(id); }

  bool Live(Id id) const {
    const uint32_t index = Index(id);
    return index < slots_.size() && slots_[index].generation == static_cast<uint32_t>(id >> 32) &&
           slots_[index].fn;
  }

  void Free(uint32_t index) {
    Slot& slot = slots_[index];
    slot.fn = nullptr;
    if (++slot.generation == 0) slot.generation = 1;
    free_.push_back(index);
  }

  std::vector<Slot> slots_;
  std::vector<uint32_t> free_;
  DeadlineQueue<Id> queue_;  // after the slots: its callbacks use them
};

const model::RawSetting* FindGlobal(const model::Config& config, std::string_view keyword) {
  for (const auto& s : config.global.other)
    if (s.keyword == keyword) return &s;
  return nullptr;
}

std::string Plural(size_t n, const char* word) {
  return std::to_string(n) + " " + word + (n == 1 ? "" : "s");
}

struct RsStats {
  uint64_t ok = 0;
  uint64_t failed = 0;
  double latency_s = 0;  // of the latest check, started at latency_at
  TimePoint latency_at{};
};

// A probe's results not yet added to its real servers' RsStats: a result only counts here,
// in the probe's own record, and FlushStats spreads them out when somebody asks.
struct UnflushedStats {
  uint64_t ok = 0;
  uint64_t failed = 0;
  Duration latency{};
  TimePoint latency_at{};
  bool any = false;
};

// One checker's place: which virtual server, which of its checkers, which real server.
struct Subscriber {
  size_t vs;
  CheckerId checker;
  size_t rs;
};

// A distinct probe, shared by every checker with the same key.
struct Probe : std::enable_shared_from_this<Probe> {
  Probe(std::string k, ProbeSpec s, CheckTiming t)
      : timing(t), state(timing), misc(std::holds_alternative<MiscCheck>(s.params)),
        key(std::move(k)), spec(std::move(s)) {}
  // What every run touches comes first, on as few cache lines as it takes.
  bool in_flight = false;
  bool stopped = false;
  // ha_suspend: its virtual server's checkers are suspended (a probe of such a virtual
  // server serves it alone, ProbeKeyOf): no attempt is made, it looks again a delay_loop
  // later.
  bool suspended = false;
  TimerService::Id timer = 0;
  ProbeTicket ticket = 0;  // of the attempt in flight
  TimePoint started{};
  ProbeMemo memo;  // the prober's, between runs
  UnflushedStats unflushed;
  CheckTiming timing;
  CheckerState state;
  bool misc;  // a MISC_CHECK: its next run counts from the start of the last one
  std::vector<Subscriber> subscribers;
  std::optional<WeightUpdate> last_weight;  // from the last success, re-applied on reload
  bool bfd_heard = false;  // BFD_CHECK: the BFD engine's news reached it once
  // Set by CheckEngine::Build for the configuration it builds: a probe it made, the build
  // that last touched this running probe (its subscribers change), the subscribers it
  // gives the probe besides those of virtual servers kept in place (no lookup by key
  // afterwards).
  bool fresh = false;
  uint64_t touched_in = 0;
  std::vector<Subscriber> next_subscribers;
  std::string key;
  ProbeSpec spec;
};

// One checker of a virtual server: the probe it listens to, its id, its real server.
struct VsChecker {
  std::shared_ptr<Probe> probe;
  CheckerId id;
  size_t rs;
};

struct Vs {
  std::string id;
  model::VirtualServer model;
  std::vector<lb::ServiceKey> keys;
  std::optional<VirtualServerState> state;
  // Per real server; mutable because FlushStats brings them up to date for const readers.
  mutable std::vector<RsStats> stats;
  // Dynamic weights to re-apply after Start (carried over a reload).
  std::vector<std::pair<CheckerId, WeightUpdate>> weights;
  // Every checker's probe: a reload that keeps this virtual server as it runs resubscribes
  // them without building or looking up a probe.
  std::vector<VsChecker> checkers;
  bool suspended = false;  // ha_suspend: none of its addresses is local
};

// Returns the key of checker `c`'s probe in virtual server `vs` (identified by `vs_id`):
// that of its probe and timing, and for a virtual server with ha_suspend its identity too,
// so that every subscriber of a probe is suspended with it or none is.
std::string ProbeKeyOf(const CheckerSpec& c, const model::VirtualServer& vs,
                       std::string_view vs_id) {
  std::string key = ProbeKey(c.probe, c.timing);
  if (vs.ha_suspend) (key += "|ha_suspend=") += vs_id;
  return key;
}

// Whether a reload can keep virtual server `running` as it runs when the new configuration
// has `next` with the same identity (and reads it in the same context, SameVsContext):
// the same settings wherever they are written, and no MISC_CHECK, whose script's user and
// file safety are checked again at every reload as keepalived does.
bool Reusable(const model::VirtualServer& running, const model::VirtualServer& next) {
  for (const model::RealServer& rs : next.real_servers)
    for (const model::CheckSpec& c : rs.checks)
      if (c.detail.holds<model::MiscCheck>()) return false;
  return running == next;
}

// Whether what a virtual server's checkers and services are built from besides the virtual
// server itself (ToVirtualServerSpec, ServiceKeys) is the same in `a` and `b`.
bool SameVsContext(const model::Config& a, const model::Config& b) {
  return a.virtual_server_groups == b.virtual_server_groups && a.ssl == b.ssl &&
         a.track_files == b.track_files && a.global.other == b.global.other &&
         model::ScriptDefaultsOf(a.global) == model::ScriptDefaultsOf(b.global);
}

// Whether `a` and `b` list the same real servers (address, port) in the same order.
bool SameServerList(const model::VirtualServer& a, const model::VirtualServer& b) {
  if (a.real_servers.size() != b.real_servers.size()) return false;
  for (size_t i = 0; i < a.real_servers.size(); ++i) {
    if (a.real_servers[i].port != b.real_servers[i].port ||
        !(a.real_servers[i].address == b.real_servers[i].address))
      return false;
  }
  return true;
}

// The real servers of `vs` by (address, port).
std::map<std::pair<model::IpAddress, uint16_t>, size_t> RsIndex(const model::VirtualServer& vs) {
  std::map<std::pair<model::IpAddress, uint16_t>, size_t> out;
  for (size_t i = 0; i < vs.real_servers.size(); ++i) {
    out.emplace(std::make_pair(vs.real_servers[i].address, vs.real_servers[i].port), i);
  }
  return out;
}

class CheckEngine final : public control::Engine {
 public:
  CheckEngine(asio::io_context& io, EngineOptions options, EngineSeams seams)
      : io_(io), options_(options), seams_(std::move(seams)) {
    if (!seams_.timers) {
      own_timers_ = MakeAsioTimers(io_);
      seams_.timers = own_timers_.get();
    }
    if (!seams_.random) {
      own_random_ = std::make_unique<DefaultRandomSource>();
      seams_.random = own_random_.get();
    }
    if (!seams_.scripts) {
      own_scripts_ = MakeSpawnRunner(io_);
      seams_.scripts = own_scripts_.get();
    }
    if (!seams_.clock) {
      own_clock_ = std::make_unique<SteadyClock>();
      seams_.clock = own_clock_.get();
    }
    if (!seams_.run_probe) {
      own_starter_ = std::make_unique<ProbeStarter>(io_);
      seams_.run_probe = [starter = own_starter_.get()](const ProbeSpec& spec, Duration timeout,
                                                        ProbeMemo* memo, ProbeCallback done) {
        return starter->Start(spec, timeout, memo, std::move(done));
      };
      seams_.cancel_probe = [starter = own_starter_.get()](ProbeTicket t) { starter->Cancel(t); };
    }
    if (!seams_.resolve_user) seams_.resolve_user = LookupUser;
    if (!seams_.load_module) seams_.load_module = lb::ModprobeModule;
    if (!seams_.make_backend) {
      seams_.make_backend = [this, options = options_](lb::BackendKind kind)
          -> Result<std::unique_ptr<lb::Backend>> {
        if (kind == lb::BackendKind::kIpvs) {
          auto b = lb::IpvsBackend::OpenKernel(ipvs_netns_, lb_command_buffer_);
          if (!b) return std::unexpected(b.error());
          return std::unique_ptr<lb::Backend>(std::move(*b));
        }
        lb::nft::Options nft_options;
        nft_options.table = lb::nft::TableName(options.config_id);
        // Real-server changes go over a netlink socket of their own; without one, everything
        // goes through libnftables (slower at scale, same result).
        std::unique_ptr<lb::NftBatchRunner> batches;
        if (auto n = lb::NetlinkBatchRunner::Open(lb_command_buffer_)) {
          batches = std::move(*n);
        } else {
          log::Warning("load balancer: no nftables netlink socket (" + n.error().ToString() +
                       "); every change goes through libnftables");
        }
        auto b = std::make_unique<lb::NftablesBackend>(std::make_unique<lb::LibNftablesRunner>(),
                                                       nft_options, std::move(batches));
        if (auto c = b->Claim(options.lock_dir); !c) return std::unexpected(c.error());
        return std::unique_ptr<lb::Backend>(std::move(b));
      };
    }
    notify_ = std::make_unique<NotifyQueue>(
        *seams_.scripts, [](const std::string& what, const std::string& result) {
          if (result == "exit 0") {
            log::Debug(what + ": " + result);
          } else {
            log::Warning(what + ": " + result);
          }
        });
  }

  ~CheckEngine() override {
    *alive_ = false;
    if (local_addresses_) seams_.addresses->Close();
    StopProbes(probes_);
  }

  // global_defs lvs_timeouts: IPVS's connection timeouts, set at start and on every reload
  // (unset ones back to the kernel's values). The nftables backend leaves conntrack's
  // timeouts alone (-t and docs/compatibility.md say so).
  void ApplyLvsTimeouts(const model::Config& config) {
    const model::Global& g = config.global;
    if (!ipvs_) {
      if (g.lvs_timeout_tcp || g.lvs_timeout_tcpfin || g.lvs_timeout_udp)
        log::Warning("lvs_timeouts are IPVS's; the nftables backend leaves conntrack's alone");
      return;
    }
    auto seconds = [](const std::optional<Duration>& d) {
      return d ? static_cast<uint32_t>(std::chrono::duration_cast<std::chrono::seconds>(*d).count())
               : 0u;
    };
    if (auto r = ipvs_->SetTimeouts({seconds(g.lvs_timeout_tcp), seconds(g.lvs_timeout_tcpfin),
                                     seconds(g.lvs_timeout_udp)});
        !r)
      log::Warning("lvs_timeouts: " + r.error().ToString());
  }

  // lvs_sync_daemon IF without a vrrp_instance: as keepalived's checker, both sync daemons
  // run while the engine runs (sync id 0 unless given). Daemons left by an earlier run, or
  // running with parameters a reload changed, are stopped first.
  void ApplyLvsSyncd(const model::Config& config) {
    std::optional<lb::ipvs::SyncDaemonConfig> want;
    if (const auto& d = config.global.lvs_sync_daemon; d && d->vrrp_instance.empty())
      want = lb::ipvs::SyncDaemonConfigOf(*d, 0);
    if (want == syncd_) return;
    if (!ipvs_) {
      if (want)
        log::Warning("lvs_sync_daemon: the sync daemons are IPVS's; the nftables backend "
                     "does not start them");
      return;
    }
    StopLvsSyncd();
    if (!want) return;
    for (auto role : {lb::ipvs::SyncRole::kMaster, lb::ipvs::SyncRole::kBackup}) {
      const std::string what = role == lb::ipvs::SyncRole::kMaster ? "master" : "backup";
      if (auto r = ipvs_->StartSyncDaemon(role, *want); !r)
        log::Error("lvs_sync_daemon: cannot start the " + what + " sync daemon on " +
                   want->interface + ": " + r.error().ToString());
      else
        log::Info("lvs_sync_daemon: started the " + what + " sync daemon on " +
                  want->interface + " (syncid " + std::to_string(want->sync_id) + ")");
    }
    syncd_ = want;
  }

  void StopLvsSyncd() {
    if (!ipvs_) return;
    for (auto role : {lb::ipvs::SyncRole::kMaster, lb::ipvs::SyncRole::kBackup}) {
      if (ipvs_->StopSyncDaemon(role) && syncd_)
        log::Info(std::string("lvs_sync_daemon: stopped the ") +
                  (role == lb::ipvs::SyncRole::kMaster ? "master" : "backup") + " sync daemon");
    }
    syncd_.reset();
  }

  // lvs_netlink_cmd_rcv_bufs / lvs_netlink_monitor_rcv_bufs (with _force): the receive
  // buffers of the load balancer's command socket (IPVS generic netlink, nftables batches)
  // and of the nftables event monitor, where keepalived's checker sizes its rtnetlink
  // sockets. Unset: vigil's default.
  void SetLbBuffers(const model::Config& config) {
    const model::Global& g = config.global;
    lb_command_buffer_ = net::ConfiguredReceiveBuffer(
        g.lvs_netlink_cmd_rcv_bufs.bytes, g.lvs_netlink_cmd_rcv_bufs.force,
        net::NetlinkSocket::kDefaultReceiveBuffer);
    lb_monitor_buffer_ = net::ConfiguredReceiveBuffer(
        g.lvs_netlink_monitor_rcv_bufs.bytes, g.lvs_netlink_monitor_rcv_bufs.force,
        net::NetlinkSocket::kDefaultReceiveBuffer);
  }

  // Sizes the probe queue to the open-file limit now in force: the engine is made before
  // its process raises the limit to what the configuration needs (at start and on reload).
  void FitProbesToFileLimit() {
    if (!own_starter_) return;
    const size_t before = own_starter_->max_active();
    own_starter_->SetMaxActive(MaxActiveProbes());
    if (own_starter_->max_active() != before)
      log::Debug("probes holding descriptors at once: at most " +
                 std::to_string(own_starter_->max_active()));
  }

  Result<void> Start(const model::Config& config) override {
    FitProbesToFileLimit();
    const model::RawSetting* choice = FindGlobal(config, "vigil_lb_backend");
    auto selected = lb::SelectBackend(choice && !choice->args.empty() ? choice->args[0] : "auto",
                                      seams_.ipvs_proc_path, seams_.load_module);
    if (!selected) return std::unexpected(selected.error());
    // net_namespace_ipvs: IPVS is programmed there (the nftables backend stays here; -t says so).
    ipvs_netns_ = net::IpvsNetnsPath(config.net_namespace_ipvs);
    SetLbBuffers(config);
    auto backend = seams_.make_backend(selected->kind);
    if (!backend) return std::unexpected(backend.error());
    nft_ = dynamic_cast<lb::NftablesBackend*>(backend->get());
    ipvs_ = dynamic_cast<lb::IpvsBackend*>(backend->get());
    lb::LoadBalancerOptions lb_options;
    lb_options.stale = config.global.lvs_flush ? lb::StalePolicy::kClear : lb::StalePolicy::kAdopt;
    lb_options.keep_on_shutdown = options_.dont_release_lb;
    lb_options.shutdown = ShutdownFlushOf(config.global.lvs_flush_on_stop);
    lb_ = std::make_unique<lb::LoadBalancer>(std::move(*backend), lb_options);
    audit_in_flight_ = 0;  // a job still running audits the previous one
    log::Info("load balancer backend: " + std::string(lb_->backend().Name()) + ", " +
              selected->reason);

    auto built = Build(config);
    if (!built) return std::unexpected(built.error());

    OpenFifos(config);
    ConfigureMail(config);
    KeepContext(config);
    ApplyLvsTimeouts(config);
    ApplyLvsSyncd(config);
    Subscribe(built->fresh);
    vss_ = std::move(built->vss);
    probes_ = std::move(built->fresh);
    FollowAddresses();
    for (Vs& vs : vss_) SuspendBuilt(vs, std::nullopt);
    for (size_t v = 0; v < vss_.size(); ++v) {
      HandleEvents(v, StartVs(vss_[v]));
    }
    WatchLinks();  // (before the first apply lists the interfaces to hook)
    if (auto r = ApplyLb(/*retry_on_failure=*/false); !r) return r;
    PublishLbReady();  // (the VRRP engine may preempt from now on)
    WatchLb();
    if (auto r = ConfigureAnnouncer(config); !r) return r;
    for (auto& [key, probe] : probes_) {
      probe->fresh = false;
      ScheduleFirst(probe);
    }
    log::Info("checker engine started: " + Plural(vss_.size(), "virtual server") + ", " +
              Plural(probes_.size(), "probe"));
    Changed();
    return {};
  }

  Result<std::string> Reload(const model::Config& config) override {
    if (!lb_) return Fail(ErrorCode::kInternal, "the checker engine is not started");
    FitProbesToFileLimit();
    auto built = Build(config);
    if (!built) return std::unexpected(built.error());
    lb_->set_shutdown(ShutdownFlushOf(config.global.lvs_flush_on_stop));
    // The counters carried over must be complete (a probe not touched serves only virtual
    // servers kept in place, whose counters stay theirs).
    for (Probe* probe : built->touched) FlushStats(*probe);

    // Carry state over by identity. A virtual server Build kept moves over as it runs (its
    // state, counters and probes); another with the same identity takes the health and
    // counters of its real servers that are still there.
    // (Views of vss_'s ids: an entry goes before its virtual server moves out of vss_.)
    std::unordered_map<std::string_view, size_t> old_by_id;
    old_by_id.reserve(vss_.size());
    for (size_t i = 0; i < vss_.size(); ++i) old_by_id.emplace(vss_[i].id, i);
    size_t vs_added = 0, vs_kept = 0, vs_unchanged = 0, rs_added = 0, rs_removed = 0;
    std::vector<std::pair<size_t, std::vector<Event>>> pending;
    std::set<size_t> changed;         // new indexes whose services are built again
    std::set<lb::ServiceKey> gone;    // the services of the old virtual servers not kept
    for (size_t v = 0; v < built->vss.size(); ++v) {
      Vs& nv = built->vss[v];
      if (const size_t from = built->kept_from[v]; from != Built::kNew) {
        ++vs_kept;
        ++vs_unchanged;
        old_by_id.erase(vss_[from].id);
        if (changed_vs_.contains(from)) changed.insert(v);  // an apply was still due
        nv = std::move(vss_[from]);
        continue;
      }
      changed.insert(v);
      auto old = old_by_id.find(nv.id);
      if (old == old_by_id.end()) {
        ++vs_added;
        rs_added += nv.model.real_servers.size();
        pending.emplace_back(v, StartVs(nv));
        continue;
      }
      ++vs_kept;
      const size_t old_index = old->second;
      Vs& ov = vss_[old_index];
      old_by_id.erase(old);
      gone.insert(ov.keys.begin(), ov.keys.end());
      // The new state was computed from the shared probes' current states; report only
      // what differs from before.
      (void)StartVs(nv);
      std::vector<Event> events;
      auto carry = [&](size_t i, size_t old_i) {
        nv.stats[i] = ov.stats[old_i];
        const bool was = ov.state->alive(old_i);
        if (was != nv.state->alive(i)) {
          events.push_back(Event{.kind = nv.state->alive(i) ? Event::Kind::kRealServerUp
                                                            : Event::Kind::kRealServerDown,
                                 .real_server = i});
        }
      };
      if (SameServerList(ov.model, nv.model)) {
        // The common case at scale: the same real servers in the same order; no index.
        for (size_t i = 0; i < nv.model.real_servers.size(); ++i) carry(i, i);
      } else {
        auto old_rs = RsIndex(ov.model);
        for (size_t i = 0; i < nv.model.real_servers.size(); ++i) {
          const auto& rs = nv.model.real_servers[i];
          auto it = old_rs.find({rs.address, rs.port});
          if (it == old_rs.end()) {
            ++rs_added;
            continue;
          }
          carry(i, it->second);
          old_rs.erase(it);
        }
        rs_removed += old_rs.size();
        std::vector<Event> removed;
        for (const auto& [key, old_i] : old_rs)
          if (ov.state->alive(old_i)) removed.push_back(RemovedEvent(old_i));
        HandleEventsOnly(old_index, removed);
      }
      if (ov.state->quorum_up() != nv.state->quorum_up()) {
        events.push_back(Event{.kind = nv.state->quorum_up() ? Event::Kind::kQuorumUp
                                                             : Event::Kind::kQuorumDown,
                               .live_weight = nv.state->LiveWeight(),
                               .threshold = nv.state->config().quorum});
      }
      pending.emplace_back(v, std::move(events));
    }
    size_t vs_removed = old_by_id.size();
    for (const auto& [id, index] : old_by_id) {
      rs_removed += vss_[index].model.real_servers.size();
      if (config.global.lvs_flush_on_stop == model::LvsFlushOnStop::kNone)
        HandleEventsOnly(index, RemovalEvents(vss_[index]));
      gone.insert(vss_[index].keys.begin(), vss_[index].keys.end());
    }

    // Swap in the new configuration; stop probes nobody uses any more.
    std::map<std::string, std::shared_ptr<Probe>> stopped;
    for (Probe* probe : built->touched) {
      if (Resubscribe(*probe, built->in_place)) continue;
      stopped.insert(probes_.extract(probe->key));
    }
    StopProbes(stopped);
    const size_t probes_started = built->fresh.size();
    std::vector<std::shared_ptr<Probe>> fresh;
    fresh.reserve(probes_started);
    for (auto& [key, probe] : built->fresh) fresh.push_back(probe);
    Subscribe(built->fresh);
    probes_.merge(built->fresh);
    KeepContext(config);
    ApplyLvsTimeouts(config);
    ApplyLvsSyncd(config);
    // As keepalived's checker at a reload: the event monitor takes the new size; the
    // command socket keeps the one it opened with.
    SetLbBuffers(config);
    if (nft_watch_) {
      if (auto r = net::SetReceiveBuffer(nft_watch_->native_handle(), lb_monitor_buffer_); !r)
        log::Warning("lvs_netlink_monitor_rcv_bufs: " + r.error().ToString());
    }
    // ha_suspend: a virtual server built again starts suspended or not from the addresses
    // local now (one kept as it runs keeps its state).
    std::unordered_map<std::string_view, bool> was_suspended;
    for (const Vs& vs : vss_)
      if (vs.model.ha_suspend) was_suspended.emplace(vs.id, vs.suspended);
    FollowAddresses(built->vss);
    for (size_t v = 0; v < built->vss.size(); ++v) {
      if (built->kept_from[v] != Built::kNew) continue;
      auto it = was_suspended.find(built->vss[v].id);
      SuspendBuilt(built->vss[v], it == was_suspended.end() ? std::nullopt
                                                            : std::optional<bool>(it->second));
    }
    // The old virtual servers (those kept are moved out) and the stopped probes are freed
    // after this turn of the loop, not on the way to the reload's result.
    auto retired = std::make_shared<std::pair<std::vector<Vs>, decltype(probes_)>>(
        std::exchange(vss_, std::move(built->vss)), std::move(stopped));
    asio::post(io_, [retired] {});
    OpenFifos(config);
    ConfigureMail(config);
    ForgetAdminOfGoneServers();
    for (auto& [v, events] : pending) HandleEvents(v, events);
    // Only the services of the virtual servers built again, and of those gone, are
    // compared and applied.
    changed_vs_ = std::move(changed);
    // A service shared before (a removed virtual server's may be a kept one's too) or now
    // is applied whole.
    shared_services_ = shared_services_ || built->shared_services;
    auto applied = ApplyLbChanges(gone);
    if (auto r = ConfigureAnnouncer(config); !r)
      log::Error("vigil_announce_table: " + r.error().ToString());
    for (const std::shared_ptr<Probe>& probe : fresh) {
      probe->fresh = false;
      ScheduleFirst(probe);
    }
    Changed();
    std::string summary = "virtual servers +" + std::to_string(vs_added) + " -" +
                          std::to_string(vs_removed) + " =" + std::to_string(vs_kept) + " (" +
                          std::to_string(vs_unchanged) + " unchanged); real servers +" + std::to_string(rs_added) + " -" +
                          std::to_string(rs_removed) + "; probes +" +
                          std::to_string(probes_started) + " -" + std::to_string(retired->second.size()) +
                          " =" + std::to_string(probes_.size() - probes_started);
    if (!applied) summary += "; load balancer not updated: " + applied.error().ToString();
    return summary;
  }

  Result<std::string> Operate(const control::Operation& op) override {
    if (!lb_) return Fail(ErrorCode::kInternal, "the checker engine is not started");
    size_t v = vss_.size();
    for (size_t i = 0; i < vss_.size(); ++i) {
      // "10.0.0.1:80" stands for "10.0.0.1:80/tcp".
      if (vss_[i].id == op.virtual_server || vss_[i].id == op.virtual_server + "/tcp") v = i;
    }
    if (v == vss_.size())
      return Fail(ErrorCode::kNotFound, "no virtual server " + op.virtual_server);
    Vs& vs = vss_[v];
    size_t r = vs.model.real_servers.size();
    for (size_t i = 0; i < vs.model.real_servers.size(); ++i) {
      const model::RealServer& rs = vs.model.real_servers[i];
      if (AddressPortName(rs.address, rs.port) == op.real_server) r = i;
    }
    if (r == vs.model.real_servers.size())
      return Fail(ErrorCode::kNotFound,
                  "virtual server " + vs.id + " has no real server " + op.real_server);

    const std::pair<std::string, std::string> key{vs.id, op.real_server};
    AdminEntry& entry = admin_[key];
    if (entry.drain_timer) seams_.timers->Cancel(entry.drain_timer);
    entry.drain_timer = 0;
    std::string did;
    if (op.command == "enable") {
      entry.admin = {};  // back to what the configuration says
      did = "enabled (runtime state cleared)";
    } else if (op.command == "disable") {
      entry.admin.mode = RealServerAdmin::Mode::kDisabled;
      did = "disabled";
    } else if (op.command == "weight") {
      entry.admin.weight = op.weight;
      did = "weight set to " + std::to_string(op.weight);
    } else if (op.command == "drain") {
      const Duration timeout =
          op.timeout_s > 0 ? std::chrono::duration_cast<Duration>(
                                 std::chrono::duration<double>(op.timeout_s))
                           : kDefaultDrainTimeout;
      entry.admin.mode = RealServerAdmin::Mode::kDraining;
      entry.drain_until = seams_.clock->Now() + timeout;
      entry.drain_timer =
          seams_.timers->After(timeout, [this, key] { EndDrain(key, "timeout"); });
      entry.uncountable = false;
      did = "draining (weight 0; disabled in " +
            FormatSeconds(std::chrono::duration<double>(timeout).count()) + ")";
    } else {
      return Fail(ErrorCode::kInvalidArgument, "unknown operation " + op.command);
    }
    SetAdmin(v, r, entry.admin);
    if (entry.admin == RealServerAdmin{}) admin_.erase(key);
    ScheduleDrainPoll();
    log::Notice("operator: real server " + RsName(v, r) + " of VS " + vs.state->config().name +
                " " + did);
    if (auto applied = ApplyLbChanges(); !applied)
      return Fail(ErrorCode::kIo, did + ", but the load balancer was not updated: " +
                                      applied.error().ToString());
    return op.real_server + " of " + vs.id + " " + did;
  }

  void Stop(std::function<void()> done) override {
    // The routers stop sending first: every announcement is withdrawn.
    WithdrawAnnouncements("stop");
    StopProbes(probes_);
    if (retry_timer_) seams_.timers->Cancel(retry_timer_);
    retry_timer_ = 0;
    if (apply_timer_) seams_.timers->Cancel(apply_timer_);
    apply_timer_ = 0;
    for (TimerService::Id* t : {&audit_timer_, &restore_timer_, &drain_poll_timer_,
                                &announce_retry_timer_, &frr_timer_}) {
      if (*t) seams_.timers->Cancel(*t);
      *t = 0;
    }
    for (auto& [key, a] : admin_) {
      if (a.drain_timer) seams_.timers->Cancel(a.drain_timer);
      a.drain_timer = 0;
    }
    nft_watch_.reset();
    if (link_watch_) link_watch_->Close();
    if (local_addresses_) seams_.addresses->Close();
    audit_in_flight_ = 0;
    if (syncd_) StopLvsSyncd();
    if (lb_) {
      if (auto r = lb_->Shutdown(); !r) {
        log::Error("load balancer shutdown failed: " + r.error().ToString());
      } else if (!options_.dont_release_lb && nft_) {
        if (auto t = nft_->Teardown(); !t) {
          log::Error("removing table " + nft_->table() +
                     " failed: " + t.error().ToString());
        }
      }
    }
    const size_t scripts_before = notify_->pending();
    if (!options_.dont_release_lb) {
      for (size_t v = 0; v < vss_.size(); ++v) HandleEvents(v, ShutdownEvents(vss_[v]));
    }
    // Let the shutdown notifiers run (keepalived gives them a second), and the mails queued
    // go out within the same wait (those of a reload that removed every virtual server just
    // before this stop among them), then finish.
    stop_done_ = std::move(done);
    stop_give_up_ = seams_.clock->Now();
    if (notify_->pending() > scripts_before || mail_.pending() > 0)
      stop_give_up_ += kShutdownScriptWait;
    FinishStop();
  }

  void FinishStop() {
    if ((notify_->pending() > 0 || mail_.pending() > 0) && seams_.clock->Now() < stop_give_up_) {
      seams_.timers->After(kShutdownPoll, [this] { FinishStop(); });
      return;
    }
    if (notify_->pending() > 0) log::Warning("leaving shutdown notify scripts running");
    if (mail_.pending() > 0)
      log::Warning("leaving " + std::to_string(mail_.pending()) + " mail(s) unsent at stop");
    StopFifoReader();
    fifos_.Close();
    std::function<void()> done = std::move(stop_done_);
    stop_done_ = nullptr;
    if (done) done();
  }

  // With omega, keepalived's shutdown runs the down notifiers of every live real server and
  // the virtual server's quorum_down (scripts and FIFO lines); without it, none.
  static std::vector<Event> ShutdownEvents(const Vs& vs) {
    std::vector<Event> events;
    if (!vs.model.omega) return events;
    for (size_t i = 0; i < vs.model.real_servers.size(); ++i) {
      if (vs.state->alive(i)) {
        events.push_back(Event{.kind = Event::Kind::kRealServerDown, .real_server = i, .stopping = true});
      }
    }
    events.push_back(Event{.kind = Event::Kind::kQuorumDown, .stopping = true});
    return events;
  }

  static Event RemovedEvent(size_t rs) {
    return Event{.kind = Event::Kind::kRealServerDown, .real_server = rs, .removed = true};
  }

  // keepalived's notifies of a virtual server a reload removes (ipwrapper.c's
  // clear_service_vs without lvs_flush_on_stop): each live real server's down notifiers and
  // mail ("=> Removing <="), then, if its quorum was up, its quorum_down notifiers and mail
  // ("=> Lost quorum 1+0=1 <= 0 <=": the live weight is gone with the real servers).
  static std::vector<Event> RemovalEvents(const Vs& vs) {
    std::vector<Event> events;
    for (size_t i = 0; i < vs.model.real_servers.size(); ++i)
      if (vs.state->alive(i)) events.push_back(RemovedEvent(i));
    if (vs.state->quorum_up()) {
      const auto& cfg = vs.state->config();
      events.push_back(Event{.kind = Event::Kind::kQuorumDown,
                             .removed = true,
                             .live_weight = 0,
                             .threshold = static_cast<int64_t>(cfg.quorum) -
                                          static_cast<int64_t>(cfg.hysteresis)});
    }
    return events;
  }

  void Report(control::Status& status) const override {
    FlushStats();
    ReportAnnouncements(status);
    status.lb_backend = lb_ ? std::string(lb_->backend().Name()) : "";
    if (lb_) status.lb_restorations = lb_->restorations();
    // How long each real server's longest-running check has been running.
    std::map<std::pair<size_t, size_t>, Duration> running;
    const TimePoint now = seams_.clock->Now();
    for (const auto& [key, probe] : probes_) {
      if (!probe->in_flight) continue;
      for (const Subscriber& s : probe->subscribers) {
        Duration& d = running[{s.vs, s.rs}];
        d = std::max(d, now - probe->started);
      }
    }
    for (size_t v = 0; v < vss_.size(); ++v) {
      const Vs& vs = vss_[v];
      control::VirtualServerStatus out;
      out.name = vs.id;
      out.scheduler = std::string(model::SchedulerName(vs.model.scheduler));
      out.quorum_up = vs.state->quorum_up();
      out.sorry_server_active = vs.state->sorry_server_active();
      out.checkers_suspended = vs.suspended;
      out.live_weight = static_cast<int>(vs.state->LiveWeight());
      std::vector<Destination> desired = vs.state->Desired();
      for (size_t i = 0; i < vs.model.real_servers.size(); ++i) {
        const model::RealServer& rs = vs.model.real_servers[i];
        control::RealServerStatus r;
        r.address = AddressPortName(rs.address, rs.port);
        r.up = vs.state->alive(i);
        for (const Destination& d : desired) {
          if (d.real_server == i) r.weight = static_cast<int>(d.weight);
        }
        r.config_weight = static_cast<int>(rs.weight);
        const RealServerAdmin& admin = vs.state->admin(i);
        r.admin = AdminModeName(admin.mode);
        r.admin_weight = admin.weight ? static_cast<int>(*admin.weight) : -1;
        if (admin.mode == RealServerAdmin::Mode::kDraining) {
          auto it = admin_.find({vs.id, r.address});
          if (it != admin_.end())
            r.drain_left_s = std::max(
                0.0, std::chrono::duration<double>(it->second.drain_until - now).count());
        }
        r.checks_ok = vs.stats[i].ok;
        r.checks_failed = vs.stats[i].failed;
        r.last_check_latency_s = vs.stats[i].latency_s;
        if (auto it = running.find({v, i}); it != running.end()) {
          r.check_running_s = std::chrono::duration<double>(it->second).count();
        }
        out.real_servers.push_back(std::move(r));
      }
      status.virtual_servers.push_back(std::move(out));
    }
  }

 private:
  // What operators set on one real server, kept by (virtual server id, "addr:port") across
  // reloads for as long as both stay in the configuration.
  struct AdminEntry {
    RealServerAdmin admin;
    TimePoint drain_until{};
    TimerService::Id drain_timer = 0;
    bool uncountable = false;  // the backend could not count its connections (logged once)
  };

  // Applies `admin` to real server `r` of virtual server `v` and handles what follows.
  void SetAdmin(size_t v, size_t r, const RealServerAdmin& admin) {
    changed_vs_.insert(v);
    HandleEvents(v, vss_[v].state->SetAdmin(r, admin));
    Changed();
  }

  // Counts the connections of the draining real servers every kDrainPollInterval while any
  // drain is pending.
  void ScheduleDrainPoll() {
    if (drain_poll_timer_) return;
    const bool pending = std::any_of(admin_.begin(), admin_.end(), [](const auto& e) {
      return e.second.admin.mode == RealServerAdmin::Mode::kDraining;
    });
    if (!pending) return;
    drain_poll_timer_ = seams_.timers->After(kDrainPollInterval, [this] {
      drain_poll_timer_ = 0;
      PollDrains();
      ScheduleDrainPoll();
    });
  }

  // Ends every drain whose real server has no connection left in the kernel (summed over
  // its virtual server's services). A backend that cannot count leaves the drain to its
  // timeout.
  void PollDrains() {
    std::vector<std::pair<std::string, std::string>> done;
    for (auto& [key, entry] : admin_) {
      if (entry.admin.mode != RealServerAdmin::Mode::kDraining) continue;
      auto [v, r] = Locate(key);
      if (v == vss_.size()) continue;
      const lb::DestinationKey dest = ToDestination(vss_[v].model.real_servers[r], 0).key;
      uint64_t connections = 0;
      Result<uint64_t> n = uint64_t{0};
      for (const lb::ServiceKey& service : vss_[v].keys) {
        n = lb_->backend().Connections(service, dest);
        if (!n) break;
        connections += *n;
      }
      if (!n) {
        if (!entry.uncountable)
          log::Warning("operator: drain of real server " + RsName(v, r) + " of VS " +
                       vss_[v].state->config().name + ": its connections cannot be counted (" +
                       n.error().ToString() + "); it ends at its timeout");
        entry.uncountable = true;
        continue;
      }
      if (connections == 0) done.push_back(key);
    }
    for (const auto& key : done) EndDrain(key, "no connections left");
  }

  // Returns the indexes (virtual server, real server) of the admin entry `key`, or
  // vss_.size() when it is not configured.
  std::pair<size_t, size_t> Locate(const std::pair<std::string, std::string>& key) const {
    for (size_t v = 0; v < vss_.size(); ++v) {
      if (vss_[v].id != key.first) continue;
      for (size_t r = 0; r < vss_[v].model.real_servers.size(); ++r) {
        const model::RealServer& rs = vss_[v].model.real_servers[r];
        if (AddressPortName(rs.address, rs.port) == key.second) return {v, r};
      }
    }
    return {vss_.size(), 0};
  }

  // A drain is over (`why`: "timeout" or "no connections left"): the real server leaves
  // the pool (disabled).
  void EndDrain(const std::pair<std::string, std::string>& key, const std::string& why) {
    auto it = admin_.find(key);
    if (it == admin_.end()) return;
    if (it->second.drain_timer) seams_.timers->Cancel(it->second.drain_timer);
    it->second.drain_timer = 0;
    it->second.admin.mode = RealServerAdmin::Mode::kDisabled;
    auto [v, r] = Locate(key);
    if (v == vss_.size()) return;
    log::Notice("operator: drain of real server " + RsName(v, r) + " of VS " +
                vss_[v].state->config().name + " ended (" + why + "); disabled");
    Emit("drain_ended", {{"virtual_server", key.first}, {"real_server", key.second},
                         {"reason", why}});
    SetAdmin(v, r, it->second.admin);
    ApplyLbSoon();
  }

  // Drops (and stops the drains of) the runtime state of real servers a reload removed.
  void ForgetAdminOfGoneServers() {
    if (admin_.empty()) return;
    std::set<std::pair<std::string, std::string>> present;
    for (const Vs& vs : vss_)
      for (const model::RealServer& rs : vs.model.real_servers)
        present.emplace(vs.id, AddressPortName(rs.address, rs.port));
    for (auto it = admin_.begin(); it != admin_.end();) {
      if (present.contains(it->first)) {
        ++it;
        continue;
      }
      if (it->second.drain_timer) seams_.timers->Cancel(it->second.drain_timer);
      log::Info("operator state of real server " + it->first.second + " of VS " +
                it->first.first + " dropped: no longer configured");
      it = admin_.erase(it);
    }
  }

  static std::string FormatSeconds(double s) {
    char text[32];
    std::snprintf(text, sizeof text, "%g s", s);
    return text;
  }

  struct Built {
    static constexpr size_t kNew = SIZE_MAX;
    // A virtual server kept as it runs is an empty entry here, which Reload fills from
    // vss_[kept_from[v]]; kNew: built from the configuration.
    std::vector<Vs> vss;
    std::vector<size_t> kept_from;
    // Per running virtual server: kept at the same index (its checkers' subscriptions stay).
    std::vector<bool> in_place;
    std::map<std::string, std::shared_ptr<Probe>> fresh;  // the probes made for it
    // The running probes whose subscribers change: those of the virtual servers built again,
    // moved or gone, and those that the virtual servers built serve (Probe::touched_in).
    std::vector<Probe*> touched;
    bool shared_services = false;  // two virtual servers feed one kernel service
  };

  // Maps `config` onto virtual servers and probes and checks the backend can express it.
  // A running virtual server equal to its new configuration (Reusable, SameVsContext) is
  // kept as it runs: nothing of it is built, validated or looked up again, and its probes
  // are not visited when it keeps its index. The others reuse running probes with the same
  // key (so their health state carries over). Lists the running probes whose subscribers
  // change (Built::touched) and gives each its next subscribers besides those of the
  // virtual servers kept in place; changes nothing else of the running state.
  Result<Built> Build(const model::Config& config) {
    const uint64_t build = ++builds_;
    const size_t n = config.virtual_servers.size();
    Built out;
    auto touch = [&](Probe& probe) {
      if (probe.touched_in == build) return;
      probe.touched_in = build;
      probe.next_subscribers.clear();
      out.touched.push_back(&probe);
    };
    out.vss.reserve(n);
    out.kept_from.reserve(n);
    std::unordered_map<std::string_view, size_t> running;  // vss_'s ids
    if (!vss_.empty() && SameVsContext(config_, config)) {
      running.reserve(vss_.size());
      for (size_t i = 0; i < vss_.size(); ++i) running.emplace(vss_[i].id, i);
    }
    // The services of each virtual server: those it runs with when kept, else built.
    std::vector<std::vector<lb::ServiceKey>> keys_of(n);
    std::vector<const std::vector<lb::ServiceKey>*> keys(n);
    std::vector<const lb::ServiceKey*> all_keys;
    all_keys.reserve(n);
    for (size_t v = 0; v < n; ++v) {
      const model::VirtualServer& mvs = config.virtual_servers[v];
      std::string id = VirtualServerId(mvs);
      size_t from = Built::kNew;
      if (auto it = running.find(id); it != running.end() && Reusable(vss_[it->second].model, mvs))
        from = it->second;
      out.kept_from.push_back(from);
      Vs& vs = out.vss.emplace_back();
      vs.id = std::move(id);
      if (from != Built::kNew) {
        for (const VsChecker& c : from == v ? std::span<const VsChecker>{} : vss_[from].checkers) {
          touch(*c.probe);
          c.probe->next_subscribers.push_back(Subscriber{v, c.id, c.rs});
        }
        keys[v] = &vss_[from].keys;
      } else {
        auto made = ServiceKeys(mvs, config);
        if (!made) return std::unexpected(made.error());
        keys_of[v] = std::move(*made);
        keys[v] = &keys_of[v];
      }
      for (const lb::ServiceKey& key : *keys[v]) all_keys.push_back(&key);
    }
    auto by_key = [](const lb::ServiceKey* a, const lb::ServiceKey* b) { return *a < *b; };
    std::sort(all_keys.begin(), all_keys.end(), by_key);
    out.shared_services =
        std::adjacent_find(all_keys.begin(), all_keys.end(),
                           [](const lb::ServiceKey* a, const lb::ServiceKey* b) { return *a == *b; }) !=
        all_keys.end();
    // What the backend must express: the virtual servers not kept, or all of them when
    // virtual servers share a service (its entry merges theirs).
    lb::State check;
    for (size_t v = 0; v < n; ++v) {
      if (out.shared_services || out.kept_from[v] == Built::kNew)
        AddFullToState(config.virtual_servers[v], *keys[v], check);
    }
    if (auto r = lb_->backend().Validate(check); !r) return std::unexpected(r.error());
    for (size_t v = 0; v < n; ++v) {
      if (out.kept_from[v] != Built::kNew) continue;
      const model::VirtualServer& mvs = config.virtual_servers[v];
      auto spec = ToVirtualServerSpec(mvs, config, seams_.resolve_user);
      if (!spec) return std::unexpected(spec.error());
      Vs& vs = out.vss[v];
      vs.model = mvs;
      vs.keys = std::move(keys_of[v]);
      vs.stats.resize(mvs.real_servers.size());
      vs.state.emplace(spec->config);
      vs.checkers.reserve(spec->checkers.size());
      for (CheckerSpec& c : spec->checkers) {
        std::string key = ProbeKeyOf(c, mvs, vs.id);
        std::shared_ptr<Probe> probe;
        if (auto it = probes_.find(key); it != probes_.end()) {
          probe = it->second;
          touch(*probe);
        } else {
          std::shared_ptr<Probe>& made = out.fresh[key];
          if (!made) {
            made = std::make_shared<Probe>(key, std::move(c.probe), c.timing);
            made->fresh = true;
          }
          probe = made;
        }
        const CheckerId id = vs.state->AddChecker(c.real_server, probe->state.up());
        probe->next_subscribers.push_back(Subscriber{v, id, c.real_server});
        if (probe->last_weight && probe->state.up()) vs.weights.emplace_back(id, *probe->last_weight);
        vs.checkers.push_back(VsChecker{std::move(probe), id, c.real_server});
      }
    }
    // Identity must be unique: two virtual servers for one service cannot both be applied.
    std::unordered_set<std::string_view> ids;
    ids.reserve(out.vss.size());
    for (const Vs& vs : out.vss) {
      if (!ids.insert(vs.id).second) {
        return Fail(ErrorCode::kInvalidArgument, "virtual server " + vs.id + " is configured twice");
      }
    }
    // The running virtual servers not kept in place leave their probes' subscribers.
    out.in_place.resize(vss_.size());
    for (size_t o = 0; o < vss_.size(); ++o) {
      out.in_place[o] = o < n && out.kept_from[o] == o;
      if (out.in_place[o]) continue;
      for (const VsChecker& c : vss_[o].checkers) touch(*c.probe);
    }
    return out;
  }

  // Keeps what config_ stands for, without a second copy of every virtual server (37,205
  // real servers are tens of milliseconds to copy).
  void KeepContext(const model::Config& config) {
    config_ = model::Config();
    config_.global = config.global;
    config_.virtual_server_groups = config.virtual_server_groups;
    config_.ssl = config.ssl;
    config_.track_files = config.track_files;
  }

  // Adds every probe's unflushed results to the counters of the real servers it serves. (The
  // counters are not part of the engine's observable state until read, hence const.) Runs
  // before the subscribers of a reload are swapped in: their indices are vss_'s.
  void FlushStats() const {
    for (const auto& [key, probe] : probes_) FlushStats(*probe);
  }

  // Adds `probe`'s unflushed results to the counters of the real servers it serves.
  void FlushStats(Probe& probe) const {
    UnflushedStats& u = probe.unflushed;
    if (!u.any) return;
    for (const Subscriber& sub : probe.subscribers) {
      RsStats& st = vss_[sub.vs].stats[sub.rs];
      st.ok += u.ok;
      st.failed += u.failed;
      if (u.latency_at >= st.latency_at) {
        st.latency_s = std::chrono::duration<double>(u.latency).count();
        st.latency_at = u.latency_at;
      }
    }
    u = {};
  }

  // Gives running probe `probe` its subscribers after a reload: those of the virtual servers
  // kept in place (`in_place`, by index) and its next subscribers, in the order of the
  // virtual servers. Returns whether anybody still subscribes.
  static bool Resubscribe(Probe& probe, const std::vector<bool>& in_place) {
    std::erase_if(probe.subscribers, [&](const Subscriber& s) { return !in_place[s.vs]; });
    probe.subscribers.insert(probe.subscribers.end(), probe.next_subscribers.begin(),
                             probe.next_subscribers.end());
    probe.next_subscribers.clear();
    std::stable_sort(probe.subscribers.begin(), probe.subscribers.end(),
                     [](const Subscriber& a, const Subscriber& b) { return a.vs < b.vs; });
    return !probe.subscribers.empty();
  }

  // Points every probe of `probes` at its new subscribers.
  static void Subscribe(std::map<std::string, std::shared_ptr<Probe>>& probes) {
    for (auto& [key, probe] : probes) {
      probe->subscribers = std::move(probe->next_subscribers);
      probe->next_subscribers.clear();
    }
  }

  // Starts `vs`'s state with what operators set on its real servers and re-applies the
  // dynamic weights its probes last reported; returns the events.
  std::vector<Event> StartVs(Vs& vs) const {
    for (size_t i = 0; !admin_.empty() && i < vs.model.real_servers.size(); ++i) {
      const model::RealServer& rs = vs.model.real_servers[i];
      auto it = admin_.find({vs.id, AddressPortName(rs.address, rs.port)});
      if (it != admin_.end()) (void)vs.state->SetAdmin(i, it->second.admin);
    }
    std::vector<Event> events = vs.state->Start();
    for (const auto& [checker, weight] : vs.weights) {
      std::vector<Event> more = vs.state->SetCheckerWeight(checker, weight);
      events.insert(events.end(), more.begin(), more.end());
    }
    return events;
  }

  void ScheduleFirst(const std::shared_ptr<Probe>& probe) {
    if (const auto* b = std::get_if<BfdCheck>(&probe->spec.params)) {
      // Never probed: a session already reported Up counts from the start.
      if (auto it = bfd_up_.find(b->name); it != bfd_up_.end()) ApplyBfd(probe, it->second);
      return;
    }
    Schedule(probe, FirstProbeDelay(probe->timing.warmup, *seams_.random));
  }

  void Schedule(const std::shared_ptr<Probe>& probe, Duration delay) {
    if (std::holds_alternative<BfdCheck>(probe->spec.params)) return;
    // A plain pointer keeps the callback small enough for std::function to hold without
    // allocating: every path that drops a probe cancels its timer first (StopProbes).
    probe->timer = seams_.timers->After(delay, [this, p = probe.get()] {
      if (p->stopped) return;
      p->timer = 0;
      if (p->suspended) {
        // As keepalived's suspended checker: no attempt, a look again a delay_loop later.
        Schedule(p->shared_from_this(), p->timing.delay_loop);
        return;
      }
      RunProbe(p->shared_from_this());
    });
  }

  // ---- ha_suspend -----------------------------------------------------------------

  // Starts following the local addresses once a virtual server of `vss` has ha_suspend.
  // Without them (the watch cannot open) no checker is suspended.
  void FollowAddresses(const std::vector<Vs>& vss) {
    if (local_addresses_) return;
    if (std::none_of(vss.begin(), vss.end(), [](const Vs& vs) { return vs.model.ha_suspend; }))
      return;
    if (!seams_.addresses) {
      own_addresses_ = std::make_unique<net::AddressWatch>(io_, lb_monitor_buffer_);
      seams_.addresses = own_addresses_.get();
    }
    auto now = seams_.addresses->Follow([this](const net::LocalAddresses& addresses) {
      local_addresses_ = addresses;
      UpdateSuspension();
    });
    if (!now) {
      log::Error("ha_suspend: cannot follow the local addresses (" + now.error().ToString() +
                 "); no healthchecker is suspended");
      return;
    }
    local_addresses_ = std::move(*now);
  }
  void FollowAddresses() { FollowAddresses(vss_); }

  bool ShouldSuspend(const Vs& vs) const {
    return local_addresses_ &&
           HaSuspended(vs.model, config_.virtual_server_groups, *local_addresses_);
  }

  // Sets virtual server `vs`, just built, suspended or not; `was`: whether the one it
  // replaces was (nullopt: a new one). Logs what changes as keepalived logs it at start.
  void SuspendBuilt(Vs& vs, std::optional<bool> was) {
    const bool now = ShouldSuspend(vs);
    SetSuspended(vs, now, now == was.value_or(false) ? nullptr
                          : !now                      ? "Activating"
                          : was                       ? "Suspending"
                                                      : "Deactivating");
  }

  // Suspends or resumes the checkers of every virtual server with ha_suspend as its
  // addresses are local or not.
  void UpdateSuspension() {
    bool changed = false;
    for (Vs& vs : vss_) {
      if (!vs.model.ha_suspend) continue;
      const bool now = ShouldSuspend(vs);
      if (now == vs.suspended) continue;
      SetSuspended(vs, now, now ? "Suspending" : "Activating");
      changed = true;
    }
    if (changed) Changed();
  }

  // Sets `vs`'s checkers suspended or not; logs each with `verb` unless null.
  void SetSuspended(Vs& vs, bool suspended, const char* verb) {
    vs.suspended = suspended;
    const VirtualServerConfig& c = vs.state->config();
    for (const VsChecker& checker : vs.checkers) {
      checker.probe->suspended = suspended;
      if (verb)
        log::Info(std::string(verb) + " healthchecker for service " +
                  c.real_servers[checker.rs].name + " for VS " + c.name);
    }
  }

  void RunProbe(const std::shared_ptr<Probe>& probe) {
    probe->in_flight = true;
    probe->started = seams_.clock->Now();
    // Two plain pointers, again so that std::function holds the callback without
    // allocating: a probe stopped while in flight waits in retired_ for its result, and
    // the prober calls nobody back once the engine (its owner) is gone.
    probe->ticket = seams_.run_probe(probe->spec, probe->timing.delay_loop, &probe->memo,
                                     [this, p = probe.get()](ProbeResult result) {
      p->in_flight = false;
      p->ticket = 0;
      if (p->stopped) {
        std::erase_if(retired_, [p](const std::shared_ptr<Probe>& r) { return r.get() == p; });
        return;
      }
      if (!result.ok) p->memo = {};  // the route may have changed
      if (p->suspended) {
        // ha_suspend came while it ran: its result changes nothing (nothing moves once
        // the suspension is logged; keepalived applies such a result).
        Schedule(p->shared_from_this(), p->timing.delay_loop);
        return;
      }
      OnResult(p->shared_from_this(), result);
    });
  }

  // BFD_CHECK: the BFD engine's news about `session`, through the supervisor.
  // ---- vigil_announce_table -------------------------------------------------------

  void OnVrrpState(const std::string& instance, bool master) override {
    if (master ? !vrrp_masters_.insert(instance).second : vrrp_masters_.erase(instance) == 0) return;
    UpdateAnnouncements(master ? "vrrp_master" : "vrrp_not_master");
  }

  void OnMaintenance(bool on) override {
    if (on == maintenance_) return;
    maintenance_ = on;
    UpdateAnnouncements(on ? "maintenance" : "maintenance_off");
  }

  // Takes `config`'s announce table: a new table is flushed of what a run that died left
  // (vigil's protocol) and filled; a table no longer named is emptied.
  Result<void> ConfigureAnnouncer(const model::Config& config) {
    const std::optional<uint32_t> table = config.global.announce_table;
    if (announcer_ && (!table || *table != announcer_->table())) {
      WithdrawAnnouncements("reload");
      announcer_.reset();
    }
    if (table && !announcer_) {
      if (!seams_.route_netlink) {
        auto nl = net::NetlinkSocket::Open(NETLINK_ROUTE);
        if (!nl) return Fail(nl.error().code(), "vigil_announce_table: " + nl.error().ToString(),
                             nl.error().sys_errno());
        own_route_netlink_ = std::make_unique<net::NetlinkSocket>(std::move(*nl));
        seams_.route_netlink = own_route_netlink_.get();
      }
      route_rt_ = std::make_unique<net::Rtnetlink>(*seams_.route_netlink);
      announcer_ = std::make_unique<RouteAnnouncer>(*route_rt_, *table);
      if (auto n = announcer_->Flush(); !n)
        log::Error("vigil_announce_table " + std::to_string(*table) +
                   ": cannot flush what a previous run left: " + n.error().ToString());
      else if (*n > 0)
        log::Notice("vigil_announce_table " + std::to_string(*table) + ": removed " +
                    Plural(static_cast<size_t>(*n), "route") + " a previous run left");
    }
    UpdateAnnouncements(announcer_configured_ ? "reload" : "start");
    announcer_configured_ = true;
    ConfigureFrrView(config);
    return {};
  }

  // FRR's view (vtysh) is read while there is a table to announce and vtysh exists.
  void ConfigureFrrView(const model::Config& config) {
    const std::string vtysh = announcer_ ? FindVtysh() : "";
    if (frr_ && !vtysh.empty() && frr_vty_ == config.global.announce_vty_socket) return;
    if (frr_timer_) seams_.timers->Cancel(frr_timer_);
    frr_timer_ = 0;
    // A poll in flight calls back into its poller: it is kept until the process ends.
    if (frr_ && frr_->polling()) retired_frr_.push_back(std::move(frr_));
    frr_.reset();
    frr_view_.reset();
    frr_vty_ = config.global.announce_vty_socket;
    if (vtysh.empty()) return;
    frr_ = std::make_unique<FrrPoller>(
        [this, alive = alive_](std::vector<std::string> argv,
                               std::function<void(bool, std::string)> done) {
          if (*alive) RunCaptured(std::move(argv), std::move(done));
        },
        vtysh, config.global.announce_vty_socket);
    PollFrr();
  }

  // Runs `argv` with its output in a memory file, bounded by kVtyshTimeout; calls `done`
  // with whether it exited 0 and what it wrote.
  void RunCaptured(std::vector<std::string> argv, std::function<void(bool, std::string)> done) {
    const int out = ::memfd_create("vigil-vtysh", MFD_CLOEXEC);
    if (out < 0) return done(false, "");
    SpawnSpec spec;
    spec.argv = std::move(argv);
    spec.timeout = kVtyshTimeout;
    spec.kill_grace = std::chrono::milliseconds(200);
    spec.stdout_fd = out;
    auto shared_done = std::make_shared<std::function<void(bool, std::string)>>(std::move(done));
    auto r = SpawnProcess(io_, spec, [out, shared_done](const ExitInfo& e) {
      std::string text;
      char buf[65536];
      off_t at = 0;
      ssize_t got;
      while (text.size() < kVtyshMaxOutput && (got = ::pread(out, buf, sizeof buf, at)) > 0) {
        text.append(buf, static_cast<size_t>(got));
        at += got;
      }
      ::close(out);
      (*shared_done)(e.ok(), std::move(text));
    });
    if (!r) {
      ::close(out);
      (*shared_done)(false, "");
    }
  }

  void PollFrr() {
    frr_timer_ = 0;
    if (!frr_ || stopped_announcing_) return;
    FrrPoller* poller = frr_.get();
    frr_->Poll([this, alive = alive_, poller](std::optional<std::vector<control::FrrPeerStatus>> view) {
      if (!*alive || frr_.get() != poller) return;
      if (view != frr_view_) {
        frr_view_ = std::move(view);
        Changed();
      }
      if (!stopped_announcing_ && !frr_timer_)
        frr_timer_ = seams_.timers->After(kFrrPoll, [this] { PollFrr(); });
    });
  }

  // Returns the virtual servers as the announcement sees them.
  std::vector<AnnounceSource> AnnounceSources() const {
    std::vector<AnnounceSource> out;
    for (const Vs& vs : vss_) {
      AnnounceSource a;
      a.addresses = AnnounceAddresses(vs.model, config_.virtual_server_groups);
      a.with = vs.model.announce_with;
      a.up = vs.state && vs.state->quorum_up();
      out.push_back(std::move(a));
    }
    return out;
  }

  // Brings the announce table to what the services, the instances and maintenance say;
  // `reason` goes with each change's event.
  void UpdateAnnouncements(const std::string& reason) {
    if (!announcer_ || stopped_announcing_) return;
    ApplyAnnouncements(DesiredAnnouncements(AnnounceSources(), vrrp_masters_, maintenance_), reason);
  }

  void WithdrawAnnouncements(const std::string& reason) {
    if (!announcer_) return;
    ApplyAnnouncements({}, reason);
    if (reason == "stop") stopped_announcing_ = true;
  }

  void ApplyAnnouncements(const std::set<model::IpAddress>& desired, const std::string& reason) {
    const std::set<model::IpAddress> before = announcer_->installed();
    auto r = announcer_->Apply(desired);
    const std::string table = std::to_string(announcer_->table());
    for (const auto& a : DiffAnnouncements(before, announcer_->installed()).withdraw) {
      log::Notice("announce: withdrew " + a.ToString() + " from table " + table + " (" + reason + ")");
      Emit("announce", {{"address", a.ToString()}, {"announced", false}, {"reason", reason}});
    }
    for (const auto& a : DiffAnnouncements(before, announcer_->installed()).announce) {
      log::Notice("announce: announced " + a.ToString() + " in table " + table + " (" + reason + ")");
      Emit("announce", {{"address", a.ToString()}, {"announced", true}, {"reason", reason}});
    }
    const std::string error = r ? "" : r.error().ToString();
    if (!error.empty() && error != announce_error_) log::Error("announce: " + error);
    if (error.empty() && !announce_error_.empty()) log::Notice("announce: table " + table + " is as wanted again");
    announce_error_ = error;
    if (!error.empty() && !announce_retry_timer_ && !stopped_announcing_)
      announce_retry_timer_ = seams_.timers->After(kAnnounceRetry, [this] {
        announce_retry_timer_ = 0;
        UpdateAnnouncements("retry");
      });
    if (before != announcer_->installed() || !error.empty()) Changed();
  }

  void ReportAnnouncements(control::Status& status) const {
    if (!announcer_) return;
    control::AnnounceStatus& a = status.announce;
    a.table = announcer_->table();
    for (const auto& addr : announcer_->installed()) a.announced.push_back(addr.ToString());
    for (const AnnounceSource& src : AnnounceSources()) {
      if (!src.up) continue;
      for (const auto& addr : src.addresses) {
        if (announcer_->installed().contains(addr)) continue;
        std::string why = maintenance_ ? "maintenance"
                          : stopped_announcing_ ? "stopping"
                          : src.with && !vrrp_masters_.contains(*src.with) ? *src.with + " not MASTER"
                          : !announce_error_.empty() ? "error"
                          : "";
        if (!why.empty()) a.held.emplace(addr.ToString(), why);
      }
    }
    a.error = announce_error_;
    a.frr = frr_view_.has_value();
    if (frr_view_) a.frr_peers = *frr_view_;
  }

  void OnBfdState(const std::string& session, bool up) override {
    bfd_up_[session] = up;
    for (auto& [key, probe] : probes_) {
      const auto* b = std::get_if<BfdCheck>(&probe->spec.params);
      if (b && b->name == session) ApplyBfd(probe, up);
    }
  }

  // Sets a BFD_CHECK up or down at once, as keepalived does (no retry): a change is a
  // transition; the first news of a checker already down (alpha) reports it down once.
  void ApplyBfd(const std::shared_ptr<Probe>& probe, bool up) {
    const bool first = !probe->bfd_heard;
    probe->bfd_heard = true;
    Outcome outcome;
    if (up != probe->state.up()) outcome.transition = up ? Transition::kUp : Transition::kDown;
    else if (first && !up) outcome.first_result_down = true;
    else return;
    probe->state.SetUp(up);
    const std::string name = ProbeName(*probe);
    if (up) log::Info(name + " is UP; checker UP");
    else log::Warning(name + " is DOWN; checker DOWN");
    UnflushedStats& st = probe->unflushed;
    (up ? st.ok : st.failed) += 1;
    st.latency = Duration::zero();
    st.latency_at = seams_.clock->Now();
    st.any = true;
    FeedCheckers(*probe, outcome, ProbeResult{up, "", std::nullopt});
  }

  std::string ProbeName(const Probe& p) const {
    std::string target;
    if (const auto* b = std::get_if<BfdCheck>(&p.spec.params)) {
      target = b->name;
    } else if (std::holds_alternative<MiscCheck>(p.spec.params)) {
      const auto& argv = std::get<MiscCheck>(p.spec.params).argv;
      target = argv.empty() ? "" : argv[0];
    } else if (std::holds_alternative<FileCheck>(p.spec.params)) {
      target = std::get<FileCheck>(p.spec.params).path;
    } else {
      auto a = model::IpAddress::Parse(p.spec.connect.address);
      target = a ? AddressPortName(*a, p.spec.connect.port)
                 : p.spec.connect.address + ":" + std::to_string(p.spec.connect.port);
    }
    return std::string(CheckTypeName(p.spec.params)) + " " + target;
  }

  std::string RsName(size_t v, size_t rs) const {
    return vss_[v].state->config().real_servers[rs].name;
  }

  void OnResult(const std::shared_ptr<Probe>& probe, const ProbeResult& result) {
    const Duration took = seams_.clock->Now() - probe->started;
    const bool first_result = !probe->state.has_run();
    const Outcome outcome = probe->state.OnResult(result.ok);
    if (result.ok) probe->last_weight = result.weight;

    // Steady success (the common case at scale) logs nothing: build no strings for it.
    if (probe->misc) {
      LogMiscResult(*probe, result, outcome, first_result);
    } else if (outcome.transition != Transition::kNone || outcome.first_result_down ||
               outcome.log_failure || !result.ok) {
      const std::string name = ProbeName(*probe);
      const std::string why = result.detail.empty() ? "" : ": " + result.detail;
      if (outcome.transition == Transition::kDown) {
        log::Warning(name + " failed" +
                     (outcome.retries_done ? " after " + Plural(outcome.retries_done, "retry") : "") +
                     why + "; checker DOWN");
      } else if (outcome.transition == Transition::kUp) {
        log::Info(name + " succeeded" + why + "; checker UP");
      } else if (outcome.first_result_down) {
        log::Warning(name + " failed" + why + "; checker stays DOWN");
      } else if (outcome.log_failure) {
        log::Info(name + " failed" + why);
      } else {
        log::Debug(name + " failed" + why);
      }
    }

    UnflushedStats& st = probe->unflushed;
    (result.ok ? st.ok : st.failed) += 1;
    st.latency = took;
    st.latency_at = probe->started;
    st.any = true;
    // Only a transition, a first result or a dynamic weight can change a pool (or be mailed).
    const bool mail_first = MailsFirstMiscResult(probe->spec.params, first_result);
    if (outcome.transition != Transition::kNone || outcome.first_result_down ||
        (result.ok && result.weight) || mail_first) {
      FeedCheckers(*probe, outcome, result, mail_first);
    }

    Duration delay = outcome.next_delay;
    if (probe->misc) {
      // keepalived counts MISC_CHECK's next run from the start of the previous one.
      delay = std::max(Duration::zero(), delay - took);
    }
    Schedule(probe, delay);
  }

  // Logs a MISC_CHECK's result in keepalived's words (check/misc_log.h), once per checker.
  void LogMiscResult(const Probe& probe, const ProbeResult& result, const Outcome& outcome,
                     bool first_result) const {
    const auto& argv = std::get<MiscCheck>(probe.spec.params).argv;
    for (const Subscriber& sub : probe.subscribers) {
      const std::string rs = RsName(sub.vs, sub.rs);
      auto line = MiscLogLine(result, outcome,
                              {.real_server = rs,
                               .virtual_server = vss_[sub.vs].state->config().name,
                               .script = argv.empty() ? "" : argv[0],
                               .retry = probe.state.timing().retry,
                               .retry_it = probe.state.retry_count(),
                               .first_result = first_result});
      if (!line) {
        if (!result.ok) log::Debug(ProbeName(probe) + " failed: " + result.detail);
      } else if (result.ok || outcome.transition == Transition::kNone) {
        log::Info(*line);
      } else {
        log::Warning(*line);
      }
    }
  }

  // Feeds a result that may change pools to every checker that shares `probe`, gathered per
  // virtual server in order; runs the events and applies the load balancer if anything
  // changed. A transition is mailed, and so is the result when `mail_result` (check/mail.h).
  void FeedCheckers(const Probe& probe, const Outcome& outcome, const ProbeResult& result,
                    bool mail_result = false) {
    std::map<size_t, std::pair<std::vector<Event>, std::vector<Destination>>> touched;
    for (const Subscriber& sub : probe.subscribers) {
      VirtualServerState& state = *vss_[sub.vs].state;
      auto [it, inserted] = touched.try_emplace(sub.vs);
      if (inserted) it->second.second = state.Desired();
      std::vector<Event>& events = it->second.first;
      auto append = [&events](std::vector<Event> more) {
        events.insert(events.end(), more.begin(), more.end());
      };
      if (result.ok && result.weight) append(state.SetCheckerWeight(sub.checker, *result.weight));
      if (outcome.transition == Transition::kUp) append(state.SetCheckerUp(sub.checker, true));
      if (outcome.transition == Transition::kDown) append(state.SetCheckerUp(sub.checker, false));
      if (outcome.first_result_down) append(state.ReportFirstResultDown(sub.checker));
    }
    bool changed = false;
    for (auto& [v, change] : touched) {
      if (!change.first.empty() || vss_[v].state->Desired() != change.second) {
        changed = true;
        changed_vs_.insert(v);
      }
      HandleEvents(v, change.first);
    }
    if (outcome.transition != Transition::kNone || mail_result)
      for (const Subscriber& sub : probe.subscribers)
        MailCheckerChange(sub, probe.spec, result, touched[sub.vs].first);
    if (changed) {
      ApplyLbSoon();
      Changed();
    }
  }

  // Logs `events` of virtual server `v` and runs their scripts and FIFO lines, in order.
  void HandleEvents(size_t v, const std::vector<Event>& events) {
    HandleEventsOnly(v, events);
    if (std::any_of(events.begin(), events.end(), [](const Event& e) {
          return !e.stopping && (e.kind == Event::Kind::kQuorumUp || e.kind == Event::Kind::kQuorumDown);
        }))
      UpdateAnnouncements("quorum");
  }

  void HandleEventsOnly(size_t v, const std::vector<Event>& events) {
    const Vs& vs = vss_[v];
    const std::string vs_name = vs.state->config().name;
    for (const Event& e : events) {
      switch (e.kind) {
        case Event::Kind::kRealServerUp:
        case Event::Kind::kRealServerDown: {
          const bool up = e.kind == Event::Kind::kRealServerUp;
          const model::RealServer& rs = vs.model.real_servers[e.real_server];
          const std::string rs_name = RsName(v, e.real_server);
          const char* verb = up ? (rs.inhibit_on_failure ? "Enabling" : "Adding")
                                : (rs.inhibit_on_failure ? "Disabling" : "Removing");
          if (e.init) {
            log::Info("real server " + rs_name + " of VS " + vs_name + " starts UP");
          } else if (e.removed) {
            log::Notice("Removing real server " + rs_name + " from VS " + vs_name +
                        " (no longer configured)");
          } else if (e.stopping) {
            log::Info("Shutting down real server " + rs_name + " of VS " + vs_name);
          } else {
            log::Notice(std::string(verb) + " real server " + rs_name + (up ? " to" : " from") +
                        " VS " + vs_name + (vs.state->sorry_server_active() ? " (sorry server active)" : ""));
          }
          const auto& script = up ? rs.notify_up : rs.notify_down;
          RunScript("rs " + vs.id + " " + rs_name, script,
                                std::string(up ? "notify_up" : "notify_down") + " for " + rs_name,
                                up ? "up" : "down");
          fifos_.Write(FifoRsLine(rs_name, vs_name, up));
          if (e.removed && rs.smtp_alert && mail_.enabled())
            mail_.Send(alert::RealServerRemovedMail(mail_router_id_, rs_name, vs_name, false));
          Emit("real_server", {{"virtual_server", vs.id},
                               {"real_server", AddressPortName(rs.address, rs.port)},
                               {"health", std::string(up ? "UP" : "DOWN")},
                               {"reason", EventReason(e)}});
          break;
        }
        case Event::Kind::kQuorumUp:
        case Event::Kind::kQuorumDown: {
          const bool up = e.kind == Event::Kind::kQuorumUp;
          const auto& cfg = vs.state->config();
          const std::string numbers = std::to_string(cfg.quorum) + (up ? "+" : "-") +
                                      std::to_string(cfg.hysteresis) + "=" +
                                      std::to_string(e.threshold);
          if (e.stopping) {
            log::Info("Shutting down VS " + vs_name + ": quorum down");
          } else if (up) {
            log::Notice(std::string(e.init ? "Starting with quorum up " : "Gained quorum ") +
                        numbers + " <= " + std::to_string(e.live_weight) + " for VS " + vs_name);
          } else {
            log::Warning(std::string(e.init ? "Starting with quorum down " : "Lost quorum ") +
                         numbers + " > " + std::to_string(e.live_weight) + " for VS " + vs_name);
          }
          if (vs.model.sorry_server && !e.stopping && !e.removed) {
            log::Notice(std::string(up ? "Removing" : "Adding") + " sorry server " +
                        KeepalivedRsName(*vs.model.sorry_server, vs.model) +
                        (up ? " from" : " to") + " VS " + vs_name);
          }
          const auto& script = up ? vs.model.quorum_up : vs.model.quorum_down;
          RunScript("vs " + vs.id, script,
                                std::string(up ? "quorum_up" : "quorum_down") + " for VS " + vs_name,
                                up ? "up" : "down");
          fifos_.Write(FifoVsLine(vs_name, up));
          if (vs.model.smtp_alert && !e.stopping && mail_.enabled())
            mail_.Send(alert::VirtualServerMail(
                mail_router_id_, vs_name, up,
                QuorumMailBody(up, e.init, cfg.quorum, cfg.hysteresis, e.threshold, e.live_weight)));
          Emit("quorum", {{"virtual_server", vs.id},
                          {"quorum", std::string(up ? "up" : "down")},
                          {"live_weight", e.live_weight},
                          {"threshold", e.threshold},
                          {"reason", EventReason(e)}});
          break;
        }
      }
    }
  }

  static std::string EventReason(const Event& e) {
    return e.init ? "start" : e.stopping ? "stop" : e.removed ? "reload" : "check";
  }

  // Runs `script` (if any) for the transition of `queue` to `state`, after the scripts
  // queued before it; a transition without a script still makes waiting ones stale.
  // `script` is a std::optional or a model::HeapOptional of a model::Script.
  template <typename OptionalScript>
  void RunScript(const std::string& queue, const OptionalScript& script,
                 const std::string& what, const std::string& state) {
    if (!script) {
      notify_->Transition(queue, state);
      return;
    }
    auto spec = ScriptSpawnSpec(*script, config_.global, seams_.resolve_user);
    if (!spec) {
      log::Error(what + " not run: " + spec.error().ToString());
      notify_->Transition(queue, state);
      return;
    }
    log::Info("running " + what + ": " + script->command);
    if (size_t dropped = notify_->Enqueue(queue, std::move(*spec), what, state))
      log::Warning(what + ": " + std::to_string(dropped) +
                   " stale notification(s) dropped, superseded by this one");
  }

  // Applies the load balancer once this turn of the loop has handled every result ready
  // now, so that all the changes decided in one pass go to the kernel as one transaction
  // (a thousand servers failing together cost one transaction, not a thousand).
  void ApplyLbSoon() {
    if (apply_timer_) return;
    apply_timer_ = seams_.timers->After(Duration::zero(), [this] {
      apply_timer_ = 0;
      (void)ApplyLbChanges();
    });
  }

  // Computes the whole desired lb state and applies it if it changed (start, reload,
  // restoration, retry after a failure).
  Result<void> ApplyLb(bool retry_on_failure) {
    if (apply_timer_) seams_.timers->Cancel(apply_timer_);
    apply_timer_ = 0;
    lb::State desired;
    std::set<lb::ServiceKey> seen;
    shared_services_ = false;
    for (const Vs& vs : vss_) {
      for (const lb::ServiceKey& key : vs.keys) shared_services_ |= !seen.insert(key).second;
      AddToState(vs.model, vs.keys, vs.state->Desired(), desired);
    }
    changed_vs_.clear();
    if (lb_current_ && desired == desired_) return {};
    lb_current_ = false;
    desired_ = std::move(desired);
    const TimePoint started = seams_.clock->Now();
    return Applied(lb_->Apply(desired_), started, retry_on_failure);
  }

  // Applies what changed in the virtual servers of changed_vs_ since the last apply: only
  // their services are rebuilt, compared and handed to the load balancer, so the cost of a
  // pass follows the real servers it touched, not the whole configuration. Falls back to
  // ApplyLb while the kernel is not known to hold desired_, or when virtual servers share
  // a service (each rebuilds only its own part of it). The services in `gone` (those of the
  // virtual servers a reload removed or builds again) leave desired_ first.
  Result<void> ApplyLbChanges(const std::set<lb::ServiceKey>& gone = {}) {
    if (apply_timer_) seams_.timers->Cancel(apply_timer_);
    apply_timer_ = 0;
    if (!lb_current_ || shared_services_) return ApplyLb(/*retry_on_failure=*/true);
    lb::State part;  // no two virtual servers share a service: each entry is whole
    for (size_t v : changed_vs_) {
      const Vs& vs = vss_[v];
      AddToState(vs.model, vs.keys, vs.state->Desired(), part);
    }
    changed_vs_.clear();
    std::set<lb::ServiceKey> changed;
    for (const lb::ServiceKey& key : gone) {
      if (!part.services.contains(key) && desired_.services.erase(key) != 0) changed.insert(key);
    }
    for (auto& [key, entry] : part.services) {
      lb::ServiceEntry& now = desired_.services[key];
      if (now == entry) continue;
      now = std::move(entry);
      changed.insert(key);
    }
    if (changed.empty()) return {};
    lb_current_ = false;
    const TimePoint started = seams_.clock->Now();
    return Applied(lb_->ApplyChanged(desired_, changed), started, /*retry_on_failure=*/true);
  }

  // Logs the outcome of applying desired_ (begun at `started`) and, on failure, retries the
  // whole state later.
  Result<void> Applied(const Result<std::vector<lb::Op>>& ops, TimePoint started,
                       bool retry_on_failure) {
    if (!ops) {
      log::Error("load balancer update failed: " + ops.error().ToString());
      if (retry_on_failure && !retry_timer_) {
        retry_timer_ = seams_.timers->After(kApplyRetryDelay, [this] {
          retry_timer_ = 0;
          (void)ApplyLb(/*retry_on_failure=*/true);
        });
      }
      return std::unexpected(ops.error());
    }
    lb_current_ = true;
    if (!ops->empty()) {
      char took[32];
      std::snprintf(took, sizeof took, " in %.2f ms",
                    std::chrono::duration<double, std::milli>(seams_.clock->Now() - started).count());
      log::Debug("load balancer: " + Plural(ops->size(), "operation") + " applied" +
                 (nft_ && nft_->last_apply_batched() ? " (netlink batch)" : "") + took);
    }
    // Changes others made just before this transaction were read (and kept) by it.
    if (nft_) OnLbChanges(nft_->TakeChanges(), "event");
    return {};
  }

  // nftables DR: the ingress chain hooks the interfaces there are; rtnetlink's link events
  // say when one comes or goes (the kernel cannot hook interfaces not yet named), and
  // after lost events the chain is compared with the interfaces all the same.
  void WatchLinks() {
    if (!nft_) return;
    link_watch_ = std::make_unique<net::LinkWatch>(
        io_,
        [this](const net::LinkEvent& ev) {
          if (std::holds_alternative<net::LinkChanged>(ev)) SyncHooks();
        },
        [this] { SyncHooks(); });
    if (auto r = link_watch_->Open(lb_monitor_buffer_); !r) {
      log::Warning("load balancer: not following link events (" + r.error().ToString() +
                   "); DR hooks interfaces that come later at its next change");
      link_watch_.reset();
    }
  }

  void SyncHooks() {
    auto change = nft_->SyncHooks();
    if (!change) {
      log::Warning("load balancer: DR ingress hook: " + change.error().ToString());
      if (change.error().code() == ErrorCode::kUnsupported) link_watch_->Close();  // (once)
      return;
    }
    for (const std::string& name : change->added)
      log::Info("load balancer: DR ingress hooks interface " + name);
    for (const std::string& name : change->removed)
      log::Info("load balancer: DR ingress unhooks interface " + name + " (gone)");
  }

  // Keeps the kernel's load balancer what vigil applied: nftables events and a periodic
  // audit find changes made behind vigil's back, and a restoration undoes them.
  void WatchLb() {
    if (nft_) {
      if (auto w = nft_->Watch(lb_monitor_buffer_); !w) {
        log::Warning("load balancer: not watching nftables events (" + w.error().ToString() +
                     "); the periodic audit remains");
      } else if (UniqueFd watch = fd::Dup(nft_->watch_fd()); watch.get() < 0) {
        log::Warning("load balancer: not watching nftables events (dup failed); the periodic "
                     "audit remains");
      } else {
        nft_watch_ = std::make_unique<asio::posix::stream_descriptor>(io_, watch.Release());
        WaitLbEvents();
      }
    }
    ScheduleAudit(AuditInterval());
  }

  Duration AuditInterval() const {
    return nft_ ? Duration(kNftablesAuditInterval) : Duration(kIpvsAuditInterval);
  }

  void WaitLbEvents() {
    nft_watch_->async_wait(asio::posix::stream_descriptor::wait_read,
                           [this](const std::error_code& ec) {
                             if (ec) return;  // closed (stopping)
                             OnLbChanges(nft_->TakeChanges(), "event");
                             WaitLbEvents();
                           });
  }

  // Audits the load balancer after `delay`: away from the loop when the backend can
  // (AuditAway), else on it. An audit's next one waits kAuditCostFactor times its cost.
  void ScheduleAudit(Duration delay) {
    audit_timer_ = seams_.timers->After(delay, [this] {
      audit_timer_ = 0;
      if (nft_) OnLbChanges(nft_->TakeChanges(), "event");
      Duration took{};
      if (!restore_timer_) {
        std::optional<lb::LoadBalancer::AuditTicket> ticket = lb_->BeginAudit();
        if (ticket && ticket->job) {
          AuditAway(std::move(*ticket));
          return;
        }
        const TimePoint t0 = seams_.clock->Now();
        auto findings = lb_->Audit();
        took = seams_.clock->Now() - t0;
        AuditDone(std::move(findings), "audit");
      }
      ScheduleAudit(std::max(AuditInterval(), took * kAuditCostFactor));
    });
  }

  // Runs the audit job of `ticket` on the background runner; its findings count only if
  // vigil has not changed the kernel since the ticket (else it was comparing vigil's own
  // change: the audit is repeated after the interval).
  void AuditAway(lb::LoadBalancer::AuditTicket ticket) {
    if (!seams_.background) {
      own_background_ = MakeThreadRunner(io_);
      seams_.background = own_background_.get();
    }
    const uint64_t id = ++audits_started_;
    audit_in_flight_ = id;
    struct Outcome {
      Result<std::vector<std::string>> findings = std::vector<std::string>{};
      Duration cpu{};
    };
    auto outcome = std::make_shared<Outcome>();
    seams_.background->Run(
        [job = std::move(ticket.job), outcome] {
          const Duration start = ThreadCpuTime();
          outcome->findings = job();
          outcome->cpu = ThreadCpuTime() - start;
        },
        [this, alive = alive_, id, generation = ticket.generation, outcome] {
          if (!*alive || audit_in_flight_ != id) return;  // gone, stopped or started anew
          audit_in_flight_ = 0;
          char cost[64];
          std::snprintf(cost, sizeof cost, "%.1f ms of CPU",
                        std::chrono::duration<double, std::milli>(outcome->cpu).count());
          log::Debug(std::string("load balancer: audited beside the loop in ") + cost);
          if (!outcome->findings) {
            AuditDone(std::move(outcome->findings), "audit");
          } else if (auto current = lb_->FinishAudit(generation, std::move(*outcome->findings))) {
            if (!restore_timer_) AuditDone(std::move(*current), "audit");
          } else {
            log::Debug("load balancer: the audit read the kernel while vigil changed it; "
                       "its findings are dropped");
            ScheduleAudit(AuditInterval());
            return;
          }
          ScheduleAudit(std::max(AuditInterval(), outcome->cpu * kAuditCostFactor));
        });
  }

  void AuditDone(Result<std::vector<std::string>> findings, const std::string& reason) {
    if (!findings) {
      log::Warning("load balancer: audit failed: " + findings.error().ToString());
    } else {
      OnLbChanges(std::move(*findings), reason);
    }
  }

  // Returns the CPU time the calling thread has used.
  static Duration ThreadCpuTime() {
    timespec ts{};
    ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return std::chrono::duration_cast<Duration>(std::chrono::seconds(ts.tv_sec) +
                                                std::chrono::nanoseconds(ts.tv_nsec));
  }

  // Logs what was found changed and restores the load balancer shortly.
  void OnLbChanges(std::vector<std::string> findings, std::string reason) {
    if (findings.empty()) return;
    for (const std::string& f : findings) log::Warning("load balancer: " + f);
    if (restore_timer_) return;
    restore_timer_ = seams_.timers->After(kRestoreDelay, [this, reason] {
      restore_timer_ = 0;
      RestoreLb(reason);
    });
  }

  void RestoreLb(const std::string& reason) {
    if (auto r = lb_->Restore(reason); !r) {
      log::Error("load balancer: restoring failed: " + r.error().ToString());
      restore_timer_ = seams_.timers->After(kApplyRetryDelay, [this, reason] {
        restore_timer_ = 0;
        RestoreLb(reason);
      });
      return;
    }
    log::Notice("load balancer: restored " + Plural(lb_->owned().services.size(), "service") +
                " (found by " + reason + ")");
    (void)ApplyLb(/*retry_on_failure=*/true);  // in case a change is still to be applied
    Changed();
  }

  // SMTP alerts (check/mail.h): the server and envelope, router_id, no_checker_emails.
  void ConfigureMail(const model::Config& config) {
    const std::string host = alert::LocalNameFor(config.global);
    mail_.Configure(alert::SmtpSettingsOf(config.global, host, alert::UserName()));
    mail_router_id_ = alert::RouterIdOf(config.global, host);
    no_checker_emails_ = alert::GlobalFlag(config.global, "no_checker_emails");
  }

  // Mails the change of `sub`'s checker (running `spec`) up or down by `result` as
  // keepalived does; `events` are its virtual server's events of this result.
  void MailCheckerChange(const Subscriber& sub, const ProbeSpec& spec, const ProbeResult& result,
                         const std::vector<Event>& events) {
    if (!mail_.enabled()) return;
    const Vs& vs = vss_[sub.vs];
    const model::RealServer& rs = vs.model.real_servers[sub.rs];
    const bool changed = std::any_of(events.begin(), events.end(), [&](const Event& e) {
      return e.real_server == sub.rs && (e.kind == Event::Kind::kRealServerUp ||
                                         e.kind == Event::Kind::kRealServerDown);
    });
    if (!MailsCheckerChange(rs.smtp_alert, changed, no_checker_emails_)) return;
    auto body = CheckerMailBody(spec.params, result.ok, result.failure,
                                {spec.connect.address, spec.connect.port,
                                 "[" + rs.address.ToString() + "]:" + std::to_string(rs.port)});
    if (!body) return;
    // The subject says the real server's state after the change.
    mail_.Send(alert::RealServerMail(mail_router_id_, RsName(sub.vs, sub.rs),
                                     vs.state->config().name, vs.state->alive(sub.rs), *body));
  }

  void OpenFifos(const model::Config& config) {
    StopFifoReader();
    fifos_.Close();
    std::vector<NotifyFifos::Spec> fifos;
    for (const auto* f : {&config.global.notify_fifo, &config.global.lvs_notify_fifo})
      if (*f && (fifos.empty() || fifos[0].path != (*f)->path))
        fifos.push_back({(*f)->path, (*f)->user, (*f)->group});
    for (const std::string& f : fifos_.Open(fifos, model::ScriptDefaultsOf(config.global)))
      log::Warning("notify fifo " + f);
    if (config.global.lvs_notify_fifo && config.global.lvs_notify_fifo->script)
      StartFifoReader(config.global.lvs_notify_fifo->path, *config.global.lvs_notify_fifo->script,
                      config.global);
  }

  // Starts lvs_notify_fifo_script with the FIFO's path: as its user, for as long as the
  // FIFO is open (no timeout, as keepalived).
  void StartFifoReader(const std::string& path, const model::Script& script,
                       const model::Global& global) {
    auto spec = ScriptSpawnSpec(script, global, seams_.resolve_user);
    if (!spec) {
      log::Error("lvs_notify_fifo_script not run: " + spec.error().ToString());
      return;
    }
    spec->argv.push_back(path);
    auto alive = std::make_shared<pid_t>(0);
    auto pid = SpawnProcess(io_, *spec, [path, alive](const ExitInfo& e) {
      *alive = 0;
      log::Warning("lvs_notify_fifo_script for " + path + " ended: " + e.ToString());
    });
    if (!pid) {
      log::Error("lvs_notify_fifo_script: " + pid.error().ToString());
      return;
    }
    *alive = *pid;
    fifo_reader_ = alive;
  }

  void StopFifoReader() {
    if (fifo_reader_ && *fifo_reader_ > 0) ::kill(-*fifo_reader_, SIGTERM);
    fifo_reader_.reset();
  }

  void StopProbes(std::map<std::string, std::shared_ptr<Probe>>& probes) {
    for (auto& [key, probe] : probes) {
      probe->stopped = true;
      if (probe->timer) seams_.timers->Cancel(probe->timer);
      probe->timer = 0;
      if (!probe->in_flight) continue;
      retired_.push_back(probe);
      // Its sockets and script go now; the result, when it comes, only leaves retired_.
      if (probe->ticket && seams_.cancel_probe) seams_.cancel_probe(probe->ticket);
    }
  }

  asio::io_context& io_;
  alert::SmtpSender mail_{io_};
  std::string mail_router_id_;
  bool no_checker_emails_ = false;
  EngineOptions options_;
  EngineSeams seams_;
  std::unique_ptr<TimerService> own_timers_;
  std::unique_ptr<RandomSource> own_random_;
  std::unique_ptr<ScriptRunner> own_scripts_;
  std::unique_ptr<ProbeStarter> own_starter_;
  std::unique_ptr<Clock> own_clock_;
  std::unique_ptr<NotifyQueue> notify_;
  std::function<void()> stop_done_;  // Stop()'s callback while shutdown notifiers run
  TimePoint stop_give_up_{};
  NotifyFifos fifos_;
  std::unique_ptr<lb::LoadBalancer> lb_;
  lb::NftablesBackend* nft_ = nullptr;
  lb::IpvsBackend* ipvs_ = nullptr;  // the backend, when it is IPVS
  std::string ipvs_netns_;  // where the IPVS socket opens (net::IpvsNetnsPath), "" = here
  std::optional<lb::ipvs::SyncDaemonConfig> syncd_;  // lvs_sync_daemon IF: both daemons run
  net::ReceiveBuffer lb_command_buffer_ = net::NetlinkSocket::kDefaultReceiveBuffer;
  net::ReceiveBuffer lb_monitor_buffer_ = net::NetlinkSocket::kDefaultReceiveBuffer;
  // What the engine reads of the configuration after a start or reload: the global
  // settings and the virtual server groups (each Vs holds its own model).
  model::Config config_;
  std::vector<Vs> vss_;
  std::map<std::pair<std::string, std::string>, AdminEntry> admin_;
  std::map<std::string, std::shared_ptr<Probe>> probes_;
  uint64_t builds_ = 0;  // Build calls (Probe::touched_in)
  std::map<std::string, bool> bfd_up_;  // BFD_CHECK: BFD sessions by name, Up or not
  // vigil_announce_table: the table's owner, the instances the VRRP engine says are
  // MASTER, vigilctl maintenance, the last failure to change the table.
  std::unique_ptr<net::NetlinkSocket> own_route_netlink_;
  std::unique_ptr<net::Rtnetlink> route_rt_;
  std::unique_ptr<RouteAnnouncer> announcer_;
  std::set<std::string> vrrp_masters_;
  bool maintenance_ = false;
  bool announcer_configured_ = false;
  bool stopped_announcing_ = false;
  std::string announce_error_;
  TimerService::Id announce_retry_timer_ = 0;
  // FRR's view of the announcements (vtysh), while vtysh exists and a table is announced;
  // nullopt while FRR does not answer.
  std::unique_ptr<FrrPoller> frr_;
  std::optional<std::vector<control::FrrPeerStatus>> frr_view_;
  TimerService::Id frr_timer_ = 0;
  std::optional<std::string> frr_vty_;
  std::vector<std::unique_ptr<FrrPoller>> retired_frr_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);  // false once destroyed
  std::vector<std::shared_ptr<Probe>> retired_;  // stopped while in flight
  // The load balancer's desired state as last applied; lb_current_ while the kernel is
  // known to hold it (the last apply succeeded). changed_vs_: the virtual servers whose
  // destinations may have changed since; shared_services_: two virtual servers feed one
  // kernel service (a configuration oddity), so only whole applies are exact.
  lb::State desired_;
  bool lb_current_ = false;
  std::set<size_t> changed_vs_;
  bool shared_services_ = false;
  TimerService::Id retry_timer_ = 0;
  TimerService::Id apply_timer_ = 0;  // ApplyLbSoon's
  TimerService::Id audit_timer_ = 0;
  // The background audit whose result is awaited (0: none), numbered from audits_started_.
  uint64_t audit_in_flight_ = 0;
  uint64_t audits_started_ = 0;
  std::unique_ptr<BackgroundRunner> own_background_;  // seams_.background's, if made here
  TimerService::Id restore_timer_ = 0;
  TimerService::Id drain_poll_timer_ = 0;
  std::shared_ptr<pid_t> fifo_reader_;  // lvs_notify_fifo_script's pid while it runs, else 0
  std::unique_ptr<asio::posix::stream_descriptor> nft_watch_;  // a dup of the monitor's fd
  std::unique_ptr<net::LinkWatch> link_watch_;  // nftables: link events (DR's hooks)
  // ha_suspend: the local addresses, once followed (seams_.addresses).
  std::unique_ptr<net::AddressWatch> own_addresses_;
  std::optional<net::LocalAddresses> local_addresses_;
};

}  // namespace

std::unique_ptr<TimerService> MakeAsioTimers(asio::io_context& io) {
  return std::make_unique<AsioTimers>(io);
}

std::unique_ptr<control::Engine> MakeEngine(asio::io_context& io, EngineOptions options) {
  return MakeEngine(io, options, EngineSeams{});
}

std::unique_ptr<control::Engine> MakeEngine(asio::io_context& io, EngineOptions options,
                                            EngineSeams seams) {
  return std::make_unique<CheckEngine>(io, options, std::move(seams));
}

}  // namespace vigil::check
