#include "vrrp/conntrackd.h"

#include "base/subprocess.h"

namespace vigil::vrrp {

std::string_view ConntrackdCommandName(ConntrackdCommand command) {
  switch (command) {
    case ConntrackdCommand::kCommit: return "commit";
    case ConntrackdCommand::kFlush: return "flush";
    case ConntrackdCommand::kResync: return "resync";
    case ConntrackdCommand::kBulkSend: return "bulk_send";
    case ConntrackdCommand::kShortenTimers: return "shorten_timers";
    case ConntrackdCommand::kRequestResync: return "request_resync";
  }
  return "unknown";
}

std::string_view ConntrackdResultName(ConntrackdResult result) {
  switch (result) {
    case ConntrackdResult::kSuccess: return "success";
    case ConntrackdResult::kFailure: return "failure";
    case ConntrackdResult::kTimeout: return "timeout";
  }
  return "unknown";
}

std::vector<ConntrackdCommand> ConntrackdPlan(NotifyEvent event) {
  using C = ConntrackdCommand;
  switch (event) {
    case NotifyEvent::kMaster: return {C::kCommit, C::kFlush, C::kResync, C::kBulkSend};
    case NotifyEvent::kBackup: return {C::kShortenTimers, C::kRequestResync};
    case NotifyEvent::kFault: return {C::kShortenTimers};
    case NotifyEvent::kStop:
    case NotifyEvent::kDeleted:
    case NotifyEvent::kMasterRxLowerPriority:
    case NotifyEvent::kPriorityChanged: break;
  }
  return {};
}

std::vector<std::string> ConntrackdArgv(const ConntrackdSpec& spec, ConntrackdCommand command) {
  std::vector<std::string> argv{spec.program, "-C", spec.config};
  switch (command) {
    case ConntrackdCommand::kCommit: argv.push_back("-c"); break;
    case ConntrackdCommand::kFlush: argv.insert(argv.end(), {"-f", "internal"}); break;
    case ConntrackdCommand::kResync: argv.push_back("-R"); break;
    case ConntrackdCommand::kBulkSend: argv.push_back("-B"); break;
    case ConntrackdCommand::kShortenTimers: argv.push_back("-t"); break;
    case ConntrackdCommand::kRequestResync: argv.push_back("-n"); break;
  }
  return argv;
}

ConntrackdResult ConntrackdResultOf(const ExitInfo& exit) {
  if (exit.timed_out) return ConntrackdResult::kTimeout;
  return exit.ok() ? ConntrackdResult::kSuccess : ConntrackdResult::kFailure;
}

void ConntrackdCounters::Add(ConntrackdCommand command, ConntrackdResult result) {
  ++counts_[static_cast<size_t>(command)][static_cast<size_t>(result)];
}

uint64_t ConntrackdCounters::count(ConntrackdCommand command, ConntrackdResult result) const {
  return counts_[static_cast<size_t>(command)][static_cast<size_t>(result)];
}

std::map<std::string, std::map<std::string, uint64_t>> ConntrackdCounters::Table() const {
  std::map<std::string, std::map<std::string, uint64_t>> out;
  for (ConntrackdCommand c : kConntrackdCommands)
    for (ConntrackdResult r : kConntrackdResults)
      out[std::string(ConntrackdCommandName(c))][std::string(ConntrackdResultName(r))] =
          count(c, r);
  return out;
}

}  // namespace vigil::vrrp
