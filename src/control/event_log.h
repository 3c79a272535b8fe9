// The event log behind `vigilctl watch`: every event of the daemon (VRRP transitions,
// real-server health, quorum, reloads, operations, engine starts and exits) in the order
// the supervisor received it, numbered from 1, the last kEventLogCapacity kept in a ring.
// A watcher reads from a sequence number on: what fell out of the ring before it read it
// is counted, never skipped in silence. Numbers start from 1 again when vigild restarts, so
// every line also names the run (a random identifier chosen at start): a watcher resuming
// with a number and the run it belongs to is told when that run is gone.
//
// Pure: no clock (the caller stamps each event) and no I/O. Not thread-safe; lives on the
// supervisor's loop.
#ifndef VIGIL_CONTROL_EVENT_LOG_H_
#define VIGIL_CONTROL_EVENT_LOG_H_

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "base/error.h"

namespace vigil::control {

// How many events the supervisor keeps for watchers that connect or reconnect later.
inline constexpr size_t kEventLogCapacity = 10000;

// One field of an event: a string, an integer or a flag.
using EventValue = std::variant<std::string, int64_t, bool>;
struct EventField {
  std::string key;
  EventValue value;
};

// Returns the JSON object {"type":TYPE, KEY:VALUE, ...} with the fields in this order: an
// event as an engine sends it to the supervisor (frame kEvent) and the log stores it.
std::string EventBody(std::string_view type, const std::vector<EventField>& fields);

// Returns `when` as "YYYY-MM-DDTHH:MM:SS.mmmZ" (UTC, milliseconds).
std::string EventTime(std::chrono::system_clock::time_point when);

// Returns a new run identifier: 16 lower-case hex digits from the system's random source.
std::string NewRunId();

class EventLog {
 public:
  // `run` names this run of the daemon in every line ("" : no "run" field).
  explicit EventLog(size_t capacity = kEventLogCapacity, std::string run = "");
  EventLog(const EventLog&) = delete;
  EventLog& operator=(const EventLog&) = delete;

  // Appends the event `body` (a JSON object with a "type" string, as EventBody makes it)
  // received at `when`: its line is {"seq":N,"run":"RUN","time":"...",<body's fields>}. Returns N, or
  // 0 (nothing appended) when `body` is not such an object. Then wakes every subscriber.
  uint64_t Append(std::string_view body, std::chrono::system_clock::time_point when);
  uint64_t Append(std::string_view type, const std::vector<EventField>& fields,
                  std::chrono::system_clock::time_point when) {
    return Append(EventBody(type, fields), when);
  }

  // What a watcher gets from sequence number `from` on.
  struct Batch {
    uint64_t lost = 0;  // events numbered from `from` on that fell out of the ring
    std::string text;   // the next events' lines, each ending in '\n'
    uint64_t next = 0;  // the sequence number that follows the last line in `text`
  };
  // Returns the stored events numbered `from` or later (0 reads as 1), as many as fit in
  // `max_bytes` but at least one when there is one.
  Batch Read(uint64_t from, size_t max_bytes) const;

  // Returns the last sequence number given (0: none yet).
  uint64_t last_seq() const { return next_seq_ - 1; }
  // Returns the oldest sequence number still stored (last_seq() + 1 when none is).
  uint64_t first_seq() const { return next_seq_ - ring_.size(); }
  size_t capacity() const { return capacity_; }
  const std::string& run() const { return run_; }

  // Calls `wake` after each Append until Unsubscribe(id). Returns id.
  uint64_t Subscribe(std::function<void()> wake);
  void Unsubscribe(uint64_t id);

 private:
  size_t capacity_;
  std::string run_;
  std::deque<std::string> ring_;  // the lines of first_seq() .. last_seq(), with '\n'
  uint64_t next_seq_ = 1;
  std::map<uint64_t, std::function<void()>> subscribers_;
  uint64_t next_subscriber_ = 1;
};

// The watch request {"command":"watch","from":SEQ,"run":RUN}: the first sequence number
// wanted, or nullopt for the events from now on; the run that number belongs to, if known.
struct WatchRequest {
  std::optional<uint64_t> from;
  std::optional<std::string> run;
};
// Where a watch starts in `log`: the request's number, or the next event without one, or
// 1 (every event kept) when the request names another run than the log's — `restarted` is
// then set. A number of 0 reads as 1.
uint64_t WatchStart(const EventLog& log, const WatchRequest& request, bool* restarted);
// Parses a watch request line; returns why it is not a valid one.
Result<WatchRequest> WatchRequestFromJson(const std::string& line);
// Returns the answer to a watch request that reads from `from` in `log` (the line without
// its newline): {"ok":true,"from":FROM,"last_seq":N,"capacity":C,"run":RUN}, or an error
// when `from` lies beyond the next event (a number from an earlier run of vigild).
std::string WatchAnswer(const EventLog& log, uint64_t from, bool* ok);
// Returns the line that says `lost` events numbered from `from` fell out of the ring
// before this watcher read them ({"type":"lost",...}, without newline).
std::string WatchLostLine(uint64_t from, uint64_t lost, size_t capacity);
// Returns the line that tells a watcher resuming from (`previous_run`, `from`) that vigild
// has restarted since: the events of the run `run` follow from its first one kept
// ({"type":"restarted",...}, without newline).
std::string WatchRestartedLine(const std::string& previous_run, uint64_t from,
                               const std::string& run);
// Returns the last line to a watcher that fell a whole ring behind: reconnecting with
// --from `resume_from` (--run `run`) gets every event it has not read (or their count).
std::string WatchOverflowLine(uint64_t resume_from, size_t capacity, const std::string& run);

}  // namespace vigil::control

#endif  // VIGIL_CONTROL_EVENT_LOG_H_
