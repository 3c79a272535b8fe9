#include "config/build.h"

#include <type_traits>

#include "config/values.h"

namespace vigil::config {

namespace bi = build_internal;

namespace {

// Returns true iff `t` can name a namespace of `ip netns` (a file in /run/netns); reports it
// otherwise.
bool ValidNamespaceName(const Token& t, Diagnostics& diags) {
  if (t.text != "." && t.text != ".." && t.text.find('/') == std::string::npos) return true;
  diags.Error(t.loc, "'" + t.text + "' is not a network namespace name (a name of ip netns)");
  return false;
}

void BuildRootSingleton(const Node& n, model::Config& cfg, Diagnostics& diags) {
  const std::string& kw = n.name();
  if (kw == "net_namespace") {
    // As keepalived: the first definition holds.
    if (cfg.net_namespace) {
      diags.Warning(n.keyword.loc, "net_namespace is already '" + *cfg.net_namespace +
                                       "'; this one is ignored", Grade::kError);
    } else if (const Token* t = RequireArg(n, 0, diags)) {
      if (ValidNamespaceName(*t, diags)) {
        cfg.net_namespace = t->text;
        cfg.net_namespace_loc = RefOf(n);
      }
    }
  } else if (kw == "net_namespace_ipvs") {
    if (cfg.net_namespace_ipvs) {
      diags.Warning(n.keyword.loc, "net_namespace_ipvs is already set; this one is ignored",
                    Grade::kError);
    } else if (const Token* t = Arg(n, 0)) {
      if (ValidNamespaceName(*t, diags)) cfg.net_namespace_ipvs = t->text;
    } else {
      cfg.net_namespace_ipvs = "";  // the init namespace
    }
    cfg.net_namespace_ipvs_loc = RefOf(n);
  } else if (kw == "instance") {
    // As keepalived: the first name is kept, a second one is an error.
    if (const Token* t = RequireArg(n, 0, diags)) {
      if (cfg.instance)
        diags.Warning(n.keyword.loc, "instance is already set ('" + *cfg.instance +
                      "'); '" + t->text + "' is ignored", Grade::kError);
      else
        cfg.instance = t->text;
    }
  } else if (kw == "use_pid_dir") {
    if (auto b = NodeBool(n, diags)) cfg.use_pid_dir = *b;
  } else if (kw == "child_wait_time") {
    if (const Token* t = RequireArg(n, 0, diags))
      if (auto v = ParseInteger(*t, kw, 0, UINT32_MAX, diags))
        cfg.child_wait_time = std::chrono::seconds(*v);
  } else if (kw == "linkbeat_use_polling") {
    if (auto b = NodeBool(n, diags)) cfg.linkbeat_use_polling = *b;
  }
}

// Builds one top-level block other than global_defs.
void BuildRoot(const Node& n, model::Config& cfg, ServiceIndex& services, Diagnostics& diags) {
  const std::string& kw = n.name();
  if (kw == "vrrp_script") bi::BuildVrrpScript(n, cfg, diags);
  else if (kw == "track_file" || kw == "vrrp_track_file") bi::BuildTrackFile(n, cfg, diags);
  else if (kw == "vrrp_track_process") bi::BuildTrackProcess(n, cfg, diags);
  else if (kw == "bfd_instance") bi::BuildBfdInstance(n, cfg, diags);
  else if (kw == "vrrp_instance") bi::BuildVrrpInstance(n, cfg, diags);
  else if (kw == "vrrp_sync_group") bi::BuildSyncGroup(n, cfg, diags);
  else if (kw == "static_ipaddress") bi::BuildStaticAddresses(n, cfg, diags);
  else if (kw == "static_routes" || kw == "static_rules") bi::BuildStaticRoutesOrRules(n, cfg, diags);
  else if (kw == "track_group") bi::BuildTrackGroup(n, cfg, diags);
  else if (kw == "interface_up_down_delays") bi::BuildUpDownDelays(n, cfg, diags);
  else if (kw == "garp_group") bi::BuildGarpGroup(n, cfg, diags);
  else if (kw == "linkbeat_interfaces") {
    for (const Node& c : n.children) cfg.linkbeat_interfaces.push_back(c.name());
  } else if (kw == "SSL") bi::BuildSsl(n, cfg, diags);
  else if (kw == "virtual_server_group") bi::BuildVirtualServerGroup(n, cfg, diags);
  else if (kw == "virtual_server") bi::BuildVirtualServer(n, cfg, services, diags);
  else BuildRootSingleton(n, cfg, diags);
}

// Builds the model from `roots`; roots that are not const are freed one by one once built.
template <typename Roots>
model::Config BuildRoots(Roots& roots, Diagnostics& diags) {
  // global_defs first: instances read its defaults wherever it appears. The large lists are
  // sized once (a vector that grows holds its old and new copies at once).
  size_t instances = 0, virtual_servers = 0;
  for (const Node& n : roots) {
    instances += n.name() == "vrrp_instance";
    virtual_servers += n.name() == "virtual_server";
  }
  RootBuilder builder(diags, instances, virtual_servers);
  for (const Node& n : roots)
    if (n.name() == "global_defs") builder.Build(n);
  for (auto& n : roots) {
    if (n.name() == "global_defs") continue;
    builder.Build(n);
    if constexpr (!std::is_const_v<Roots>) n = Node();
  }
  return builder.Finish();
}

}  // namespace

RootBuilder::RootBuilder(Diagnostics& diags, size_t instances, size_t virtual_servers)
    : diags_(diags) {
  cfg_.vrrp_instances.reserve(instances);
  cfg_.virtual_servers.reserve(virtual_servers);
}

void RootBuilder::Add(Node&& root) {
  if (root.name() == "global_defs" && built_other_) late_global_defs_ = true;
  if (late_global_defs_) return;  // the caller builds the whole tree instead
  if (root.name() == "global_defs") {
    Build(root);
    globals_seen_ = true;
    return;
  }
  if (!globals_seen_) {
    waiting_.push_back(std::move(root));
    return;
  }
  BuildWaiting();
  Build(root);
  root = Node();
}

void RootBuilder::Build(const Node& root) {
  if (root.name() == "global_defs") {
    bi::BuildGlobalDefs(root, cfg_.global, diags_);
    return;
  }
  built_other_ = true;
  BuildRoot(root, cfg_, services_, diags_);
}

void RootBuilder::BuildWaiting() {
  for (Node& n : waiting_) {
    Build(n);
    n = Node();
  }
  waiting_.clear();
}

model::Config RootBuilder::Finish() {
  BuildWaiting();
  bi::FinishVrrp(cfg_, diags_);
  bi::FinishCheck(cfg_, diags_);
  // Script security (vigild -t exit 5) needs to know which scripts exist: CheckSystem.
  return std::move(cfg_);
}

model::Config Build(const Tree& tree, Diagnostics& diags) {
  return BuildRoots(tree.roots, diags);
}

model::Config Build(Tree&& tree, Diagnostics& diags) {
  model::Config cfg = BuildRoots(tree.roots, diags);
  tree.roots.clear();
  return cfg;
}

namespace build_internal {

std::optional<model::Script> ParseNotifyScript(const Node& n, Diagnostics& diags) {
  const Token* cmd = RequireArg(n, 0, diags);
  if (!cmd) return std::nullopt;
  if (cmd->text.empty()) {
    diags.Error(cmd->loc, n.name() + ": empty command");
    return std::nullopt;
  }
  model::Script s;
  s.command = cmd->text;
  s.loc = RefOf(n);
  if (const Token* u = Arg(n, 1)) s.user = u->text;
  if (const Token* g = Arg(n, 2)) s.group = g->text;
  if (n.args.size() > 3) diags.Error(n.args[3].loc, n.name() + ": unexpected '" + n.args[3].text + "'");
  return s;
}

std::optional<model::Script> ParseCommandScript(const Node& n, Diagnostics& diags) {
  if (!RequireArg(n, 0, diags)) return std::nullopt;
  model::Script s;
  s.command = JoinArgs(n);
  s.loc = RefOf(n);
  return s;
}

}  // namespace build_internal
}  // namespace vigil::config
