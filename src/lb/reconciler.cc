#include "lb/reconciler.h"

namespace vigil::lb {

std::string_view OpKindName(OpKind kind) {
  switch (kind) {
    case OpKind::kAddService:
      return "add-service";
    case OpKind::kUpdateService:
      return "update-service";
    case OpKind::kDeleteService:
      return "delete-service";
    case OpKind::kAddDestination:
      return "add-destination";
    case OpKind::kUpdateDestination:
      return "update-destination";
    case OpKind::kDeleteDestination:
      return "delete-destination";
  }
  return "?";
}

std::string ToString(const Op& op) {
  std::string out = std::string(OpKindName(op.kind)) + " " + ToString(op.service);
  if (op.destination) out += " -> " + ToString(*op.destination);
  return out;
}

std::vector<Op> Reconcile(const State& desired, const State& actual) {
  std::vector<Op> dest_deletes, service_deletes, service_changes, dest_changes;

  for (const auto& [key, have] : actual.services) {
    const ServiceEntry* want = desired.Find(key);
    for (const auto& [dkey, d] : have.destinations) {
      if (want == nullptr || !want->destinations.contains(dkey)) {
        // A surviving service is named as desired, so the op carries its new attributes.
        dest_deletes.push_back(
            {OpKind::kDeleteDestination, want ? want->service : have.service, d});
      }
    }
    if (want == nullptr) {
      service_deletes.push_back({OpKind::kDeleteService, have.service, std::nullopt});
    }
  }

  for (const auto& [key, want] : desired.services) {
    const ServiceEntry* have = actual.Find(key);
    if (have == nullptr) {
      service_changes.push_back({OpKind::kAddService, want.service, std::nullopt});
    } else if (have->service != want.service) {
      service_changes.push_back({OpKind::kUpdateService, want.service, std::nullopt});
    }
    for (const auto& [dkey, d] : want.destinations) {
      if (have == nullptr) {
        dest_changes.push_back({OpKind::kAddDestination, want.service, d});
        continue;
      }
      auto it = have->destinations.find(dkey);
      if (it == have->destinations.end()) {
        dest_changes.push_back({OpKind::kAddDestination, want.service, d});
      } else if (it->second != d) {
        dest_changes.push_back({OpKind::kUpdateDestination, want.service, d});
      }
    }
  }

  std::vector<Op> ops;
  ops.reserve(dest_deletes.size() + service_deletes.size() + service_changes.size() +
              dest_changes.size());
  for (auto* group : {&dest_deletes, &service_deletes, &service_changes, &dest_changes}) {
    ops.insert(ops.end(), group->begin(), group->end());
  }
  return ops;
}

std::vector<Op> ReconcileAtStartup(const State& desired, const State& kernel, StalePolicy policy) {
  if (policy == StalePolicy::kClear) return Reconcile(desired, kernel);
  State relevant;
  for (const auto& [key, entry] : kernel.services) {
    if (desired.services.contains(key)) relevant.services.emplace(key, entry);
  }
  return Reconcile(desired, relevant);
}

std::vector<std::string> Differences(const State& want, const State& have, size_t limit) {
  std::vector<std::string> out;
  for (const Op& op : ReconcileAtStartup(want, have, StalePolicy::kAdopt)) {
    if (out.size() == limit) break;
    out.push_back(ToString(op) + " is needed");
  }
  return out;
}

std::vector<Op> ReconcileAtShutdown(const State& owned, const State& kernel, bool keep) {
  if (keep) return {};
  State remaining;
  for (const auto& [key, entry] : kernel.services) {
    if (!owned.services.contains(key)) remaining.services.emplace(key, entry);
  }
  return Reconcile(remaining, kernel);
}

}  // namespace vigil::lb
