#include "daemon/supervisor.h"

#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>
#include <linux/close_range.h>
#include <sys/syscall.h>

#include <chrono>
#include <cstring>
#include <ctime>
#include <deque>
#include <map>
#include <set>
#include <memory>
#include <utility>
#include <vector>

#include <asio.hpp>

#include "base/fd.h"
#include "base/log.h"
#include "control/client.h"
#include "control/event_log.h"
#include "control/server.h"
#include "daemon/channel.h"
#include "daemon/config_commands.h"
#include "daemon/engine_process.h"
#include "daemon/engine_slot.h"
#include "daemon/file_limit.h"
#include "daemon/heap_tuning.h"
#include "daemon/pid_file.h"
#include "daemon/reload_files.h"
#include "daemon/reload_monitor.h"
#include "daemon/process_identity.h"
#include "daemon/settings.h"
#include "daemon/signal_coalescer.h"
#include "daemon/signal_watcher.h"
#include "daemon/start_stop_script.h"
#include "daemon/track_file_init.h"
#include "model/codec.h"

namespace vigil::daemon {
namespace {

using Clock = std::chrono::steady_clock;

constexpr auto kReloadTimeout = std::chrono::seconds(15);
// How long vigilctl, /metrics and dumps wait for the engines' fresh counters.
constexpr auto kRefreshWait = std::chrono::milliseconds(500);
// How long a stopping vigild lets `vigilctl watch` readers take its last events.
constexpr auto kWatchFlush = std::chrono::seconds(1);
// The send buffer of an engine's end of its channel to the supervisor.
constexpr int kChannelBuffer = 16 << 20;
// Nice value of the VRRP and BFD engine processes (the others keep 0).
constexpr int kVrrpNice = -10;

void LogDiagnostics(const config::Loaded& loaded) {
  for (const auto& d : loaded.diags.all()) {
    std::string text = config::Diagnostics::Format(d, loaded.files);
    text = text.substr(0, text.find('\n'));
    if (d.severity == config::Severity::kWarning) log::Warning(text);
    else log::Error(text);
  }
}

// Writes the track files with init_file (at start, or at a `reload`), mode 0666 less the
// umask, as keepalived does when it reads its configuration; logs those it cannot write.
void InitConfiguredTrackFiles(const model::Config& config, bool reload) {
  const mode_t mask = umask(0);
  umask(mask);
  for (const auto& line : InitTrackFiles(config.track_files, reload, 0666 & ~mask))
    log::Error(line);
}

// Closes every descriptor from 3 up except `keep`.
void CloseAllBut(int keep) {
  if (keep > 3) syscall(SYS_close_range, 3u, static_cast<unsigned>(keep - 1), 0u);
  syscall(SYS_close_range, static_cast<unsigned>(keep + 1), ~0u, 0u);
}

struct Child {
  std::string name;
  const EngineFactory* factory = nullptr;
  std::string pid_file;
  std::unique_ptr<EngineSlot> slot;     // the process: pid, (re)starts, back-off
  std::shared_ptr<Channel> channel;
  control::Status last;                 // the engine's last report, as read
  // A newer report, read (into `last`) only when vigild's status is asked for: at 10,000
  // real servers a report is 2 MB of JSON, and the engines send one at every change.
  std::string unread;
  const control::Status& Last() {
    if (!unread.empty()) {
      control::Status s;
      std::string error;
      if (control::FromJson(unread, s, &error)) last = std::move(s);
      else log::Warning("engine " + name + " sent an unreadable status report: " + error);
      unread.clear();
    }
    return last;
  }
  bool wanted = false;                  // the configuration needs this engine
  int late_reload_results = 0;          // answers still due to reloads that timed out
  // Operations sent to the engine, answered in order.
  std::deque<std::function<void(bool, std::string)>> operation_waiters;
  // Runtime state the engine reported last before it died, given to its next process.
  std::vector<control::Operation> restore;
};

class Supervisor final : public control::ControlTarget {
 public:
  Supervisor(const Options& options, const EngineFactories& factories, config::Loaded loaded,
             control::ControlAccess control_access)
      : options_(options),
        factories_(factories),
        config_(std::move(loaded.config)),
        control_access_(std::move(control_access)),
        started_(Clock::now()) {
    SaveConfig(loaded.files);
    children_["vrrp"].name = "vrrp";
    children_["vrrp"].factory = &factories_.vrrp;
    children_["vrrp"].pid_file = options.vrrp_pid_file.value_or(
        DefaultPidFile("vrrp", config_));
    children_["check"].name = "check";
    children_["check"].factory = &factories_.check;
    children_["check"].pid_file = options.check_pid_file.value_or(
        DefaultPidFile("check", config_));
    children_["bfd"].name = "bfd";
    children_["bfd"].factory = &factories_.bfd;
    children_["bfd"].pid_file = options.bfd_pid_file.value_or(DefaultPidFile("bfd", config_));
    for (auto& [name, c] : children_) {
      Child* child = &c;
      c.slot = std::make_unique<EngineSlot>(
          io_, name, [this, child] { return Spawn(*child); },
          [this, child] { return child->wanted && !stopping_; });
      c.slot->set_on_change([this] { NotifyStatus(); });
    }
  }

