#include "vrrp/engine.h"

#include <algorithm>
#include <map>
#include <set>

#include <asio.hpp>

#include "base/log.h"
#include "model/config.h"
#include "net/link_monitor.h"
#include "net/link_watch.h"
#include "net/netlink.h"
#include "net/netns.h"
#include "net/nft_runner.h"
#include "net/raw_socket.h"
#include "net/rtnetlink.h"
#include "net/sysctl.h"
#include "vrrp/accept_entries.h"
#include "vrrp/accept_filter.h"
#include "vrrp/advert_intake.h"
#include "vrrp/advert_io.h"
#include "vrrp/advert_receivers.h"
#include "vrrp/bindings.h"
#include "vrrp/fault_reason.h"
#include "vrrp/gratuitous_sender.h"
#include "vrrp/instance.h"
#include "vrrp/instance_spec.h"
#include "vrrp/instance_status.h"
#include "vrrp/instance_vips.h"
#include "vrrp/interfaces.h"
#include "vrrp/kernel_addresses.h"
#include "vrrp/lvs_syncd.h"
#include "vrrp/notifier.h"
#include "vrrp/operations.h"
#include "vrrp/reload_rule.h"
#include "vrrp/rt_names.h"
#include "vrrp/start_gate.h"
#include "vrrp/state_machine.h"
#include "vrrp/sync_group.h"
#include "vrrp/trackers.h"
#include "vrrp/tracking.h"
#include "vrrp/vmacs.h"

namespace vigil::vrrp {
namespace {

constexpr char kIgmpLinkLocalReports[] = "net/ipv4/igmp_link_local_mcast_reports";

using std::chrono::steady_clock;

class EngineImpl final : public control::Engine {
 public:
  EngineImpl(asio::io_context& io, EngineOptions options)
      : io_(io),
        options_(options),
        notifier_(io),
        receivers_(io, [this](const std::string& instance, const net::ReceivedPacket& p) {
          OnPacket(instance, p);
        }),
        trackers_(io, [this] {
          for (auto& [name, in] : instances_) Recompute(*in);
        }) {}

  ~EngineImpl() override = default;

  Result<void> Start(const model::Config& config) override {
    spec_ = SpecFromModel(config);
    (void)accept_filter_.Configure(FilterOptions(spec_));
    dynamic_interfaces_ = spec_.dynamic_interfaces;
    receivers_.set_log_unknown_vrids(spec_.log_unknown_vrids);
    auto nl = net::NetlinkSocket::Open(NETLINK_ROUTE, {}, spec_.command_buffer);
    if (!nl) return std::unexpected(nl.error());
    nl_.emplace(std::move(*nl));
    rtnl_.emplace(*nl_);
    kernel_.emplace(*rtnl_);
    kernel_->SetNames(RtNames::Load(spec_.iproute_etc_dir, spec_.iproute_usr_dir));
    if (spec_.disable_local_igmp) {
      // keepalived's disable_local_igmp: put back (by sysctl_.Restore) when the engine stops.
      if (auto r = sysctl_.Set(kIgmpLinkLocalReports, "0"); !r)
        log::Warning("disable_local_igmp: " + r.error().ToString());
    }
    vmacs_.emplace(*rtnl_, links_.table(), sysctl_root_, sysctl_, kernel_->names());
    advert_io_.emplace(AdvertIo::Kernel{*rtnl_, links_, *vmacs_, sysctl_, receivers_});
    bindings_.emplace(instances_, *rtnl_, links_, [this](Instance& in) { Recompute(in); });
    vips_.emplace(instances_, *kernel_, gratuitous_, *rtnl_, links_, sysctl_root_, spec_);
    if (auto r = gratuitous_.Open(); !r) return r;
    if (auto r = links_watch_.Open(spec_.monitor_buffer); !r) return r;
    links_.SetDelays(spec_);
    links_.Refresh(*rtnl_);

    notifier_.Configure(spec_);
    trackers_.Configure(spec_);
    KeepConfiguredPriorities(spec_);
    if (ops_.maintenance()) log::Notice("operator: maintenance is on (restored): every instance stays BACKUP");
    for (const auto& s : spec_.instances) {
      if (auto r = AddInstance(s); !r) return std::unexpected(r.error());
    }
    vips_->InstallStatic();
    // Tracked files and a sync group's faulted member weigh in before the first state (an
    // instance they fault starts in FAULT, with no BACKUP on the way).
    for (auto& [name, in] : instances_)
      if (!in->spec.track_files.empty() || in->spec.sync_group) {
        for (auto& [n, i] : instances_) Recompute(*i);
        break;
      }
    groups_.Configure(spec_.sync_groups);
    syncd_netns_ = net::IpvsNetnsPath(config.net_namespace_ipvs);
    syncd_.Configure(LvsSyncdSpecFromModel(config));
    start_gate_.Begin(spec_);  // vrrp_startup_delay, vrrp_delay_after_boot
    groups_.Begin();  // a BACKUP group's line comes before its members' (keepalived)
    for (auto& [name, in] : instances_) StartInstance(*in);
    groups_.Settle();
    return {};
  }

