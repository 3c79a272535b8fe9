// Probe sharing: identical probes (same target, type, parameters and timing) configured in
// several virtual servers run once and feed every checker that asked for them.
#ifndef VIGIL_CHECK_PROBE_REGISTRY_H_
#define VIGIL_CHECK_PROBE_REGISTRY_H_

#include <cstddef>
#include <map>
#include <string>
#include <vector>

#include "check/types.h"
#include "check/virtual_server.h"

namespace vigil::check {

// Returns a canonical key for (spec, timing): two probes have the same key exactly when they
// would send the same traffic on the same schedule. Every field is length-prefixed, so no two
// different specs can collide.
std::string ProbeKey(const ProbeSpec& spec, const CheckTiming& timing);

// One checker that consumes a shared probe's results.
struct Subscriber {
  size_t virtual_server;
  CheckerId checker;
  bool operator==(const Subscriber&) const = default;
};

// The set of distinct probes and who listens to each. Not thread-safe.
class ProbeRegistry {
 public:
  struct Entry {
    std::string key;
    ProbeSpec spec;
    CheckTiming timing;
    std::vector<Subscriber> subscribers;
  };

  // Adds `subscriber` to the probe for (spec, timing), creating the probe if it is new.
  // Returns the probe's index (stable for the registry's lifetime).
  size_t Add(const ProbeSpec& spec, const CheckTiming& timing, Subscriber subscriber);

  size_t size() const { return entries_.size(); }
  const Entry& entry(size_t index) const { return entries_[index]; }
  const std::vector<Entry>& entries() const { return entries_; }

 private:
  std::vector<Entry> entries_;
  std::map<std::string, size_t> by_key_;
};

}  // namespace vigil::check

#endif  // VIGIL_CHECK_PROBE_REGISTRY_H_