  int Run() {
    auto signals = SignalWatcher::Start(
        io_, {SIGHUP, SIGTERM, SIGINT, SIGCHLD, SIGUSR1, SIGUSR2, SIGRTMIN + 2, SIGRTMAX - 1,
              SIGRTMAX},
        [this](const ReceivedSignal& s) { OnSignal(s); });
    if (!signals) {
      log::Error(signals.error().ToString());
      return 1;
    }
    signals_ = std::move(*signals);
    std::string ctl = ControlSocketPath(config_);
    auto server = control::ControlServer::Start(io_, ctl, control_access_, *this);
    if (!server) {
      log::Error("control socket: " + server.error().ToString());
      return 1;
    }
    control_ = std::move(*server);
    Event("vigild_started", {{"pid", int64_t{getpid()}}, {"version", std::string(kVersionString)}});
    StartMetrics();
    WatchReloadTimeFile();
    // As keepalived: the engines start once the startup script has ended.
    if (const auto& script = config_.global.startup_script) {
      RunStartStopScript(io_, "startup", *script, ToMs(config_.global.startup_script_timeout),
                         model::ScriptDefaultsOf(config_.global), [this] { StartEngines(); });
    } else {
      StartEngines();
    }
    io_.run();
    return exit_code_;
  }

  // ControlTarget.
  control::Status CurrentStatus() override {
    control::Status s;
    s.version = kVersionString;
    s.pid = getpid();
    s.uptime_s = std::chrono::duration<double>(Clock::now() - started_).count();
    s.config_file = options_.config_file;
    s.reloads = reloads_;
    s.reload_failures = reload_failures_;
    s.last_reload_ok = last_reload_ok_;
    s.maintenance = maintenance_;
    s.events = events_->last_seq();
    for (auto& [name, c] : children_) {
      if (!c.slot->running() && !c.wanted) continue;
      s.engines.push_back(c.slot->Status());
      const control::Status& last = c.Last();
      for (auto& i : last.instances) s.instances.push_back(i);
      for (auto& v : last.virtual_servers) s.virtual_servers.push_back(v);
      for (auto& b : last.bfd_sessions) s.bfd_sessions.push_back(b);
      if (last.announce.table != 0) s.announce = last.announce;
      for (const auto& [reason, n] : last.bfd_dropped) s.bfd_dropped[reason] += n;
      if (!last.lb_backend.empty()) s.lb_backend = last.lb_backend;
      for (const auto& [reason, n] : last.lb_restorations) s.lb_restorations[reason] += n;
      for (const auto& [command, results] : last.conntrackd_commands)
        for (const auto& [result, n] : results) s.conntrackd_commands[command][result] += n;
    }
    if (control_) s.listeners.push_back(control_->stats());
    if (metrics_) s.listeners.push_back(metrics_->stats());
    return s;
  }

  // ControlTarget: what `vigilctl watch` reads.
  std::shared_ptr<control::EventLog> Events() override { return events_; }

  // One reload runs at a time; requests that arrive meanwhile are answered together by one
  // more reload once it ends (it reads the configuration as it is then). Requests made
  // while the startup script runs wait for the engines to start.
  void Reload(std::function<void(bool, std::string)> done) override {
    if (stopping_) return done(false, "vigild is stopping");
    queued_reloads_.push_back(std::move(done));
    if (!reload_running_ && ready_) StartReload();
  }

 private:
  using ReloadDone = std::function<void(bool, std::string)>;

  // Appends an event of the supervisor's own to the log.
  void Event(std::string_view type, const std::vector<control::EventField>& fields) {
    events_->Append(type, fields, std::chrono::system_clock::now());
  }

  static std::chrono::milliseconds ToMs(model::Duration d) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(d);
  }

  // Starts the wanted engines and tells systemd vigild is ready.
  void StartEngines() {
    if (stopping_) return;
    UpdateWanted();
    for (auto& [name, c] : children_)
      if (c.wanted) c.slot->StartNow();
    notified_status_ = StatusLine();
    ready_ = true;
    sd_notify(0, ("READY=1\nSTATUS=" + notified_status_).c_str());
    log::Info("vigild started (pid " + std::to_string(getpid()) + ")");
    if (!queued_reloads_.empty()) StartReload();
  }

