// conntrackd driven by VRRP (global_defs vigil_conntrackd): the commands that move one
// conntrackd daemon (FTFW or NOTRACK primary-backup replication of the kernel's connection
// tracking table) through the state of the vrrp_sync_group or vrrp_instance it follows, in
// the order conntrackd's own primary-backup script gives them. Pure logic, no I/O: the
// Notifier runs the commands (base/subprocess) in the notification queue of the followed
// source, ahead of its notify scripts.
#ifndef VIGIL_VRRP_CONNTRACKD_H_
#define VIGIL_VRRP_CONNTRACKD_H_

#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "vrrp/state_machine.h"

namespace vigil {
struct ExitInfo;
}

namespace vigil::vrrp {

// The daemon to drive and the source whose transitions drive it.
struct ConntrackdSpec {
  std::string config;                    // its configuration file (conntrackd -C)
  std::string follow;                    // a vrrp_sync_group's or vrrp_instance's name
  bool follows_group = false;            // `follow` names a vrrp_sync_group
  std::chrono::milliseconds timeout{0};  // for each command
  // The client program: a path, or a name looked up along PATH when it is run.
  std::string program = "conntrackd";
  friend bool operator==(const ConntrackdSpec&, const ConntrackdSpec&) = default;
};

// One client command to the running daemon.
enum class ConntrackdCommand : uint8_t {
  kCommit,         // -c: commit the external cache (the peer's connections) to the kernel
  kFlush,          // -f internal: flush the internal cache
  kResync,         // -R: refill the internal cache from the kernel's table
  kBulkSend,       // -B: send the internal cache to the backups
  kShortenTimers,  // -t: shorten the kernel's timers (the entries of a former master expire)
  kRequestResync,  // -n: ask the master to send its connections again
};
inline constexpr std::array kConntrackdCommands = {
    ConntrackdCommand::kCommit,        ConntrackdCommand::kFlush,
    ConntrackdCommand::kResync,        ConntrackdCommand::kBulkSend,
    ConntrackdCommand::kShortenTimers, ConntrackdCommand::kRequestResync};

enum class ConntrackdResult : uint8_t { kSuccess, kFailure, kTimeout };
inline constexpr std::array kConntrackdResults = {
    ConntrackdResult::kSuccess, ConntrackdResult::kFailure, ConntrackdResult::kTimeout};

// Returns the command's name in logs and metrics: commit, flush, resync, bulk_send,
// shorten_timers, request_resync.
std::string_view ConntrackdCommandName(ConntrackdCommand command);
// Returns success, failure or timeout.
std::string_view ConntrackdResultName(ConntrackdResult result);

// Returns the commands a transition to `event` runs, in order: MASTER commits the external
// cache, flushes the internal one, resyncs it with the kernel and sends it in bulk; BACKUP
// shortens the kernel's timers and requests a resync from the master; FAULT shortens the
// timers. Other events run none.
std::vector<ConntrackdCommand> ConntrackdPlan(NotifyEvent event);

// Returns the argv of `command`: {program, "-C", config, option...}.
std::vector<std::string> ConntrackdArgv(const ConntrackdSpec& spec, ConntrackdCommand command);

// Returns how a command's run ended: timed out (killed at its timeout), success (exit 0) or
// failure (any other exit, killed, or not started).
ConntrackdResult ConntrackdResultOf(const ExitInfo& exit);

// The results of the commands run, counted per command and result.
class ConntrackdCounters {
 public:
  void Add(ConntrackdCommand command, ConntrackdResult result);
  uint64_t count(ConntrackdCommand command, ConntrackdResult result) const;
  // Returns every count, zeros included: {command name: {result name: count}}.
  std::map<std::string, std::map<std::string, uint64_t>> Table() const;

 private:
  std::array<std::array<uint64_t, kConntrackdResults.size()>, kConntrackdCommands.size()>
      counts_{};
};

}  // namespace vigil::vrrp

#endif  // VIGIL_VRRP_CONNTRACKD_H_
