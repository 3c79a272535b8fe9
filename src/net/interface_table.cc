#include "net/interface_table.h"

#include <net/if.h>

#include <set>

namespace vigil::net {

std::vector<InterfaceChange> InterfaceTable::Replace(const std::vector<LinkInfo>& links) {
  std::map<std::string, LinkInfo> next;
  for (const auto& l : links) next[l.name] = l;
  std::set<std::string> names;
  for (const auto& [name, l] : by_name_) names.insert(name);
  for (const auto& [name, l] : next) names.insert(name);
  std::vector<InterfaceChange> out;
  for (const auto& name : names) {
    auto before = by_name_.find(name);
    auto after = next.find(name);
    const LinkInfo* b = before == by_name_.end() ? nullptr : &before->second;
    const LinkInfo* a = after == next.end() ? nullptr : &after->second;
    InterfaceChange c{name, b ? b->ifindex : 0, a ? a->ifindex : 0, UsableLink(b), UsableLink(a)};
    if (c.old_ifindex != c.ifindex || c.was_usable != c.usable) out.push_back(c);
  }
  by_name_ = std::move(next);
  return out;
}

std::optional<InterfaceChange> InterfaceTable::Apply(const LinkChanged& event,
                                                     std::vector<InterfaceChange>* also) {
  // A rename: the interface leaves its old name.
  if (const LinkInfo* old = FindIndex(event.ifindex); old && old->name != event.name) {
    InterfaceChange gone{old->name, old->ifindex, 0, UsableLink(old), false};
    by_name_.erase(old->name);
    if (also) also->push_back(gone);
  }
  auto it = by_name_.find(event.name);
  const LinkInfo* before = it == by_name_.end() ? nullptr : &it->second;
  InterfaceChange c{event.name, before ? before->ifindex : 0, 0, UsableLink(before), false};
  if (event.removed) {
    // A late RTM_DELLINK of an interface whose name has been taken again is not ours.
    if (before && before->ifindex != event.ifindex) return std::nullopt;
    if (before) by_name_.erase(it);
  } else {
    LinkInfo& l = by_name_[event.name];
    if (l.ifindex != event.ifindex) l = LinkInfo{};
    l.ifindex = event.ifindex;
    l.name = event.name;
    l.flags = (event.flags & ~uint32_t{IFF_UP | IFF_RUNNING}) | (event.up ? IFF_UP : 0) |
              (event.running ? IFF_RUNNING : 0);
    l.master_ifindex = event.master_ifindex;
    c.ifindex = l.ifindex;
    c.usable = UsableLink(&l);
  }
  if (c.old_ifindex == c.ifindex && c.was_usable == c.usable) return std::nullopt;
  return c;
}

void InterfaceTable::Put(const LinkInfo& link) { by_name_[link.name] = link; }

void InterfaceTable::Remove(int ifindex) {
  if (const LinkInfo* l = FindIndex(ifindex)) by_name_.erase(l->name);
}

const LinkInfo* InterfaceTable::Find(const std::string& name) const {
  auto it = by_name_.find(name);
  return it == by_name_.end() ? nullptr : &it->second;
}

const LinkInfo* InterfaceTable::FindIndex(int ifindex) const {
  for (const auto& [name, l] : by_name_)
    if (l.ifindex == ifindex) return &l;
  return nullptr;
}

int InterfaceTable::IndexOf(const std::string& name) const {
  const LinkInfo* l = Find(name);
  return l ? l->ifindex : 0;
}

bool InterfaceTable::Usable(const std::string& name) const { return UsableLink(Find(name)); }

}  // namespace vigil::net