  Result<std::string> Reload(const model::Config& config) override {
    VrrpSpec next = SpecFromModel(config);
    dynamic_interfaces_ = next.dynamic_interfaces;
    receivers_.set_log_unknown_vrids(next.log_unknown_vrids);
    links_.SetDelays(next);
    KeepConfiguredPriorities(next);
    notifier_.Configure(next);
    trackers_.Configure(next);  // unchanged scripts and processes keep running
    std::map<std::string, State> groups_was;
    groups_.ForEach([&](const SyncGroupSpec& g) { groups_was[g.name] = *groups_.StateOf(g.name); });
    groups_.Configure(next.sync_groups);
    std::map<std::string, State> kept;  // the instances kept through the reload: their state
    std::vector<RunningInstance> running;
    for (const auto& [name, in] : instances_)
      running.push_back({&in->spec, in->sm->state(), in->vips_installed});
    const ReloadPlan plan = PlanReload(running, next.instances);
    kernel_->KeepThroughReload(plan.keep);
    std::map<std::string, Carried> carried;
    for (const auto& step : plan.steps) {
      auto it = instances_.find(step.name);
      Instance& in = *it->second;
      switch (step.fate) {
        case ReloadFate::kRemoved:
          log::Info(in.spec.name + ": removed by reload");
          notifier_.NotifyRemoved(in.spec, in.sm->state() == State::kFault,
                                  in.sm->effective_priority());
          StopInstance(in, /*release_vips=*/true, "reload", /*notify=*/false);
          instances_.erase(it);
          break;
        case ReloadFate::kUnchanged:
          kept[in.spec.name] = in.sm->state();
          break;
        case ReloadFate::kVipsChanged:
          kept[in.spec.name] = in.sm->state();
          vips_->DropForReload(in, *step.next);
          break;
        case ReloadFate::kReplaced:
          kept[in.spec.name] = in.sm->state();
          log::Info(in.spec.name + ": changed by reload; replacing it in state " +
                    std::string(StateName(in.sm->state())));
          carried[step.next->name] = Detach(in);
          instances_.erase(it);
          break;
        case ReloadFate::kRestarted:
          log::Info(in.spec.name + ": changed by reload; restarting it");
          StopInstance(in, /*release_vips=*/true, "reload");
          instances_.erase(it);
          break;
      }
    }
    for (const auto& s : next.instances) {
      auto it = instances_.find(s.name);
      if (it != instances_.end() && !(it->second->spec == s)) ChangeVipsAdd(*it->second, s);
    }
    for (const auto& s : next.instances) {
      if (instances_.count(s.name)) continue;
      if (auto r = AddInstance(s); !r) {
        log::Error(s.name + ": " + r.error().ToString());
        continue;
      }
      if (auto c = carried.find(s.name); c != carried.end())
        ResumeInstance(*instances_[s.name], c->second);
      else
        StartInstance(*instances_[s.name]);
    }
    kernel_->KeepThroughReload({});
    // lvs_sync_daemon: a changed configuration restarts the daemons, in the driving
    // instance's state.
    syncd_.Configure(LvsSyncdSpecFromModel(config));
    if (const auto& ls = syncd_.spec()) {
      if (auto it = instances_.find(ls->instance); it != instances_.end())
        syncd_.Follow(ls->instance, it->second->sm->state());
    }
    if (next.disable_local_igmp != spec_.disable_local_igmp) {
      log::Warning("disable_local_igmp cannot change at a reload (as keepalived): restart "
                   "vigild for it to take effect");
      next.disable_local_igmp = spec_.disable_local_igmp;
    }
    if (FilterOptions(next) != accept_filter_.options()) {
      // The table's name cannot change (the supervisor refuses such a reload, as
      // keepalived); tables made stay as they were made, as keepalived's do.
      log::Warning("nftables_priority and nftables_counters cannot change at a reload: the "
                   "accept filter's tables keep theirs; restart vigild for them to take "
                   "effect");
      next.nftables_table = spec_.nftables_table;
      next.nftables_priority = spec_.nftables_priority;
      next.nftables_counters = spec_.nftables_counters;
    }
    spec_ = std::move(next);
    kernel_->SetNames(RtNames::Load(spec_.iproute_etc_dir, spec_.iproute_usr_dir));
    for (auto& [name, in] : instances_) Recompute(*in);
    groups_.Settle();
    if (spec_.fifo_write_states_on_reload) WriteStatesOnReload(groups_was, kept);
    SyncAcceptFilter();
    Changed();
    return plan.Summary();
  }

