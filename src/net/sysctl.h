// Kernel sysctls under /proc/sys: reading, writing and restoring the IPv4 devconf values
// VRRP needs (arp_ignore, arp_filter, accept_local, rp_filter).
#ifndef VIGIL_NET_SYSCTL_H_
#define VIGIL_NET_SYSCTL_H_

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/error.h"

namespace vigil::net {

// Returns the sysctl key "net/ipv4/conf/<ifname>/<setting>" (relative to /proc/sys).
std::string Ipv4ConfKey(std::string_view ifname, std::string_view setting);

// Reads and writes sysctls as files below a root directory ("/proc/sys" in production, a
// temporary directory in tests). Stateless apart from the root.
class Sysctl {
 public:
  explicit Sysctl(std::string root = "/proc/sys") : root_(std::move(root)) {}

  // Returns the value of `key` with the trailing newline removed.
  Result<std::string> Read(std::string_view key) const;
  // Writes `value` to `key`.
  Result<void> Write(std::string_view key, std::string_view value) const;

 private:
  std::string root_;
};

// Sets sysctls and remembers each one's first-seen previous value so that Restore() puts
// them all back (in reverse order). The destructor does not restore: callers decide (a daemon
// restores on clean shutdown). Holds a reference to `sysctl`, which must outlive it.
class SysctlRestorer {
 public:
  explicit SysctlRestorer(const Sysctl& sysctl) : sysctl_(sysctl) {}

  // Writes `value` to `key` unless it already holds it, remembering the old value the first
  // time `key` is touched.
  Result<void> Set(std::string_view key, std::string_view value);
  // Puts back every remembered value; returns the first error but attempts all of them.
  Result<void> Restore();
  // Returns the remembered (key, original value) pairs in the order first touched.
  const std::vector<std::pair<std::string, std::string>>& saved() const { return saved_; }

 private:
  const Sysctl& sysctl_;
  std::vector<std::pair<std::string, std::string>> saved_;
};

// Applies keepalived's devconf for a VMAC interface: arp_ignore=1, accept_local=1,
// rp_filter=0, promote_secondaries=1.
Result<void> ConfigureVmacInterface(SysctlRestorer& restorer, std::string_view ifname);
// Applies keepalived's devconf for the parent of a VMAC: arp_ignore=1, arp_filter=1.
Result<void> ConfigureVmacParent(SysctlRestorer& restorer, std::string_view ifname);

}  // namespace vigil::net

#endif  // VIGIL_NET_SYSCTL_H_
