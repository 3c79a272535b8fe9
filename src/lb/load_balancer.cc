#include "lb/load_balancer.h"

#include <utility>

#include "base/log.h"

namespace vigil::lb {

LoadBalancer::LoadBalancer(std::unique_ptr<Backend> backend, LoadBalancerOptions options)
    : backend_(std::move(backend)), options_(options) {}

Result<std::vector<Op>> LoadBalancer::Apply(const State& desired) {
  return Converge(desired, nullptr);
}

Result<std::vector<Op>> LoadBalancer::ApplyChanged(const State& desired,
                                                   const std::set<ServiceKey>& changed) {
  return Converge(desired, steady() ? &changed : nullptr);
}

Result<std::vector<Op>> LoadBalancer::Converge(const State& desired,
                                               const std::set<ServiceKey>* changed) {
  if (changed == nullptr) {
    if (auto v = backend_->Validate(desired); !v) return std::unexpected(v.error());
  } else {
    for (const ServiceKey& key : *changed) {
      const ServiceEntry* entry = desired.Find(key);
      if (entry == nullptr) continue;
      if (auto v = backend_->ValidateService(*entry); !v) return std::unexpected(v.error());
    }
  }
  bool refused = false;
  auto ops = ApplyOnce(desired, changed, &refused);
  if (ops || !refused) return ops;
  // The kernel refused what vigil thought it could apply: what it holds is not what vigil
  // last left there (someone changed it), or a partial apply left it unknown. Build the
  // desired state from a fresh read (nftables: a new table), once.
  log::Warning("load balancer: " + ops.error().ToString() + "; resynchronising");
  BackendReset();
  synced_ = false;
  if (changed != nullptr) {
    // Only the changed services were validated.
    if (auto v = backend_->Validate(desired); !v) return std::unexpected(v.error());
  }
  ops = ApplyOnce(desired, nullptr, &refused);
  if (ops) ++restorations_["rejected"];
  return ops;
}

namespace {

// Applies `ops` (as Reconcile computes them) to `state`.
void ApplyOps(const std::vector<Op>& ops, State& state) {
  for (const Op& op : ops) {
    const ServiceKey& key = op.service.key;
    switch (op.kind) {
      case OpKind::kAddService:
      case OpKind::kUpdateService:
        state.Put(op.service);
        break;
      case OpKind::kDeleteService:
        state.services.erase(key);
        break;
      case OpKind::kAddDestination:
      case OpKind::kUpdateDestination:
        state.PutDestination(key, *op.destination);
        break;
      case OpKind::kDeleteDestination:
        if (auto it = state.services.find(key); it != state.services.end()) {
          it->second.destinations.erase(op.destination->key);
        }
        break;
    }
  }
}

}  // namespace

Result<std::vector<Op>> LoadBalancer::ApplyOnce(const State& desired,
                                                const std::set<ServiceKey>* changed,
                                                bool* refused) {
  if (changed != nullptr) {
    // The steady state: kernel_ and owned_ both hold the previous desired state, which
    // differs from `desired` in the changed services only.
    std::vector<Op> ops = ReconcileServices(desired, kernel_, *changed);
    if (auto r = BackendApply(ops, desired, kernel_); !r) {
      synced_ = false;
      *refused = true;
      return std::unexpected(r.error());
    }
    ApplyOps(ops, kernel_);
    ApplyOps(ops, owned_);
    return ops;
  }
  if (auto r = Sync(); !r) return std::unexpected(r.error());
  // The part of the kernel this call may change: what vigil owns and what it wants, plus
  // everything else on a clearing start-up. Usually that is all of it: then no copy.
  const bool clear = !started_ && options_.stale == StalePolicy::kClear;
  bool whole = true;
  for (const auto& [key, entry] : kernel_.services) {
    if (!clear && !owned_.services.contains(key) && !desired.services.contains(key)) {
      whole = false;
      break;
    }
  }
  State part;
  if (!whole) {
    for (const auto& [key, entry] : kernel_.services) {
      if (clear || owned_.services.contains(key) || desired.services.contains(key)) {
        part.services.emplace(key, entry);
      }
    }
  }
  const State& actual = whole ? kernel_ : part;
  std::vector<Op> ops = Reconcile(desired, actual);
  if (auto r = BackendApply(ops, desired, actual); !r) {
    synced_ = false;  // A partial apply (IPVS) leaves the kernel unknown: read it next time.
    *refused = true;
    return std::unexpected(r.error());
  }
  // The operations turn `actual` into `desired` and leave the rest of the kernel alone; in
  // the steady state vigil owns exactly what the kernel held, so both follow the (few)
  // operations rather than being copied whole.
  ApplyOps(ops, kernel_);
  if (mirror_ && whole) {
    ApplyOps(ops, owned_);
  } else {
    owned_ = desired;
  }
  mirror_ = whole;  // kernel_ holds exactly `desired` now, as owned_ does
  started_ = true;
  return ops;
}

Result<void> LoadBalancer::Sync() {
  if (synced_) return {};
  auto kernel = backend_->Read();
  if (!kernel && kernel.error().code() == ErrorCode::kParse) {
    // vigil's own objects make no sense any more: they are disposable, build them anew.
    log::Warning("load balancer: " + kernel.error().ToString() + "; rebuilding it");
    BackendReset();
    ++restorations_["damaged"];
    kernel = backend_->Read();
  }
  if (!kernel) return std::unexpected(kernel.error());
  kernel_ = std::move(*kernel);
  synced_ = true;
  mirror_ = false;
  return {};
}

Result<std::vector<Op>> LoadBalancer::Shutdown() {
  if (options_.shutdown == ShutdownFlush::kAll && !options_.keep_on_shutdown) {
    auto flushed = backend_->Flush();  // counted in the backend's writes
    if (flushed) {
      kernel_ = State{};
      owned_ = State{};
      return std::vector<Op>{};
    }
    if (flushed.error().code() != ErrorCode::kUnsupported) {
      synced_ = false;
      return std::unexpected(flushed.error());
    }
  }
  if (auto r = Sync(); !r) return std::unexpected(r.error());
  std::vector<Op> ops = ReconcileAtShutdown(owned_, kernel_, options_.keep_on_shutdown,
                                            options_.shutdown == ShutdownFlush::kServices);
  State remaining;
  for (const auto& [key, entry] : kernel_.services) {
    if (options_.keep_on_shutdown || !owned_.services.contains(key)) {
      remaining.services.emplace(key, entry);
    }
  }
  if (auto r = BackendApply(ops, remaining, kernel_); !r) {
    synced_ = false;
    return std::unexpected(r.error());
  }
  kernel_ = std::move(remaining);
  if (!options_.keep_on_shutdown) owned_ = State{};
  return ops;
}

Result<std::vector<std::string>> LoadBalancer::Audit() {
  if (!synced_ || !started_) return std::vector<std::string>{};
  return backend_->Audit(owned_);
}

std::optional<LoadBalancer::AuditTicket> LoadBalancer::BeginAudit() {
  if (!synced_ || !started_) return std::nullopt;
  return AuditTicket{backend_->MakeAuditJob(owned_), generation()};
}

std::optional<std::vector<std::string>> LoadBalancer::FinishAudit(
    uint64_t generation, std::vector<std::string> findings) const {
  if (generation != this->generation()) return std::nullopt;
  return findings;
}

Result<void> LoadBalancer::BackendApply(const std::vector<Op>& ops, const State& desired,
                                        const State& actual) {
  ++generation_;
  return backend_->Apply(ops, desired, actual);
}

void LoadBalancer::BackendReset() {
  ++generation_;
  backend_->Reset();
}

Result<void> LoadBalancer::Restore(const std::string& reason) {
  BackendReset();
  synced_ = false;
  State owned = owned_;
  auto r = Apply(owned);
  if (!r) return std::unexpected(r.error());
  ++restorations_[reason];
  return {};
}

}  // namespace vigil::lb