  void Stop(std::function<void()> done) override {
    stopping_ = true;
    gratuitous_.Stop();
    for (auto& [name, in] : instances_)
      StopInstance(*in, !options_.dont_release_vips, "shutdown");
    // The filter's tables go even when the VIPs stay (-V), as keepalived's do.
    if (auto r = accept_filter_.Teardown(); !r)
      log::Error("accept mode filter: " + r.error().ToString());
    groups_.ForEach(
        [this](const SyncGroupSpec& g) { notifier_.NotifyGroup(g, NotifyEvent::kStop); });
    if (!options_.dont_release_vips) vips_->UninstallStatic();
    trackers_.Stop();
    links_.Stop();
    links_watch_.Close();
    receivers_.CloseAll();
    (void)sysctl_.Restore();
    // Give the STOP notifications a moment to start before the process leaves.
    auto timer = std::make_shared<asio::steady_timer>(io_, std::chrono::milliseconds(100));
    timer->async_wait([timer, done](std::error_code) { done(); });
  }

  // track_bfd: the BFD engine's news, through the supervisor.
  void OnBfdState(const std::string& session, bool up) override {
    if (!trackers_.SetBfdUp(session, up)) return;
    log::Info("BFD_Instance(" + session + ") is " + (up ? "up" : "down") + " for VRRP");
    for (auto& [name, in] : instances_) {
      const auto& refs = in->spec.track_bfds;
      if (std::any_of(refs.begin(), refs.end(), [&](const ScriptRef& r) { return r.name == session; }))
        Recompute(*in);
    }
  }

  // The checker engine's news, through the supervisor: until its load balancer's table is
  // applied, no instance preempts a lower-priority master (HoldPreemption) — a node coming
  // back would otherwise take the VIPs while nothing schedules their connections — for at
  // most kLbWaitLimit (a checker that never gets there must not keep the node out for good).
  void OnLbReady(bool ready) override {
    if (ready != lb_waiting_) return;
    lb_wait_timer_.cancel();
    if (!ready) {
      log::Info("vrrp: no instance preempts until the load balancer's table is applied");
      lb_wait_timer_.expires_after(kLbWaitLimit);
      lb_wait_timer_.async_wait([this](std::error_code ec) {
        if (ec || !lb_waiting_) return;
        log::Warning("vrrp: the load balancer's table is still not applied after " +
                     std::to_string(kLbWaitLimit.count()) + " s; instances preempt all the same");
        HoldPreemption(false);
      });
    } else {
      log::Info("vrrp: the load balancer's table is applied; instances preempt as configured");
    }
    HoldPreemption(!ready);
  }

  void Restore(const std::vector<control::Operation>& ops) override { ops_.Restore(ops); }

  Result<std::string> Operate(const control::Operation& op) override {
    if (op.command == "maintenance") return SetMaintenance(op.on);
    auto it = instances_.find(op.instance);
    if (it == instances_.end())
      return Fail(ErrorCode::kNotFound, "no vrrp_instance " + op.instance);
    Instance& in = *it->second;
    if (op.command == "failover") return Failover(in);
    if (op.command == "priority") return SetPriority(in, op.priority);
    return Fail(ErrorCode::kInvalidArgument,
                "the " + op.command + " operation is not for the VRRP engine");
  }

  void Report(control::Status& status) const override {
    if (spec_.conntrackd) status.conntrackd_commands = notifier_.conntrackd_counters().Table();
    for (const auto& [name, in] : instances_)
      status.instances.push_back(
          StatusOf(in->spec, *in->sm, in->status, in->io.primary(), ops_.RuntimePriority(name),
                   in->fault_reason));
  }

 private:
  static constexpr std::chrono::seconds kLbWaitLimit{30};

  void HoldPreemption(bool on) {
    lb_waiting_ = on;
    for (auto& [name, in] : instances_)
      Execute(*in, in->sm->Handle(vrrp::HoldPreemption{on}, steady_clock::now()), "load balancer");
    Changed();
  }

  // ---- operations (vigilctl: vrrp/operations.h) ---------------------------------------

  // Maintenance: every instance leaves or stays out of MASTER (a master says priority 0
  // first), new ones included, until it is turned off; a reload keeps it.
  Result<std::string> SetMaintenance(bool on) {
    std::string did;
    if (!ops_.SetMaintenance(on, did)) return did;
    int masters = 0;
    for (auto& [name, in] : instances_) {
      if (in->sm->state() == State::kMaster) ++masters;
      Execute(*in, in->sm->Handle(Hold{on}, steady_clock::now()), "maintenance");
    }
    did = RuntimeOperations::MaintenanceDone(on, masters, instances_.size());
    log::Notice("operator: " + did);
    return did;
  }