  void StartReload() {
    reload_running_ = true;
    auto dones = std::make_shared<std::vector<ReloadDone>>(std::move(queued_reloads_));
    queued_reloads_.clear();
    auto done = [this, dones](bool ok, std::string text) {
      reload_running_ = false;
      for (auto& d : *dones) d(ok, text);
      if (queued_reloads_.empty() || stopping_) return;
      asio::post(io_, [this] {
        if (!reload_running_ && !queued_reloads_.empty() && !stopping_) StartReload();
      });
    };
    // MONOTONIC_USEC lets a Type=notify-reload unit match this reload to its request.
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    sd_notifyf(0, "RELOADING=1\nMONOTONIC_USEC=%llu",
               static_cast<unsigned long long>(ts.tv_sec) * 1000000ULL +
                   static_cast<unsigned long long>(ts.tv_nsec / 1000));
    ++reloads_;
    const int64_t reload = static_cast<int64_t>(reloads_);
    Event("reload_started", {{"reload", reload}});
    // reload_file is there while the reload runs.
    const ReloadSettings running = GetReloadSettings(config_);
    if (!running.reload_file.empty()) {
      if (auto r = CreateReloadFile(running.reload_file); !r)
        log::Warning("reload_file: " + r.error().ToString());
    }
    auto read_done = [file = running.reload_file] {
      if (!file.empty()) RemoveReloadFile(file);
    };
    // Read once, here: the engines get the model checked below (none reads the files).
    config::Loaded loaded = LoadFromOptions(options_, config::SystemPass::kCheck);
    if (running.check_config && !running.check_log.empty()) {
      if (auto r = WriteCheckLog(running.check_log, loaded.diags.FormatAll(loaded.files)); !r)
        log::Warning("reload_check_config: " + r.error().ToString());
    }
    // As keepalived: vigild and its engines stay where they run (the new configuration's
    // system checks ran here, so they mean nothing for another namespace).
    std::string reason;  // for the log
    std::string answer;  // for the requester
    // The model the engines apply, encoded once: whole for the checker engine, and without
    // the virtual servers (nearly all of a large model) for the VRRP and BFD engines, which
    // never look at them.
    std::string encoded;
    std::string encoded_without_servers;
    std::clock_t encode_cpu = 0;
    if (std::string what = UnreloadableChange(config_, loaded.config); !what.empty()) {
      reason = answer = what + " cannot change at a reload; restart vigild";
    } else if (loaded.diags.HasErrors()) {
      LogDiagnostics(loaded);
      reason = "the new configuration has errors";
      if (running.check_config && !running.check_log.empty())
        reason += " (see " + running.check_log + ")";
      answer = loaded.diags.FormatAll(loaded.files);
    } else {
      encode_cpu = std::clock();
      encoded = model::EncodeConfig(loaded.config);
      std::vector<model::VirtualServer> servers = std::move(loaded.config.virtual_servers);
      loaded.config.virtual_servers.clear();
      encoded_without_servers = model::EncodeConfig(loaded.config);
      loaded.config.virtual_servers = std::move(servers);
      encode_cpu = std::clock() - encode_cpu;
      if (encoded.size() > kMaxFramePayload)
        reason = answer = "the configuration's model (" + std::to_string(encoded.size()) +
                          " bytes) is larger than an engine takes (" +
                          std::to_string(kMaxFramePayload) + ")";
    }
    if (!reason.empty()) {
      read_done();
      log::Error("reload refused: " + reason + "; nothing changed");
      Event("reload_rejected", {{"reload", reload}, {"error", reason}});
      ++reload_failures_;
      last_reload_ok_ = false;
      sd_notify(0, "READY=1");
      return done(false, answer);
    }
    LogDiagnostics(loaded);
    SaveConfig(loaded.files);
    InitConfiguredTrackFiles(loaded.config, true);
    log::Info("reload: the configuration is checked; its model (" +
              std::to_string(encoded.size()) + " bytes, " +
              std::to_string(encoded_without_servers.size()) +
              " without the virtual servers; encoded in " +
              std::to_string(encode_cpu * 1000 / CLOCKS_PER_SEC) + " ms CPU) goes to the engines");
    // The old model (tens of megabytes at 37,000 real servers) goes once the engines have
    // been told to reload, not before.
    auto retired = std::make_shared<model::Config>(std::exchange(config_, std::move(loaded.config)));
    asio::post(io_, [retired] {});
    ApplyProcessIdentity(options_, config_, "");
    WatchReloadTimeFile();
    UpdateWanted();
    // Engines that run and are still wanted reload; new ones start; unwanted ones stop.
    auto pending = std::make_shared<int>(0);
    auto ok = std::make_shared<bool>(true);
    auto summary = std::make_shared<std::string>();
    auto finish = std::make_shared<std::function<void()>>();
    auto timer = std::make_shared<asio::steady_timer>(io_, kReloadTimeout);
    *finish = [this, done, ok, summary, timer, pending, read_done, reload] {
      if (*pending < 0) return;  // already finished
      *pending = -1;
      read_done();
      timer->cancel();
      last_reload_ok_ = *ok;
      if (!*ok) ++reload_failures_;
      sd_notify(0, "READY=1");
      log::Info(*ok ? "reload complete" : "reload failed in an engine");
      const std::string text = summary->empty() ? std::string("reloaded") : *summary;
      Event(*ok ? "reload_applied" : "reload_failed",
            {{"reload", reload}, {*ok ? "summary" : "error", text}});
      done(*ok, summary->empty() ? std::string("reloaded") : *summary);
    };
    for (auto& [name, c] : children_) {
      if (c.slot->running() && c.channel) {
        // An engine the new configuration no longer needs reloads it too before it stops,
        // as keepalived's processes, which keep running, take a reload that removes all
        // they had: what it removes is notified and mailed (notify_down, quorum_down, ...).
        ++*pending;
        reload_waiters_[name] = [this, pending, ok, summary, finish, name](bool r,
                                                                           std::string text) {
          StopIfUnwanted(name);
          if (*pending < 0) return;
          if (!r) *ok = false;
          if (!text.empty()) *summary += (summary->empty() ? "" : "; ") + name + ": " + text;
          if (--*pending == 0) (*finish)();
        };
        c.channel->Send(FrameType::kReload, name == "check" ? encoded : encoded_without_servers);
      } else if (c.wanted && !c.slot->running()) {
        // A missing engine (never started, or its last start failed) starts now.
        log::Info("reload: starting engine " + name);
        c.slot->StartNow();
      } else if (!c.wanted && c.slot->running()) {
        kill(c.slot->pid(), SIGTERM);
      } else if (!c.wanted) {
        c.slot->CancelRetry();
      }
    }
    if (*pending == 0) return (*finish)();
    timer->async_wait([this, ok, finish](std::error_code ec) {
      if (ec) return;
      *ok = false;
      // An engine that answers late answers this reload, not the next one.
      for (auto& [name, w] : reload_waiters_) {
        ++children_[name].late_reload_results;
        StopIfUnwanted(name);
      }
      reload_waiters_.clear();
      (*finish)();
    });
  }

  // Stops engine `name` once a reload has been answered (or not in time) when the
  // configuration no longer needs it. Posted: the answer may come as the engine exits,
  // before the loop has seen its exit.
  void StopIfUnwanted(const std::string& name) {
    asio::post(io_, [this, name] {
      Child& c = children_[name];
      if (!c.wanted && !stopping_ && c.slot->running()) kill(c.slot->pid(), SIGTERM);
    });
  }

