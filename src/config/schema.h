// The keyword schema: for every block of keepalived.conf (as accepted by keepalived
// 2.2.7, plus vigil's own keywords), the keywords it may contain and their structure.
//
// The schema is constant data (one table per block, see schema*.cc); it is shared,
// immutable and safe to use from any thread.
#ifndef VIGIL_CONFIG_SCHEMA_H_
#define VIGIL_CONFIG_SCHEMA_H_

#include <cstddef>
#include <functional>
#include <span>
#include <string_view>

namespace vigil::config {

class BlockSchema;

// What a keyword's statement may carry after its arguments.
enum class BlockKind : unsigned char {
  kNone,      // a plain statement: `keyword args...`
  kKeywords,  // `keyword args... { statements checked against `block` }`
  kList,      // `keyword args... { free-form lines }`: each line is kept verbatim as a Node
};

// How vigil treats a keyword (docs/compatibility.md lists every keyword with it).
enum class Support : unsigned char {
  kActive,      // acts as in keepalived
  kDiffers,     // acts, but not exactly as in keepalived: the note says how
  kNotPlanned,  // accepted, deliberately without effect: the note says why (the parser warns)
  kNotYet,      // accepted for compatibility, but vigil ignores it for now (the parser warns)
};

// Returns true if a keyword with `support` changes what vigil does.
constexpr bool Acts(Support support) {
  return support == Support::kActive || support == Support::kDiffers;
}

// A keyword's support and its note: how it differs (kDiffers), why it is not planned and
// what to use instead (kNotPlanned), or what is missing (kNotYet, optional).
struct Status {
  constexpr Status(Support s) : support(s) {}  // NOLINT: implicit, so `Kw("x", kNotYet)` reads
  constexpr Status(Support s, std::string_view n) : support(s), note(n) {}
  Support support;
  std::string_view note = {};
};

struct KeywordSpec {
  std::string_view name;
  BlockKind kind = BlockKind::kNone;
  Support support = Support::kActive;
  // For kKeywords: the block's keywords. nullptr otherwise.
  const BlockSchema* block = nullptr;
  // For a deprecated alias (e.g. `lb_algo`): the current keyword it means. Else "".
  std::string_view alias_of = {};
  // Status::note: how it differs, why it is not planned, or what is not there yet.
  std::string_view note = {};

  bool opens_block() const { return kind != BlockKind::kNone; }
  bool is_list() const { return kind == BlockKind::kList; }
  bool is_deprecated_alias() const { return !alias_of.empty(); }
  // Returns the keyword this one stands for: alias_of if set, else name.
  std::string_view canonical() const { return alias_of.empty() ? name : alias_of; }
  // Returns true for vigil's own keywords (`vigil_*`), which keepalived does not know.
  bool vigil_only() const { return name.starts_with("vigil_"); }
};

// The keywords allowed directly inside one kind of block (or at the top level).
class BlockSchema {
 public:
  constexpr BlockSchema(std::string_view name, std::span<const KeywordSpec> keywords)
      : name_(name), keywords_(keywords) {}
  BlockSchema(const BlockSchema&) = delete;
  BlockSchema& operator=(const BlockSchema&) = delete;

  // Returns a short name for the block (e.g. "vrrp_instance", "HTTP_GET.url", "root").
  std::string_view name() const { return name_; }
  // Returns the spec of `keyword` (case-sensitive, as keepalived), or nullptr if the
  // block does not accept it.
  const KeywordSpec* Lookup(std::string_view keyword) const;
  // Returns the block's keyword nearest to `word` by edit distance (insertions, deletions,
  // substitutions and swaps of two neighbours), if it is close enough to be a likely typo
  // (1 edit for words up to 4 characters, 2 up to 10, else 3); the first in table order
  // on a tie; a keyword that differs from `word` only in case first. Returns "" if none is.
  std::string_view Closest(std::string_view word) const;
  // Returns every keyword of the block, in table order.
  std::span<const KeywordSpec> keywords() const { return keywords_; }
  size_t size() const { return keywords_.size(); }

 private:
  std::string_view name_;
  std::span<const KeywordSpec> keywords_;
};

// Returns the schema of the top level of keepalived.conf.
const BlockSchema& RootSchema();

// Calls `fn(path, spec)` for every keyword reachable from `schema`, depth first in table
// order; `path` names the enclosing blocks below `schema`, e.g.
// "virtual_server/real_server/HTTP_GET/url" (empty for `schema`'s own keywords).
// A block table shared by several keywords is visited under each of them.
void ForEachKeyword(const BlockSchema& schema,
                    const std::function<void(std::string_view path, const KeywordSpec&)>& fn);


// Table-building helpers and the tables shared between the schema*.cc files.
namespace schema_internal {

inline constexpr Support kActive = Support::kActive;
inline constexpr Support kNotYet = Support::kNotYet;

// Acts, but not as keepalived does: `how` says what differs (a sentence for the table).
constexpr Status Differs(std::string_view how) { return {Support::kDiffers, how}; }
// Deliberately without effect: `why` says why, and what vigil offers instead.
constexpr Status NotPlanned(std::string_view why) { return {Support::kNotPlanned, why}; }
// Not supported yet: `what` says what is missing.
constexpr Status NotYet(std::string_view what) { return {Support::kNotYet, what}; }

// A plain statement.
constexpr KeywordSpec Kw(std::string_view name, Status status = kActive) {
  return {name, BlockKind::kNone, status.support, nullptr, {}, status.note};
}
// A statement followed by a `{ ... }` block of free-form lines.
constexpr KeywordSpec List(std::string_view name, Status status = kActive) {
  return {name, BlockKind::kList, status.support, nullptr, {}, status.note};
}
// A statement followed by a `{ ... }` block of the keywords of `block`.
constexpr KeywordSpec Block(std::string_view name, const BlockSchema& block,
                            Status status = kActive, std::string_view alias_of = {}) {
  return {name, BlockKind::kKeywords, status.support, &block, alias_of, status.note};
}
// A deprecated plain statement that means `alias_of`.
constexpr KeywordSpec Alias(std::string_view name, std::string_view alias_of,
                            Status status = kActive) {
  return {name, BlockKind::kNone, status.support, nullptr, alias_of, status.note};
}

// linkbeat_use_polling / linkbeat_interfaces, top level and vrrp_instance.
inline constexpr Status kLinkbeatNotPlanned = NotPlanned("vigil follows links through netlink (IFF_UP and IFF_RUNNING), as keepalived does without it; polling MII, ethtool or ioctl for drivers that report no carrier changes is not planned");

// The top-level blocks defined in schema_global.cc, schema_vrrp.cc, schema_check.cc.
extern const BlockSchema kGlobalDefsBlock;
extern const BlockSchema kVrrpSyncGroupBlock;
extern const BlockSchema kVrrpInstanceBlock;
extern const BlockSchema kVrrpScriptBlock;
extern const BlockSchema kVrrpTrackProcessBlock;
extern const BlockSchema kBfdInstanceBlock;
extern const BlockSchema kSslBlock;
extern const BlockSchema kVirtualServerBlock;

}  // namespace schema_internal

}  // namespace vigil::config

#endif  // VIGIL_CONFIG_SCHEMA_H_
