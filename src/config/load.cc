#include "config/load.h"

#include <unistd.h>

#include "config/build.h"
#include "config/hmac_keys.h"
#include "config/parser.h"
#include "config/system_check.h"

namespace vigil::config {

namespace {

// Reads `path` into out.files and out.diags and builds out.config. Each stage consumes the
// one before it as it goes: the parser reads lines as the preprocessor makes them and
// `by_block` hands each top-level block to the builder as soon as it closes (else the
// builder frees the whole tree's blocks as it builds them), so a large configuration is
// never whole in memory twice, nor as a tree beside its model. The parser's diagnostics
// follow the preprocessor's and the builder's the parser's, as when one stage ran after
// the other.
enum class ReadResult { kBuilt, kUnreadable, kLateGlobalDefs };
ReadResult Read(const std::string& path, const PreprocessOptions& options, FileSystem& fs,
                bool by_block, Loaded& out) {
  Diagnostics parse_diags, build_diags;
  RootBuilder builder(build_diags);
  Tree tree;
  {
    LineReader reader(path, fs, options, out.files, out.diags);
    size_t lines = 0;
    auto next = [&](Line& line) { return reader.Next(line) && ++lines; };
    if (by_block)
      ParseRoots(next, parse_diags, [&](Node&& root) { builder.Add(std::move(root)); });
    else
      tree = ParseTree(next, parse_diags);
    if (out.diags.HasFatal() && lines == 0) return ReadResult::kUnreadable;
  }
  if (builder.late_global_defs()) return ReadResult::kLateGlobalDefs;
  for (const Diagnostic& d : parse_diags.all()) out.diags.Add(d);
  out.config = by_block ? builder.Finish() : Build(std::move(tree), out.diags);
  for (const Diagnostic& d : build_diags.all()) out.diags.Add(d);
  return ReadResult::kBuilt;
}

}  // namespace

Loaded LoadConfig(const std::string& path, const PreprocessOptions& options, FileSystem& fs,
                  const SystemInfo* system, SystemPass pass,
                  const BeforeSystemPass& before_system) {
  Loaded out;
  // Block by block unless a global_defs follows other blocks (global_defs is built first
  // wherever it appears): then the file is read again, as a whole tree.
  ReadResult read = Read(path, options, fs, true, out);
  if (read == ReadResult::kLateGlobalDefs) {
    out = Loaded();
    read = Read(path, options, fs, false, out);
  }
  if (read == ReadResult::kUnreadable) return out;
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
