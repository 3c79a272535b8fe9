#include "daemon/process_identity.h"

#include <sys/prctl.h>
#include <sys/stat.h>

#include "base/log.h"

namespace vigil::daemon {

mode_t EffectiveUmask(const Options& options, const model::Config& config) {
  if (options.umask) return static_cast<mode_t>(*options.umask);
  if (config.global.umask) return static_cast<mode_t>(*config.global.umask);
  return kDefaultUmask;
}

mode_t CreatedFileMode(mode_t mask) { return 0666 & ~mask; }

std::string ProcessName(const model::Config& config, const std::string& who) {
  const model::Global& g = config.global;
  const std::optional<std::string>& configured = who.empty()    ? g.process_name
                                                 : who == "vrrp" ? g.vrrp_process_name
                                                 : who == "bfd"  ? g.bfd_process_name
                                                                 : g.checker_process_name;
  if (configured) return *configured;
  return who.empty() ? "vigild" : "vigild-" + who;
}

void ApplyProcessIdentity(const Options& options, const model::Config& config,
                          const std::string& who) {
  ::umask(EffectiveUmask(options, config));
  const std::string name = ProcessName(config, who);
  if (::prctl(PR_SET_NAME, name.c_str()) != 0)
    log::Warning("cannot set the process name '" + name + "'");
}

}  // namespace vigil::daemon
