#include "vrrp/notifier.h"

#include <fcntl.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "base/log.h"
#include "base/subprocess.h"

namespace vigil::vrrp {
namespace {

// A notify script may not hold up the queue for ever.
constexpr std::chrono::seconds kScriptTimeout(60);

bool UserExists(const std::string& name) {
  passwd pw{};
  passwd* found = nullptr;
  std::vector<char> buf(16384);
  return getpwnam_r(name.c_str(), &pw, buf.data(), buf.size(), &found) == 0 && found;
}

}  // namespace

std::string_view NotifyWord(NotifyEvent event) {
  switch (event) {
    case NotifyEvent::kBackup: return "BACKUP";
    case NotifyEvent::kMaster: return "MASTER";
    case NotifyEvent::kFault: return "FAULT";
    case NotifyEvent::kStop: return "STOP";
    case NotifyEvent::kMasterRxLowerPriority: return "MASTER_RX_LOWER_PRI";
    case NotifyEvent::kPriorityChanged: return "PRIORITY";
  }
  return "UNKNOWN";
}

std::string FifoLine(const std::string& instance, NotifyEvent event, uint8_t priority) {
  return "INSTANCE \"" + instance + "\" " + std::string(NotifyWord(event)) + " " +
         std::to_string(priority) + "\n";
}

Notifier::~Notifier() = default;

void Notifier::OpenFifo(Fifo& fifo, const FifoSpec& spec) {
  if (fifo.path == spec.path && fifo.fd) return;
  fifo.path = spec.path;
  fifo.fd.Reset();
  struct stat st {};
  if (stat(spec.path.c_str(), &st) != 0) {
    if (mkfifo(spec.path.c_str(), 0600) != 0) {
      log::Error("notify fifo " + spec.path + ": " + Error::FromErrno(errno, "mkfifo").ToString());
      return;
    }
  } else if (!S_ISFIFO(st.st_mode)) {
    log::Error("notify fifo " + spec.path + " exists and is not a FIFO");
    return;
  }
  if (spec.script) {
    Job job{spec.script->argv, spec.script->user, spec.script->group};
    job.argv.push_back(spec.path);
    SpawnSpec s;
    s.argv = job.argv;
    auto r = SpawnProcess(io_, s, [path = spec.path](const ExitInfo& e) {
      log::Warning("notify fifo script for " + path + " ended: " + e.ToString());
    });
    if (!r) log::Error("notify fifo script: " + r.error().ToString());
  }
  // Read-write, non-blocking: opening never waits for a reader and writing never blocks.
  int fd = open(spec.path.c_str(), O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    log::Error("notify fifo " + spec.path + ": " + Error::FromErrno(errno, "open").ToString());
    return;
  }
  fifo.fd.Reset(fd);
}

void Notifier::Configure(const VrrpSpec& spec) {
  script_security_ = spec.script_security;
  script_user_ = spec.script_user;
  script_group_ = spec.script_group;
  if (!script_user_ && UserExists("keepalived_script")) script_user_ = "keepalived_script";
  if (spec.notify_fifo) OpenFifo(notify_fifo_, *spec.notify_fifo);
  else notify_fifo_.fd.Reset();
  if (spec.vrrp_notify_fifo) OpenFifo(vrrp_notify_fifo_, *spec.vrrp_notify_fifo);
  else vrrp_notify_fifo_.fd.Reset();
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
  const std::optional<CommandSpec>* specific = nullptr;
  switch (event) {
    case NotifyEvent::kMaster: specific = &instance.notify.master; break;
    case NotifyEvent::kBackup: specific = &instance.notify.backup; break;
    case NotifyEvent::kFault: specific = &instance.notify.fault; break;
    case NotifyEvent::kStop: specific = &instance.notify.stop; break;
    case NotifyEvent::kMasterRxLowerPriority:
      specific = &instance.notify.master_rx_lower_pri;
      break;
    case NotifyEvent::kPriorityChanged: break;
  }
  if (specific && *specific) {
    Enqueue(instance.name, {(*specific)->argv, (*specific)->user, (*specific)->group});
  }
  if (instance.notify.generic && event != NotifyEvent::kMasterRxLowerPriority) {
    Job job{instance.notify.generic->argv, instance.notify.generic->user,
            instance.notify.generic->group};
    job.argv.insert(job.argv.end(), {"INSTANCE", instance.name, std::string(NotifyWord(event)),
                                     std::to_string(priority)});
    Enqueue(instance.name, std::move(job));
  }
  std::string line = FifoLine(instance.name, event, priority);
  WriteFifo(notify_fifo_, line);
  WriteFifo(vrrp_notify_fifo_, line);
}

void Notifier::Enqueue(const std::string& instance, Job job) {
  auto& q = queues_[instance];
  q.push_back(std::move(job));
  if (q.size() == 1) RunNext(instance);
}

void Notifier::RunNext(const std::string& instance) {
  auto& q = queues_[instance];
  while (!q.empty()) {
    Job& job = q.front();
    if (script_security_) {
      if (auto why = ScriptSecurityProblem(job.argv[0])) {
        log::Error(instance + ": notify script " + job.argv[0] +
                   " refused by enable_script_security: " + *why);
        q.pop_front();
        continue;
      }
    }
    SpawnSpec s;
    s.argv = job.argv;
    s.timeout = kScriptTimeout;
    std::optional<std::string> user = job.user ? job.user : script_user_;
    std::optional<std::string> group = job.user ? job.group : script_group_;
    if (user) {
      auto ids = LookupUser(*user, group);
      if (!ids) {
        log::Error(instance + ": notify " + job.argv[0] + ": " + ids.error().ToString());
        q.pop_front();
        continue;
      }
      s.uid = ids->first;
      s.gid = ids->second;
    }
    std::string prog = job.argv[0];
    auto r = SpawnProcess(io_, s, [this, instance, prog](const ExitInfo& e) {
      if (!e.ok()) log::Warning(instance + ": notify script " + prog + ": " + e.ToString());
      auto& queue = queues_[instance];
      if (!queue.empty()) queue.pop_front();
      RunNext(instance);
    });
    if (r) return;  // the exit callback continues the queue
    log::Error(instance + ": notify script " + prog + ": " + r.error().ToString());
    q.pop_front();
  }
}

size_t Notifier::pending() const {
  size_t n = 0;
  for (const auto& [name, q] : queues_) n += q.size();
  return n;
}

}  // namespace vigil::vrrp
