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
  // Each stage consumes the one before it as it goes (the parser reads lines as the
  // preprocessor makes them, the builder frees the tree's blocks as it builds them): a
  // large configuration is never whole in memory twice. The parser's diagnostics follow
  // the preprocessor's, as when one stage ran after the other.
  Tree tree;
  {
    LineReader reader(path, fs, options, out.files, out.diags);
    size_t lines = 0;
    Diagnostics parse_diags;
    tree = ParseTree([&](Line& line) { return reader.Next(line) && ++lines; }, parse_diags);
    if (out.diags.HasFatal() && lines == 0) return out;
    for (const Diagnostic& d : parse_diags.all()) out.diags.Add(d);
  }
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