  // Failover: a master steps down (priority 0) and yields to the router that takes over
  // until it is master again by the protocol; the other masters of its sync group with it.
  Result<std::string> Failover(Instance& in) {
    if (auto r = ops_.CheckFailover(in.spec.name, in.sm->state()); !r)
      return std::unexpected(r.error());
    std::vector<std::pair<const InstanceSpec*, State>> all;
    for (const auto& [name, other] : instances_) all.emplace_back(&other->spec, other->sm->state());
    const auto down = RuntimeOperations::SteppingDown(in.spec, all);
    for (const auto& name : down) {
      Instance& i = *instances_.at(name);
      Execute(i, i.sm->Handle(StepDown{}, steady_clock::now()), "failover");
    }
    std::string did = RuntimeOperations::FailoverDone(down);
    log::Notice("operator: failover: " + did);
    return did;
  }

  // Sets (1..254) or clears (0) the runtime base priority of `in`; the trackers' weights
  // apply on top, and preemption follows the protocol.
  Result<std::string> SetPriority(Instance& in, int priority) {
    if (auto r = ops_.SetPriority(in.spec, priority); !r) return std::unexpected(r.error());
    Recompute(in);
    std::string did =
        RuntimeOperations::PriorityDone(in.spec, priority, in.sm->effective_priority());
    log::Notice("operator: " + did);
    Changed();
    return did;
  }

  void KeepConfiguredPriorities(const VrrpSpec& spec) {
    for (const auto& line : ops_.KeepConfigured(spec)) log::Notice("operator: " + line);
  }

  // ---- set-up --------------------------------------------------------------------

  // A master advertising faster than the instance's own interval lowers the cap (keepalived:
  // update_master_adver_int), so that the link delay stays below its down timer.
  void CapForMasterInterval(Instance& in) {
    const auto interval = in.sm->master_advert_interval();
    if (in.spec.interface.empty()) return;
    if (in.debounce_capped_for.count() != 0 && interval >= in.debounce_capped_for) return;
    in.debounce_capped_for = interval;
    links_.CapForMasterInterval(in.spec.name, in.spec.interface,
                                in.spec.params.down_timer_adverts, interval);
  }

  // Creates the instance and binds it (Bindings::Attach).
  Result<void> AddInstance(const InstanceSpec& s) {
    auto owned = std::make_unique<Instance>(io_, *advert_io_);
    Instance& in = *owned;
    in.spec = s;
    in.status.name = s.name;
    in.advertised = AdvertisedAddresses(s);
    in.sm = std::make_unique<StateMachine>(s.params);
    if (ops_.maintenance()) in.sm->Handle(Hold{true}, steady_clock::now());  // before Startup: no actions
    if (lb_waiting_) in.sm->Handle(vrrp::HoldPreemption{true}, steady_clock::now());
    if (auto r = bindings_->Attach(in, dynamic_interfaces_); !r) return r;
    instances_[s.name] = std::move(owned);
    return {};
  }

  void StartInstance(Instance& in) {
    log::Info(in.spec.name + ": starting (VRID " + std::to_string(in.spec.params.vrid) +
              ", priority " + std::to_string(in.spec.params.priority) + ", " +
              (in.spec.params.version == Version::kV3 ? "v3" : "v2") + " on " +
              (in.spec.interface.empty() ? Bindings::Where(in) : in.spec.interface) +
              (in.io.bound()            ? " from " + in.io.primary().ToString()
               : in.io.lacks_address() ? ", waiting for an address"
               : in.io.vmac_failed()   ? ", waiting for its VMAC"
                                  : ", waiting for the interface") +
              ")");
    if (in.spec.no_peer_fault)
      log::Warning(in.spec.name + ": unicast_fault_no_peer and no unicast_peer: in FAULT, not "
                   "using multicast");
    // Without its interface (or its unicast peers) the instance starts in FAULT (no BACKUP
    // on the way).
    if (!in.io.bound() || in.spec.no_peer_fault) {
      in.own_fault = true;
      Execute(in, in.sm->Handle(Fault{true}, steady_clock::now()), "fault");
    }
    Execute(in, in.sm->Handle(vrrp::Startup{start_gate_.until()}, steady_clock::now()), "startup");
    Recompute(in);
    if (in.sm->state() != State::kMaster) vips_->RemoveLeftovers(in);
  }

  // What a replaced instance hands to its successor on reload.
  struct Carried {
    State state = State::kInit;
    control::InstanceStatus status;
  };

