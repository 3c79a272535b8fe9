#include "lb/reconciler.h"

#include <utility>

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

namespace {

// The operations of Reconcile, in its four groups.
struct Groups {
  std::vector<Op> dest_deletes, service_deletes, service_changes, dest_changes;

  std::vector<Op> Join() && {
    std::vector<Op> ops = std::move(dest_deletes);
    ops.reserve(ops.size() + service_deletes.size() + service_changes.size() +
                dest_changes.size());
    for (auto* group : {&service_deletes, &service_changes, &dest_changes}) {
      ops.insert(ops.end(), group->begin(), group->end());
    }
    return ops;
  }
};

// Adds the operations that turn service `have` (nullptr: absent) into `want` (likewise).
void ReconcileService(const ServiceEntry* want, const ServiceEntry* have, Groups& g) {
  if (have != nullptr) {
    for (const auto& [dkey, d] : have->destinations) {
      if (want == nullptr || !want->destinations.contains(dkey)) {
        // A surviving service is named as desired, so the op carries its new attributes.
        g.dest_deletes.push_back(
            {OpKind::kDeleteDestination, want ? want->service : have->service, d});
      }
    }
    if (want == nullptr) {
      g.service_deletes.push_back({OpKind::kDeleteService, have->service, std::nullopt});
      return;
    }
  }
  if (have == nullptr) {
    g.service_changes.push_back({OpKind::kAddService, want->service, std::nullopt});
  } else if (have->service != want->service) {
    g.service_changes.push_back({OpKind::kUpdateService, want->service, std::nullopt});
  }
  for (const auto& [dkey, d] : want->destinations) {
    if (have == nullptr) {
      g.dest_changes.push_back({OpKind::kAddDestination, want->service, d});
      continue;
    }
    auto it = have->destinations.find(dkey);
    if (it == have->destinations.end()) {
      g.dest_changes.push_back({OpKind::kAddDestination, want->service, d});
    } else if (it->second != d) {
      g.dest_changes.push_back({OpKind::kUpdateDestination, want->service, d});
    }
  }
}

}  // namespace

std::vector<Op> Reconcile(const State& desired, const State& actual) {
  Groups g;
  // Both states' services in key order, each once.
  auto want = desired.services.begin();
  auto have = actual.services.begin();
  while (want != desired.services.end() || have != actual.services.end()) {
    if (want == desired.services.end() ||
        (have != actual.services.end() && have->first < want->first)) {
      ReconcileService(nullptr, &have->second, g);
      ++have;
    } else if (have == actual.services.end() || want->first < have->first) {
      ReconcileService(&want->second, nullptr, g);
      ++want;
    } else {
      ReconcileService(&want->second, &have->second, g);
      ++want;
      ++have;
    }
  }
  return std::move(g).Join();
}

std::vector<Op> ReconcileServices(const State& desired, const State& actual,
                                  const std::set<ServiceKey>& keys) {
  Groups g;
  for (const ServiceKey& key : keys) {
    const ServiceEntry* want = desired.Find(key);
    const ServiceEntry* have = actual.Find(key);
    if (want != nullptr || have != nullptr) ReconcileService(want, have, g);
  }
  return std::move(g).Join();
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

std::vector<Op> ReconcileAtShutdown(const State& owned, const State& kernel, bool keep,
                                    bool services_only) {
  if (keep) return {};
  State remaining;
  for (const auto& [key, entry] : kernel.services) {
    if (!owned.services.contains(key)) remaining.services.emplace(key, entry);
  }
  std::vector<Op> ops = Reconcile(remaining, kernel);
  if (services_only)
    std::erase_if(ops, [](const Op& op) { return op.kind != OpKind::kDeleteService; });
  return ops;
}

}  // namespace vigil::lb
