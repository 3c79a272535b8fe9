#include "check/health_core.h"

#include <map>
#include <utility>

namespace vigil::check {

size_t HealthCore::AddVirtualServer(VirtualServerSpec spec) {
  const size_t index = servers_.size();
  servers_.emplace_back(std::move(spec.config));
  for (const CheckerSpec& c : spec.checkers) {
    CheckerId id = servers_.back().AddChecker(c.real_server, /*starts_up=*/!c.timing.alpha);
    registry_.Add(c.probe, c.timing, Subscriber{index, id});
  }
  return index;
}

std::vector<VsUpdate> HealthCore::Start() {
  std::vector<VsUpdate> out;
  for (size_t i = 0; i < servers_.size(); ++i) {
    std::vector<Event> events = servers_[i].Start();
    out.push_back(VsUpdate{i, std::move(events), servers_[i].Desired()});
  }
  return out;
}

std::vector<VsUpdate> HealthCore::Apply(size_t probe, const ProbeResult& result,
                                        const Outcome& outcome) {
  // Several checkers of one virtual server may share the probe: gather per server, in order.
  std::map<size_t, std::pair<std::vector<Event>, std::vector<Destination>>> touched;
  for (const Subscriber& sub : registry_.entry(probe).subscribers) {
    VirtualServerState& vs = servers_[sub.virtual_server];
    auto [it, inserted] = touched.try_emplace(sub.virtual_server);
    if (inserted) it->second.second = vs.Desired();
    std::vector<Event>& events = it->second.first;
    auto append = [&events](std::vector<Event> more) {
      events.insert(events.end(), more.begin(), more.end());
    };
    if (result.ok && result.weight) append(vs.SetCheckerWeight(sub.checker, *result.weight));
    switch (outcome.transition) {
      case Transition::kUp:
        append(vs.SetCheckerUp(sub.checker, true));
        break;
      case Transition::kDown:
        append(vs.SetCheckerUp(sub.checker, false));
        break;
      case Transition::kNone:
        break;
    }
    if (outcome.first_result_down) append(vs.ReportFirstResultDown(sub.checker));
  }
  std::vector<VsUpdate> out;
  for (auto& [index, change] : touched) {
    std::vector<Destination> desired = servers_[index].Desired();
    if (change.first.empty() && desired == change.second) continue;
    out.push_back(VsUpdate{index, std::move(change.first), std::move(desired)});
  }
  return out;
}

}  // namespace vigil::check