  // config_save_dir: keeps a copy of each configuration loaded (at start and each reload).
  void SaveConfig(const config::SourceFiles& files) {
    const std::string dir = GetReloadSettings(config_).save_dir;
    if (dir.empty()) return;
    auto saved = SaveConfigCopy(dir, files, getpid(), configs_saved_++);
    if (saved) log::Info("configuration saved as " + *saved);
    else log::Warning(saved.error().ToString());
  }

  // reload_time_file: (re)starts the watch when the file or reload_repeat changed.
  void WatchReloadTimeFile() {
    const ReloadSettings s = GetReloadSettings(config_);
    if (reload_monitor_ && reload_monitor_->path() == s.time_file &&
        reload_monitor_->repeat() == s.repeat)
      return;
    reload_monitor_.reset();
    if (s.time_file.empty()) return;
    auto m = ReloadTimeMonitor::Start(io_, s.time_file, s.repeat,
                                      [this] { Reload([](bool, std::string) {}); });
    if (m) reload_monitor_ = std::move(*m);
    else log::Error(m.error().ToString());
  }

  void StartMetrics() {
    std::string listen = MetricsListen(config_);
    if (listen.empty()) return;
    auto m = control::MetricsServer::Start(
        io_, listen, [this] { return control::RenderPrometheus(CurrentStatus()); },
        [this](std::function<void()> done) { Refresh(std::move(done)); });
    if (!m) {
      log::Error("metrics: " + m.error().ToString());
      return;
    }
    metrics_ = std::move(*m);
    log::Info("metrics on http://" + listen + "/metrics");
  }

  void UpdateWanted() {
    bool any = options_.all_children;
    children_["vrrp"].wanted = !options_.check_only && (any || WantsVrrpEngine(config_));
    children_["check"].wanted = !options_.vrrp_only && (any || WantsCheckEngine(config_));
    // As keepalived's --vrrp and --check, which run no BFD process either.
    children_["bfd"].wanted = !options_.vrrp_only && !options_.check_only && !options_.no_bfd &&
                              (any || WantsBfdEngine(config_)) && factories_.bfd != nullptr;
  }

