// VRRP side: vrrp_script, track_file, vrrp_track_process, bfd_instance, vrrp_instance,
// vrrp_sync_group, static_*, garp_group; and the cross-checks between them.
#include <algorithm>
#include <array>
#include <cctype>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>

#include "config/build.h"
#include "config/values.h"

namespace vigil::config::build_internal {

namespace {

using model::Duration;
using model::Family;
using std::chrono::seconds;

std::string FamilyText(Family f) { return f == Family::kIpv6 ? "IPv6" : "IPv4"; }

// Returns the single name of a named block (`vrrp_instance NAME {`), or nullopt after
// an error.
std::optional<std::string> BlockName(const Node& n, Diagnostics& diags) {
  if (n.args.size() != 1) {
    diags.Error(n.keyword.loc, n.name() + ": needs exactly one name; block ignored");
    return std::nullopt;
  }
  return n.args[0].text;
}

// Returns the name of a named block that must not repeat one of `items` (vrrp_script,
// vrrp_instance, ...), or nullopt after an error ("... is already defined").
template <typename T>
std::optional<std::string> NewBlockName(const Node& n, const std::vector<T>& items,
                                        Diagnostics& diags) {
  auto name = BlockName(n, diags);
  if (!name) return std::nullopt;
  for (const T& item : items)
    if (item.name == *name) {
      diags.Error(n.args[0].loc, n.name() + " '" + *name + "' is already defined; this one is ignored");
      return std::nullopt;
    }
  return name;
}

// Parses `NAME [weight W [reverse]]` (a tracked-object line); `max_weight` bounds |W|.
// With `noreverse_ok` (track_bfd), `noreverse` is read too.
std::optional<model::TrackedRef> ParseTrackedRef(const Node& line, int max_weight,
                                                 Diagnostics& diags, bool noreverse_ok = false) {
  model::TrackedRef r;
  r.name = line.name();
  r.loc = RefOf(line);
  for (size_t i = 0; i < line.args.size(); ++i) {
    const Token& a = line.args[i];
    if (a.text == "weight") {
      const Token* v = Arg(line, i + 1);
      if (!v) {
        diags.Error(a.loc, "weight: missing value");
        return std::nullopt;
      }
      auto w = ParseInteger(*v, "weight", -max_weight, max_weight, diags);
      if (!w) return std::nullopt;
      r.weight = static_cast<int>(*w);
      ++i;
    } else if (a.text == "reverse") {
      r.reverse = true;
      r.noreverse = false;
    } else if (noreverse_ok && a.text == "noreverse") {
      r.noreverse = true;
      r.reverse = false;
    } else {
      diags.Error(a.loc, "'" + a.text + "' is not a valid option for " + r.name + "; ignored");
    }
  }
  return r;
}

void ParseTrackInterfaces(const Node& block, std::vector<model::TrackedInterface>& out,
                          Diagnostics& diags) {
  for (const Node& line : block.children) {
    auto r = ParseTrackedRef(line, 253, diags);
    if (!r) continue;
    out.push_back({r->name, r->weight.value_or(0), r->reverse, r->loc});
  }
}

void ParseTrackRefs(const Node& block, int max_weight, std::vector<model::TrackedRef>& out,
                    Diagnostics& diags, bool noreverse_ok = false) {
  for (const Node& line : block.children)
    if (auto r = ParseTrackedRef(line, max_weight, diags, noreverse_ok)) out.push_back(std::move(*r));
}

// track_bfd: as the other references, with `noreverse`; a bfd_instance named twice is
// tracked once (keepalived: "duplicate track_bfd").
void ParseTrackBfd(const Node& block, std::vector<model::TrackedRef>& out, Diagnostics& diags) {
  for (const Node& line : block.children) {
    auto r = ParseTrackedRef(line, 253, diags, true);
    if (!r) continue;
    if (std::any_of(out.begin(), out.end(), [&](const auto& o) { return o.name == r->name; })) {
      diags.Error(line.keyword.loc, "track_bfd: '" + r->name + "' is already tracked; ignored");
      continue;
    }
    out.push_back(std::move(*r));
  }
}

// Returns true if `n` is one of the notify keywords; sets the script.
bool ParseNotify(const Node& n, model::VrrpNotify& notify, bool instance, Diagnostics& diags) {
  const std::string& kw = n.name();
  model::HeapOptional<model::Script>* slot = nullptr;
  if (kw == "notify_master") slot = &notify.master;
  else if (kw == "notify_backup") slot = &notify.backup;
  else if (kw == "notify_fault") slot = &notify.fault;
  else if (kw == "notify_stop") slot = &notify.stop;
  else if (kw == "notify") slot = &notify.generic;
  else if (instance && kw == "notify_deleted") slot = &notify.deleted;
  else if (instance && kw == "notify_master_rx_lower_pri") slot = &notify.master_rx_lower_pri;
  if (!slot) return false;
  if (*slot) {
    diags.Error(n.keyword.loc, kw + " is already set; this one is ignored");
    return true;
  }
  *slot = ParseNotifyScript(n, diags);
  return true;
}

template <typename T>
bool SetUint(const Node& n, T& out, int64_t min, int64_t max, Diagnostics& diags) {
  const Token* t = RequireArg(n, 0, diags);
  if (!t) return false;
  auto v = ParseInteger(*t, n.name(), min, max, diags);
  if (!v) return false;
  out = static_cast<T>(*v);
  return true;
}

}  // namespace

// ---------------------------------------------------------------------------------

namespace {

bool HasNamedGroup(const std::vector<model::StaticTrackGroup>& groups, const std::string& name) {
  return std::any_of(groups.begin(), groups.end(),
                     [&](const model::StaticTrackGroup& g) { return g.name == name; });
}

// Sets `r.family` from its first address (or `inet6`).
void SetFamily(model::RouteOrRule& r) {
  for (const std::string& w : r.words) {
    if (w == "inet6") {
      r.family = Family::kIpv6;
      break;
    }
    if (auto p = model::IpPrefix::Parse(w)) {
      r.family = p->family();
      break;
    }
  }
}

// Reads the value of a static item's `track_group` option at `name`: the group must be
// defined above the line (keepalived looks it up while reading the line), and named once.
void SetTrackGroup(const Token& name, const std::vector<model::StaticTrackGroup>& groups,
                   std::optional<std::string>& out, Diagnostics& diags) {
  if (out) {
    diags.Error(name.loc, "track_group is given twice; '" + name.text + "' ignored");
    return;
  }
  if (!HasNamedGroup(groups, name.text)) {
    diags.Error(name.loc, "track_group '" + name.text + "' is not defined (a track_group "
                          "block must come before the line naming it); ignored");
    return;
  }
  out = name.text;
}


// The name of the VMAC or ipvlan an earlier instance uses (by name), or nullptr.
const model::VrrpInstance* VirtualLinkUser(const model::Config& cfg, const std::string& name) {
  for (const auto& o : cfg.vrrp_instances) {
    if ((o.use_vmac && *o.use_vmac == name) || (o.use_ipvlan && o.use_ipvlan->name == name))
      return &o;
  }
  return nullptr;
}

// Whether `name` may name the VMAC or ipvlan of `what` ("use_vmac", "use_ipvlan"): not
// when one is `given` already, too long, or another instance's (each an error).
bool TakeLinkName(const Token& name, const std::string& what, bool given,
                  const model::Config& cfg, Diagnostics& diags) {
  if (given) {
    diags.Error(name.loc, what + ": the interface name is already given; '" + name.text +
                              "' ignored");
    return false;
  }
  if (name.text.size() >= 16) {
    diags.Error(name.loc, what + ": '" + name.text + "' is too long for an interface name; ignored");
    return false;
  }
  if (const model::VrrpInstance* o = VirtualLinkUser(cfg, name.text)) {
    diags.Error(name.loc, what + ": vrrp_instance " + o->name + " already uses " + name.text +
                              "; name ignored");
    return false;
  }
  return true;
}

// Reads `group GROUP` at `i` (the word "group") for `what` into the instance.
void TakeVmacGroup(const Node& c, size_t& i, const std::string& what, model::VrrpInstance& v,
                   Diagnostics& diags) {
  if (i + 1 >= c.args.size()) {
    diags.Error(c.args[i].loc, what + ": group without a value; ignored");
    return;
  }
  v.vmac_group = c.args[++i].text;
}

// use_ipvlan [bridge|private|vepa] [ADDRESS[/LEN]] [[name] NAME], in any order, as
// keepalived reads it: the first of each kind counts, a repeat is an error and ignored; a
// word that is neither a mode nor an address is the name. `take_family` checks the
// address against (or sets) the instance's family.
template <typename TakeFamily>
void ParseUseIpvlan(const Node& c, const model::Config& cfg, const std::string& who,
                    model::VrrpInstance& v, TakeFamily& take_family, Diagnostics& diags) {
  if (v.use_ipvlan) {
    diags.Error(c.keyword.loc, "use_ipvlan: already given for " + who + "; ignored");
    return;
  }
  model::UseIpvlan ipv;
  bool mode_set = false;
  for (size_t i = 0; i < c.args.size(); ++i) {
    const Token& t = c.args[i];
    if (t.text == "bridge" || t.text == "private" || t.text == "vepa") {
      if (mode_set) {
        diags.Error(t.loc, "use_ipvlan: the mode is already given; '" + t.text + "' ignored");
        continue;
      }
      ipv.mode = t.text == "bridge"    ? model::IpvlanMode::kBridge
                 : t.text == "private" ? model::IpvlanMode::kPrivate
                                       : model::IpvlanMode::kVepa;
      mode_set = true;
      continue;
    }
    if (t.text == "group") {
      TakeVmacGroup(c, i, "use_ipvlan", v, diags);
      continue;
    }
    const Token* name = &t;
    if (t.text == "name") {
      if (++i >= c.args.size()) {
        diags.Error(t.loc, "use_ipvlan: name without a value; ignored");
        break;
      }
      name = &c.args[i];
    } else if (auto a = model::IpPrefix::Parse(t.text)) {
      if (ipv.address) {
        diags.Error(t.loc, "use_ipvlan: the address is already given; '" + t.text + "' ignored");
        continue;
      }
      if (!take_family(a->family(), t, "use_ipvlan address")) continue;
      ipv.address = *a;
      continue;
    }
    if (TakeLinkName(*name, "use_ipvlan", !ipv.name.empty(), cfg, diags)) ipv.name = name->text;
  }
  v.use_ipvlan = std::move(ipv);
}

// use_vmac's MAC_ADDRESS as keepalived reads it: six octets of one or two hex digits
// separated by ':', or five (a trailing ':' allowed), the VRID then being the sixth.
std::optional<std::pair<std::array<uint8_t, 6>, bool>> ParseVmacMac(std::string_view text) {
  std::array<uint8_t, 6> mac{};
  size_t n = 0;
  size_t at = 0;
  while (at < text.size() && n < 6) {
    size_t end = text.find(':', at);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view octet = text.substr(at, end - at);
    if (octet.empty() || octet.size() > 2 ||
        octet.find_first_not_of("0123456789abcdefABCDEF") != std::string_view::npos)
      return std::nullopt;
    mac[n++] = static_cast<uint8_t>(std::stoul(std::string(octet), nullptr, 16));
    at = end + 1;
    if (end == text.size()) break;
  }
  const bool ended = at >= text.size();
  if (n == 6 && ended) return std::make_pair(mac, false);
  if (n == 5 && ended) return std::make_pair(mac, true);
  return std::nullopt;
}

// use_vmac [[name] NAME] [MAC_ADDRESS] [netlink_notify_msg] [group GROUP], in any order, as
// newer keepalived reads it (2.2.7 reads the name and the MAC): a word with ':' is the MAC,
// another the name; each once (a repeat is an error and ignored).
void ParseUseVmac(const Node& c, const model::Config& cfg, model::VrrpInstance& v,
                  Diagnostics& diags) {
  std::string name;
  for (size_t i = 0; i < c.args.size(); ++i) {
    const Token& t = c.args[i];
    if (t.text == "netlink_notify_msg") continue;  // vigil reads the parent's link itself
    if (t.text == "group") {
      TakeVmacGroup(c, i, "use_vmac", v, diags);
      continue;
    }
    if (t.text.find(':') != std::string::npos) {
      auto mac = ParseVmacMac(t.text);
      if (v.vmac_mac) {
        diags.Error(t.loc, "use_vmac: the MAC address is already given; '" + t.text + "' ignored");
      } else if (!mac) {
        diags.Error(t.loc, "use_vmac: '" + t.text + "' is not a MAC address; ignored");
      } else if (mac->first[0] & 0x01) {
        diags.Error(t.loc, "use_vmac: " + t.text + " is a multicast MAC address; ignored");
      } else if (mac->first[0] == 0 && mac->first[1] == 0 && mac->first[2] == 0x5e &&
                 mac->first[3] == 0 && (mac->first[4] == 1 || mac->first[4] == 2)) {
        diags.Error(t.loc, "use_vmac: " + t.text + " is an RFC 5798 virtual router MAC "
                           "address, which may not be given; ignored");
      } else {
        v.vmac_mac = mac->first;
        v.vmac_mac_vrid = mac->second;
      }
      continue;
    }
    const Token* word = &t;
    if (t.text == "name") {
      if (++i >= c.args.size()) {
        diags.Error(t.loc, "use_vmac: name without a value; ignored");
        break;
      }
      word = &c.args[i];
    }
    if (TakeLinkName(*word, "use_vmac", !name.empty(), cfg, diags)) name = word->text;
  }
  v.use_vmac = name;
}

// `use_vmac` on a VIP line, checked once the instance is read, as keepalived 2.2.7 checks it
// (vrrp_complete_instance): on the instance's interface in its family, a use_vmac instance
// puts the VIP on its own VMAC anyway; on another interface or in the other family,
// use_vmac_addr gives it a VMAC already. Both are errors and the flag is dropped; otherwise
// the VIP goes on a VMAC of its own (vrrp::SpecFromModel).
void FinishAddressVmacs(model::VrrpInstance& v, const std::string& who, Diagnostics& diags) {
  for (auto* list : {&v.virtual_ipaddress, &v.virtual_ipaddress_excluded})
    for (model::VirtualAddress& a : *list) {
      auto flag = std::ranges::find(a.other, "use_vmac");
      if (flag == a.other.end()) continue;
      const bool own = (!a.dev || a.dev == v.interface) && a.prefix.family() == v.family;
      std::string why;
      if (own && v.use_vmac)
        why = " and the instance both have use_vmac; it goes on the instance's VMAC";
      else if (!own && v.use_vmac_addr)
        why = ": use_vmac_addr puts it on a VMAC of its own already; use_vmac ignored";
      else
        continue;
      diags.Error(SourceLoc{a.loc.file, a.loc.line, a.loc.column},
                  who + ": " + (list == &v.virtual_ipaddress ? "" : "excluded ") + "VIP " +
                      a.prefix.ToString() + why);
      a.other.erase(flag);
    }
}

}  // namespace

std::optional<model::VirtualAddress> ParseVirtualAddress(
    const Node& line, Diagnostics& diags, const std::vector<model::StaticTrackGroup>* groups) {
  auto p = ParsePrefix(line.keyword, "address", diags);
  if (!p) return std::nullopt;
  model::VirtualAddress a;
  a.prefix = *p;
  a.loc = RefOf(line);
  // keepalived's words (2.2.7 and upstream): "-nodad" keeps DAD; "nodad", "valid_lft" and
  // "metric" are ip(8)'s, which keepalived refuses.
  static const std::set<std::string, std::less<>> kValued = {"peer", "preferred_lft"};
  static const std::set<std::string, std::less<>> kFlags = {
      "home", "-nodad", "noprefixroute", "autojoin", "use_vmac", "mngtmpaddr"};
  for (size_t i = 0; i < line.args.size(); ++i) {
    const Token& o = line.args[i];
    const Token* v = Arg(line, i + 1);
    if (o.text == "no_track") {
      a.no_track = true;
    } else if (groups && o.text == "track_group") {
      if (!v) {
        diags.Error(o.loc, o.text + ": missing value");
        break;
      }
      ++i;
      SetTrackGroup(*v, *groups, a.track_group, diags);
    } else if (kFlags.count(o.text) && !(groups && o.text == "use_vmac")) {
      // use_vmac (virtual addresses only, as keepalived): the address on a VMAC of its own,
      // kept among the verbatim options; the instance's end checks it (FinishAddressVmacs).
      a.other.push_back(o.text);
    } else if (o.text == "brd" || o.text == "broadcast" || o.text == "dev" ||
               o.text == "scope" || o.text == "label" || kValued.count(o.text)) {
      if (!v) {
        diags.Error(o.loc, o.text + ": missing value");
        break;
      }
      ++i;
      if (o.text == "brd" || o.text == "broadcast") {
        if (v->text == "+" || v->text == "-") {
          a.other.push_back("brd");
          a.other.push_back(v->text);
        } else if (auto b = ParseAddress(*v, "brd", diags)) {
          a.broadcast = *b;
        }
      } else if (o.text == "dev") {
        a.dev = v->text;
      } else if (o.text == "scope") {
        a.scope = v->text;
      } else if (o.text == "label") {
        a.label = v->text;
      } else {
        if (o.text == "peer" && !ParseAddress(*v, "peer", diags)) continue;
        if (o.text == "preferred_lft" && v->text != "forever" &&
            !ParseInteger(*v, "preferred_lft", 0, UINT32_MAX, diags))
          continue;
        a.other.push_back(o.text);
        a.other.push_back(v->text);
      }
    } else {
      diags.Error(o.loc, "'" + o.text + "' is not a valid option for address " +
                             line.name() + "; ignored");
    }
  }
  return a;
}

model::RouteOrRule ParseRouteOrRule(const Node& line) {
  model::RouteOrRule r;
  r.loc = RefOf(line);
  r.words.push_back(line.name());
  for (const Token& t : line.args) r.words.push_back(t.text);
  SetFamily(r);
  return r;
}

model::RouteOrRule ParseStaticRouteOrRule(const Node& line, bool rule,
                                          const std::vector<model::StaticTrackGroup>& groups,
                                          Diagnostics& diags) {
  model::RouteOrRule r;
  r.loc = RefOf(line);
  r.words.push_back(line.name());
  bool has_dev = false;
  const SourceLoc* group_at = nullptr;
  for (size_t i = 0; i < line.args.size(); ++i) {
    const Token& t = line.args[i];
    const Token* v = Arg(line, i + 1);
    if (t.text == "track_group") {
      if (!v) {
        diags.Error(t.loc, "track_group: missing value");
        break;
      }
      ++i;
      SetTrackGroup(*v, groups, r.track_group, diags);
      if (r.track_group && !group_at) group_at = &t.loc;
      continue;
    }
    if (v && (t.text == "dev" || t.text == (rule ? "iif" : "oif"))) has_dev = true;
    r.words.push_back(t.text);
  }
  // keepalived tracks a route's output interface and a rule's input interface.
  if (r.track_group && !has_dev) {
    diags.Error(*group_at, std::string(rule ? "static rule" : "static route") +
                               ": track_group needs the interface the " +
                               (rule ? "rule's iif (dev)" : "route's dev") + " names; ignored");
    r.track_group.reset();
  }
  SetFamily(r);
  return r;
}

// ---------------------------------------------------------------------------------

void BuildVrrpScript(const Node& n, model::Config& cfg, Diagnostics& diags) {
  auto name = NewBlockName(n, cfg.vrrp_scripts, diags);
  if (!name) return;
  model::VrrpScript s;
  s.name = *name;
  s.loc = ToRef(n.args[0].loc);
  std::optional<Duration> timeout;
  for (const Node& c : n.children) {
    const std::string& kw = c.name();
    if (kw == "script") {
      if (auto sc = ParseCommandScript(c, diags)) {
        s.command = sc->command;
        s.command_loc = sc->loc;
      }
    } else if (kw == "interval" || kw == "timeout") {
      const Token* t = RequireArg(c, 0, diags);
      if (!t) continue;
      auto v = ParseInteger(*t, kw, 0, UINT32_MAX / 1000000, diags);
      if (!v) continue;
      if (*v == 0) {
        diags.Error(t->loc, kw + " must be at least 1 second; using 1");
        *v = 1;
      }
      (kw == "interval" ? s.interval : timeout.emplace()) = seconds(*v);
    } else if (kw == "weight") {
      const Token* t = RequireArg(c, 0, diags);
      if (!t) continue;
      if (auto v = ParseInteger(*t, kw, -253, 253, diags)) s.weight = static_cast<int>(*v);
      if (const Token* r = Arg(c, 1)) {
        if (r->text == "reverse") s.weight_reverse = true;
        else diags.Error(r->loc, "weight: '" + r->text + "' is not a valid option; ignored");
      }
    } else if (kw == "rise" || kw == "fall") {
      const Token* t = RequireArg(c, 0, diags);
      if (!t) continue;
      auto v = ParseInteger(*t, kw, 1, INT32_MAX, diags);
      (kw == "rise" ? s.rise : s.fall) = v ? static_cast<uint32_t>(*v) : 1;
    } else if (kw == "user") {
      if (const Token* t = RequireArg(c, 0, diags)) s.user = t->text;
      if (const Token* g = Arg(c, 1)) s.group = g->text;
    } else if (kw == "init_fail") {
      s.init_fail = true;
    }
  }
  s.timeout = timeout.value_or(s.interval);
  if (s.command.empty()) {
    diags.Error(n.args[0].loc, "vrrp_script '" + s.name + "' has no script; ignored");
    return;
  }
  cfg.vrrp_scripts.push_back(std::move(s));
}

void BuildTrackFile(const Node& n, model::Config& cfg, Diagnostics& diags) {
  auto name = NewBlockName(n, cfg.track_files, diags);
  if (!name) return;
  model::TrackFile f;
  f.name = *name;
  f.loc = ToRef(n.args[0].loc);
  for (const Node& c : n.children) {
    const std::string& kw = c.name();
    if (kw == "file") {
      if (const Token* t = RequireArg(c, 0, diags)) f.path = t->text;
    } else if (kw == "weight") {
      const Token* t = RequireArg(c, 0, diags);
      if (!t) continue;
      if (auto v = ParseInteger(*t, kw, -254, 254, diags)) f.weight = static_cast<int>(*v);
      if (const Token* r = Arg(c, 1)) {
        if (r->text == "reverse") f.weight_reverse = true;
        else diags.Error(r->loc, "weight: '" + r->text + "' is not a valid option; ignored");
      }
    } else if (kw == "init_file") {
      // As keepalived 2.2.7's init_file: each line starts again (no value: 0, no
      // overwrite). A word that starts with a digit or '-' is the value: one outside
      // -254..254 is reported and still written, one that is not an int reported and 0
      // written; any other word but overwrite is reported and ignored. All warnings
      // (keepalived runs and reloads with them) that make -t exit 5.
      f.init_file = true;
      f.init_overwrite = false;
      f.init_value.reset();
      for (const Token& a : c.args) {
        if (a.text == "overwrite") {
          f.init_overwrite = true;
        } else if (a.text.empty() || (!std::isdigit(static_cast<unsigned char>(a.text[0])) &&
                                      a.text[0] != '-')) {
          diags.Warning(a.loc, "init_file: unknown option '" + a.text + "'; ignored",
                        Grade::kError);
        } else {
          f.init_value =
              ParseInteger(a, "init_file", INT32_MIN, INT32_MAX, diags, Severity::kWarning);
          if (f.init_value && (*f.init_value < -254 || *f.init_value > 254))
            diags.Warning(a.loc,
                          "init_file " + a.text +
                              " is outside the sensible range -254..254; written as it is",
                          Grade::kError);
        }
      }
    }
  }
  if (f.path.empty()) {
    diags.Error(n.args[0].loc, n.name() + " '" + f.name + "' has no file; ignored");
    return;
  }
  cfg.track_files.push_back(std::move(f));
}

void BuildTrackProcess(const Node& n, model::Config& cfg, Diagnostics& diags) {
  auto name = BlockName(n, diags);
  if (!name) return;
  model::TrackProcess p;
  p.name = *name;
  p.loc = ToRef(n.args[0].loc);
  for (const Node& c : n.children) {
    const std::string& kw = c.name();
    if (kw == "process") {
      const Token* t = RequireArg(c, 0, diags);
      if (!t) continue;
      p.process = t->text;
      p.parameters = ArgTexts(c, 1);
    } else if (kw == "param_match") {
      const Token* t = RequireArg(c, 0, diags);
      if (!t) continue;
      if (t->text == "partial") p.param_match = model::ParamMatch::kPartial;
      else if (t->text == "initial") p.param_match = model::ParamMatch::kInitial;
      else diags.Error(t->loc, "param_match: '" + t->text + "' is not a valid match (partial or initial)");
    } else if (kw == "weight") {
      const Token* t = RequireArg(c, 0, diags);
      if (!t) continue;
      if (auto v = ParseInteger(*t, kw, -254, 254, diags)) p.weight = static_cast<int>(*v);
      if (const Token* r = Arg(c, 1); r && r->text == "reverse") p.weight_reverse = true;
    } else if (kw == "quorum") {
      SetUint(c, p.quorum, 1, 65535, diags);
    } else if (kw == "quorum_max") {
      uint32_t v = 0;
      if (SetUint(c, v, 0, 65535, diags)) p.quorum_max = v;
    } else if (kw == "delay" || kw == "fork_delay" || kw == "terminate_delay") {
      const Token* t = RequireArg(c, 0, diags);
      if (!t) continue;
      auto v = ParseTimer(*t, kw, Duration(0), seconds(3600), diags);
      if (!v) continue;
      if (kw != "terminate_delay") p.fork_delay = *v;
      if (kw != "fork_delay") p.terminate_delay = *v;
    } else if (kw == "full_command") {
      if (auto b = NodeBool(c, diags)) p.full_command = *b;
    }
  }
  if (p.process.empty()) {
    diags.Error(n.args[0].loc, "vrrp_track_process '" + p.name + "' has no process; ignored");
    return;
  }
  if (p.quorum_max && *p.quorum_max < p.quorum) {
    diags.Error(n.args[0].loc, "vrrp_track_process '" + p.name + "': quorum_max is below quorum; ignored");
    p.quorum_max.reset();
  }
  cfg.track_processes.push_back(std::move(p));
}

// keepalived's limits for a BFD interval in milliseconds (bfd.h): min_rx and min_tx from
// 1 ms, idle_tx from 1 s, all up to UINT32_MAX / 1000 ms; microsecond resolution.
constexpr int64_t kBfdIntervalMaxMs = 4294967;
constexpr size_t kBfdNameMax = 31;  // BFD_INAME_MAX less the terminator

// Parses a BFD interval: decimal milliseconds with at most 3 fractional digits.
std::optional<model::Duration> ParseBfdInterval(const Token& t, const std::string& kw,
                                                int64_t min_ms, Diagnostics& diags) {
  const std::string& s = t.text;
  size_t dot = s.find('.');
  std::optional<model::Duration> v;
  if (dot == std::string::npos || s.size() - dot - 1 <= 3) v = ParseSecondsText(s);
  if (!v) {
    diags.Error(t.loc, kw + ": '" + s + "' is not a valid time in milliseconds (at most 3 decimals)");
    return std::nullopt;
  }
  // ParseSecondsText read the number as seconds: the same digits in milliseconds.
  model::Duration us = std::chrono::duration_cast<model::Duration>(*v / 1000);
  if (us < std::chrono::milliseconds(min_ms) || us > std::chrono::milliseconds(kBfdIntervalMaxMs)) {
    diags.Error(t.loc, kw + " " + s + " is out of range " + std::to_string(min_ms) + ".." +
                           std::to_string(kBfdIntervalMaxMs) + " ms");
    return std::nullopt;
  }
  return us;
}

void BuildBfdInstance(const Node& n, model::Config& cfg, Diagnostics& diags) {
  auto name = BlockName(n, diags);
  if (!name) return;
  const std::string what = "bfd_instance '" + *name + "'";
  if (name->size() > kBfdNameMax) {
    diags.Error(n.args[0].loc, what + ": the name is longer than " + std::to_string(kBfdNameMax) +
                                   " characters; ignored");
    return;
  }
  if (std::any_of(cfg.bfd_instances.begin(), cfg.bfd_instances.end(),
                  [&](const model::BfdInstance& o) { return o.name == *name; })) {
    diags.Error(n.args[0].loc, what + " is already defined; this one is ignored");
    return;
  }
  model::BfdInstance b;
  b.name = *name;
  b.loc = ToRef(n.args[0].loc);
  bool have_neighbor = false;
  std::optional<uint32_t> ttl;
  bool only_vrrp = false;
  bool only_checker = false;
  std::string max_hops_text;  // as configured (-1 is kept as 255)
  for (const Node& c : n.children) {
    const std::string& kw = c.name();
    const Token* t = nullptr;
    if (kw == "neighbor_ip" || kw == "neighbour_ip") {
      if (!(t = RequireArg(c, 0, diags))) continue;
      auto a = ParseAddress(*t, kw, diags);
      if (!a) {
        diags.Error(n.args[0].loc, what + ": no valid " + kw + "; ignored");
        return;  // keepalived drops the instance at once
      }
      b.neighbor_ip = *a;
      have_neighbor = true;
    } else if (kw == "source_ip") {
      if ((t = RequireArg(c, 0, diags)))
        if (auto a = ParseAddress(*t, kw, diags)) b.source_ip = *a;
    } else if (kw == "min_rx" || kw == "min_tx" || kw == "idle_tx") {
      if (!(t = RequireArg(c, 0, diags))) continue;
      auto v = ParseBfdInterval(*t, kw, kw == "idle_tx" ? 1000 : 1, diags);
      if (v) (kw == "min_rx" ? b.min_rx : kw == "min_tx" ? b.min_tx : b.idle_tx) = *v;
    } else if (kw == "multiplier") {
      SetUint(c, b.multiplier, 1, 255, diags);
    } else if (kw == "passive") {
      b.passive = true;
    } else if (kw == "ttl" || kw == "hoplimit") {
      uint32_t v = 0;
      if (SetUint(c, v, 1, 255, diags)) ttl = v;
    } else if (kw == "max_hops") {
      // keepalived takes -1 as 255 (its unsigned byte): no TTL check at all.
      int v = 0;
      if (SetUint(c, v, -1, 255, diags)) {
        b.max_hops = v < 0 ? 255 : static_cast<uint32_t>(v);
        max_hops_text = std::to_string(v);
      }
    } else if (kw == "multihop") {
      if (auto v = NodeBool(c, diags)) b.multihop = *v;
    } else if (kw == "weight") {
      if (!SetUint(c, b.weight, -253, 253, diags)) continue;
      if (const Token* r = Arg(c, 1)) {
        if (r->text == "reverse") b.weight_reverse = true;
        else diags.Error(r->loc, "weight: '" + r->text + "' is not a valid option (reverse); ignored");
      }
    } else if (kw == "vrrp") {
      only_vrrp = true;
    } else if (kw == "checker") {
      only_checker = true;
    }
  }
  if (!have_neighbor) {
    diags.Error(n.args[0].loc, what + " has no neighbor_ip; ignored");
    return;
  }
  if (b.source_ip && b.source_ip->family() != b.neighbor_ip.family()) {
    diags.Error(n.args[0].loc, what + ": source_ip " + b.source_ip->ToString() + " and neighbor_ip " +
                                   b.neighbor_ip.ToString() + " are not of the same family; ignored");
    return;
  }
  for (const auto& o : cfg.bfd_instances) {
    if (o.neighbor_ip != b.neighbor_ip || o.multihop != b.multihop) continue;
    // keepalived: a session is its neighbour and source; no source matches any.
    if (o.source_ip && b.source_ip && *o.source_ip != *b.source_ip) continue;
    diags.Error(n.args[0].loc, what + ": neighbor_ip " + b.neighbor_ip.ToString() +
                                   (b.source_ip ? " from " + b.source_ip->ToString() : "") +
                                   " is already bfd_instance '" + o.name + "''s; ignored");
    return;
  }
  b.ttl = ttl.value_or(b.neighbor_ip.family() == model::Family::kIpv4 ? 255 : 64);
  if (b.max_hops > b.ttl) {
    diags.Warning(n.args[0].loc, what + ": max_hops " + max_hops_text +
                                     " exceeds ttl/hoplimit " + std::to_string(b.ttl) +
                                     "; set to " + std::to_string(b.ttl));
    b.max_hops = b.ttl;
  }
  // Events go to both engines unless `vrrp` or `checker` names one.
  if (only_vrrp || only_checker) {
    b.vrrp = only_vrrp;
    b.checker = only_checker;
  }
  cfg.bfd_instances.push_back(std::move(b));
}

// ---------------------------------------------------------------------------------

void BuildVrrpInstance(const Node& n, model::Config& cfg, Diagnostics& diags) {
  auto name = NewBlockName(n, cfg.vrrp_instances, diags);
  if (!name) return;
  const model::Global& g = cfg.global;
  const SourceLoc at = n.args[0].loc;
  const std::string who = "vrrp_instance " + *name;

  model::VrrpInstance v;
  v.name = *name;
  v.loc = ToRef(at);
  v.down_timer_adverts = g.vrrp_down_timer_adverts;
  bool state_set = false, priority_set = false, family_set = false;
  std::optional<int> version;
  std::optional<bool> strict, accept, skip_adv, check_src, lower_no_advert, higher_send_advert;
  std::optional<bool> notify_prio, owner_ignore;
  std::optional<uint32_t> lower_prio_repeat, garp_repeat, garp_refresh_repeat;
  std::optional<Duration> lower_prio_delay, garp_delay, garp_refresh;
  std::optional<uint8_t> ttl;
  bool auth_block = false;
  bool unicast_keyword = false;
  std::optional<bool> as_v2;

  auto take_family = [&](Family f, const Token& tok, const std::string& what) {
    if (!family_set) {
      v.family = f;
      family_set = true;
      return true;
    }
    if (f == v.family) return true;
    diags.Error(tok.loc, what + " '" + tok.text + "' is " + FamilyText(f) + " but " + who +
                             " is " + FamilyText(v.family) + "; ignored");
    return false;
  };

  for (const Node& c : n.children) {
    const std::string& kw = c.name();
    if (kw == "state") {
      const Token* t = RequireArg(c, 0, diags);
      if (!t) continue;
      if (t->text == "MASTER") {
        v.initial_state = model::VrrpState::kMaster;
      } else if (t->text == "BACKUP") {
        if (state_set && v.initial_state == model::VrrpState::kMaster)
          diags.Error(t->loc, "state BACKUP ignored: state MASTER was set before");
        else
          v.initial_state = model::VrrpState::kBackup;
      } else {
        diags.Error(t->loc, "state: '" + t->text + "' is not a valid state (MASTER or BACKUP); using BACKUP");
        v.initial_state = model::VrrpState::kBackup;
      }
      state_set = true;
    } else if (kw == "interface") {
      const Token* t = RequireArg(c, 0, diags);
      if (!t) continue;
      if (t->text.size() >= 16) {
        diags.Error(t->loc, "interface: '" + t->text + "' is too long for an interface name; ignored");
        continue;
      }
      v.interface = t->text;
    } else if (kw == "virtual_router_id") {
      SetUint(c, v.virtual_router_id, 1, 255, diags);
    } else if (kw == "priority") {
      const Token* t = RequireArg(c, 0, diags);
      if (!t) continue;
      auto p = ParseInteger(*t, kw, 1, 255, diags);
      v.priority = p ? static_cast<uint8_t>(*p) : 100;
      priority_set = true;
    } else if (kw == "advert_int") {
      const Token* t = RequireArg(c, 0, diags);
      if (!t) continue;
      if (auto d = ParseTimer(*t, kw, std::chrono::milliseconds(10), seconds(255), diags))
        v.advert_int = *d;
    } else if (kw == "version") {
      const Token* t = RequireArg(c, 0, diags);
      if (!t) continue;
      if (auto x = ParseInteger(*t, kw, 2, 3, diags)) version = static_cast<int>(*x);
    } else if (kw == "virtual_ipaddress" || kw == "virtual_ipaddress_excluded") {
      bool excluded = kw == "virtual_ipaddress_excluded";
      for (const Node& line : c.children) {
        auto a = ParseVirtualAddress(line, diags);
        if (!a) continue;
        if (!excluded && !take_family(a->prefix.family(), line.keyword, "virtual_ipaddress"))
          continue;
        (excluded ? v.virtual_ipaddress_excluded : v.virtual_ipaddress).push_back(std::move(*a));
      }
    } else if (kw == "virtual_routes" || kw == "virtual_rules") {
      for (const Node& line : c.children)
        (kw == "virtual_routes" ? v.virtual_routes : v.virtual_rules).push_back(ParseRouteOrRule(line));
    } else if (kw == "authentication") {
      auth_block = true;
      for (const Node& a : c.children) {
        const Token* t = RequireArg(a, 0, diags);
        if (!t) continue;
        if (a.name() == "auth_type") {
          if (t->text == "PASS") v.auth_type = model::AuthType::kPass;
          else if (t->text == "AH") v.auth_type = model::AuthType::kAh;
          else diags.Error(t->loc, "auth_type: '" + t->text + "' is not a valid authentication type (PASS or AH)");
        } else if (a.name() == "auth_pass") {
          v.auth_pass = t->text;
          if (v.auth_pass.size() > 8) {
            diags.Error(t->loc, "auth_pass is longer than 8 characters; truncated");
            v.auth_pass.resize(8);
          }
        }
      }
    } else if (kw == "auth_hmac") {
      ParseAuthHmac(c, v.auth_hmac, diags);
    } else if (kw == "nopreempt") {
      v.nopreempt = true;
    } else if (kw == "preempt") {
      v.nopreempt = false;
    } else if (kw == "preempt_delay") {
      const Token* t = RequireArg(c, 0, diags);
      if (!t) continue;
      auto d = ParseTimer(*t, kw, Duration(0), seconds(1000), diags);
      v.preempt_delay = d.value_or(Duration(0));
    } else if (kw == "accept") {
      accept = true;
    } else if (kw == "no_accept") {
      accept = false;
    } else if (kw == "strict_mode") {
      if (auto b = NodeBool(c, diags)) strict = *b;
    } else if (kw == "skip_check_adv_addr") {
      if (auto b = NodeBool(c, diags)) skip_adv = *b;
    } else if (kw == "check_unicast_src") {
      check_src = true;
      unicast_keyword = true;
    } else if (kw == "dont_track_primary") {
      v.dont_track_primary = true;
    } else if (kw == "promote_secondaries") {
      v.promote_secondaries = true;
    } else if (kw == "no_virtual_ipaddress") {
      v.no_virtual_ipaddress = true;  // keepalived takes no argument and reads none
    } else if (kw == "owner_ignore_adverts") {
      if (auto b = NodeBool(c, diags)) owner_ignore = *b;
    } else if (kw == "track_interface") {
      ParseTrackInterfaces(c, v.track_interface, diags);
    } else if (kw == "track_script") {
      ParseTrackRefs(c, 253, v.track_script, diags);
    } else if (kw == "track_file") {
      ParseTrackRefs(c, 254, v.track_file, diags);
    } else if (kw == "track_process") {
      ParseTrackRefs(c, 254, v.track_process, diags);
    } else if (kw == "track_bfd") {
      ParseTrackBfd(c, v.track_bfd, diags);
    } else if (kw == "track_src_ip") {
      // A flag in keepalived, which reads no argument (an address there is ignored).
      if (!c.args.empty())
        diags.Warning(c.args[0].loc, "track_src_ip takes no argument; '" + c.args[0].text +
                                         "' ignored (the source is mcast_src_ip/unicast_src_ip)");
      v.track_src_ip = true;
    } else if (kw == "mcast_src_ip" || kw == "unicast_src_ip" || kw == "mcast_dst_ip") {
      const Token* t = RequireArg(c, 0, diags);
      if (!t) continue;
      auto a = ParseAddress(*t, kw, diags);
      if (!a) continue;
      if (kw == "mcast_dst_ip") {
        if (!a->IsMulticast()) {
          diags.Error(t->loc, "mcast_dst_ip: '" + t->text + "' is not a multicast address; ignored");
          continue;
        }
        v.mcast_dst_ip = *a;
      } else {
        if (kw == "unicast_src_ip") unicast_keyword = true;
        if (v.mcast_src_ip || v.unicast_src_ip) {
          diags.Error(t->loc, kw + ": a source address is already set; this one is ignored");
          continue;
        }
        (kw == "mcast_src_ip" ? v.mcast_src_ip : v.unicast_src_ip) = *a;
      }
    } else if (kw == "unicast_peer") {
      unicast_keyword = true;
      for (const Node& line : c.children) {
        auto a = ParseAddress(line.keyword, "unicast_peer", diags);
        if (!a) continue;
        if (!take_family(a->family(), line.keyword, "unicast_peer")) continue;
        model::UnicastPeer p{*a, std::nullopt, std::nullopt, RefOf(line)};
        for (size_t i = 0; i < line.args.size(); i += 2) {
          const Token& o = line.args[i];
          const Token* val = Arg(line, i + 1);
          if ((o.text != "min_ttl" && o.text != "max_ttl") || !val) {
            diags.Error(o.loc, "'" + o.text + "' is not a valid option for unicast_peer " + line.name() + "; ignored");
            break;
          }
          if (auto x = ParseInteger(*val, o.text, 0, 255, diags))
            (o.text == "min_ttl" ? p.min_ttl : p.max_ttl) = static_cast<uint8_t>(*x);
        }
        v.unicast_peer.push_back(std::move(p));
      }
    } else if (kw == "unicast_ttl") {
      unicast_keyword = true;
      uint8_t x = 0;
      if (SetUint(c, x, 0, 255, diags)) ttl = x;
    } else if (kw == "unicast_fault_no_peer") {
      v.unicast_fault_no_peer = true;
      unicast_keyword = true;
    } else if (kw == "old_unicast_checksum") {
      unicast_keyword = true;
      if (c.args.empty()) {
        v.old_unicast_checksum = model::OldUnicastChecksum::kOld;
      } else if (c.args[0].text == "never") {
        v.old_unicast_checksum = model::OldUnicastChecksum::kNever;
      } else {
        diags.Error(c.args[0].loc, "old_unicast_checksum: '" + c.args[0].text +
                                       "' is not a valid mode (none, or never); ignored");
      }
    } else if (kw == "v3_checksum_as_v2") {
      if (auto b = NodeBool(c, diags)) as_v2 = *b;
    } else if (kw == "use_vmac") {
      ParseUseVmac(c, cfg, v, diags);
    } else if (kw == "vmac_xmit_base") {
      v.vmac_xmit_base = true;
    } else if (kw == "use_vmac_addr") {
      v.use_vmac_addr = true;
    } else if (kw == "use_ipvlan") {
      ParseUseIpvlan(c, cfg, who, v, take_family, diags);
    } else if (kw == "vrf") {
      const Token* t = RequireArg(c, 0, diags);
      if (!t) continue;
      if (t->text.size() >= 16)
        diags.Error(t->loc, "vrf: '" + t->text + "' is too long for an interface name; ignored");
      else if (v.interface)
        diags.Error(t->loc, "vrf: " + who + " has an interface; a VRF is only for an instance "
                            "without one; ignored");
      else if (v.vrf)
        diags.Error(t->loc, "vrf: " + who + " is already in VRF " + *v.vrf + "; ignored");
      else if (t->text == "lo")
        diags.Error(t->loc, "vrf: the loopback interface cannot be a VRF; ignored");
      else
        v.vrf = t->text;
    } else if (ParseNotify(c, v.notify, true, diags)) {
    } else if (kw == "smtp_alert") {
      if (auto b = NodeBool(c, diags)) v.smtp_alert = *b;
    } else if (kw == "notify_priority_changes") {
      if (auto b = NodeBool(c, diags)) notify_prio = *b;
    } else if (kw == "garp_master_delay" || kw == "garp_master_refresh" ||
               kw == "garp_lower_prio_delay") {
      const Token* t = RequireArg(c, 0, diags);
      if (!t) continue;
      auto x = ParseInteger(*t, kw, 0, UINT32_MAX / 1000000, diags);
      if (!x) continue;
      (kw == "garp_master_delay" ? garp_delay
       : kw == "garp_master_refresh" ? garp_refresh
                                     : lower_prio_delay) = seconds(*x);
    } else if (kw == "garp_master_repeat" || kw == "garp_master_refresh_repeat" ||
               kw == "garp_lower_prio_repeat") {
      uint32_t x = 0;
      if (!SetUint(c, x, 0, INT32_MAX, diags)) continue;
      (kw == "garp_master_repeat" ? garp_repeat
       : kw == "garp_master_refresh_repeat" ? garp_refresh_repeat
                                            : lower_prio_repeat) = x;
    } else if (kw == "lower_prio_no_advert") {
      if (auto b = NodeBool(c, diags)) lower_no_advert = *b;
    } else if (kw == "higher_prio_send_advert") {
      if (auto b = NodeBool(c, diags)) higher_send_advert = *b;
    } else if (kw == "down_timer_adverts") {
      SetUint(c, v.down_timer_adverts, 1, 100, diags);
    } else if (kw == "debug") {
      SetUint(c, v.debug, 0, 4, diags);
    } else if (kw == "timer_expired_backup" || kw == "thread_timer_expired") {
      // As keepalived 2.4: PRIORITY 1..254, default 254; the old name is an error that acts.
      if (kw == "thread_timer_expired")
        diags.Error(c.keyword.loc, who + ": thread_timer_expired is an old name; use "
                                         "timer_expired_backup");
      uint32_t other = 254;
      if (c.args.empty() || SetUint(c, other, 1, 254, diags))
        v.timer_expired_backup = static_cast<uint8_t>(other);
    } else if (kw == "kernel_rx_buf_size") {
      SetUint(c, v.kernel_rx_buf_size, 0, UINT32_MAX, diags);
    } else if (kw == "lvs_sync_daemon_interface") {
      // The old form of lvs_sync_daemon: keepalived takes it (reporting it as deprecated)
      // unless lvs_sync_daemon is set, and this instance drives the daemons with sync id 0.
      diags.Error(c.keyword.loc, who + ": lvs_sync_daemon_interface is deprecated; use "
                                       "global_defs lvs_sync_daemon");
      const Token* t = RequireArg(c, 0, diags);
      if (!t) continue;
      if (cfg.global.lvs_sync_daemon) {
        diags.Error(t->loc, who + ": lvs_sync_daemon is already set (" +
                                cfg.global.lvs_sync_daemon->interface + "); ignored");
        continue;
      }
      model::LvsSyncDaemon d;
      d.interface = t->text;
      d.vrrp_instance = v.name;
      d.sync_id = 0;
      d.loc = RefOf(c);
      cfg.global.lvs_sync_daemon = std::move(d);
    } else if (kw == "native_ipv6") {
      // keepalived's old way to make an instance IPv6 (version 3), unless IPv4 addresses
      // came first; IPv4 ones after it are then refused as of the other family.
      if (family_set && v.family == Family::kIpv4) {
        diags.Error(c.keyword.loc, who + ": native_ipv6 after IPv4 addresses; ignored");
      } else {
        v.family = Family::kIpv6;
        family_set = true;
        version = 3;
      }
    } else {
      if (kw == "garp_extra_if" || kw == "vmac_garp_intvl")
        DiagnoseGarpExtra(c, who, 0, "vmac_garp_intvl", "garp_extra_if", diags);
      model::RawSetting r{kw, ArgTexts(c), RefOf(c)};
      for (const Node& l : c.children) {
        r.args.push_back(l.name());
        for (const Token& a : l.args) r.args.push_back(a.text);
      }
      v.other.push_back(std::move(r));
    }
  }

  // --- End of block: derive defaults and reconcile, as keepalived does at start-up. ---
  if (ttl && v.unicast_peer.empty())
    diags.Error(at, who + ": unicast_ttl needs unicast peers; ignored");
  else
    v.unicast_ttl = ttl;
  // With unicast_fault_no_peer the instance stays in FAULT instead (the VRRP engine logs it).
  if (unicast_keyword && v.unicast_peer.empty() && !v.unicast_fault_no_peer)
    diags.Warning(at, who + ": unicast settings without any unicast_peer; using multicast", Grade::kError);

  v.strict_mode = strict.value_or(g.vrrp_strict);
  const bool unicast = !v.unicast_peer.empty();

  if (v.use_vmac && v.use_ipvlan) {
    diags.Error(at, who + ": use_vmac and use_ipvlan together; the ipvlan is used, use_vmac ignored");
    v.use_vmac.reset();
    v.vmac_xmit_base = false;
  }
  if (unicast && (v.use_vmac || v.use_ipvlan)) {
    const std::string what = v.use_vmac ? "use_vmac" : "use_ipvlan";
    if (!v.interface) {
      diags.Error(at, who + ": " + what + " with unicast peers needs an interface; " + what +
                          " ignored");
      v.use_vmac.reset();
      v.use_ipvlan.reset();
      v.vmac_xmit_base = false;
    } else if (v.use_vmac && !v.vmac_xmit_base) {
      // keepalived (2.2.7 and upstream) sends the unicast adverts of a VMAC instance from
      // the parent interface: "unicast with use_vmac requires vmac_xmit_base - setting".
      diags.Warning(at, who + ": unicast adverts with use_vmac leave from the interface "
                              "itself (vmac_xmit_base set)",
                    Grade::kError);
      v.vmac_xmit_base = true;
    } else if (v.use_ipvlan) {
      // keepalived says the same for an ipvlan, then clears vmac_xmit_base again ("only
      // valid with a vmac"): the adverts leave from the ipvlan; -t still exits 5.
      diags.Warning(at, who + ": unicast with use_ipvlan: keepalived sets vmac_xmit_base and "
                              "clears it again (only for use_vmac); adverts leave from the "
                              "ipvlan",
                    Grade::kError);
      v.vmac_xmit_base = false;
    }
  }
  // keepalived: a VRF only for a unicast instance without an interface; its sockets are
  // bound to the VRF device.
  if (v.vrf && v.interface) {
    diags.Error(at, who + ": vrf is only for an instance without an interface; cleared");
    v.vrf.reset();
  } else if (v.vrf && !unicast) {
    diags.Error(at, who + ": vrf is only for an instance with unicast peers; cleared");
    v.vrf.reset();
  }

  if (v.virtual_router_id == 0) {
    diags.Fatal(at, who + ": virtual_router_id is not set");
    return;
  }
  if (!v.interface && !unicast) {
    diags.Fatal(at, who + ": no interface set (needed unless unicast peers are used)");
    return;
  }
  if (unicast && !v.interface && !v.unicast_src_ip) {
    diags.Fatal(at, who + ": unicast without an interface needs unicast_src_ip");
    return;
  }
  if (!v.interface) {
    // keepalived (upstream; 2.2.7 refuses every instance without an interface): an IPv6
    // source must not be link-local, and a VIP without `dev` has no interface to go on.
    if (v.unicast_src_ip->is_v6() && v.unicast_src_ip->IsLinkLocal()) {
      diags.Fatal(at, who + ": without an interface, unicast_src_ip must not be link-local");
      return;
    }
    for (auto* list : {&v.virtual_ipaddress, &v.virtual_ipaddress_excluded})
      std::erase_if(*list, [&](const model::VirtualAddress& a) {
        if (a.dev) return false;
        diags.Error(SourceLoc{a.loc.file, a.loc.line, a.loc.column},
                    who + ": " + (list == &v.virtual_ipaddress ? "" : "excluded ") + "VIP " +
                        a.prefix.ToString() + " has no dev and the instance no interface; "
                        "removed");
        return true;
      });
  }
  FinishAddressVmacs(v, who, diags);
  if (unicast && v.strict_mode) {
    diags.Fatal(at, who + ": unicast peers are not allowed in strict mode");
    return;
  }

  if (v.family == Family::kIpv6) {
    if (version == 2 && v.strict_mode) {
      diags.Error(at, who + ": VRRP version 2 cannot be used with IPv6; using version 3");
      version = 3;
    } else if (!version) {
      version = 3;
    }
  }
  v.version = version.value_or(g.vrrp_version);

  if (v.no_virtual_ipaddress && v.strict_mode) {
    diags.Warning(at, who + ": no_virtual_ipaddress does not go with strict mode; cleared");
    v.no_virtual_ipaddress = false;
  }
  if (v.virtual_ipaddress.empty() && !v.no_virtual_ipaddress) {
    if (v.version == 3 || v.strict_mode) {
      diags.Fatal(at, who + ": no virtual_ipaddress (required with VRRP version 3 or strict mode)");
      return;
    }
    diags.Warning(at, who + ": no virtual_ipaddress", Grade::kError);
  }

  if (!priority_set)
    v.priority = v.initial_state == model::VrrpState::kMaster ? 255 : 100;
  if (!state_set) {
    v.initial_state = v.priority == 255 ? model::VrrpState::kMaster : model::VrrpState::kBackup;
  } else if (v.strict_mode && ((v.initial_state == model::VrrpState::kMaster) != (v.priority == 255))) {
    diags.Error(at, who + ": in strict mode state MASTER requires priority 255 and vice versa; state set from priority");
    v.initial_state = v.priority == 255 ? model::VrrpState::kMaster : model::VrrpState::kBackup;
  }

  // An owner ignoring adverts: explicit, else always in strict mode, else the global default.
  if (v.priority != 255) {
    if (owner_ignore == true)
      diags.Error(at, who + ": owner_ignore_adverts needs priority 255; ignored");
  } else if (!owner_ignore) {
    v.owner_ignore_adverts = v.strict_mode || g.vrrp_owner_ignore_adverts;
  } else if (!*owner_ignore && v.strict_mode) {
    diags.Error(at, who + ": strict mode with priority 255 requires owner_ignore_adverts; set");
    v.owner_ignore_adverts = true;
  } else {
    v.owner_ignore_adverts = *owner_ignore;
  }

  if (v.auth_type != model::AuthType::kNone) {
    if (v.strict_mode) {
      diags.Error(at, who + ": authentication is not allowed in strict mode; removed");
      v.auth_type = model::AuthType::kNone;
    } else if (v.version == 3) {
      diags.Error(at, who + ": VRRP version 3 does not support authentication; removed");
      v.auth_type = model::AuthType::kNone;
    } else if (v.auth_pass.empty()) {
      diags.Error(at, who + ": authentication without auth_pass; removed");
      v.auth_type = model::AuthType::kNone;
    } else if (v.auth_type == model::AuthType::kAh && v.family == Family::kIpv6) {
      diags.Error(at, who + ": AH authentication cannot be used with IPv6; removed");
      v.auth_type = model::AuthType::kNone;
    }
  } else if (auth_block && !v.auth_pass.empty()) {
    diags.Warning(at, who + ": auth_pass without auth_type; no authentication used");
  }
  if (v.auth_type == model::AuthType::kNone) v.auth_pass.clear();
  FinishAuthHmac(v, diags);

  if (v.promote_secondaries && (v.use_vmac || v.use_ipvlan)) {
    diags.Error(at, who + ": promote_secondaries is set on a VMAC anyway; ignored");
    v.promote_secondaries = false;
  }
  if (v.use_ipvlan && v.family == Family::kIpv4 && !v.use_ipvlan->address) {
    // keepalived says so when the instance starts (not at -t) and keeps it in FAULT.
    diags.Warning(at, who + ": use_ipvlan without an address: an IPv4 instance needs one for "
                            "its adverts; the instance will stay in FAULT");
  }
  if (v.priority == 255 && v.nopreempt) {
    diags.Error(at, who + ": nopreempt cannot be used with priority 255; cleared");
    v.nopreempt = false;
  }
  if (v.initial_state == model::VrrpState::kMaster) {
    if (v.nopreempt) {
      diags.Error(at, who + ": nopreempt does not work with state MASTER; cleared");
      v.nopreempt = false;
    }
    if (v.preempt_delay.count()) {
      diags.Error(at, who + ": preempt_delay does not work with state MASTER; cleared");
      v.preempt_delay = Duration(0);
    }
  }
  if (v.preempt_delay.count()) {
    if (v.strict_mode) {
      diags.Error(at, who + ": preempt_delay is not allowed in strict mode; cleared");
      v.preempt_delay = Duration(0);
    } else if (v.nopreempt) {
      diags.Error(at, who + ": preempt_delay cannot be used with nopreempt; cleared");
      v.preempt_delay = Duration(0);
    }
  }
  if (v.timer_expired_backup && !v.nopreempt) {
    diags.Error(at, who + ": timer_expired_backup requires nopreempt; cleared");
    v.timer_expired_backup = 0;
  }
  // keepalived checks the instance's value whichever way it came (vrrp_down_timer_adverts too).
  if (v.down_timer_adverts != 3 && v.strict_mode) {
    diags.Error(at, who + ": down_timer_adverts is not allowed in strict mode; using 3");
    v.down_timer_adverts = 3;
  }
  v.accept = accept.value_or(v.priority == 255 ? true : !v.strict_mode);
  if (v.accept && v.priority != 255 && v.strict_mode && v.version == 2) {
    // keepalived: "accept mode for VRRP version 2 does not comply with RFC3768 - resetting"
    // (graded an error at -t); the instance's VIPs are then filtered (vrrp/accept_filter.h).
    diags.Warning(at, who + ": accept mode with strict mode does not comply with VRRP version 2 "
                        "(RFC 3768); accept is reset", Grade::kError);
    v.accept = false;
  }
  if (v.mcast_dst_ip && unicast) {
    diags.Error(at, who + ": mcast_dst_ip cannot be used with unicast peers; ignored");
    v.mcast_dst_ip.reset();
  }
  if (v.mcast_dst_ip && v.mcast_dst_ip->family() != v.family) {
    diags.Error(at, who + ": mcast_dst_ip family differs from the instance's; ignored");
    v.mcast_dst_ip.reset();
  }

  v.skip_check_adv_addr = skip_adv.value_or(g.vrrp_skip_check_adv_addr);
  v.check_unicast_src = check_src.value_or(g.vrrp_check_unicast_src);
  v.v3_checksum_as_v2 = as_v2.value_or(g.v3_checksum_as_v2);
  if (!v.mcast_src_ip && !v.unicast_src_ip) v.track_src_ip = false;  // nothing to track
  v.notify_priority_changes = notify_prio;  // else its sync group's or the global (FinishVrrp)
  v.garp_master_delay = garp_delay.value_or(g.vrrp_garp_master_delay);
  v.garp_master_repeat = garp_repeat.value_or(g.vrrp_garp_master_repeat);
  v.garp_master_refresh = garp_refresh.value_or(g.vrrp_garp_master_refresh);
  v.garp_master_refresh_repeat = garp_refresh_repeat.value_or(g.vrrp_garp_master_refresh_repeat);
  if (v.strict_mode) {
    if (lower_prio_repeat.value_or(0) != 0)
      diags.Error(at, who + ": strict mode does not allow garp_lower_prio_repeat; using 0");
    if (lower_prio_delay.value_or(Duration(0)).count() != 0)
      diags.Error(at, who + ": strict mode does not allow garp_lower_prio_delay; using 0");
    if (lower_no_advert == false)
      diags.Error(at, who + ": strict mode requires lower_prio_no_advert; set");
    if (higher_send_advert == true)
      diags.Error(at, who + ": strict mode does not allow higher_prio_send_advert; cleared");
    v.garp_lower_prio_repeat = 0;
    v.garp_lower_prio_delay = Duration(0);
    v.lower_prio_no_advert = true;
    v.higher_prio_send_advert = false;
  } else {
    v.garp_lower_prio_repeat = lower_prio_repeat.value_or(
        g.vrrp_garp_lower_prio_repeat.value_or(v.garp_master_repeat));
    v.garp_lower_prio_delay = lower_prio_delay.value_or(
        g.vrrp_garp_lower_prio_delay.value_or(v.garp_master_delay));
    v.lower_prio_no_advert = lower_no_advert.value_or(g.vrrp_lower_prio_no_advert);
    v.higher_prio_send_advert = higher_send_advert.value_or(g.vrrp_higher_prio_send_advert);
  }

  // Advert interval: whole seconds in v2 (1..255), centiseconds in v3 (0.01..40.95).
  const int64_t us = v.advert_int.count();
  if (v.version == 2) {
    if (us % 1'000'000) {
      int64_t rounded = std::max<int64_t>(1, (us + 500'000) / 1'000'000);
      diags.Error(at, who + ": advert_int " + FormatSeconds(v.advert_int) +
                          " must be whole seconds with VRRP version 2; using " +
                          std::to_string(rounded));
      v.advert_int = seconds(rounded);
    }
  } else if (us >= 40'960'000) {
    diags.Error(at, who + ": advert_int " + FormatSeconds(v.advert_int) +
                        " is above the VRRP version 3 maximum; using 40.95");
    v.advert_int = std::chrono::milliseconds(40950);
  } else if (us % 10'000) {
    int64_t rounded = std::max<int64_t>(10'000, (us + 5'000) / 10'000 * 10'000);
    v.advert_int = Duration(rounded);
    diags.Error(at, who + ": advert_int must be a multiple of 0.01 seconds with VRRP version 3; using " +
                        FormatSeconds(v.advert_int));
  }

  cfg.vrrp_instances.push_back(std::move(v));
}

void BuildSyncGroup(const Node& n, model::Config& cfg, Diagnostics& diags) {
  auto name = NewBlockName(n, cfg.sync_groups, diags);
  if (!name) return;
  model::SyncGroup s;
  s.name = *name;
  s.loc = ToRef(n.args[0].loc);
  bool have_group = false;
  for (const Node& c : n.children) {
    const std::string& kw = c.name();
    if (kw == "group") {
      if (have_group) {
        diags.Error(c.keyword.loc, "group is already set for vrrp_sync_group " + s.name + "; this one is ignored");
        continue;
      }
      have_group = true;
      for (const Node& line : c.children) {
        s.members.push_back(line.name());
        for (const Token& t : line.args) s.members.push_back(t.text);
      }
    } else if (kw == "track_interface") {
      ParseTrackInterfaces(c, s.track_interface, diags);
    } else if (kw == "track_script") {
      ParseTrackRefs(c, 253, s.track_script, diags);
    } else if (kw == "track_file") {
      ParseTrackRefs(c, 254, s.track_file, diags);
    } else if (kw == "track_process") {
      ParseTrackRefs(c, 254, s.track_process, diags);
    } else if (kw == "track_bfd") {
      ParseTrackBfd(c, s.track_bfd, diags);
    } else if (ParseNotify(c, s.notify, false, diags)) {
    } else if (kw == "smtp_alert") {
      if (auto b = NodeBool(c, diags)) s.smtp_alert = *b;
    } else if (kw == "global_tracking" || kw == "sync_group_tracking_weight") {
      if (kw == "global_tracking")
        diags.Warning(c.keyword.loc, "global_tracking is deprecated; use sync_group_tracking_weight", Grade::kError);
      s.global_tracking = true;
      s.sync_group_tracking_weight = true;
    } else if (kw == "notify_priority_changes") {
      if (auto b = NodeBool(c, diags)) s.notify_priority_changes = *b;
    }
  }
  if (s.members.empty()) {
    diags.Error(s.loc.line ? n.args[0].loc : n.keyword.loc,
                "vrrp_sync_group " + s.name + " has no members; ignored");
    return;
  }
  cfg.sync_groups.push_back(std::move(s));
}

void BuildStaticAddresses(const Node& n, model::Config& cfg, Diagnostics& diags) {
  for (const Node& line : n.children)
    if (auto a = ParseVirtualAddress(line, diags, &cfg.track_groups))
      cfg.static_addresses.push_back(std::move(*a));
}

void BuildStaticRoutesOrRules(const Node& n, model::Config& cfg, Diagnostics& diags) {
  const bool rules = n.name() == "static_rules";
  for (const Node& line : n.children)
    (rules ? cfg.static_rules : cfg.static_routes)
        .push_back(ParseStaticRouteOrRule(line, rules, cfg.track_groups, diags));
}

void BuildTrackGroup(const Node& n, model::Config& cfg, Diagnostics& diags) {
  auto name = NewBlockName(n, cfg.track_groups, diags);
  if (!name) return;
  model::StaticTrackGroup g;
  g.name = *name;
  g.loc = ToRef(n.args[0].loc);
  bool listed = false;
  for (const Node& c : n.children) {
    if (c.name() != "group") continue;
    if (listed) {
      diags.Error(c.keyword.loc, "track_group " + g.name + ": group is already given; this one "
                                 "is ignored");
      continue;
    }
    listed = true;
    for (const Node& line : c.children) {
      g.members.push_back(line.name());
      for (const Token& t : line.args) g.members.push_back(t.text);
    }
    if (g.members.empty())
      diags.Error(c.keyword.loc, "track_group " + g.name + ": group is empty");
  }
  if (g.members.empty()) {
    // keepalived -t says nothing of a block without `group` (it reports an empty one).
    if (!listed) diags.Warning(n.args[0].loc, "track_group " + g.name + " has no members; ignored");
    return;
  }
  cfg.track_groups.push_back(std::move(g));
}

void BuildUpDownDelays(const Node& n, model::Config& cfg, Diagnostics& diags) {
  constexpr Duration kMax = seconds(255);
  for (const Node& line : n.children) {
    model::UpDownDelay d;
    d.interface = line.name();
    d.loc = RefOf(line);
    // keepalived only logs these two (its -t exits 0).
    if (line.args.empty()) {
      diags.Warning(line.keyword.loc, "interface_up_down_delays: no delays for " + d.interface +
                                          "; line ignored");
      continue;
    }
    if (line.args.size() > 2)
      diags.Warning(line.args[2].loc, "interface_up_down_delays: only a down and an up delay "
                                      "are read; '" + line.args[2].text + "' and after ignored");
    auto down = ParseTimer(line.args[0], "down delay for " + d.interface, Duration(0), kMax, diags);
    if (!down) continue;
    d.down = *down;
    // As keepalived's code (its man page says otherwise): without an up delay, up is at once.
    if (line.args.size() >= 2) {
      auto up = ParseTimer(line.args[1], "up delay for " + d.interface, Duration(0), kMax, diags);
      if (!up) continue;
      d.up = *up;
    }
    // A later line for the same interface replaces the earlier one.
    std::erase_if(cfg.interface_up_down_delays,
                  [&](const model::UpDownDelay& e) { return e.interface == d.interface; });
    cfg.interface_up_down_delays.push_back(std::move(d));
  }
}

void BuildGarpGroup(const Node& n, model::Config& cfg, Diagnostics& diags) {
  model::GarpGroup gg;
  gg.loc = RefOf(n);
  // An interface belongs to the first garp_group that names it (keepalived).
  auto add_interface = [&](const std::string& name, const SourceLoc& at) {
    for (const auto& other : cfg.garp_groups)
      if (std::find(other.interfaces.begin(), other.interfaces.end(), name) != other.interfaces.end()) {
        diags.Error(at, "garp_group: interface " + name + " is in an earlier garp_group; ignored here");
        return;
      }
    gg.interfaces.push_back(name);
  };
  for (const Node& c : n.children) {
    const std::string& kw = c.name();
    if (kw == "garp_interval" || kw == "gna_interval") {
      const Token* t = RequireArg(c, 0, diags);
      if (!t) continue;
      if (auto d = ParseTimer(*t, kw, Duration(0), seconds(UINT32_MAX), diags))
        (kw == "garp_interval" ? gg.garp_interval : gg.gna_interval) = *d;
    } else if (kw == "interface") {
      if (const Token* t = RequireArg(c, 0, diags)) add_interface(t->text, t->loc);
    } else if (kw == "interfaces") {
      for (const Node& line : c.children) add_interface(line.name(), line.keyword.loc);
    }
  }
  if (gg.interfaces.empty()) {
    diags.Error(n.keyword.loc, "garp_group has no interface; ignored");
    return;
  }
  if (gg.garp_interval.count() == 0 && gg.gna_interval.count() == 0) {
    diags.Error(n.keyword.loc, "garp_group sets neither garp_interval nor gna_interval; ignored");
    return;
  }
  cfg.garp_groups.push_back(std::move(gg));
}

// ---------------------------------------------------------------------------------

namespace {

SourceLoc LocOf(const model::SourceRef& r) { return {r.file, r.line, r.column}; }

template <typename T>
bool HasNamed(const std::vector<T>& items, const std::string& name) {
  return std::any_of(items.begin(), items.end(), [&](const T& i) { return i.name == name; });
}

// Drops references to trackers that do not exist; records the used script names.
void CheckRefs(std::vector<model::TrackedRef>& refs, const std::string& kind,
               const std::function<bool(const std::string&)>& exists, Diagnostics& diags,
               std::set<std::string>* used) {
  std::erase_if(refs, [&](const model::TrackedRef& r) {
    if (exists(r.name)) {
      if (used) used->insert(r.name);
      return false;
    }
    diags.Error(LocOf(r.loc), kind + " '" + r.name + "' is not defined; ignored");
    return true;
  });
}

// As keepalived 2.2.7: a static or virtual rule without a preference gets one, 16384 for
// the first such rule of its family in the order of the file, one less for each next, and
// a warning (-t exits 5): rules added in whatever order instances change state would
// otherwise land in the kernel's own order.
void NumberRulesWithoutPreference(model::Config& cfg, Diagnostics& diags) {
  std::vector<model::RouteOrRule*> rules;
  for (auto& r : cfg.static_rules) rules.push_back(&r);
  for (auto& v : cfg.vrrp_instances)
    for (auto& r : v.virtual_rules) rules.push_back(&r);
  std::stable_sort(rules.begin(), rules.end(), [](const auto* a, const auto* b) {
    return std::tie(a->loc.file, a->loc.line, a->loc.column) <
           std::tie(b->loc.file, b->loc.line, b->loc.column);
  });
  uint32_t next[2] = {16384, 16384};  // IPv4, IPv6
  for (model::RouteOrRule* r : rules) {
    static constexpr std::string_view kWords[] = {"preference", "priority", "order"};
    if (std::find_first_of(r->words.begin(), r->words.end(), std::begin(kWords),
                           std::end(kWords)) != r->words.end())
      continue;
    const uint32_t n = next[r->family == model::Family::kIpv6]--;
    r->words.insert(r->words.end(), {"preference", std::to_string(n)});
    diags.Warning(LocOf(r->loc),
                  "rule has no preference: given " + std::to_string(n) +
                      " as keepalived does, which is probably not what you want",
                  Grade::kError);
  }
}

// Warns, as keepalived 2.2.7 reports them (-t exits 5), about a tracked route (one without
// no_track) that names no dev/oif, which is then not tracked, and a tracked route or rule
// whose protocol is not keepalived's (18), which is reset to it.
void CheckRouteTracking(const model::Config& cfg, Diagnostics& diags) {
  auto has = [](const model::RouteOrRule& r, std::string_view w) {
    return std::find(r.words.begin(), r.words.end(), w) != r.words.end();
  };
  auto check = [&](const model::RouteOrRule& r, std::string_view what) {
    if (has(r, "no_track")) return;
    if (what == "route" && !has(r, "dev") && !has(r, "oif"))
      diags.Warning(LocOf(r.loc), "a route without dev or oif cannot be tracked; not tracked",
                    Grade::kError);
    for (size_t i = 0; i + 1 < r.words.size(); ++i) {
      if (r.words[i] != "protocol") continue;
      const std::string& p = r.words[i + 1];
      if (p != "18" && p != "keepalived")
        diags.Warning(LocOf(r.loc),
                      "a tracked " + std::string(what) + " is made by protocol keepalived (18), "
                      "not " + p + " (no_track keeps it)",
                      Grade::kError);
    }
  };
  for (const auto& r : cfg.static_routes) check(r, "route");
  for (const auto& r : cfg.static_rules) check(r, "rule");
  for (const auto& v : cfg.vrrp_instances) {
    for (const auto& r : v.virtual_routes) check(r, "route");
    for (const auto& r : v.virtual_rules) check(r, "rule");
  }
}

}  // namespace

void FinishVrrp(model::Config& cfg, Diagnostics& diags) {
  CheckRouteTracking(cfg, diags);
  NumberRulesWithoutPreference(cfg, diags);
  std::set<std::string> used_scripts;
  auto script_exists = [&](const std::string& s) { return HasNamed(cfg.vrrp_scripts, s); };
  auto file_exists = [&](const std::string& s) { return HasNamed(cfg.track_files, s); };
  auto process_exists = [&](const std::string& s) { return HasNamed(cfg.track_processes, s); };
  // A bfd_instance that sends its events to the checker only is not the VRRP engine's.
  auto bfd_exists = [&](const std::string& s) {
    return std::any_of(cfg.bfd_instances.begin(), cfg.bfd_instances.end(),
                       [&](const model::BfdInstance& b) { return b.name == s && b.vrrp; });
  };
  auto check_all = [&](auto& item) {
    CheckRefs(item.track_script, "vrrp_script", script_exists, diags, &used_scripts);
    CheckRefs(item.track_file, "track_file", file_exists, diags, nullptr);
    CheckRefs(item.track_process, "vrrp_track_process", process_exists, diags, nullptr);
    CheckRefs(item.track_bfd, "bfd_instance", bfd_exists, diags, nullptr);
  };
  for (auto& v : cfg.vrrp_instances) check_all(v);
  for (auto& s : cfg.sync_groups) check_all(s);

  // track_group members that are not instances are dropped, as keepalived drops them (it
  // only logs); a group left empty goes.
  std::erase_if(cfg.track_groups, [&](model::StaticTrackGroup& g) {
    std::erase_if(g.members, [&](const std::string& m) {
      if (HasNamed(cfg.vrrp_instances, m)) return false;
      diags.Warning(LocOf(g.loc), "track_group " + g.name + ": vrrp_instance '" + m +
                                      "' is not defined; ignored");
      return true;
    });
    if (!g.members.empty()) return false;
    diags.Warning(LocOf(g.loc), "track_group " + g.name + " has no vrrp_instance; ignored");
    return true;
  });

  // Sync groups: members must exist and belong to one group only.
  std::map<std::string, std::string> member_of;
  std::erase_if(cfg.sync_groups, [&](model::SyncGroup& s) {
    std::erase_if(s.members, [&](const std::string& m) {
      if (!HasNamed(cfg.vrrp_instances, m)) {
        diags.Error(LocOf(s.loc), "vrrp_sync_group " + s.name + ": vrrp_instance '" + m +
                                      "' is not defined; ignored");
        return true;
      }
      auto [it, fresh] = member_of.emplace(m, s.name);
      if (!fresh) {
        diags.Error(LocOf(s.loc), "vrrp_sync_group " + s.name + ": vrrp_instance '" + m +
                                      "' is already in vrrp_sync_group " + it->second + "; ignored");
        return true;
      }
      return false;
    });
    if (s.members.empty()) {
      diags.Error(LocOf(s.loc), "vrrp_sync_group " + s.name + " has no members; ignored");
      return true;
    }
    if (s.members.size() == 1)
      diags.Warning(LocOf(s.loc), "vrrp_sync_group " + s.name + " has only one member", Grade::kError);
    return false;
  });

  // notify_priority_changes: the instance's own, else its sync group's, else the global one.
  for (const auto& s : cfg.sync_groups) {
    if (!s.notify_priority_changes) continue;
    for (auto& v : cfg.vrrp_instances)
      if (!v.notify_priority_changes && std::ranges::find(s.members, v.name) != s.members.end())
        v.notify_priority_changes = s.notify_priority_changes;
  }
  for (auto& v : cfg.vrrp_instances)
    if (!v.notify_priority_changes) v.notify_priority_changes = cfg.global.vrrp_notify_priority_changes;

  // vigil_conntrackd follows a sync group or an instance that exists.
  if (auto& c = cfg.global.conntrackd;
      c && !HasNamed(cfg.sync_groups, c->follow) && !HasNamed(cfg.vrrp_instances, c->follow)) {
    diags.Error(LocOf(c->loc), "vigil_conntrackd: '" + c->follow +
                                   "' is neither a vrrp_sync_group nor a vrrp_instance; "
                                   "conntrackd is not driven");
    c.reset();
  }

  // Duplicate VRIDs: same interface, family and multicast group (multicast instances),
  // or same peers (unicast instances).
  for (size_t i = 0; i < cfg.vrrp_instances.size(); ++i) {
    const auto& a = cfg.vrrp_instances[i];
    for (size_t j = 0; j < i; ++j) {
      const auto& b = cfg.vrrp_instances[j];
      if (a.virtual_router_id != b.virtual_router_id || a.family != b.family) continue;
      bool clash = false;
      if (!a.unicast_peer.empty() || !b.unicast_peer.empty()) {
        if (a.unicast_peer.empty() || b.unicast_peer.empty()) continue;
        for (const auto& pa : a.unicast_peer)
          for (const auto& pb : b.unicast_peer)
            if (pa.address == pb.address) clash = true;
      } else {
        clash = a.interface == b.interface && a.mcast_dst_ip == b.mcast_dst_ip;
      }
      if (!clash) continue;
      diags.Fatal(LocOf(a.loc), "vrrp_instance " + a.name + ": virtual_router_id " +
                                    std::to_string(a.virtual_router_id) + " is already used by " +
                                    b.name + " (" + FamilyText(a.family) +
                                    (a.interface ? " on " + *a.interface : std::string()) + ")");
      break;
    }
  }

  // lvs_sync_daemon names an instance.
  auto& lsd = cfg.global.lvs_sync_daemon;
  // keepalived -t says nothing; its VRRP process drops the setting.
  if (lsd && !lsd->vrrp_instance.empty() && !HasNamed(cfg.vrrp_instances, lsd->vrrp_instance)) {
    diags.Warning(LocOf(lsd->loc), "lvs_sync_daemon: vrrp_instance '" + lsd->vrrp_instance +
                                       "' is not defined; lvs_sync_daemon ignored");
    lsd.reset();
  }

  // Unused scripts are dropped (only when VRRP runs at all).
  if (!cfg.vrrp_instances.empty()) {
    std::erase_if(cfg.vrrp_scripts, [&](const model::VrrpScript& s) {
      if (used_scripts.count(s.name)) return false;
      diags.Warning(LocOf(s.loc), "vrrp_script '" + s.name + "' is not used", Grade::kError);
      return true;
    });
  }
}

}  // namespace vigil::config::build_internal
