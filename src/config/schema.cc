// The schema's lookups, and the top level with its small blocks.
// Keywords are listed in the order keepalived 2.2.7 installs them.
#include "config/schema.h"

#include <string>

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
    Kw("linkbeat_use_polling", kNotYet),
    Kw("net_namespace", kNotYet),
    Kw("net_namespace_ipvs", kNotYet),
    Kw("namespace_with_ipsets", kNotYet),
    Kw("use_pid_dir", kNotYet),
    Kw("instance", kNotYet),
    Kw("child_wait_time", kNotYet),
    Block("global_defs", kGlobalDefsBlock),
    Block("track_group", kTrackGroupBlock, kNotYet),
    List("static_ipaddress"),
    List("static_routes"),
    List("static_rules"),
    Block("vrrp_sync_group", kVrrpSyncGroupBlock),
    Block("garp_group", kGarpGroupBlock, kNotYet),
    List("linkbeat_interfaces", kNotYet),
    Block("vrrp_instance", kVrrpInstanceBlock),
    Block("vrrp_script", kVrrpScriptBlock),
    Block("vrrp_track_process", kVrrpTrackProcessBlock),
    List("interface_up_down_delays", kNotYet),
    Block("SSL", kSslBlock),
    List("virtual_server_group"),
    Block("virtual_server", kVirtualServerBlock),
    Block("bfd_instance", kBfdInstanceBlock, kNotYet),
    Block("track_file", kTrackFileBlock),
    Block("vrrp_track_file", kTrackFileBlock, kActive, "track_file"),
};
constexpr BlockSchema kRootBlock("root", kRootKeywords);
}  // namespace
}  // namespace schema_internal

const KeywordSpec* BlockSchema::Lookup(std::string_view keyword) const {
  for (const KeywordSpec& spec : keywords_)
    if (spec.name == keyword) return &spec;
  return nullptr;
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