  // Reload: takes `in` out of service without a Shutdown (no priority-0 advert, no
  // notification); a master's VIPs that its successor (or another master) keeps stay.
  Carried Detach(Instance& in) {
    Carried c{in.sm->state(), in.status};
    if (c.state == State::kMaster) Do(in, RemoveVips{});
    in.timer.cancel();
    ++in.timer_generation;
    in.io.LeaveReceiver(in.spec);
    return c;
  }

  // Reload: starts the successor of a replaced instance in the state its predecessor was
  // in (as keepalived keeps it): a master stays master and keeps its VIPs, a backup stays
  // backup; no transition, no notification, no gratuitous ARP.
  void ResumeInstance(Instance& in, const Carried& c) {
    in.status = c.status;
    auto now = steady_clock::now();
    std::vector<Action> actions = in.sm->Handle(vrrp::Startup{start_gate_.until()}, now);
    if (c.state == State::kMaster && in.sm->state() == State::kBackup) {
      auto more = in.sm->Handle(SyncMaster{}, now);
      actions.insert(actions.end(), more.begin(), more.end());
    }
    if (in.sm->state() == c.state) {
      std::erase_if(actions, [](const Action& a) {
        return std::holds_alternative<BecomeMaster>(a) ||
               std::holds_alternative<BecomeBackup>(a) || std::holds_alternative<Notify>(a) ||
               std::holds_alternative<SendGratuitous>(a);
      });
    }
    log::Info(in.spec.name + ": resumed in state " + std::string(StateName(in.sm->state())) +
              " (priority " + std::to_string(in.spec.params.priority) + ")");
    Execute(in, actions, "reload");
    Recompute(in);
  }

  // Stops `in` (`why`: "shutdown" or "reload"); its move to STOP is an event.
  // Stops `in` (a priority-0 advert if master); without `release_vips` its VIPs stay (-V),
  // without `notify` no STOP notification is run (NotifyRemoved said what happened).
  void StopInstance(Instance& in, bool release_vips, std::string_view why, bool notify = true) {
    const State before = in.sm->state();
    auto actions = in.sm->Handle(Shutdown{}, steady_clock::now());
    std::erase_if(actions, [&](const Action& a) {
      return (!release_vips && std::holds_alternative<RemoveVips>(a)) ||
             (!notify && std::holds_alternative<Notify>(a));
    });
    Execute(in, actions, why);
    if (before != State::kStop) TransitionEvent(in, StateName(State::kStop), before, why);
    in.timer.cancel();
    ++in.timer_generation;
    in.io.LeaveReceiver(in.spec);
    if (release_vips && in.spec.vmac) {
      vmacs_->Release(*in.spec.vmac, in.io.vmac_ifindex());
      links_.Forget(*in.spec.vmac);
    }
    if (release_vips)
      for (const auto& v : in.spec.address_vmacs) {
        vmacs_->Release(v.name, links_.IndexOf(v.name));
        links_.Forget(v.name);
      }
  }

  // ---- the state machine's actions -------------------------------------------------

  // Performs `actions`, which `why` brought about (the reason a transition's event gives).
  void Execute(Instance& in, const std::vector<Action>& actions, std::string_view why) {
    const std::string_view outer = why_;
    why_ = why;
    for (const Action& a : actions) {
      std::visit([&](const auto& act) { Do(in, act); }, a);
    }
    why_ = outer;
    syncd_.Follow(in.spec.name, in.sm->state());
    FollowGroup(in, actions);
    SyncAcceptFilter();
    Changed();
  }

  // Accept mode (vrrp/accept_filter.h): the VIPs that masters without accept mode hold
  // are dropped on input and output.
  void SyncAcceptFilter() {
    std::vector<FilterInstance> all;
    for (const auto& [name, in] : instances_) {
      const int vmac = in->io.vmac_ifindex();
      const net::LinkInfo* link = vmac ? links_.FindIndex(vmac) : nullptr;
      all.push_back({&in->spec, in->vips_installed, in->io.ifindex(), vmac,
                     link && link->kind == "macvlan", InstanceVips::VipIfindex(*in)});
    }
    const FilterContents want = AcceptFilterContents(all, spec_.disable_local_igmp);
    if (auto r = accept_filter_.Sync(want.entries, want.vmacs); !r)
      log::Error("accept mode filter (tables ip/ip6 " + accept_filter_.options().table +
                 "): " + r.error().ToString());
  }

  // The accept-mode filter's options for `spec` (global_defs nftables*).
  AcceptFilterOptions FilterOptions(const VrrpSpec& spec) const {
    return {spec.nftables_table.value_or(AcceptFilterTable(options_.config_id)),
            spec.nftables_priority, spec.nftables_counters};
  }

  // ---- vrrp_sync_group -----------------------------------------------------------

