#include "daemon/config_commands.h"

#include <unistd.h>

#include <cstdlib>
#include <ostream>

#include "config/load.h"
#include "config/system_check.h"
#include "model/json.h"
#include "net/netns.h"

namespace vigil::daemon {

config::PreprocessOptions PreprocessOptionsFrom(const Options& options) {
  config::PreprocessOptions p;
  p.config_id = options.config_id.value_or(config::DefaultConfigId());
  p.getenv = [](const std::string& name) -> std::optional<std::string> {
    const char* v = std::getenv(name.c_str());
    if (v == nullptr) return std::nullopt;
    return std::string(v);
  };
  p.random_seed = static_cast<uint64_t>(::getpid());
  p.fail_on_missing_include = options.all_config;
  // keepalived reads keyword lines plainly ("..." only, no escapes); script command
  // lines are split with shell rules later, when they run (SplitCommandLine).
  p.shell_quoting = false;
  return p;
}

config::Loaded LoadFromOptions(const Options& options, config::SystemPass pass,
                               NetnsEntry netns) {
  config::RealFileSystem fs;
  config::HostSystemInfo system;
  auto before_system = [&](config::Loaded& loaded) {
    model::Config& c = loaded.config;
    if (options.net_namespace) {
      c.net_namespace = options.net_namespace;
      c.net_namespace_loc = {};
    }
    if (netns != NetnsEntry::kEnter || !c.net_namespace) return true;
    if (auto r = net::EnterNetns(net::NetnsPath(*c.net_namespace)); !r) {
      const model::SourceRef& at = c.net_namespace_loc;
      loaded.diags.Fatal({at.file, at.line, at.column},
                         "cannot run in network namespace '" + *c.net_namespace +
                             "': " + r.error().ToString(),
                         config::Grade::kCannotRun);
      return false;
    }
    return true;
  };
  return config::LoadConfig(options.config_file, PreprocessOptionsFrom(options), fs, &system,
                            pass, before_system);
}

int RunConfigTest(const Options& options, std::ostream& diag_out,
                  const EngineChecks& engine_checks) {
  config::Loaded loaded =
      LoadFromOptions(options, config::SystemPass::kCheck, NetnsEntry::kEnter);
  if (engine_checks && !loaded.diags.HasFatal()) engine_checks(loaded.config, loaded.diags);
  diag_out << loaded.diags.FormatAll(loaded.files);
  diag_out.flush();
  return static_cast<int>(loaded.diags.ExitCode());
}

int RunDumpConfig(const Options& options, std::ostream& json_out, std::ostream& diag_out) {
  config::Loaded loaded = LoadFromOptions(options, config::SystemPass::kNone);
  diag_out << loaded.diags.FormatAll(loaded.files);
  diag_out.flush();
  // The model is printed even when the configuration cannot run: it shows what was read.
  json_out << model::ToJsonText(loaded.config, 2) << '\n';
  return loaded.diags.HasFatal() ? static_cast<int>(config::CheckExit::kCannotRun) : 0;
}

}  // namespace vigil::daemon
