// InterfaceTable: the kernel's interfaces as vigil knows them, keyed by name. Configuration
// names interfaces, the kernel numbers them, and a number does not survive an interface
// being deleted and created again (a VLAN re-made, a veth re-plugged): whoever follows an
// interface asks the table by name and reacts to the changes it reports. Pure: it is fed
// link notifications and dumps and returns what changed for each name.
#ifndef VIGIL_NET_INTERFACE_TABLE_H_
#define VIGIL_NET_INTERFACE_TABLE_H_

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "net/link_monitor.h"
#include "net/rtnetlink.h"

namespace vigil::net {

// What happened to one interface name. `old_ifindex` / `ifindex` are 0 when the name had
// no interface before / has none now; `usable` is "exists, IFF_UP and IFF_RUNNING".
struct InterfaceChange {
  std::string name;
  int old_ifindex = 0;
  int ifindex = 0;
  bool was_usable = false;
  bool usable = false;

  bool appeared() const { return old_ifindex == 0 && ifindex != 0; }
  bool disappeared() const { return old_ifindex != 0 && ifindex == 0; }
  // A different interface now carries the name (or it appeared): sockets bound to the old
  // one must be opened again.
  bool rebound() const { return ifindex != 0 && ifindex != old_ifindex; }
  friend bool operator==(const InterfaceChange&, const InterfaceChange&) = default;
};

class InterfaceTable {
 public:
  // Replaces everything with a full dump (start, or after a notification overrun) and
  // returns the changes, one per name whose interface or usability differs, by name.
  std::vector<InterfaceChange> Replace(const std::vector<LinkInfo>& links);
  // Applies one RTM_NEWLINK / RTM_DELLINK notification; returns the change it makes to
  // its name's interface or usability, if any. A rename reports the old name gone and the
  // new one appeared (the second as the returned change, the first through `also`).
  std::optional<InterfaceChange> Apply(const LinkChanged& event,
                                       std::vector<InterfaceChange>* also = nullptr);
  // Records an interface vigil created itself (a VMAC), as the kernel reported it.
  void Put(const LinkInfo& link);
  // Forgets interface `ifindex` (vigil deleted it).
  void Remove(int ifindex);

  const LinkInfo* Find(const std::string& name) const;
  const LinkInfo* FindIndex(int ifindex) const;
  // 0 if no interface has the name.
  int IndexOf(const std::string& name) const;
  // Exists, IFF_UP and IFF_RUNNING.
  bool Usable(const std::string& name) const;

 private:
  static bool UsableLink(const LinkInfo* l) { return l && l->up() && l->running(); }
  std::map<std::string, LinkInfo> by_name_;
};

}  // namespace vigil::net

#endif  // VIGIL_NET_INTERFACE_TABLE_H_