  // The group's answer to a member's actions: the other members follow (keepalived's sync
  // rules, vrrp/sync_group.h), and the group's own notifications when its state changes.
  void FollowGroup(Instance& in, const std::vector<Action>& actions) {
    if (!in.spec.sync_group || stopping_) return;
    groups_.Follow(*in.spec.sync_group, in.spec.name, actions, steady_clock::now(),
                   [this](const std::string& member, const std::vector<Action>& acts) {
                     Execute(*instances_.at(member), acts, "sync_group");
                   });
  }

  // The notification of a sync group's `state`.
  static NotifyEvent GroupEvent(State state) {
    return state == State::kMaster  ? NotifyEvent::kMaster
           : state == State::kFault ? NotifyEvent::kFault
                                    : NotifyEvent::kBackup;
  }

  // fifo_write_vrrp_states_on_reload, as keepalived's vrrp_init_state at a reload: the FIFO
  // line of each sync group in the state it had before (`groups_was`), then of each instance
  // kept through it (`kept`: their states before) that is BACKUP or FAULT as before — not a
  // master's (keepalived 2.2.7 and upstream, checked live: GROUP "G1" MASTER 0 and INSTANCE
  // "VI_F" FAULT 100, nothing for the MASTER instances).
  void WriteStatesOnReload(const std::map<std::string, State>& groups_was,
                           const std::map<std::string, State>& kept) {
    groups_.ForEach([&](const SyncGroupSpec& g) {
      auto was = groups_was.find(g.name);
      if (was != groups_was.end() && groups_.StateOf(g.name) == was->second)
        notifier_.WriteFifoLine("GROUP", g.name, GroupEvent(was->second), 0);
    });
    for (const auto& s : spec_.instances) {
      auto was = kept.find(s.name);
      auto it = instances_.find(s.name);
      if (was == kept.end() || it == instances_.end()) continue;
      const State now = it->second->sm->state();
      if (now != was->second || (now != State::kBackup && now != State::kFault)) continue;
      notifier_.WriteFifoLine("INSTANCE", s.name,
                              now == State::kFault ? NotifyEvent::kFault : NotifyEvent::kBackup,
                              it->second->sm->effective_priority());
    }
  }

  void GroupChanged(const SyncGroupSpec& g, State state) {
    log::Notice("sync group " + g.name + ": " + std::string(StateName(state)));
    notifier_.NotifyGroup(g, GroupEvent(state));
    Emit("vrrp_sync_group", {{"group", g.name}, {"to", std::string(StateName(state))}});
  }

  void Do(Instance& in, const WantMaster&) {
    log::Info(in.spec.name + ": master down; waiting until every member of sync group " +
              in.spec.sync_group.value_or("") + " wants MASTER");
  }

  void Do(Instance& in, const SendAdvert& a) { SendAdverts(in, a.priority); }

  void Transition(Instance& in, std::string_view to, State from) {
    ++in.status.transitions;
    log::Notice(in.spec.name + ": " + std::string(StateName(from)) + " -> " + std::string(to) +
                " (priority " + std::to_string(in.sm->effective_priority()) + ")");
    TransitionEvent(in, to, from, why_);
  }
  void TransitionEvent(Instance& in, std::string_view to, State from, std::string_view why) {
    // The checker engine's announcements (vigil_announce_with) follow MASTER.
    if ((to == "MASTER") != (from == State::kMaster)) PublishVrrpState(in.spec.name, to == "MASTER");
    Emit("vrrp_transition", {{"instance", in.spec.name},
                             {"from", std::string(StateName(from))},
                             {"to", std::string(to)},
                             {"reason", std::string(why)},
                             {"priority", int64_t{in.sm->effective_priority()}}});
  }
  void Do(Instance& in, const BecomeMaster& a) {
    ++in.status.became_master;
    Transition(in, "MASTER", a.from);
  }
  void Do(Instance& in, const BecomeBackup& a) {
    if (!a.late) {
      Transition(in, "BACKUP", a.from);
      return;
    }
    // timer_expired_backup: this process was not run for longer than a backup waits.
    const auto& sent = in.sm->last_advert_sent();
    const int64_t ago =
        sent ? std::chrono::duration_cast<std::chrono::milliseconds>(steady_clock::now() - *sent)
                   .count()
             : 0;
    log::Warning(in.spec.name + ": the VRRP engine ran late: last advert sent " +
                 std::to_string(ago) + " ms ago, another router may have taken over; "
                 "timer_expired_backup: going BACKUP");
    const std::string_view outer = why_;
    why_ = "timer_expired_backup";
    Transition(in, "BACKUP", a.from);
    why_ = outer;
  }
  void Do(Instance& in, const EnterFault& a) { Transition(in, "FAULT", a.from); }
  void Do(Instance& in, const AddVips&) { vips_->Add(in); }
  void Do(Instance& in, const RemoveVips&) { vips_->Remove(in); }
  void Do(Instance& in, const SendGratuitous& g) {
    const bool extra = g.reason == GratuitousReason::kExtraInterfaces;
    vips_->Announce(in, extra ? in.spec.garp_extra_vips : in.spec.vips, g.count);
  }
  void Do(Instance& in, const Notify& n) { notifier_.Notify(in.spec, n.event, n.priority); }
  void Do(Instance& in, const CancelTimer&) {
    ++in.timer_generation;
    in.timer.cancel();
  }
  void Do(Instance& in, const SetTimer& t) {
    uint64_t gen = ++in.timer_generation;
    in.timer.expires_at(t.deadline);
    std::string name = in.spec.name;
    in.timer.async_wait([this, name, gen](std::error_code ec) {
      if (ec || stopping_) return;
      auto it = instances_.find(name);
      if (it == instances_.end() || it->second->timer_generation != gen) return;
      Instance& i = *it->second;
      Execute(i, i.sm->Handle(TimerExpired{}, steady_clock::now()), "master_down");
    });
  }

