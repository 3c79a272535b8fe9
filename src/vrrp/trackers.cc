#include "vrrp/trackers.h"

#include <fstream>
#include <optional>
#include <set>

#include <asio.hpp>

#include "base/log.h"
#include "base/subprocess.h"
#include "vrrp/process_track.h"

namespace vigil::vrrp {
namespace {

using std::chrono::steady_clock;
constexpr auto kFilePollInterval = std::chrono::seconds(1);
constexpr auto kProcessPollInterval = std::chrono::seconds(1);

struct ScriptTracker {
  explicit ScriptTracker(asio::io_context& io) : timer(io) {}
  ScriptSpec spec;
  bool ok = true;
  uint32_t successes = 0;
  uint32_t failures = 0;
  asio::steady_timer timer;
};

struct ProcessTracker {
  ProcessSpec spec;
  bool ok = true;
  std::optional<steady_clock::time_point> change_since;  // quorum changed, not yet applied
};

int64_t ReadFileValue(const std::string& path) {
  int64_t value = 0;
  std::ifstream file(path);
  if (file) file >> value;
  return file ? value : 0;
}

}  // namespace

struct Trackers::Impl {
  Impl(asio::io_context& io, Changed on_change)
      : io(io), on_change(std::move(on_change)), file_timer(io), process_timer(io) {}

  asio::io_context& io;
  Changed on_change;
  ScriptDefaults script_defaults;
  bool stopped = false;
  std::map<std::string, std::unique_ptr<ScriptTracker>> scripts;
  std::map<std::string, ProcessTracker> processes;
  std::map<std::string, int64_t> files;  // path -> value
  asio::steady_timer file_timer;
  asio::steady_timer process_timer;

  // ---- vrrp_script -------------------------------------------------------------------

  void SetScripts(const std::vector<ScriptSpec>& specs) {
    std::set<std::string> keep;
    for (const auto& s : specs) {
      keep.insert(s.name);
      auto it = scripts.find(s.name);
      if (it != scripts.end() && it->second->spec == s) continue;  // keeps running
      if (it != scripts.end()) scripts.erase(it);
      auto t = std::make_unique<ScriptTracker>(io);
      t->spec = s;
      t->ok = !s.init_fail;
      scripts[s.name] = std::move(t);
      RunScript(s.name, std::chrono::milliseconds(0));
    }
    for (auto it = scripts.begin(); it != scripts.end();)
      it = keep.count(it->first) ? std::next(it) : scripts.erase(it);
  }

  void RunScript(const std::string& name, std::chrono::microseconds delay) {
    auto it = scripts.find(name);
    if (it == scripts.end()) return;
    ScriptTracker& t = *it->second;
    t.timer.expires_after(delay);
    t.timer.async_wait([this, name](std::error_code ec) {
      if (ec || stopped) return;
      auto it2 = scripts.find(name);
      if (it2 == scripts.end()) return;
      ScriptTracker& tr = *it2->second;
      auto prepared = PrepareScript(tr.spec.command.argv, tr.spec.command.user,
                                    tr.spec.command.group, script_defaults);
      if (!prepared) {
        log::Error("vrrp_script " + name + " not run: " + prepared.error().ToString() +
                   "; treated as failing");
        OnScriptResult(tr, false);
        RunScript(name, tr.spec.interval);
        return;
      }
      SpawnSpec s = std::move(*prepared);
      s.timeout = std::chrono::duration_cast<std::chrono::milliseconds>(tr.spec.timeout);
      const ScriptSpec* spec_ptr = &tr.spec;
      auto r = SpawnProcess(io, s, [this, name, spec_ptr](const ExitInfo& e) {
        auto it3 = scripts.find(name);
        if (it3 == scripts.end() || &it3->second->spec != spec_ptr) return;
        OnScriptResult(*it3->second, e.ok());
        RunScript(name, it3->second->spec.interval);
      });
      if (!r) {
        OnScriptResult(tr, false);
        RunScript(name, tr.spec.interval);
      }
    });
  }

