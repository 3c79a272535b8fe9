// Loading a configuration: text → model in one call, through every front-end stage
// (preprocess → block tree → typed model → optional system checks).
#ifndef VIGIL_CONFIG_LOAD_H_
#define VIGIL_CONFIG_LOAD_H_

#include <functional>
#include <string>

#include "config/diagnostics.h"
#include "config/file_system.h"
#include "config/preprocessor.h"
#include "config/source.h"
#include "model/config.h"

namespace vigil::config {

class SystemInfo;

struct Loaded {
  SourceFiles files;
  Diagnostics diags;
  model::Config config;
};

// What LoadConfig asks of the running system.
enum class SystemPass {
  kNone,     // the model as written (dump, golden tests)
  kResolve,  // script commands resolved along PATH (ResolveCommands) and auth_hmac key
             // files read (LoadHmacKeyFiles, whose diagnostics are the only ones)
  kCheck,    // kResolve, then CheckSystem's diagnostics (interfaces, users, scripts)
};

// Called between building the model and the system pass (e.g. to enter the configuration's
// network namespace, whose interfaces the pass must see); may add diagnostics and adjust
// the model. Returning false skips the system pass.
using BeforeSystemPass = std::function<bool(Loaded& loaded)>;

// Reads the configuration at `path` through `fs` and builds the model, then asks `system`
// what `pass` says (`system` may be null only with kNone). Never throws, never touches
// anything but `fs`, `system` and what `before_system` does.
Loaded LoadConfig(const std::string& path, const PreprocessOptions& options, FileSystem& fs,
                  const SystemInfo* system, SystemPass pass = SystemPass::kCheck,
                  const BeforeSystemPass& before_system = nullptr);

// Returns the host name up to its first dot: keepalived's default config id.
std::string DefaultConfigId();

}  // namespace vigil::config

#endif  // VIGIL_CONFIG_LOAD_H_
