#include "config/load.h"

#include <unistd.h>

#include "config/build.h"
#include "config/hmac_keys.h"
#include "config/parser.h"
#include "config/system_check.h"

namespace vigil::config {

Loaded LoadConfig(const std::string& path, const PreprocessOptions& options, FileSystem& fs,
                  const SystemInfo* system, SystemPass pass,
                  const BeforeSystemPass& before_system) {
  Loaded out;
  // Each stage consumes the one before it as it goes (lines into the tree, the tree's
  // blocks into the model): a large configuration is never whole in memory twice.
  std::vector<Line> lines = Preprocess(path, fs, options, out.files, out.diags);
  if (out.diags.HasFatal() && lines.empty()) return out;
  Tree tree = ParseTree(std::move(lines), out.diags);
  std::vector<Line>().swap(lines);  // its emptied lines go before the model is built
  out.config = Build(std::move(tree), out.diags);
  if (before_system && !before_system(out)) return out;
  if (system == nullptr || pass == SystemPass::kNone) return out;
  ResolveCommands(out.config, *system);
  LoadHmacKeyFiles(out.config, *system, out.diags);
  if (pass == SystemPass::kCheck) CheckSystem(out.config, *system, out.diags);
  return out;
}

std::string DefaultConfigId() {
  char name[256] = {};
  if (gethostname(name, sizeof(name) - 1) != 0) return "";
  std::string host(name);
  return host.substr(0, host.find('.'));
}

}  // namespace vigil::config
