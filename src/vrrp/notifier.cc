#include "vrrp/notifier.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>

#include "base/fifo_owner.h"
#include "base/fd.h"
#include "base/log.h"
#include "base/subprocess.h"

namespace vigil::vrrp {
namespace {

// A notify script may not hold up the queue for ever.
constexpr std::chrono::seconds kScriptTimeout(60);

}  // namespace


std::string FifoLine(std::string_view kind, const std::string& name, NotifyEvent event,
                     uint8_t priority) {
  return std::string(kind) + " \"" + name + "\" " + std::string(NotifyWord(event)) + " " +
         std::to_string(priority) + "\n";
}

Notifier::~Notifier() {
  StopFifoScript(notify_fifo_);
  StopFifoScript(vrrp_notify_fifo_);
}

void Notifier::StopFifoScript(Fifo& fifo) {
  if (fifo.script_pid && *fifo.script_pid > 0) ::kill(-*fifo.script_pid, SIGTERM);
  fifo.script_pid.reset();
}

void Notifier::CloseFifo(Fifo& fifo) {
  StopFifoScript(fifo);
  fifo.fd.Reset();
  fifo.path.clear();
}

void Notifier::OpenFifo(Fifo& fifo, const FifoSpec& spec) {
  if (fifo.path == spec.path && fifo.fd && fifo.script == spec.script) return;
  CloseFifo(fifo);
  fifo.path = spec.path;
  fifo.script = spec.script;
  auto made = MakeFifo(spec.path);
  if (!made) {
    log::Error("notify fifo " + spec.path + ": " + made.error().ToString());
    return;
  }
  struct stat st {};
  if (*made) {
    if (auto r = SetFifoOwner(spec.path, spec.user, spec.group, defaults_); !r)
      log::Warning("notify fifo " + spec.path + ": owner not set: " + r.error().ToString());
  } else if (lstat(spec.path.c_str(), &st) == 0 && !S_ISFIFO(st.st_mode)) {
    log::Error("notify fifo " + spec.path + " exists and is not a FIFO");
    return;
  }
  if (spec.script) {
    // The reader lives as long as the FIFO (no timeout, as keepalived): it is stopped when
    // the FIFO is closed, and by its death signal if the engine dies.
    std::vector<std::string> argv = spec.script->argv;
    argv.push_back(spec.path);
    auto s = PrepareScript(std::move(argv), spec.script->path, spec.script->user,
                           spec.script->group, defaults_);
    if (!s) {
      log::Error("notify fifo script for " + spec.path + " not run: " + s.error().ToString());
    } else {
      auto alive = std::make_shared<pid_t>(0);
      auto r = SpawnProcess(io_, *s, [path = spec.path, alive](const ExitInfo& e) {
        *alive = 0;
        log::Warning("notify fifo script for " + path + " ended: " + e.ToString());
      });
      if (!r) {
        log::Error("notify fifo script for " + spec.path + ": " + r.error().ToString());
      } else {
        *alive = *r;
        fifo.script_pid = alive;
      }
    }
  }
  // Read-write, non-blocking: opening never waits for a reader and writing never blocks.
  UniqueFd fd = fd::Open(spec.path.c_str(), O_RDWR | O_NONBLOCK | O_NOFOLLOW);
  if (!fd) {
    log::Error("notify fifo " + spec.path + ": " + Error::FromErrno(errno, "open").ToString());
    return;
  }
  fifo.fd = std::move(fd);
}

void Notifier::Configure(const VrrpSpec& spec) {
  defaults_ = spec.script_defaults;
  conntrackd_ = spec.conntrackd;
  if (conntrackd_ && conntrackd_->program.find('/') == std::string::npos) {
    auto found = SearchPath(conntrackd_->program, CommandSearchPath());
    if (!found)
      log::Error("vigil_conntrackd: " + conntrackd_->program + " is not in " +
                 CommandSearchPath() + ": its commands will fail");
    conntrackd_->program = found.value_or("/usr/sbin/" + conntrackd_->program);
  }
  mail_.Configure(spec.smtp);
  router_id_ = spec.router_id;
  no_email_faults_ = spec.no_email_faults;
  if (spec.notify_fifo) OpenFifo(notify_fifo_, *spec.notify_fifo);
  else CloseFifo(notify_fifo_);
  if (spec.vrrp_notify_fifo) OpenFifo(vrrp_notify_fifo_, *spec.vrrp_notify_fifo);
  else CloseFifo(vrrp_notify_fifo_);
}

void Notifier::WriteFifo(Fifo& fifo, const std::string& line) {
  if (!fifo.fd) return;
  ssize_t n;
  do {
    n = write(fifo.fd.get(), line.data(), line.size());
  } while (n < 0 && errno == EINTR);
  if (n != static_cast<ssize_t>(line.size()))
    log::Warning("notify fifo " + fifo.path + ": line dropped (reader too slow)");
}

void Notifier::Notify(const InstanceSpec& instance, NotifyEvent event, uint8_t priority) {
  Send(instance.name, "INSTANCE", instance.name, instance.notify, event, priority);
  Mail(instance.name, instance.name, false, instance.notify, event);
}

void Notifier::NotifyGroup(const SyncGroupSpec& group, NotifyEvent event) {
  // Instance and group names are single words: "group NAME" never names an instance.
  Send("group " + group.name, "GROUP", group.name, group.notify, event, 0);
  Mail("group " + group.name, group.name, true, group.notify, event);
}

void Notifier::NotifyRemoved(const InstanceSpec& instance, bool was_fault, uint8_t priority) {
  if (instance.notify.notify_deleted) {
    Send(instance.name, "INSTANCE", instance.name, instance.notify, NotifyEvent::kDeleted,
         priority);
  } else if (!was_fault) {
    // keepalived 2.2.7 runs only the generic script here, not notify_fault.
    Send(instance.name, "INSTANCE", instance.name, instance.notify, NotifyEvent::kFault, priority,
         /*generic_only=*/true);
  }
  if (instance.notify.notify_deleted && instance.notify.smtp_alert && mail_.enabled())
    mail_.Send(alert::InstanceMail(router_id_, instance.name, alert::MailState::kDeleted));
  else if (!instance.notify.notify_deleted && !was_fault)
    Mail(instance.name, instance.name, false, instance.notify, NotifyEvent::kFault);
  last_mailed_.erase(instance.name);
}

std::optional<alert::MailState> MailFor(NotifyEvent event, std::optional<NotifyEvent> last,
                                        bool no_email_faults) {
  if (last == event) return std::nullopt;
  switch (event) {
    case NotifyEvent::kMaster: return alert::MailState::kMaster;
    case NotifyEvent::kBackup: return alert::MailState::kBackup;
    case NotifyEvent::kFault:
      if (no_email_faults) return std::nullopt;
      return alert::MailState::kFault;
    case NotifyEvent::kStop:
    case NotifyEvent::kDeleted:
    case NotifyEvent::kMasterRxLowerPriority:
    case NotifyEvent::kPriorityChanged: break;
  }
  return std::nullopt;
}

void Notifier::Mail(const std::string& key, const std::string& name, bool group,
                    const NotifySpec& spec, NotifyEvent event) {
  if (!spec.smtp_alert || !mail_.enabled()) return;
  auto last = last_mailed_.find(key);
  std::optional<alert::MailState> state =
      MailFor(event, last == last_mailed_.end() ? std::nullopt : std::optional(last->second),
              no_email_faults_);
  if (!state) return;
  last_mailed_[key] = event;
  if (!group) mail_.Send(alert::InstanceMail(router_id_, name, *state));
  else if (auto m = alert::GroupMail(router_id_, name, *state)) mail_.Send(std::move(*m));
}

void Notifier::Send(const std::string& key, std::string_view kind, const std::string& name,
                    const NotifySpec& spec, NotifyEvent event, uint8_t priority,
                    bool generic_only) {
  const std::optional<CommandSpec>* specific = nullptr;
  switch (event) {
    case NotifyEvent::kMaster: specific = &spec.master; break;
    case NotifyEvent::kBackup: specific = &spec.backup; break;
    case NotifyEvent::kFault: specific = &spec.fault; break;
    case NotifyEvent::kStop: specific = &spec.stop; break;
    case NotifyEvent::kDeleted: specific = &spec.deleted; break;
    case NotifyEvent::kMasterRxLowerPriority: specific = &spec.master_rx_lower_pri; break;
    case NotifyEvent::kPriorityChanged: break;
  }
  std::vector<Job> jobs;
  const std::string conntrackd_key =
      !conntrackd_ ? "" : conntrackd_->follows_group ? "group " + conntrackd_->follow
                                                     : conntrackd_->follow;
  if (conntrackd_ && key == conntrackd_key)
    for (ConntrackdCommand c : ConntrackdPlan(event))
      jobs.push_back({ConntrackdArgv(*conntrackd_, c), {}, {}, {}, c, conntrackd_->timeout});
  if (specific && *specific && !generic_only)
    jobs.push_back({(*specific)->argv, (*specific)->path, (*specific)->user,
                    (*specific)->group, {}, {}});
  if (spec.generic && event != NotifyEvent::kMasterRxLowerPriority) {
    Job job{spec.generic->argv, spec.generic->path, spec.generic->user, spec.generic->group,
            {}, {}};
    job.argv.insert(job.argv.end(), {std::string(kind), name, std::string(NotifyWord(event)),
                                     std::to_string(priority)});
    jobs.push_back(std::move(job));
  }
  const bool is_state = event != NotifyEvent::kPriorityChanged &&
                        event != NotifyEvent::kMasterRxLowerPriority;
  Queue& q = queues_[key];
  if (size_t dropped = q.transitions.Push(std::string(NotifyWord(event)), is_state, std::move(jobs)))
    log::Warning(key + ": " + std::to_string(dropped) +
                 " stale notification(s) dropped, superseded by " + std::string(NotifyWord(event)));
  if (!q.running) RunNext(key);
  WriteFifoLine(kind, name, event, priority);
}

void Notifier::WriteFifoLine(std::string_view kind, const std::string& name, NotifyEvent event,
                             uint8_t priority) {
  std::string line = FifoLine(kind, name, event, priority);
  WriteFifo(notify_fifo_, line);
  WriteFifo(vrrp_notify_fifo_, line);
}

void Notifier::RunNext(const std::string& instance) {
  Queue& q = queues_[instance];
  q.running = false;
  while (auto job = q.transitions.Next()) {
    if (job->conntrackd) {
      if (StartConntrackd(instance, *job)) {
        q.running = true;
        return;
      }
      continue;
    }
    auto prepared = PrepareScript(job->argv, job->path, job->user, job->group, defaults_);
    if (!prepared) {
      log::Error(instance + ": notify script " + job->argv[0] + " not run: " +
                 prepared.error().ToString());
      continue;
    }
    SpawnSpec s = std::move(*prepared);
    s.timeout = kScriptTimeout;
    std::string prog = job->argv[0];
    std::weak_ptr<bool> alive = alive_;
    auto r = SpawnProcess(io_, s, [this, alive, instance, prog](const ExitInfo& e) {
      if (alive.expired()) return;
      if (!e.ok()) log::Warning(instance + ": notify script " + prog + ": " + e.ToString());
      RunNext(instance);
    });
    if (r) {
      q.running = true;  // the exit callback continues the queue
      return;
    }
    log::Error(instance + ": notify script " + prog + ": " + r.error().ToString());
  }
}

bool Notifier::StartConntrackd(const std::string& key, const Job& job) {
  const ConntrackdCommand command = *job.conntrackd;
  std::string line;
  for (const auto& word : job.argv) line += (line.empty() ? "" : " ") + word;
  const std::string what =
      key + ": conntrackd " + std::string(ConntrackdCommandName(command)) + " (" + line + ")";
  SpawnSpec s;
  s.argv = job.argv;
  s.timeout = job.timeout;
  const auto started = std::chrono::steady_clock::now();
  std::weak_ptr<bool> alive = alive_;
  auto r = SpawnProcess(io_, s, [this, alive, key, command, what, started](const ExitInfo& e) {
    if (alive.expired()) return;
    const ConntrackdResult result = ConntrackdResultOf(e);
    conntrackd_counts_.Add(command, result);
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::steady_clock::now() - started).count();
    if (result == ConntrackdResult::kSuccess)
      log::Info(what + ": done in " + std::to_string(ms) + " ms");
    else
      log::Warning(what + ": " + e.ToString() + " after " + std::to_string(ms) + " ms");
    RunNext(key);
  });
  if (r) return true;
  conntrackd_counts_.Add(command, ConntrackdResult::kFailure);
  log::Error(what + ": " + r.error().ToString());
  return false;
}

size_t Notifier::pending() const {
  size_t n = 0;
  for (const auto& [name, q] : queues_) n += q.transitions.pending() + (q.running ? 1 : 0);
  return n;
}

}  // namespace vigil::vrrp
