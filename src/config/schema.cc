// The schema's lookups, and the top level with its small blocks.
// Keywords are listed in the order keepalived 2.2.7 installs them.
#include "config/schema.h"

#include <algorithm>
#include <cctype>
#include <string>
#include <vector>

namespace vigil::config {
namespace schema_internal {
namespace {

constexpr KeywordSpec kTrackGroupKeywords[] = {
    List("group"),
};
constexpr BlockSchema kTrackGroupBlock("track_group", kTrackGroupKeywords);

constexpr KeywordSpec kGarpGroupKeywords[] = {
    Kw("garp_interval"),
    Kw("gna_interval"),
    Kw("interface"),
    List("interfaces"),
};
constexpr BlockSchema kGarpGroupBlock("garp_group", kGarpGroupKeywords);

constexpr KeywordSpec kTrackFileKeywords[] = {
    Kw("file"),
    Kw("weight"),
    Kw("init_file"),
};
constexpr BlockSchema kTrackFileBlock("track_file", kTrackFileKeywords);

constexpr KeywordSpec kRootKeywords[] = {
    Kw("linkbeat_use_polling", kLinkbeatNotPlanned),
    Kw("net_namespace"),
    Kw("net_namespace_ipvs", Differs("moves IPVS only: with the nftables backend vigil "
                                     "programs the namespace vigild runs in (-t warns)")),
    Kw("namespace_with_ipsets",
       NotPlanned("keepalived's override for kernels before Linux 3.13, whose ipsets do not "
                  "know network namespaces; vigil does not run on such kernels, so there is "
                  "nothing to override")),
    Kw("use_pid_dir", Differs("vigil's pid files go to /run/vigild/ (keepalived's: "
                              "/run/keepalived/) and are named vigild.pid, vigild_vrrp.pid, "
                              "vigild_check.pid, so both daemons can run side by side")),
    Kw("instance"),
    Kw("child_wait_time"),
    Block("global_defs", kGlobalDefsBlock),
    Block("track_group", kTrackGroupBlock),
    List("static_ipaddress"),
    List("static_routes"),
    List("static_rules"),
    Block("vrrp_sync_group", kVrrpSyncGroupBlock),
    Block("garp_group", kGarpGroupBlock),
    List("linkbeat_interfaces", kLinkbeatNotPlanned),
    Block("vrrp_instance", kVrrpInstanceBlock),
    Block("vrrp_script", kVrrpScriptBlock),
    Block("vrrp_track_process", kVrrpTrackProcessBlock),
    List("interface_up_down_delays",
         Differs("as keepalived's code (DOWN then UP; no UP: up counts at once, where its man "
                 "page says the down delay), capped below (down_timer_adverts - 1) advert "
                 "intervals; an interface deleted and created again keeps its delays "
                 "(keepalived 2.2.7 forgets them)")),
    Block("SSL", kSslBlock),
    List("virtual_server_group"),
    Block("virtual_server", kVirtualServerBlock),
    Block("bfd_instance", kBfdInstanceBlock),
    Block("track_file", kTrackFileBlock),
    Block("vrrp_track_file", kTrackFileBlock, kActive, "track_file"),
};
constexpr BlockSchema kRootBlock("root", kRootKeywords);
}  // namespace
}  // namespace schema_internal

const KeywordSpec* BlockSchema::Lookup(std::string_view keyword) const {
  // Length and first byte before the compare (a call): most keywords of a block differ there.
  if (keyword.empty()) return nullptr;
  for (const KeywordSpec& spec : keywords_)
    if (spec.name.size() == keyword.size() && spec.name[0] == keyword[0] && spec.name == keyword)
      return &spec;
  return nullptr;
}

namespace {

// Returns the optimal-string-alignment distance between `a` and `b`.
size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<std::vector<size_t>> d(a.size() + 1, std::vector<size_t>(b.size() + 1));
  for (size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.size()][b.size()];
}

}  // namespace

std::string_view BlockSchema::Closest(std::string_view word) const {
  const size_t limit = word.size() <= 4 ? 1 : word.size() <= 10 ? 2 : 3;
  std::string_view best;
  size_t best_distance = limit + 1;
  auto lower = [](std::string_view w) {
    std::string out(w);
    for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
  };
  for (const KeywordSpec& spec : keywords_)  // `tcp_check` means TCP_CHECK
    if (spec.name.size() == word.size() && lower(spec.name) == lower(word)) return spec.name;
  for (const KeywordSpec& spec : keywords_) {
    const size_t longer = std::max(spec.name.size(), word.size());
    const size_t shorter = std::min(spec.name.size(), word.size());
    if (longer - shorter >= best_distance) continue;  // cannot be nearer
    const size_t distance = EditDistance(word, spec.name);
    if (distance < best_distance) {
      best = spec.name;
      best_distance = distance;
    }
  }
  return best;
}

const BlockSchema& RootSchema() { return schema_internal::kRootBlock; }

namespace {

void Walk(const BlockSchema& schema, std::string& path,
          const std::function<void(std::string_view, const KeywordSpec&)>& fn) {
  for (const KeywordSpec& spec : schema.keywords()) {
    fn(path, spec);
    if (spec.block == nullptr) continue;
    const size_t len = path.size();
    if (!path.empty()) path += '/';
    path += spec.name;
    Walk(*spec.block, path, fn);
    path.resize(len);
  }
}

}  // namespace

void ForEachKeyword(const BlockSchema& schema,
                    const std::function<void(std::string_view path, const KeywordSpec&)>& fn) {
  std::string path;
  Walk(schema, path, fn);
}

}  // namespace vigil::config