  void OnScriptResult(ScriptTracker& t, bool ok) {
    if (ok) {
      t.failures = 0;
      if (++t.successes >= t.spec.rise && !t.ok) {
        t.ok = true;
        log::Notice("vrrp_script " + t.spec.name + " succeeded");
        on_change();
      }
    } else {
      t.successes = 0;
      if (++t.failures >= t.spec.fall && t.ok) {
        t.ok = false;
        log::Notice("vrrp_script " + t.spec.name + " failed");
        on_change();
      }
    }
  }

  // ---- vrrp_track_process ------------------------------------------------------------

  // /proc is read once a second (keepalived listens to the kernel's process events
  // instead); a change counts after fork_delay / terminate_delay.
  void SetProcesses(const std::vector<ProcessSpec>& specs) {
    std::map<std::string, ProcessTracker> next;
    auto procs = specs.empty() ? std::vector<ProcInfo>() : ReadProcesses();
    for (const auto& spec : specs) {
      auto it = processes.find(spec.name);
      if (it != processes.end() && it->second.spec == spec) {
        next.emplace(spec.name, it->second);
        continue;
      }
      ProcessTracker t;
      t.spec = spec;
      t.ok = QuorumMet(spec, CountMatching(procs, spec));
      next.emplace(spec.name, t);
    }
    processes = std::move(next);
    process_timer.cancel();
    if (!processes.empty()) PollProcesses(/*schedule_only=*/true);
  }

  void PollProcesses(bool schedule_only = false) {
    if (!schedule_only) {
      auto procs = ReadProcesses();
      auto now = steady_clock::now();
      bool changed = false;
      for (auto& [name, t] : processes) {
        bool met = QuorumMet(t.spec, CountMatching(procs, t.spec));
        if (met == t.ok) {
          t.change_since.reset();
          continue;
        }
        if (!t.change_since) t.change_since = now;
        auto delay = met ? t.spec.fork_delay : t.spec.terminate_delay;
        if (now - *t.change_since < delay) continue;
        t.ok = met;
        t.change_since.reset();
        changed = true;
        log::Notice("vrrp_track_process " + name + (met ? " is running" : " is not running"));
      }
      if (changed) on_change();
    }
    process_timer.expires_after(kProcessPollInterval);
    process_timer.async_wait([this](std::error_code ec) {
      if (!ec && !stopped) PollProcesses();
    });
  }

  // ---- track_file --------------------------------------------------------------------

  void SetFiles(const std::vector<InstanceSpec>& instances) {
    std::map<std::string, int64_t> next;
    for (const auto& in : instances)
      for (const auto& f : in.track_files) next[f.path] = ReadFileValue(f.path);
    files = std::move(next);
    file_timer.cancel();
    if (!files.empty()) ScheduleFilePoll();
  }

  void ScheduleFilePoll() {
    file_timer.expires_after(kFilePollInterval);
    file_timer.async_wait([this](std::error_code ec) {
      if (ec || stopped) return;
      bool changed = false;
      for (auto& [path, value] : files) {
        int64_t v = ReadFileValue(path);
        if (v != value) changed = true;
        value = v;
      }
      if (changed) on_change();
      ScheduleFilePoll();
    });
  }
};

Trackers::Trackers(asio::io_context& io, Changed on_change)
    : impl_(std::make_unique<Impl>(io, std::move(on_change))) {}

Trackers::~Trackers() = default;

void Trackers::Configure(const VrrpSpec& spec) {
  impl_->script_defaults = {spec.script_user, spec.script_group, spec.script_security};
  impl_->SetScripts(spec.scripts);
  impl_->SetProcesses(spec.processes);
  impl_->SetFiles(spec.instances);
}

void Trackers::Stop() {
  impl_->stopped = true;
  impl_->scripts.clear();
  impl_->file_timer.cancel();
  impl_->process_timer.cancel();
}

bool Trackers::ScriptOk(const std::string& name) const {
  auto it = impl_->scripts.find(name);
  return it == impl_->scripts.end() || it->second->ok;
}

bool Trackers::ProcessOk(const std::string& name) const {
  auto it = impl_->processes.find(name);
  return it == impl_->processes.end() || it->second.ok;
}

int64_t Trackers::FileValue(const std::string& path) const {
  auto it = impl_->files.find(path);
  return it == impl_->files.end() ? 0 : it->second;
}

}  // namespace vigil::vrrp