  // Starts the engine process of `c` (its EngineSlot's start function).
  Result<pid_t> Spawn(Child& c) {
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) return FailErrno("socketpair");
    // The engine's end takes a whole status report (2 MB at 10,000 real servers) at once:
    // with the default buffer (~200 kB) a report goes over in ten exchanges between the two
    // processes, each a wait for the CPU on a busy machine, and the events queued behind it
    // wait with it. The supervisor's end likewise takes a reload's model (2.6 MB at 37,205
    // real servers) at once. Memory is used only while bytes are queued.
    for (int end : {sv[0], sv[1]}) {
      if (setsockopt(end, SOL_SOCKET, SO_SNDBUFFORCE, &kChannelBuffer, sizeof kChannelBuffer) != 0)
        (void)setsockopt(end, SOL_SOCKET, SO_SNDBUF, &kChannelBuffer, sizeof kChannelBuffer);
    }
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
      auto failed = FailErrno("fork");
      close(sv[0]);
      close(sv[1]);
      return failed;
    }
    if (pid == 0) {
      // Engine process: only its own signals blocked, nothing of the supervisor's kept open.
      BlockEngineSignals();
      prctl(PR_SET_PDEATHSIG, SIGTERM);
      if (getppid() != parent) _exit(kEngineExitOk);
      int fd = sv[1];
      CloseAllBut(fd);
      SetupLogging(options_, LogIdent("vigild-" + c.name, config_));
      // VRRP and BFD timing must not wait behind health checks or scripts for a CPU: their
      // engines run at a higher scheduling priority than the rest of vigild.
      if (c.name == "vrrp" || c.name == "bfd") (void)setpriority(PRIO_PROCESS, 0, kVrrpNice);
      prctl(PR_SET_NAME, ProcessName(config_, c.name).c_str());
      // The engine starts with the model checked here (config_ as forked), reading no file.
      _exit(RunEngineProcess(c.name, *c.factory, options_, config_, fd, c.pid_file, c.restore));
    }
    close(sv[1]);
    c.late_reload_results = 0;
    std::string name = c.name;
    c.channel = Channel::Open(
        io_, sv[0], [this, name](Frame f) { OnFrame(name, std::move(f)); },
        [] { /* the engine's exit is handled on SIGCHLD */ });
    log::Info("started engine " + c.name + " (pid " + std::to_string(pid) + ")");
    // A tracking engine learns the BFD sessions that are Up (it counts the others down).
    if (c.name != "bfd")
      for (const auto& [session, up] : bfd_up_)
        if (up) c.channel->Send(FrameType::kBfdState, "1" + session);
    // The checker engine learns the instances that are MASTER and the maintenance mode
    // (vigil_announce_table).
    if (c.name == "check") {
      for (const auto& instance : vrrp_masters_) c.channel->Send(FrameType::kVrrpState, "1" + instance);
      if (maintenance_) c.channel->Send(FrameType::kMaintenance, "1");
    }
    // Until the checker engine has applied the load balancer's table once, the VRRP engine
    // preempts no lower-priority master: a node coming back must not take the VIPs while
    // the table that schedules their connections is still empty.
    if (!lb_ready_ && (c.name == "check" || (c.name == "vrrp" && children_["check"].wanted)))
      SendTo("vrrp", FrameType::kLbReady, "0");
    Event("engine_started", {{"engine", c.name}, {"pid", int64_t{pid}}});
    return pid;
  }

  // Returns sd_notify's STATUS: "running", or which wanted engines do not run and why.
  std::string StatusLine() const {
    std::string missing;
    for (const auto& [name, c] : children_) {
      if (!c.wanted || c.slot->running()) continue;
      control::EngineStatus e = c.slot->Status();
      missing += (missing.empty() ? "" : "; ") + std::string("engine ") + name + " not running";
      if (!e.last_error.empty()) missing += " (" + e.last_error + ")";
      if (e.retry_in_s >= 0) missing += ", retrying";
    }
    return missing.empty() ? "running" : missing;
  }

  // Tells systemd the status line when it changed.
  void NotifyStatus() {
    if (stopping_ || !ready_) return;  // READY=1 carries the first status
    std::string line = StatusLine();
    if (line == notified_status_) return;
    notified_status_ = line;
    sd_notify(0, ("STATUS=" + line).c_str());
  }

  void OnFrame(const std::string& name, Frame f) {
    Child& c = children_[name];
    if (f.type == FrameType::kStatus) {
      c.unread = std::move(f.payload);
      if (refresh_outstanding_.erase(name) && refresh_outstanding_.empty()) FinishRefresh();
    } else if (f.type == FrameType::kBfdState) {
      if (name != "bfd" || f.payload.empty()) return;
      bfd_up_[f.payload.substr(1)] = f.payload[0] == '1';
      ForwardBfdState(f.payload);
    } else if (f.type == FrameType::kVrrpState) {
      if (name != "vrrp" || f.payload.empty()) return;
      const std::string instance = f.payload.substr(1);
      if (f.payload[0] == '1') vrrp_masters_.insert(instance);
      else vrrp_masters_.erase(instance);
      SendToChecker(FrameType::kVrrpState, f.payload);
    } else if (f.type == FrameType::kLbReady) {
      if (name != "check" || lb_ready_) return;
      lb_ready_ = true;
      SendTo("vrrp", FrameType::kLbReady, "1");
    } else if (f.type == FrameType::kOperationResult) {
      if (c.operation_waiters.empty()) return;
      auto cb = std::move(c.operation_waiters.front());
      c.operation_waiters.pop_front();
      const bool ok = !f.payload.empty() && f.payload[0] == '1';
      cb(ok, f.payload.empty() ? "" : f.payload.substr(1));
    } else if (f.type == FrameType::kEvent) {
      if (!events_->Append(f.payload, std::chrono::system_clock::now()))
        log::Warning("engine " + name + " sent an unreadable event");
    } else if (f.type == FrameType::kReloadResult) {
      if (c.late_reload_results > 0) {
        --c.late_reload_results;
        return;
      }
      auto it = reload_waiters_.find(name);
      if (it == reload_waiters_.end()) return;
      auto cb = std::move(it->second);
      reload_waiters_.erase(it);
      bool ok = !f.payload.empty() && f.payload[0] == '1';
      cb(ok, f.payload.empty() ? "" : f.payload.substr(1));
    }
  }

  // Sends a frame to engine `name` if it runs.
  void SendTo(const std::string& name, FrameType type, const std::string& payload) {
    auto it = children_.find(name);
    if (it != children_.end() && it->second.channel) it->second.channel->Send(type, payload);
  }
  void SendToChecker(FrameType type, const std::string& payload) { SendTo("check", type, payload); }

  // Passes a BFD session's news on to the engines that track sessions.
  void ForwardBfdState(const std::string& payload) {
    for (auto& [name, c] : children_)
      if (name != "bfd" && c.channel) c.channel->Send(FrameType::kBfdState, payload);
  }

  void OnSignal(const ReceivedSignal& received) {
    const int sig = received.signo;
    if (sig == SIGCHLD) return Reap();
    if (sig == SIGTERM || sig == SIGINT) return StopAll(0);
    if (!FirstCopy(received)) return;
    if (sig == SIGHUP) {
      log::Info("SIGHUP: reloading " + options_.config_file);
      return Reload([](bool, std::string) {});
    }
    if (sig == SIGUSR1) return Dump(DumpKind::kData);
    if (sig == SIGUSR2) return Dump(DumpKind::kStats);
    if (sig == SIGRTMIN + 2) return Dump(DumpKind::kJson);
    // keepalived's STATS_CLEAR writes the statistics, then zeroes them; vigil's counters
    // are monotonic (Prometheus counters), so it writes them only.
    if (sig == SIGRTMAX - 1) return Dump(DumpKind::kStats);
    // keepalived's TDATA (its scheduler's thread dump) has no counterpart here.
    if (sig == SIGRTMAX) log::Info("SIGRTMAX (TDATA) ignored: vigild has no thread dump");
  }

  // Returns true iff `received` is a signal to act on, false iff it is another copy of one
  // already acted on: the same signal from the same sender, passed on by an engine or
  // received directly (see SignalCoalescer).
  bool FirstCopy(const ReceivedSignal& received) {
    std::vector<EnginePid> engines;
    for (auto& [name, c] : children_)
      engines.push_back({name, c.slot->running() ? c.slot->pid() : 0});
    const RoutedSignal routed = RouteOf(received, engines);
    if (signal_copies_.Arrive(routed.arrival, Clock::now())) return true;
    log::Info(SignalName(received.signo) + " from pid " + std::to_string(routed.arrival.sender) +
              (routed.engine.empty() ? "" : " passed on by " + routed.engine) +
              ": a copy of one already handled");
    return false;
  }

  // ControlTarget: passes `op` to the engine that owns what it changes (the checker engine:
  // real servers; the VRRP engine: maintenance, failover, priority) and answers with what
  // it did. Admission is the control socket's (root, or the group named by
  // vigil_control_group).
  void Operate(const control::Operation& op,
               std::function<void(bool, std::string)> done) override {
    const std::string what = control::Describe(op);
    const bool vrrp = control::IsVrrpOperation(op.command);
    // Without VRRP instances, maintenance is the supervisor's own: it withdraws the
    // checker's announcements (vigil_announce_table).
    if (op.command == "maintenance" && !children_["vrrp"].wanted) {
      log::Info("control: " + what);
      Event("operation", {{"operation", what}});
      std::string message = op.on == maintenance_
                                ? std::string("maintenance is already ") + (op.on ? "on" : "off")
                                : std::string("maintenance ") + (op.on ? "on" : "off") +
                                      ": no VRRP instance; announcements " +
                                      (op.on ? "withdrawn" : "restored");
      maintenance_ = op.on;
      SendToChecker(FrameType::kMaintenance, op.on ? "1" : "0");
      Event("operation_result", {{"operation", what}, {"ok", true}, {"message", message}});
      return done(true, std::move(message));
    }
    Child& c = children_[vrrp ? "vrrp" : "check"];
    if (!c.slot->running() || !c.channel) {
      const std::string why = std::string("the ") + (vrrp ? "VRRP" : "checker") +
                              " engine is not running";
      log::Warning("control: " + what + " refused: " + why);
      Event("operation", {{"operation", what}});
      Event("operation_result", {{"operation", what}, {"ok", false}, {"message", why}});
      return done(false, why);
    }
    log::Info("control: " + what);
    Event("operation", {{"operation", what}});
    c.operation_waiters.push_back([this, op, what, done](bool ok, std::string message) {
      if (!ok) log::Warning("control: " + what + " failed: " + message);
      Event("operation_result", {{"operation", what}, {"ok", ok}, {"message", message}});
      if (ok && op.command == "maintenance") {
        maintenance_ = op.on;
        SendToChecker(FrameType::kMaintenance, op.on ? "1" : "0");
      }
      done(ok, std::move(message));
    });
    c.channel->Send(FrameType::kOperation, control::ToJson(op));
  }

  // Returns the runtime operations that bring a new process of engine `c` to the state its
  // last one reported (maintenance, runtime priorities): its last report, read now if
  // nobody asked for it.
  std::vector<control::Operation> RuntimeState(Child& c) const {
    std::vector<control::Operation> ops;
    if (c.name != "vrrp") return ops;
    if (maintenance_) {
      control::Operation op;
      op.command = "maintenance";
      op.on = true;
      ops.push_back(op);
    }
    for (const auto& i : c.Last().instances) {
      if (i.runtime_priority <= 0) continue;
      control::Operation op;
      op.command = "priority";
      op.instance = i.name;
      op.priority = i.runtime_priority;
      ops.push_back(op);
    }
    return ops;
  }

  enum class DumpKind { kData, kStats, kJson };

  // ControlTarget: asks every running engine for a report and calls `done` once all have
  // answered, or after kRefreshWait. Requests during a refresh join it.
  void Refresh(std::function<void()> done) override {
    refresh_waiters_.push_back(std::move(done));
    if (!refresh_outstanding_.empty() || refresh_timer_) return;
    for (auto& [name, c] : children_) {
      if (!c.channel) continue;
      c.channel->Send(FrameType::kReportRequest, "");
      refresh_outstanding_.insert(name);
    }
    if (refresh_outstanding_.empty()) return FinishRefresh();
    refresh_timer_ = std::make_unique<asio::steady_timer>(io_, kRefreshWait);
    refresh_timer_->async_wait([this](std::error_code ec) {
      if (!ec) FinishRefresh();
    });
  }

  void FinishRefresh() {
    refresh_outstanding_.clear();
    refresh_timer_.reset();  // cancels a pending wait
    auto waiters = std::move(refresh_waiters_);
    refresh_waiters_.clear();
    for (auto& w : waiters) w();
  }

  // Asks the engines for fresh reports, then writes the dump file.
  void Dump(DumpKind kind) {
    Refresh([this, kind] {
      control::Status s = CurrentStatus();
      const char* tmpdir = getenv("TMPDIR");
      std::string path;
      std::string text;
      switch (kind) {
        case DumpKind::kData:
          path = DumpPath(config_, config_.global.state_dump_file, "keepalived.data", tmpdir);
          text = RenderDataDump(s);
          break;
        case DumpKind::kStats:
          path = DumpPath(config_, config_.global.stats_dump_file, "keepalived.stats", tmpdir);
          text = RenderStatsDump(s);
          break;
        case DumpKind::kJson:
          // keepalived's layout, of the VRRP instances only; with none, keepalived writes
          // nothing either.
          if (s.instances.empty()) return log::Info("no VRRP instance: no JSON dump written");
          path = DumpPath(config_, config_.global.json_dump_file, "keepalived.json", tmpdir);
          text = control::ToKeepalivedJson(s, config_.global.json_version) + "\n";
          break;
      }
      // Never through a symlink or into a file someone planted: a new file (rw-rw-rw- less
      // the umask, as keepalived's) renamed over the path.
      const mode_t mode = CreatedFileMode(EffectiveUmask(options_, config_));
      if (auto w = fd::ReplaceFile(path, text, mode)) log::Info("wrote " + path);
      else log::Error("cannot write " + path + ": " + w.error().ToString());
    });
  }

  // Reaps the engines that have exited (scripts are reaped by their own watchers).
  void Reap() {
    for (auto& [name, c] : children_) {
      if (!c.slot->running()) continue;
      int status = 0;
      pid_t pid;
      do {
        pid = waitpid(c.slot->pid(), &status, WNOHANG);
      } while (pid < 0 && errno == EINTR);
      if (pid != c.slot->pid()) continue;
      // Its last events (and answers) first: they happened before its exit.
      if (c.channel) c.channel->Drain();
      if (c.channel) c.channel->Close();
      c.channel.reset();
      c.restore = RuntimeState(c);
      c.last = control::Status();
      if (name == "bfd") {
        // Its sessions are gone with it: the trackers see them down until it says Up again.
        for (auto& [session, up] : bfd_up_)
          if (up) ForwardBfdState("0" + session);
        bfd_up_.clear();
      }
      if (name == "vrrp") {
        // Its instances are gone with it: none is MASTER until it says so again.
        for (const auto& instance : vrrp_masters_) SendToChecker(FrameType::kVrrpState, "0" + instance);
        vrrp_masters_.clear();
      }
      c.unread.clear();
      auto w = reload_waiters_.find(name);
      if (w != reload_waiters_.end()) {
        auto cb = std::move(w->second);
        reload_waiters_.erase(w);
        cb(false, "engine exited during reload");
      }
      auto ops = std::move(c.operation_waiters);
      c.operation_waiters.clear();
      for (auto& cb : ops) cb(false, "engine " + name + " exited during the operation");
      OnChildExit(c, status);
    }
    if (stopping_ && AllExited()) Finish();
  }

  void OnChildExit(Child& c, int status) {
    std::string how = WIFEXITED(status) ? "exited with " + std::to_string(WEXITSTATUS(status))
                                        : "was killed by signal " + std::to_string(WTERMSIG(status));
    Event("engine_exited", {{"engine", c.name}, {"pid", int64_t{c.slot->pid()}}, {"how", how}});
    if (stopping_) {
      c.slot->Ended(how, /*restart=*/false);
      log::Info("engine " + c.name + " " + how);
      return;
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == kEngineExitPermanent) {
      c.slot->Ended(how, false);
      log::Error("engine " + c.name + " " + how + " (permanent error); stopping vigild");
      return StopAll(1);
    }
    if (!c.wanted) {
      c.slot->Ended(how, false);
      log::Info("engine " + c.name + " " + how + " (no longer configured)");
      return;
    }
    if (options_.dont_respawn) {
      c.slot->Ended(how, false);
      log::Error("engine " + c.name + " " + how + "; not respawning (-R); stopping vigild");
      return StopAll(1);
    }
    auto delay = c.slot->Ended(how, /*restart=*/true);
    log::Error("engine " + c.name + " " + how + "; respawning in " +
               std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(delay).count()) +
               " ms");
  }

  bool AllExited() const {
    for (const auto& [name, c] : children_)
      if (c.slot->running()) return false;
    return true;
  }

  void StopAll(int code) {
    if (stopping_) return;
    stopping_ = true;
    exit_code_ = code;
    sd_notify(0, "STOPPING=1");
    log::Info("stopping");
    Event("vigild_stopping", {});
    for (auto& d : std::exchange(queued_reloads_, {})) d(false, "vigild is stopping");
    for (auto& [name, c] : children_) {
      c.slot->CancelRetry();
      if (c.slot->running()) kill(c.slot->pid(), SIGTERM);
    }
    if (AllExited()) return Finish();
    // Engines get child_wait_time to leave cleanly; then they are killed.
    kill_timer_ = std::make_unique<asio::steady_timer>(
        io_, std::chrono::duration_cast<Clock::duration>(config_.child_wait_time));
    kill_timer_->async_wait([this](std::error_code ec) {
      if (ec) return;
      for (auto& [name, c] : children_) {
        if (!c.slot->running()) continue;
        log::Error("engine " + c.name + " did not stop in time; killing it");
        kill(c.slot->pid(), SIGKILL);
      }
    });
  }

  // Runs the shutdown script, if any, once every engine has stopped; then ends the loop.
  void Finish() {
    if (kill_timer_) kill_timer_->cancel();
    if (const auto& script = config_.global.shutdown_script) {
      if (shutdown_script_ == ScriptRun::kRunning) return;
      if (shutdown_script_ == ScriptRun::kNotRun) {
        shutdown_script_ = ScriptRun::kRunning;
        return RunStartStopScript(io_, "shutdown", *script,
                                  ToMs(config_.global.shutdown_script_timeout),
                                  model::ScriptDefaultsOf(config_.global), [this] {
                                    shutdown_script_ = ScriptRun::kDone;
                                    Finish();
                                  });
      }
    }
    // The watchers get the last events (the engines' exits included) before vigild leaves.
    if (control_ && !watches_ended_) {
      watches_ended_ = true;
      return control_->EndWatches(kWatchFlush, [this] { Finish(); });
    }
    if (control_) control_->Close();
    if (metrics_) metrics_->Close();
    signals_->Close();
    log::Info("stopped");
    io_.stop();
  }

  const Options& options_;
  const EngineFactories& factories_;
  model::Config config_;
  const control::ControlAccess control_access_;
  // Before io_: the watch sessions io_ still holds at its end let go of it.
  std::shared_ptr<control::EventLog> events_ =
      std::make_shared<control::EventLog>(control::kEventLogCapacity, control::NewRunId());
  asio::io_context io_;
  std::unique_ptr<SignalWatcher> signals_;
  SignalCoalescer signal_copies_;
  std::map<std::string, Child> children_;
  std::map<std::string, bool> bfd_up_;  // the BFD engine's sessions: Up or not
  std::set<std::string> vrrp_masters_;  // the VRRP engine's instances that are MASTER
  std::map<std::string, std::function<void(bool, std::string)>> reload_waiters_;
  std::set<std::string> refresh_outstanding_;  // engines whose fresh report is still due
  std::vector<std::function<void()>> refresh_waiters_;
  std::unique_ptr<asio::steady_timer> refresh_timer_;
  std::unique_ptr<control::ControlServer> control_;
  std::unique_ptr<control::MetricsServer> metrics_;
  std::unique_ptr<asio::steady_timer> kill_timer_;
  Clock::time_point started_;
  uint64_t reloads_ = 0;
  uint64_t reload_failures_ = 0;
  bool last_reload_ok_ = true;
  bool maintenance_ = false;  // vigilctl maintenance on (the VRRP engine holds it too)
  bool lb_ready_ = false;     // the checker engine has applied the load balancer's table once
  bool reload_running_ = false;
  std::unique_ptr<ReloadTimeMonitor> reload_monitor_;
  unsigned configs_saved_ = 0;
  std::vector<std::function<void(bool, std::string)>> queued_reloads_;
  bool stopping_ = false;
  enum class ScriptRun { kNotRun, kRunning, kDone };
  ScriptRun shutdown_script_ = ScriptRun::kNotRun;
  int exit_code_ = 0;
  std::string notified_status_;  // the last STATUS= sent to systemd
  bool ready_ = false;           // READY=1 was sent
  bool watches_ended_ = false;   // Finish asked the control server to end its watches
};

