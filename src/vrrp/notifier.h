// Notifier: runs an instance's notify scripts and writes its notify FIFO lines. Unlike
// keepalived, the scripts of one instance run one after another in the order of its
// transitions (a script starts when the previous one has exited), so a slow notify_master
// can never finish after the notify_backup that followed it. The transitions waiting
// behind a running script are bounded and coalesced (base/transition_queue.h): a flapping
// instance never builds a backlog of stale notifications. FIFO lines are written at once.
// With vigil_conntrackd, the state changes of the followed sync group or instance run
// conntrackd's commands (vrrp/conntrackd.h) first, in the same queue: the notify scripts of
// a transition start once conntrackd has been moved, and the commands of two transitions
// never interleave.
#ifndef VIGIL_VRRP_NOTIFIER_H_
#define VIGIL_VRRP_NOTIFIER_H_

#include <deque>
#include <map>
#include <memory>
#include <string>

#include "alert/smtp_sender.h"
#include "base/subprocess.h"
#include "base/transition_queue.h"
#include "base/unique_fd.h"
#include "vrrp/conntrackd.h"
#include "vrrp/instance_spec.h"
#include "vrrp/state_machine.h"

namespace asio {
class io_context;
}

namespace vigil::vrrp {

// Returns keepalived's FIFO line for an event of an instance (`kind` "INSTANCE") or a sync
// group ("GROUP", priority 0), e.g. `INSTANCE "VI_1" MASTER 100`.
std::string FifoLine(std::string_view kind, const std::string& name, NotifyEvent event,
                     uint8_t priority);

// Returns the state to mail (smtp_alert) when an instance or sync group enters `event`'s
// state, the last state mailed for it being `last`, as keepalived 2.2.7: MASTER, BACKUP and
// FAULT (not under no_email_faults), each only when it is not the state last mailed.
// Nothing for STOP: keepalived's "Stopping" mail never leaves, its process exits first.
std::optional<alert::MailState> MailFor(NotifyEvent event, std::optional<NotifyEvent> last,
                                        bool no_email_faults);

class Notifier {
 public:
  explicit Notifier(asio::io_context& io) : io_(io), mail_(io) {}
  ~Notifier();

  // Applies the global settings: script user, the notify FIFOs (created if missing,
  // their reader scripts started) and the conntrackd to drive.
  void Configure(const VrrpSpec& spec);
  // Queues the notifications of `instance` for `event`: notify_<state>, then the generic
  // `notify` script with `INSTANCE name STATE priority`, then the FIFO line; and its mail
  // (MailFor) when it has smtp_alert.
  void Notify(const InstanceSpec& instance, NotifyEvent event, uint8_t priority);
  // The removal of `instance` by a reload, in state FAULT or not (`was_fault`), with its
  // effective `priority`, as keepalived 2.2.7 tells it (checked live): with notify_deleted,
  // its notify_deleted script and the generic `notify` with DELETED, and a "Deleted" mail;
  // without, unless it was in FAULT, the generic `notify` alone with FAULT (no notify_fault
  // script) and a mail as entering FAULT (MailFor). Never STOP: that is for the daemon's stop.
  void NotifyRemoved(const InstanceSpec& instance, bool was_fault, uint8_t priority);
  // The same for a vrrp_sync_group: its notify_<state>, its generic `notify` script with
  // `GROUP name STATE 0`, then the FIFO line `GROUP "name" STATE 0`.
  void NotifyGroup(const SyncGroupSpec& group, NotifyEvent event);
  // Writes only the FIFO line of `kind` ("INSTANCE" or "GROUP") `name` for `event`, to
  // notify_fifo and vrrp_notify_fifo (fifo_write_vrrp_states_on_reload).
  void WriteFifoLine(std::string_view kind, const std::string& name, NotifyEvent event,
                     uint8_t priority);
  // Returns the SMTP alerts' sender (for tests).
  const alert::SmtpSender& mail() const { return mail_; }
  // Returns the number of scripts waiting or running (for tests and shutdown).
  size_t pending() const;
  // Returns the results of the conntrackd commands run so far (every count zero when none
  // ran or conntrackd is not driven).
  const ConntrackdCounters& conntrackd_counters() const { return conntrackd_counts_; }

 private:
  struct Job {
    std::vector<std::string> argv;
    std::string path;  // as CommandSpec::path
    std::optional<std::string> user;
    std::optional<std::string> group;
    // A conntrackd command (run as vigild's own user, with its own timeout), not a script.
    std::optional<ConntrackdCommand> conntrackd;
    std::chrono::milliseconds timeout{0};
  };
  struct Fifo {
    std::string path;
    std::optional<CommandSpec> script;
    UniqueFd fd;
    std::shared_ptr<pid_t> script_pid;  // its reader script while it runs (0 once ended)
  };
  // Queues the scripts of `spec` for `event` under `key` — the event's own notify_<state>
  // unless `generic_only`, then the generic `notify` — and writes the FIFO line.
  void Send(const std::string& key, std::string_view kind, const std::string& name,
            const NotifySpec& spec, NotifyEvent event, uint8_t priority,
            bool generic_only = false);
  void RunNext(const std::string& instance);
  // Mails `name`'s entering `event`'s state if it has smtp_alert and MailFor says so.
  void Mail(const std::string& key, const std::string& name, bool group, const NotifySpec& spec,
            NotifyEvent event);
  // Starts conntrackd command `job` of the queue `key`; false if it could not be started
  // (counted as a failure).
  bool StartConntrackd(const std::string& key, const Job& job);
  void WriteFifo(Fifo& fifo, const std::string& line);
  void OpenFifo(Fifo& fifo, const FifoSpec& spec);
  void CloseFifo(Fifo& fifo);
  void StopFifoScript(Fifo& fifo);

  asio::io_context& io_;
  alert::SmtpSender mail_;
  std::string router_id_;
  bool no_email_faults_ = false;
  std::map<std::string, NotifyEvent> last_mailed_;  // by Send's key
  struct Queue {
    TransitionQueue<Job> transitions;
    bool running = false;  // a script of this instance is running
  };
  std::map<std::string, Queue> queues_;
  ScriptDefaults defaults_;
  std::optional<ConntrackdSpec> conntrackd_;  // its program resolved along PATH
  ConntrackdCounters conntrackd_counts_;
  Fifo notify_fifo_;
  Fifo vrrp_notify_fifo_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);  // for exit callbacks
};

}  // namespace vigil::vrrp

#endif  // VIGIL_VRRP_NOTIFIER_H_