  void SendAdverts(Instance& in, uint8_t priority) {
    const uint32_t sent = in.io.Send(in.spec, in.advertised, priority);
    in.status.adverts_sent += sent;
    if (priority == 0) in.status.priority_zero_sent += sent;
  }

  // Reload: VIPs that leave an instance go first (all instances, DropForReload), then new
  // ones arrive with its new spec.
  void ChangeVipsAdd(Instance& in, const InstanceSpec& next) {
    const std::vector<VipSpec> before = std::move(in.spec.vips);
    in.spec = next;
    in.advertised = AdvertisedAddresses(next);
    vips_->ArriveForReload(in, before);
    log::Info(in.spec.name + ": VIPs updated by reload without a state change");
  }

  // ---- receiving -------------------------------------------------------------------

  void OnPacket(const std::string& instance, const net::ReceivedPacket& p) {
    auto it = instances_.find(instance);
    if (it == instances_.end()) return;
    Instance& in = *it->second;
    auto out = in.intake.Take(in.spec, in.advertised, *in.sm, in.io.sender(), p, in.status,
                              steady_clock::now(), std::chrono::system_clock::now());
    if (out.fate == AdvertIntake::Fate::kRejected) Changed();
    if (out.fate != AdvertIntake::Fate::kAccepted) return;
    Execute(in, in.sm->Handle(out.advert, steady_clock::now()),
            out.advert.priority == 0 ? "priority_zero_advert" : "advert");
    CapForMasterInterval(in);
  }

  // ---- tracking --------------------------------------------------------------------

  // Interfaces and addresses as the kernel tells of them: instances follow their
  // interfaces (vrrp/bindings.h); a VIP that someone else removed is put back.
  void OnLinkEvent(const net::LinkEvent& ev) {
    if (const auto* l = std::get_if<net::LinkChanged>(&ev)) {
      const net::LinkInfo* before = links_.FindIndex(l->ifindex);
      const int old_master = before ? before->master_ifindex : 0;
      bindings_->OnInterfaceChanges(links_.Apply(*l));
      if (l->removed) return;
      bindings_->ResizeForMtu(l->name);
      if (l->master_ifindex != old_master) vmacs_->FollowParentVrf(l->ifindex);
      return;
    }
    if (const auto* a = std::get_if<net::AddressAdded>(&ev)) return bindings_->OnAddressAdded(*a);
    const auto* a = std::get_if<net::AddressRemoved>(&ev);
    if (!a) return;
    bindings_->OnAddressRemoved(*a);
    vips_->OnAddressRemoved(*a);
  }

  // Notifications were lost: instances are bound and re-evaluated again (Bindings::Resync),
  // VMACs follow their parents' VRF moves, and the VIPs of masters are put back where they
  // went missing.
  void Resync() {
    bindings_->Resync();
    for (auto& [name, in] : instances_)
      if (in->io.vmac_ifindex()) vmacs_->FollowParentVrf(in->io.ifindex());  // a lost move
    vips_->Restore();
  }