// Detaches from the terminal: fork, setsid, fork; the original process exits 0.
void Daemonize() {
  if (pid_t p = fork(); p > 0) _exit(0);
  setsid();
  if (pid_t p = fork(); p > 0) _exit(0);
  if (chdir("/") != 0) {
  }
  int null = open("/dev/null", O_RDWR | O_CLOEXEC);
  if (null >= 0) {
    dup2(null, 0);
    dup2(null, 1);
    dup2(null, 2);
    close(null);
  }
}

// Returns who may use the control socket besides root (global_defs vigil_control_group).
Result<control::ControlAccess> ResolveControlAccess(const model::Config& config) {
  control::ControlAccess access;
  std::string name = ControlGroup(config);
  if (name.empty()) return access;
  group gr{};
  group* found = nullptr;
  std::vector<char> buf(16384);
  if (getgrnam_r(name.c_str(), &gr, buf.data(), buf.size(), &found) != 0 || !found)
    return Fail(ErrorCode::kNotFound,
                "vigil_control_group: group '" + name + "' does not exist; not starting");
  access.group = found->gr_gid;
  access.group_name = name;
  return access;
}

}  // namespace

int RunDaemon(const Options& options, const EngineFactories& factories) {
  SetupLogging(options, "vigild");
  KeepHeapForReloads();  // before the first read: the engines fork with it
  // A write to a closed pipe or socket fails with EPIPE instead of killing vigild (the
  // engines inherit this; scripts get default dispositions back from the spawner).
  ::signal(SIGPIPE, SIG_IGN);
  umask(options.umask.value_or(kDefaultUmask));
  // The whole daemon (supervisor, engines, their scripts) runs in the configuration's
  // network namespace, entered here before any socket is opened or process started.
  config::Loaded loaded =
      LoadFromOptions(options, config::SystemPass::kCheck, NetnsEntry::kEnter);
  if (loaded.config.net_namespace || loaded.config.instance)
    SetupLogging(options, LogIdent("vigild", loaded.config));
  LogDiagnostics(loaded);
  if (loaded.diags.HasFatal()) {
    log::Error("the configuration cannot run; not starting (see vigild -t)");
    return 1;
  }
  if (options.umask && loaded.config.global.umask)
    log::Info("umask: -u takes precedence over global_defs umask");
  ApplyProcessIdentity(options, loaded.config, "");
  if (loaded.config.net_namespace)
    log::Info("running in network namespace " + *loaded.config.net_namespace);
  if (RunDirectory(loaded.config) != "/run") {
    // The default pid files and control socket live there (0755, as keepalived's).
    std::string dir = RunDirectory(loaded.config);
    for (const std::string& d : {std::string(kPidDirectory), dir}) {
      if (mkdir(d.c_str(), 0755) == 0) chmod(d.c_str(), 0755);  // whatever the umask
      else if (errno != EEXIST) log::Error("cannot create " + d + ": " + std::strerror(errno));
    }
  }
  ApplyFileLimit(loaded.config, "");
  // The pid file is locked before detaching, so that a second vigild fails with a non-zero
  // exit status its caller sees; the lock is inherited by the detached process.
  std::string pid_path = options.pid_file.value_or(DefaultPidFile("", loaded.config));
  auto pid = PidFile::Acquire(pid_path, getpid());
  if (!pid) {
    log::Error(pid.error().ToString());
    return 1;
  }
  // The control socket's path is locked the same way: a second vigild configured with the
  // same socket refuses to start, and never replaces or removes the first one's socket.
  std::string ctl = ControlSocketPath(loaded.config);
  auto ctl_lock = PidFile::Acquire(ctl + ".lock", getpid());
  if (!ctl_lock) {
    log::Error("control socket '" + ctl + "': " + ctl_lock.error().ToString());
    return 1;
  }
  InitConfiguredTrackFiles(loaded.config, false);
  auto access = ResolveControlAccess(loaded.config);
  if (!access) {
    log::Error(access.error().ToString());
    return 1;
  }
  if (!options.foreground) {
    Daemonize();
    if (auto r = pid->Rewrite(getpid()); !r) log::Error(r.error().ToString());
    if (auto r = ctl_lock->Rewrite(getpid()); !r) log::Error(r.error().ToString());
  }
  Supervisor supervisor(options, factories, std::move(loaded), std::move(*access));
  return supervisor.Run();
}

}  // namespace vigil::daemon
