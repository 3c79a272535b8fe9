#include "vrrp/operations.h"

#include <algorithm>

namespace vigil::vrrp {

void RuntimeOperations::Restore(const std::vector<control::Operation>& ops) {
  for (const auto& op : ops) {
    if (op.command == "maintenance") maintenance_ = op.on;
    if (op.command == "priority" && op.priority > 0)
      priorities_[op.instance] = static_cast<uint8_t>(op.priority);
  }
}

bool RuntimeOperations::SetMaintenance(bool on, std::string& answer) {
  if (on == maintenance_) {
    answer = std::string("maintenance is already ") + (on ? "on" : "off");
    return false;
  }
  maintenance_ = on;
  return true;
}

std::string RuntimeOperations::MaintenanceDone(bool on, int masters, size_t instances) {
  return on ? "maintenance on: " + std::to_string(masters) +
                  " master(s) stepped down with a priority-0 advert; no instance becomes master"
            : "maintenance off: " + std::to_string(instances) +
                  " instance(s) back in the election";
}

Result<void> RuntimeOperations::CheckFailover(const std::string& name, State state) const {
  if (maintenance_)
    return Fail(ErrorCode::kInvalidArgument, "maintenance is on: " + name + " is not master");
  if (state != State::kMaster)
    return Fail(ErrorCode::kInvalidArgument,
                name + " is " + std::string(StateName(state)) +
                    ", not MASTER: only a master can fail over");
  return {};
}

std::vector<std::string> RuntimeOperations::SteppingDown(
    const InstanceSpec& who, const std::vector<std::pair<const InstanceSpec*, State>>& instances) {
  std::vector<std::string> names{who.name};
  if (!who.sync_group) return names;
  for (const auto& [spec, state] : instances)
    if (spec->name != who.name && spec->sync_group == who.sync_group && state == State::kMaster)
      names.push_back(spec->name);
  return names;
}

std::string RuntimeOperations::FailoverDone(const std::vector<std::string>& names) {
  std::string joined;
  for (const auto& n : names) joined += (joined.empty() ? "" : ", ") + n;
  return joined + " stepped down (priority-0 advert); BACKUP, yielding to the new master "
                  "until none is heard";
}

Result<void> RuntimeOperations::SetPriority(const InstanceSpec& spec, int priority) {
  if (spec.params.priority == kOwnerPriority)
    return Fail(ErrorCode::kInvalidArgument,
                spec.name + " is the address owner (priority 255), whose priority does not "
                            "change");
  if (priority == 0) priorities_.erase(spec.name);
  else priorities_[spec.name] = static_cast<uint8_t>(priority);
  return {};
}

std::string RuntimeOperations::PriorityDone(const InstanceSpec& spec, int priority,
                                            int effective) {
  return spec.name + " priority " +
         (priority == 0 ? "reset to the configured " + std::to_string(spec.params.priority)
                        : "set to " + std::to_string(priority)) +
         " (effective " + std::to_string(effective) + ")";
}

std::vector<std::string> RuntimeOperations::KeepConfigured(const VrrpSpec& spec) {
  std::vector<std::string> dropped;
  for (auto it = priorities_.begin(); it != priorities_.end();) {
    auto s = std::find_if(spec.instances.begin(), spec.instances.end(),
                          [&](const InstanceSpec& i) { return i.name == it->first; });
    if (s != spec.instances.end() && s->params.priority != kOwnerPriority) {
      ++it;
      continue;
    }
    dropped.push_back("runtime priority of " + it->first + " dropped: " +
                      (s == spec.instances.end() ? "no longer configured" : "now an address owner"));
    it = priorities_.erase(it);
  }
  return dropped;
}

uint8_t RuntimeOperations::BasePriority(const InstanceSpec& spec) const {
  auto it = priorities_.find(spec.name);
  return it == priorities_.end() ? spec.params.priority : it->second;
}

int RuntimeOperations::RuntimePriority(const std::string& name) const {
  auto it = priorities_.find(name);
  return it == priorities_.end() ? 0 : it->second;
}

}  // namespace vigil::vrrp