  void Recompute(Instance& in) {
    if (stopping_) return;
    TrackingResult r = trackers_.Evaluate(in.spec, ops_.BasePriority(in.spec),
                                          [this](const std::string& n) { return links_.Usable(n); });
    // Without an interface, only its VIPs' interfaces and its trackers count (keepalived).
    bool link_ok =
        in.io.bound() && (in.spec.interface.empty() || links_.Usable(in.spec.interface));
    if (link_ok != in.link_ok) {
      in.link_ok = link_ok;
      log::Notice(bindings_->LinkNotice(in));
    }
    // Without its interface an instance cannot send, dont_track_primary or not.
    std::vector<std::string> reasons = OwnFaultReasons(
        {.interface = in.spec.interface,
         .no_peer = in.spec.no_peer_fault,
         .bound = in.io.bound(),
         .lacks_address = in.io.lacks_address(),
         .vmac_failed = in.io.vmac_failed(),
         .address_lost = in.address_lost,
         .link_up = in.link_ok,
         .dont_track_primary = in.spec.dont_track_primary,
         .trackers = std::move(r.faults)});
    bool own_fault = !reasons.empty();
    bool group_changed = own_fault != in.own_fault && in.spec.sync_group;
    in.own_fault = own_fault;
    // Any member's fault puts its whole sync group in FAULT.
    bool fault = own_fault;
    if (in.spec.sync_group) {
      for (const auto& [name, other] : instances_)
        if (other.get() != &in && other->spec.sync_group == in.spec.sync_group &&
            other->own_fault) {
          fault = true;
          if (!own_fault)
            reasons.push_back("sync group " + *in.spec.sync_group + ": " + name + " in FAULT");
        }
    }
    in.fault_reason.clear();
    for (const auto& why : reasons) in.fault_reason += (in.fault_reason.empty() ? "" : "; ") + why;
    auto now = steady_clock::now();
    if (fault != in.sm->faulted())
      Execute(in, in.sm->Handle(Fault{fault}, now), fault ? "fault" : "fault_cleared");
    if (r.effective != in.sm->effective_priority())
      Execute(in, in.sm->Handle(PriorityChanged{r.effective}, now), "priority");
    if (group_changed) {
      for (auto& [name, other] : instances_)
        if (other.get() != &in && other->spec.sync_group == in.spec.sync_group) Recompute(*other);
    }
  }

  asio::io_context& io_;
  EngineOptions options_;
  VrrpSpec spec_;
  // lvs_sync_daemon: the IPVS sync daemons one instance drives, over a socket in
  // net_namespace_ipvs (set at start; keepalived does not move namespaces at a reload).
  std::string syncd_netns_;
  LvsSyncd syncd_{[this] { return OpenIpvsSocket(syncd_netns_); }};
  Notifier notifier_;
  GratuitousSender gratuitous_{io_};  // gratuitous ARPs / NAs for masters' VIPs
  std::optional<net::NetlinkSocket> nl_;
  std::optional<net::Rtnetlink> rtnl_;
  std::optional<KernelAddresses> kernel_;  // what this engine put in the kernel
  net::Sysctl sysctl_root_;
  net::SysctlRestorer sysctl_{sysctl_root_};
  // The interfaces by name, as they count after interface_up_down_delays.
  Interfaces links_{io_, [this] {
                      for (auto& [n, in] : instances_) Recompute(*in);
                    }};
  std::optional<Vmacs> vmacs_;  // the use_vmac interfaces, which ones vigil created
  std::optional<AdvertIo::Kernel> advert_io_;  // what instances bind through
  std::optional<Bindings> bindings_;            // instances on their interfaces
  std::optional<InstanceVips> vips_;            // their VIPs in the kernel and on the wire
  // Link and address notifications; after lost ones, everything is read again (Resync).
  net::LinkWatch links_watch_{io_, [this](const net::LinkEvent& ev) { OnLinkEvent(ev); },
                              [this] { Resync(); }};
  bool dynamic_interfaces_ = false;
  AdvertReceivers receivers_;  // before instances_: instances leave it as they go
  Trackers trackers_;          // tells every instance when a tracked status changes
  Instances instances_;
  SyncGroups groups_{[this](const std::string& name) -> StateMachine* {
                       auto it = instances_.find(name);
                       return it == instances_.end() ? nullptr : it->second->sm.get();
                     },
                     [this](const SyncGroupSpec& g, State state) { GroupChanged(g, state); }};
  AcceptFilter accept_filter_{AcceptFilterOptions{AcceptFilterTable(options_.config_id)},
                              [] { return std::make_unique<net::LibNftablesRunner>(); }};
  RuntimeOperations ops_;  // vigilctl maintenance and priorities
  bool lb_waiting_ = false;  // the load balancer's table is not applied yet (OnLbReady)
  asio::steady_timer lb_wait_timer_{io_};
  std::string_view why_;  // what brought about the actions being performed (Execute)
  bool stopping_ = false;
  StartGate start_gate_{io_};
};

}  // namespace

std::unique_ptr<control::Engine> MakeEngine(asio::io_context& io, EngineOptions options) {
  return std::make_unique<EngineImpl>(io, options);
}

}  // namespace vigil::vrrp
