#include "vrrp/trackers.h"

#include <fcntl.h>
#include <limits.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <set>

#include <asio.hpp>

#include "base/fd.h"
#include "base/inotify.h"
#include "base/log.h"
#include "base/subprocess.h"
#include "model/track_file.h"
#include "net/proc_connector.h"
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
  bool fresh = false;  // configured just now: its status is not known yet
  std::optional<steady_clock::time_point> change_since;  // quorum changed, not yet applied
};

}  // namespace

struct Trackers::Impl {
  Impl(asio::io_context& io, Changed on_change)
      : io(io), on_change(std::move(on_change)), file_timer(io), process_timer(io) {}

  asio::io_context& io;
  Changed on_change;
  std::map<std::string, bool> bfd_up;  // track_bfd: BFD sessions by name, Up or not
  ScriptDefaults script_defaults;
  bool stopped = false;
  std::map<std::string, std::unique_ptr<ScriptTracker>> scripts;
  std::map<std::string, ProcessTracker> processes;
  std::map<pid_t, std::set<std::string>> matched;  // processes that match a tracker
  std::optional<net::ProcConnector> proc_events;
  std::optional<asio::posix::stream_descriptor> connector;  // waits on proc_events' socket
  bool connector_failed = false;  // said why once; polls from then on
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
      auto prepared = PrepareScript(tr.spec.command.argv, tr.spec.command.path,
                                    tr.spec.command.user,
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

  // ---- vrrp_track_process ----------------------------------------------------------

  // Processes are followed through the kernel's process events (net/proc_connector.h), as
  // keepalived follows them: /proc is read once when the trackers change, then each exec,
  // fork, name change and exit updates the processes that match a tracker. Where the
  // connector is not available, /proc is read once a second instead. A change of a
  // tracker's quorum counts after its fork_delay / terminate_delay.
  net::ReceiveBuffer process_buffer = 0;  // process_monitor_rcv_bufs

  void SetProcesses(const std::vector<ProcessSpec>& specs) {
    std::map<std::string, ProcessTracker> next;
    for (const auto& spec : specs) {
      auto it = processes.find(spec.name);
      if (it != processes.end() && it->second.spec == spec) {
        next.emplace(spec.name, it->second);
        continue;
      }
      ProcessTracker t;
      t.spec = spec;
      t.fresh = true;
      next.emplace(spec.name, t);
    }
    processes = std::move(next);
    process_timer.cancel();
    if (processes.empty()) {
      if (connector) {
        std::error_code ec;
        connector->close(ec);
        connector.reset();
        proc_events.reset();
      }
      matched.clear();
      return;
    }
    if (!connector && !connector_failed) OpenConnector();
    // Listening first, then /proc: nothing that happens in between is missed.
    Rescan();
    for (auto& [name, t] : processes) {
      if (!t.fresh) continue;
      t.ok = QuorumMet(t.spec, Count(name));
      t.fresh = false;
    }
    if (connector) ArmDelayTimer();
    else SchedulePoll();
  }

  void OpenConnector() {
    auto pc = net::ProcConnector::Open(std::chrono::milliseconds(100), process_buffer);
    if (!pc) {
      connector_failed = true;
      log::Warning("vrrp_track_process: no process events (" + pc.error().ToString() +
                   "); reading /proc every second instead");
      return;
    }
    connector.emplace(io, fd::Dup(pc->fd()).Release());
    proc_events.emplace(std::move(*pc));
    log::Info("vrrp_track_process: following processes through the kernel's proc connector");
    WatchConnector();
  }

  void WatchConnector() {
    connector->async_wait(asio::posix::descriptor_base::wait_read, [this](std::error_code ec) {
      if (ec || stopped || !connector) return;
      OnConnectorReadable();
      if (connector) WatchConnector();
    });
  }

  void OnConnectorReadable() {
    auto events = proc_events->Read();
    if (!events && events.error().sys_errno() != ENOBUFS) {
      log::Warning("vrrp_track_process: " + events.error().ToString());
      return;
    }
    if (!events) {
      log::Warning("vrrp_track_process: process events lost (receive buffer overrun); "
                   "reading /proc again");
      Rescan();
      Evaluate("proc connector, after an overrun");
      return;
    }
    bool touched = false;
    for (const net::ProcEvent& e : *events) {
      using K = net::ProcEvent::Kind;
      if (e.pid != e.tgid) continue;  // a thread, not a process
      switch (e.kind) {
        case K::kExec:
        case K::kComm:
          touched |= Match(e.tgid);
          break;
        case K::kFork:
          if (auto it = matched.find(e.parent_tgid); it != matched.end()) {
            matched[e.tgid] = it->second;  // a copy of its parent until it execs
            touched = true;
          }
          break;
        case K::kExit:
          touched |= matched.erase(e.tgid) > 0;
          break;
        default:
          break;
      }
    }
    if (touched) Evaluate("proc connector");
  }

  // Reads process `pid` again and records which trackers it matches; returns whether that
  // changed.
  bool Match(pid_t pid) {
    std::set<std::string> names;
    if (auto p = ReadProcess(pid))
      for (const auto& [name, t] : processes)
        if (Matches(*p, t.spec)) names.insert(name);
    auto it = matched.find(pid);
    if (names.empty()) {
      if (it == matched.end()) return false;
      matched.erase(it);
      return true;
    }
    if (it != matched.end() && it->second == names) return false;
    matched[pid] = std::move(names);
    return true;
  }

  void Rescan() {
    matched.clear();
    for (const ProcInfo& p : ReadProcesses()) {
      std::set<std::string> names;
      for (const auto& [name, t] : processes)
        if (Matches(p, t.spec)) names.insert(name);
      if (!names.empty()) matched[p.pid] = std::move(names);
    }
  }

  size_t Count(const std::string& name) const {
    size_t n = 0;
    for (const auto& [pid, names] : matched) n += names.count(name);
    return n;
  }

  // Applies the quorum of every tracker, `source` naming what told us; a change that must
  // last (fork_delay, terminate_delay) is looked at again when its delay is over.
  void Evaluate(const std::string& source) {
    auto now = steady_clock::now();
    bool changed = false;
    for (auto& [name, t] : processes) {
      bool met = QuorumMet(t.spec, Count(name));
      if (met == t.ok) {
        t.change_since.reset();
        continue;
      }
      if (!t.change_since) t.change_since = now;
      if (now - *t.change_since < (met ? t.spec.fork_delay : t.spec.terminate_delay)) continue;
      t.ok = met;
      t.change_since.reset();
      changed = true;
      log::Notice("vrrp_track_process " + name + (met ? " is running" : " is not running") +
                  " (" + source + ")");
    }
    if (changed) on_change();
    if (connector) ArmDelayTimer();
  }

  // Event mode: wakes Evaluate when the first pending change's delay is over.
  void ArmDelayTimer() {
    std::optional<steady_clock::time_point> wake;
    for (const auto& [name, t] : processes) {
      if (!t.change_since) continue;
      // The direction of the pending change is the opposite of the current status.
      auto at = *t.change_since + (t.ok ? t.spec.terminate_delay : t.spec.fork_delay);
      if (!wake || at < *wake) wake = at;
    }
    if (!wake) return;
    process_timer.expires_at(*wake);
    process_timer.async_wait([this](std::error_code ec) {
      if (!ec && !stopped) Evaluate("proc connector, after its delay");
    });
  }

  void SchedulePoll() {
    process_timer.expires_after(kProcessPollInterval);
    process_timer.async_wait([this](std::error_code ec) {
      if (ec || stopped) return;
      Rescan();
      Evaluate("poll");
      SchedulePoll();
    });
  }

  // ---- track_file ------------------------------------------------------------------

  // Files are watched as keepalived watches them: their directory through inotify (so a
  // file created, rewritten, renamed over or deleted is seen), a write counting when the
  // writer closes the file. Where inotify cannot watch, the file is read every second.
  struct WatchedFile {
    std::string path;  // resolved (symlinks followed); the directory exists
    std::string part;  // the name inside its directory
    int wd = -1;       // inotify watch of the directory; -1: polled
    int64_t value = 0;
  };

  void SetFiles(const std::vector<InstanceSpec>& instances) {
    files.clear();
    if (inotify) {
      std::error_code ec;
      inotify->close(ec);  // a pending read ends with operation_aborted
      inotify.reset();
    }
    file_timer.cancel();
    std::set<std::string> paths;
    for (const auto& in : instances)
      for (const auto& f : in.track_files) paths.insert(f.path);
    bool polled = false;
    for (const auto& path : paths) {
      auto resolved = ResolveTrackFile(path);
      if (!resolved) {
        log::Error("track_file " + path + ": " + resolved.error() + "; not tracked");
        continue;
      }
      WatchedFile f;
      f.path = *resolved;
      f.part = f.path.substr(f.path.rfind('/') + 1);
      const std::string dir = f.path.substr(0, f.path.rfind('/') + 1);
      std::string why;
      if (!inotify) {
        UniqueFd fd = fd::Inotify();
        if (fd) inotify.emplace(io, fd.Release());
        else why = std::string("inotify: ") + std::strerror(errno);
      }
      if (inotify) {
        f.wd = inotify_add_watch(inotify->native_handle(), dir.c_str(),
                                 IN_CLOSE_WRITE | IN_DELETE | IN_MOVE);
        if (f.wd < 0) why = "cannot watch " + dir + ": " + std::strerror(errno);
      }
      if (f.wd < 0) {
        log::Warning("track_file " + path + ": " + why + "; read every second instead");
        polled = true;
      }
      if (auto v = ReadTrackFile(f.path)) f.value = *v;
      files.emplace(path, std::move(f));
    }
    if (inotify) WatchInotify();
    if (polled) ScheduleFilePoll();
  }

  // Returns `path` with its directory resolved (the file itself may not exist yet), or why
  // it cannot be tracked (keepalived drops such a track_file too).
  static std::expected<std::string, std::string> ResolveTrackFile(const std::string& path) {
    char buf[PATH_MAX];
    if (realpath(path.c_str(), buf)) return std::string(buf);
    if (errno != ENOENT) return std::unexpected(std::string("not accessible: ") + std::strerror(errno));
    const size_t slash = path.rfind('/');
    const std::string dir = slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
    struct stat st {};
    if (!realpath(dir.c_str(), buf) || stat(buf, &st) != 0 || !S_ISDIR(st.st_mode))
      return std::unexpected("its directory " + dir + " does not exist");
    std::string out = buf;
    if (out != "/") out += '/';
    return out + (slash == std::string::npos ? path : path.substr(slash + 1));
  }

  // Returns the file's value (0 when it is missing), nullopt for a number out of range.
  std::optional<int64_t> ReadTrackFile(const std::string& path) {
    UniqueFd fd = fd::Open(path.c_str(), O_RDONLY | O_NONBLOCK);
    if (!fd) return 0;
    char buf[model::kTrackFileReadLimit];
    ssize_t n = read(fd.get(), buf, sizeof(buf));
    auto v = model::ParseTrackFileValue(std::string_view(buf, n > 0 ? static_cast<size_t>(n) : 0));
    if (!v) log::Info("track_file " + path + ": the number read is out of range; ignored");
    return v;
  }

  // Sets a file's value; tells the engine when it changed, naming what told us.
  void Update(const std::string& key, WatchedFile& f, int64_t value, const std::string& source) {
    if (value == f.value) return;
    log::Notice("track_file " + key + ": value " + std::to_string(f.value) + " -> " +
                std::to_string(value) + " (" + source + ")");
    f.value = value;
    on_change();
  }

  void WatchInotify() {
    inotify->async_wait(asio::posix::descriptor_base::wait_read, [this](std::error_code ec) {
      if (ec || stopped || !inotify) return;
      alignas(inotify_event) uint8_t buf[16 * (sizeof(inotify_event) + NAME_MAX + 1)];
      while (true) {
        ssize_t n = read(inotify->native_handle(), buf, sizeof(buf));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        for (const InotifyEvent& e : ParseInotifyEvents({buf, static_cast<size_t>(n)})) {
          if (e.mask & IN_Q_OVERFLOW) {
            for (auto& [key, f] : files)
              if (auto v = ReadTrackFile(f.path)) Update(key, f, *v, "inotify IN_Q_OVERFLOW");
            continue;
          }
          if (e.mask & IN_ISDIR) continue;
          for (auto& [key, f] : files) {
            if (f.wd != e.wd || f.part != e.name) continue;
            const std::string source = "inotify " + InotifyMaskName(e.mask);
            if (e.mask & (IN_MOVED_FROM | IN_DELETE)) Update(key, f, 0, source);
            else if (auto v = ReadTrackFile(f.path)) Update(key, f, *v, source);
          }
        }
      }
      WatchInotify();
    });
  }

  void ScheduleFilePoll() {
    file_timer.expires_after(kFilePollInterval);
    file_timer.async_wait([this](std::error_code ec) {
      if (ec || stopped) return;
      for (auto& [key, f] : files)
        if (f.wd < 0)
          if (auto v = ReadTrackFile(f.path)) Update(key, f, *v, "poll");
      ScheduleFilePoll();
    });
  }

  std::map<std::string, WatchedFile> files;  // by the path as configured
  std::optional<asio::posix::stream_descriptor> inotify;
};

Trackers::Trackers(asio::io_context& io, Changed on_change)
    : impl_(std::make_unique<Impl>(io, std::move(on_change))) {}

Trackers::~Trackers() = default;

void Trackers::Configure(const VrrpSpec& spec) {
  for (const auto& name : spec.disabled_scripts)
    log::Warning("vrrp_script " + name +
                 ": its program does not exist; disabled, and the instances tracking it "
                 "ignore it (as keepalived)");
  impl_->script_defaults = spec.script_defaults;
  impl_->SetScripts(spec.scripts);
  impl_->process_buffer = spec.process_monitor_buffer;  // when the connector next opens
  impl_->SetProcesses(spec.processes);
  impl_->SetFiles(spec.instances);
}

void Trackers::Stop() {
  impl_->stopped = true;
  impl_->scripts.clear();
  impl_->file_timer.cancel();
  impl_->process_timer.cancel();
  std::error_code ec;
  if (impl_->inotify) impl_->inotify->close(ec);
  if (impl_->connector) impl_->connector->close(ec);
}

bool Trackers::ScriptOk(const std::string& name) const {
  auto it = impl_->scripts.find(name);
  return it == impl_->scripts.end() || it->second->ok;
}

bool Trackers::ProcessOk(const std::string& name) const {
  auto it = impl_->processes.find(name);
  return it == impl_->processes.end() || it->second.ok;
}

bool Trackers::SetBfdUp(const std::string& name, bool up) {
  auto [it, fresh] = impl_->bfd_up.emplace(name, up);
  if (fresh) return up;  // unknown counted as down
  if (it->second == up) return false;
  it->second = up;
  return true;
}

bool Trackers::BfdUp(const std::string& name) const {
  auto it = impl_->bfd_up.find(name);
  return it != impl_->bfd_up.end() && it->second;
}

std::optional<int64_t> Trackers::FileValue(const std::string& path) const {
  auto it = impl_->files.find(path);
  if (it == impl_->files.end()) return std::nullopt;
  return it->second.value;
}

TrackingResult Trackers::Evaluate(
    const InstanceSpec& spec, uint8_t base,
    const std::function<bool(const std::string&)>& interface_ok) const {
  std::vector<TrackedStatus> tracked;
  std::vector<std::string> names;  // tracked's, for the result's faults
  auto track = [&](std::string_view kind, const auto& t, bool ok) {
    tracked.push_back({t.weight, t.reverse, ok});
    names.push_back(std::string(kind) + " " + t.name);
  };
  for (const auto& t : spec.track_interfaces) track("track_interface", t, interface_ok(t.name));
  for (const auto& t : spec.track_scripts) track("track_script", t, ScriptOk(t.name));
  for (const auto& t : spec.track_processes) track("track_process", t, ProcessOk(t.name));
  for (const auto& t : spec.track_bfds) track("track_bfd", t, BfdUp(t.name));
  std::vector<TrackedFile> files;
  std::vector<std::string> file_names;
  for (const auto& f : spec.track_files)
    if (auto value = FileValue(f.path)) {
      files.push_back({f.weight, f.reverse, *value});
      file_names.push_back("track_file " + f.name);
    }
  TrackingResult r = ComputeEffectivePriority(base, tracked, files);
  for (size_t i = 0; i < tracked.size(); ++i)
    if (IsFault(tracked[i])) r.faults.push_back(names[i]);
  for (size_t i = 0; i < files.size(); ++i)
    if (!FileContribution(files[i])) r.faults.push_back(file_names[i]);
  return r;
}

}  // namespace vigil::vrrp
