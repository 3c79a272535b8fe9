#include "daemon/engine_process.h"

#include <signal.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <ctime>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include <asio.hpp>

#include "base/log.h"
#include "daemon/channel.h"
#include "daemon/file_limit.h"
#include "daemon/pid_file.h"
#include "daemon/process_identity.h"
#include "daemon/process_tuning.h"
#include "daemon/signal_watcher.h"
#include "model/codec.h"

namespace vigil::daemon {
namespace {

// An engine reports when its state changes, at most once per kMinReportGap (a burst of
// changes makes one report), and when the supervisor asks (vigilctl, /metrics, dumps): never
// on a clock. With 10,000 real servers a report takes tens of milliseconds of the loop, which
// a periodic report would take from the probes every time.
constexpr auto kMinReportGap = std::chrono::milliseconds(100);
// How often an engine under max_auto_priority checks how late its timers run.
constexpr auto kLatenessProbe = std::chrono::milliseconds(100);

// What an engine does with each signal. An engine is one process of vigild's cgroup: a
// signal meant for vigild (`systemctl kill`, a shell's process group) reaches it too, and
// operators used to keepalived send signals to a child's pid. Only the supervisor's SIGTERM
// stops an engine; reloads and dumps are the supervisor's work, so those signals go to it;
// SIGINT (a terminal's ^C reaches every process of the group) is left to the supervisor.
// SIGXCPU: the engine ran real-time for half its *_rlimit_rttime without sleeping.
std::array<int, 9> EngineSignals() {
  return {SIGTERM, SIGINT, SIGHUP,       SIGUSR1, SIGUSR2,
          SIGXCPU, SIGRTMIN + 2, SIGRTMAX - 1, SIGRTMAX};
}

// Wall-clock and CPU time of this process, to say what a reload cost.
struct Clocks {
  std::chrono::steady_clock::duration wall{};
  std::chrono::nanoseconds cpu{};

  static Clocks Now() {
    timespec ts{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return {std::chrono::steady_clock::now().time_since_epoch(),
            std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec)};
  }
  Clocks operator-(const Clocks& o) const { return {wall - o.wall, cpu - o.cpu}; }
  // "12 ms, 10 ms CPU"
  std::string Text() const {
    using std::chrono::duration_cast;
    using std::chrono::milliseconds;
    return std::to_string(duration_cast<milliseconds>(wall).count()) + " ms, " +
           std::to_string(duration_cast<milliseconds>(cpu).count()) + " ms CPU";
  }
};

class EngineProcess {
 public:
  EngineProcess(std::string name, const EngineFactory& factory, const Options& options)
      : name_(std::move(name)),
        options_(options),
        engine_(factory(io_, options)),
        soon_timer_(io_),
        late_timer_(io_),
        supervisor_pid_(getppid()) {}

  int Run(int supervisor_fd, const model::Config& config,
          const std::vector<control::Operation>& restore) {
    ApplyFileLimit(config, name_);
    UpdateTuning(config, name_, tuning_);
    WatchLateness(AutoPriorityOf(config, name_));
    ApplyProcessIdentity(options_, config, name_);
    channel_ = Channel::Open(
        io_, supervisor_fd, [this](Frame f) { OnFrame(std::move(f)); },
        [this] {
          log::Warning(name_ + ": lost the supervisor; stopping");
          Stop();
        });
    engine_->set_on_change([this] { ReportSoon(); });
    engine_->set_on_event([this](std::string body) {
      if (channel_) channel_->Send(FrameType::kEvent, body);
    });
    engine_->set_on_bfd_state([this](const std::string& session, bool up) {
      if (channel_) channel_->Send(FrameType::kBfdState, (up ? "1" : "0") + session);
    });
    engine_->set_on_vrrp_state([this](const std::string& instance, bool master) {
      if (channel_) channel_->Send(FrameType::kVrrpState, (master ? "1" : "0") + instance);
    });
    engine_->set_on_lb_ready([this] {
      if (channel_) channel_->Send(FrameType::kLbReady, "1");
    });
    // Signals are watched before the engine starts: one that arrives during Start waits.
    auto signals = SignalWatcher::Start(io_, EngineSignals(),
                                        [this](const ReceivedSignal& s) { OnSignal(s); });
    if (!signals) {
      log::Error(name_ + ": " + signals.error().ToString());
      return kEngineExitFailed;
    }
    signals_ = std::move(*signals);
    engine_->Restore(restore);
    if (auto r = engine_->Start(config); !r) {
      log::Error(name_ + ": cannot start: " + r.error().ToString());
      return kEngineExitPermanent;
    }
    log::Info(name_ + ": started");

    SendReport();
    io_.run();
    return exit_code_;
  }

