// Notifications of the checker engine: notify_up/notify_down and quorum_up/quorum_down
// scripts, run one at a time per server in the order the events happened, and the lines
// keepalived writes to notify_fifo / lvs_notify_fifo.
#ifndef VIGIL_CHECK_NOTIFY_H_
#define VIGIL_CHECK_NOTIFY_H_

#include <functional>
#include <map>
#include <optional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "base/subprocess.h"
#include "base/transition_queue.h"
#include "base/unique_fd.h"

namespace asio {
class io_context;
}

namespace vigil::check {

// Returns keepalived's FIFO line for a virtual server's quorum: "VS [10.0.0.1]:tcp:80 UP\n".
std::string FifoVsLine(std::string_view vs, bool up);
// Returns keepalived's FIFO line for a real server: "RS [10.0.0.2]:tcp:8080 [10.0.0.1]:tcp:80
// DOWN\n" (the real server, then its virtual server).
std::string FifoRsLine(std::string_view rs, std::string_view vs, bool up);

// Starts a process and reports its end; the seam between the notifier and the system.
class ScriptRunner {
 public:
  virtual ~ScriptRunner() = default;
  // Starts `spec`; `done` is called once, later, from the event loop, unless this fails.
  virtual Result<void> Run(const SpawnSpec& spec, std::function<void(const ExitInfo&)> done) = 0;
};

// Returns a runner over SpawnProcess on `io`.
std::unique_ptr<ScriptRunner> MakeSpawnRunner(asio::io_context& io);

// Runs scripts in order per queue (one queue per server or quorum): a script starts only
// after the previous one of its queue has ended; queues run independently. What waits is
// bounded and coalesced by base/transition_queue.h: a new state makes the waiting scripts
// stale, and is itself dropped when it is the state whose script ran last (a server that
// flaps while a slow script runs gets one script for its latest state). Not thread-safe.
class NotifyQueue {
 public:
  // Called when a script ended or could not start: (what, exit or error text).
  using Report = std::function<void(const std::string& what, const std::string& result)>;

  // `runner` must outlive the queue.
  NotifyQueue(ScriptRunner& runner, Report report);
  ~NotifyQueue();
  NotifyQueue(const NotifyQueue&) = delete;
  NotifyQueue& operator=(const NotifyQueue&) = delete;

  // Runs `spec` after what is queued under `queue`, for the transition to `state` ("up",
  // "down"). `what` names it in reports. Returns the number of stale scripts dropped.
  size_t Enqueue(const std::string& queue, SpawnSpec spec, std::string what,
                 const std::string& state);

  // Records the transition of `queue` to `state` for which there is no script to run.
  void Transition(const std::string& queue, const std::string& state);

  // Returns the number of scripts queued or running.
  size_t pending() const;

 private:
  struct Item {
    SpawnSpec spec;
    std::string what;
  };
  struct Queue {
    TransitionQueue<Item> transitions;
    bool running = false;
  };
  void StartNext(const std::string& queue);

  ScriptRunner& runner_;
  Report report_;
  std::map<std::string, Queue> queues_;
  std::shared_ptr<bool> alive_;
};

// The notify FIFOs: opened (created with mkfifo when missing) read-write and non-blocking,
// as keepalived opens them, so that writing never blocks and needs no reader.
class NotifyFifos {
 public:
  struct Spec {
    std::string path;
    std::optional<std::string> user, group;  // its owner if created (base/fifo_owner.h)
  };
  // Opens each FIFO; returns the paths that failed with why, leaving those out (and a FIFO
  // created whose owner could not be set, which stays open).
  std::vector<std::string> Open(const std::vector<Spec>& fifos, const ScriptDefaults& defaults);
  // Writes `line` to every open FIFO (a full FIFO loses the line).
  void Write(std::string_view line);
  void Close();
  bool empty() const { return fds_.empty(); }

 private:
  std::vector<UniqueFd> fds_;
  std::vector<std::string> created_;  // FIFOs this process made, removed at Close()
};

}  // namespace vigil::check

#endif  // VIGIL_CHECK_NOTIFY_H_
