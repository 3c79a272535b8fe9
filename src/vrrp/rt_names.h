// iproute2's names for routing tables, route protocols and scopes (rt_tables, rt_protos,
// rt_scopes), read as keepalived reads them for virtual_routes / virtual_rules /
// static_routes / static_rules: FILE from iproute_etc_dir if it is there, else from
// iproute_usr_dir; then FILE.d/*.conf of iproute_usr_dir (each unless iproute_etc_dir's
// FILE.d has an entry of that name) and of iproute_etc_dir; then iproute2's built-in names
// for the numbers no file named.
#ifndef VIGIL_VRRP_RT_NAMES_H_
#define VIGIL_VRRP_RT_NAMES_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace vigil::vrrp {

// keepalived's default directories (Debian's iproute2 reads /etc/iproute2, newer
// releases /usr/share/iproute2 too).
inline constexpr char kIprouteEtcDir[] = "/etc/iproute2";
inline constexpr char kIprouteUsrDir[] = "/usr/share/iproute2";

class RtNames {
 public:
  // kGroup: interface groups (iproute2's `group` file; no built-in names, as keepalived).
  enum class Kind { kTable, kProtocol, kScope, kGroup };

  // Only the built-in names: main/local/default; none redirect kernel boot static gated
  // ra mrt zebra bird babel dnrouted xorp ntk dhcp; global nowhere host link site.
  static const RtNames& Defaults();

  // Reads the three files (and their FILE.d) from the directories; a file or directory
  // that cannot be read is skipped.
  static RtNames Load(const std::string& etc_dir, const std::string& usr_dir);

  // Adds the entries of one file's text: "NUMBER NAME" lines ('#' starts a comment; a line
  // with other than two words, or a number that is negative, not a number or above the
  // kind's maximum, is skipped). Pure.
  void AddText(Kind kind, std::string_view text);
  // Adds the built-in names whose numbers no entry has yet.
  void AddDefaults();

  // Returns the number of `word`: a number (decimal, 0x hex or 0 octal) up to the kind's
  // maximum, else the first entry so named; nullopt if neither.
  std::optional<uint32_t> Find(Kind kind, const std::string& word) const;

 private:
  std::vector<std::pair<uint32_t, std::string>>& List(Kind kind);
  const std::vector<std::pair<uint32_t, std::string>>& List(Kind kind) const;

  std::vector<std::pair<uint32_t, std::string>> tables_;
  std::vector<std::pair<uint32_t, std::string>> protocols_;
  std::vector<std::pair<uint32_t, std::string>> scopes_;
  std::vector<std::pair<uint32_t, std::string>> groups_;
};

}  // namespace vigil::vrrp

#endif  // VIGIL_VRRP_RT_NAMES_H_