 private:
  void OnSignal(const ReceivedSignal& received) {
    const int sig = received.signo;
    if (sig == SIGTERM) return Stop();
    if (sig == SIGXCPU) {
      log::Warning(name_ + ": SIGXCPU: real-time CPU time is near its limit (rlimit_rttime)");
      return;
    }
    if (sig == SIGINT) {
      log::Info(name_ + ": SIGINT ignored (the supervisor stops the engines)");
      return;
    }
    // SIGHUP and the dump signals: the supervisor reloads every engine, or asks all of
    // them for the dump. It is our parent as long as we run (PR_SET_PDEATHSIG). The copy
    // carries the original sender, so that the supervisor acts once on a signal sent to
    // the whole group, which reaches it directly too (SignalCoalescer).
    if (getppid() != supervisor_pid_) return;
    sigval value{};
    value.sival_int = received.sender;
    if (::sigqueue(supervisor_pid_, sig, value) != 0) {
      log::Warning(name_ + ": cannot pass " + SignalName(sig) + " on: " + std::strerror(errno));
      return;
    }
    log::Info(name_ + ": " + SignalName(sig) + " from pid " + std::to_string(received.sender) +
              " passed on to the supervisor (pid " + std::to_string(supervisor_pid_) + ")");
  }

  void OnFrame(Frame f) {
    switch (f.type) {
      case FrameType::kReportRequest:
        SendReport();
        break;
      case FrameType::kReload: {
        // The result first: at 37,000 real servers the report takes the engine and the
        // supervisor a third of a second, which the reload's answer need not wait for (a
        // status request asks every engine for a fresh report, which comes after this one).
        std::string result = Reload(f.payload);
        channel_->Send(FrameType::kReloadResult, result);
        SendReport();
        break;
      }
      case FrameType::kOperation: {
        std::string result;
        auto op = control::OperationFromJson(f.payload);
        if (!op) {
          result = "0" + op.error().context();
        } else if (auto r = engine_->Operate(*op); r) {
          result = "1" + *r;
        } else {
          result = "0" + r.error().ToString();
        }
        // As for a reload: the new state first, so that the answer comes with it.
        SendReport();
        channel_->Send(FrameType::kOperationResult, result);
        break;
      }
      case FrameType::kBfdState:
        if (!f.payload.empty()) engine_->OnBfdState(f.payload.substr(1), f.payload[0] == '1');
        break;
      case FrameType::kVrrpState:
        if (!f.payload.empty()) engine_->OnVrrpState(f.payload.substr(1), f.payload[0] == '1');
        break;
      case FrameType::kMaintenance:
        engine_->OnMaintenance(f.payload == "1");
        break;
      case FrameType::kLbReady:
        engine_->OnLbReady(f.payload == "1");
        break;
      default:
        break;
    }
  }

  // Applies the configuration vigild read and checked (`encoded`: model::EncodeConfig's
  // bytes; the engine reads no file) and returns "1" + summary or "0" + errors.
  std::string Reload(std::string_view encoded) {
    const Clocks start = Clocks::Now();
    auto config = model::DecodeConfig(encoded);
    const Clocks decoded = Clocks::Now();
    if (!config) {
      log::Error(name_ + ": reload refused: the configuration vigild sent cannot be read (" +
                 config.error().ToString() + "); nothing changed");
      return "0" + config.error().ToString();
    }
    ApplyFileLimit(*config, name_);
    UpdateTuning(*config, name_, tuning_);
    WatchLateness(AutoPriorityOf(*config, name_));
    ApplyProcessIdentity(options_, *config, name_);
    auto r = engine_->Reload(*config);
    if (!r) {
      log::Error(name_ + ": reload failed: " + r.error().ToString());
      return "0" + r.error().ToString();
    }
    // What the reload cost this engine, for bench/reload_scale.py (the reply leaves it out).
    log::Info(name_ + ": reloaded: " + *r + " (applied in " + (Clocks::Now() - decoded).Text() +
              "; the model vigild checked, " + std::to_string(encoded.size()) +
              " bytes, decoded in " + (decoded - start).Text() + ")");
    // The model goes after the result has been sent.
    asio::post(io_, [retired = std::make_shared<model::Config>(std::move(*config))] {});
    ReportSoon();
    return "1" + *r;
  }

  // max_auto_priority: a timer that wakes every kLatenessProbe tells how late this process
  // runs its timers (keepalived checks its earliest timer each time its loop wakes).
  void WatchLateness(const AutoPriority& settings) {
    auto_priority_ = settings;
    if (auto_priority_.max <= 0) {
      late_timer_.cancel();
      return;
    }
    if (late_watch_running_) return;
    late_watch_running_ = true;
    ProbeLateness();
  }

  void ProbeLateness() {
    late_timer_.expires_after(kLatenessProbe);
    late_timer_.async_wait([this, due = late_timer_.expiry()](std::error_code ec) {
      if (stopping_ || auto_priority_.max <= 0) {
        late_watch_running_ = false;
        return;
      }
      if (ec) return ProbeLateness();  // cancelled, then wanted again
      const auto late = std::chrono::duration_cast<std::chrono::microseconds>(
          std::chrono::steady_clock::now() - due);
      if (auto raised = RaisePriority(tuning_, auto_priority_, late)) {
        log::Warning(name_ + ": a timer ran " + std::to_string(late.count()) +
                     "us late (more than min_auto_priority_delay): real-time priority " +
                     std::to_string(raised->rt_priority) + " (max_auto_priority " +
                     std::to_string(auto_priority_.max) + ")");
        ApplyTuning(*raised, name_);
        tuning_ = std::move(*raised);
      }
      ProbeLateness();
    });
  }

  void Stop() {
    if (stopping_) return;
    stopping_ = true;
    late_timer_.cancel();
    log::Info(name_ + ": stopping");
    engine_->Stop([this] {
      SendReport();
      soon_timer_.cancel();
      if (signals_) signals_->Close();
      // Let the last report flush, then leave the loop.
      asio::post(io_, [this] {
        if (channel_) channel_->Close();
        io_.stop();
      });
    });
  }

  void ReportSoon() {
    if (report_pending_) return;
    report_pending_ = true;
    auto since = std::chrono::steady_clock::now() - last_report_;
    auto wait = since >= kMinReportGap ? std::chrono::steady_clock::duration::zero()
                                       : kMinReportGap - since;
    soon_timer_.expires_after(wait);
    soon_timer_.async_wait([this, sent = reports_sent_](std::error_code ec) {
      if (sent != reports_sent_) return;  // a report went since, with this change in it
      report_pending_ = false;
      if (!ec && !stopping_) SendReport();
    });
  }

  // Covers any report ReportSoon scheduled: at 10,000 real servers a report is 2 MB that
  // both processes spend tens of milliseconds on.
  void SendReport() {
    ++reports_sent_;
    if (report_pending_) {
      report_pending_ = false;
      soon_timer_.cancel();
    }
    log::Debug(name_ + ": status report " + std::to_string(reports_sent_));
    last_report_ = std::chrono::steady_clock::now();
    if (!channel_) return;
    control::Status s;
    engine_->Report(s);
    channel_->Send(FrameType::kStatus, control::ToJson(s));
  }

  std::string name_;
  const Options& options_;
  asio::io_context io_;
  std::unique_ptr<Engine> engine_;
  TuningPlan tuning_;  // as applied last (the default: as the supervisor started us)
  std::unique_ptr<SignalWatcher> signals_;
  asio::steady_timer soon_timer_;
  asio::steady_timer late_timer_;
  AutoPriority auto_priority_;
  bool late_watch_running_ = false;
  std::chrono::steady_clock::time_point last_report_{};
  std::shared_ptr<Channel> channel_;
  const pid_t supervisor_pid_;
  bool stopping_ = false;
  bool report_pending_ = false;
  uint64_t reports_sent_ = 0;
  int exit_code_ = kEngineExitOk;
};

}  // namespace

void BlockEngineSignals() {
  sigset_t set;
  sigemptyset(&set);
  for (int sig : EngineSignals()) sigaddset(&set, sig);
  sigprocmask(SIG_SETMASK, &set, nullptr);
}

int RunEngineProcess(const std::string& name, const EngineFactory& factory, const Options& options,
                     const model::Config& config, int supervisor_fd, const std::string& pid_file,
                     const std::vector<control::Operation>& restore) {
  std::optional<PidFile> pid;
  if (!pid_file.empty()) {
    auto p = PidFile::Acquire(pid_file, getpid());
    if (!p) {
      log::Error(name + ": " + p.error().ToString());
      return kEngineExitPermanent;
    }
    pid.emplace(std::move(*p));
  }
  EngineProcess process(name, factory, options);
  return process.Run(supervisor_fd, config, restore);
}

}  // namespace vigil::daemon
