// The files of a reload, as keepalived's global_defs name them: reload_check_config's log
// of the new configuration's check, reload_file (there while vigild reads the
// configuration), config_save_dir (a copy of every configuration loaded).
#ifndef VIGIL_DAEMON_RELOAD_FILES_H_
#define VIGIL_DAEMON_RELOAD_FILES_H_

#include <sys/types.h>

#include <string>

#include "base/error.h"
#include "config/source.h"
#include "model/config.h"

namespace vigil::daemon {

// What the reload keywords of global_defs say.
struct ReloadSettings {
  bool check_config = false;  // reload_check_config
  std::string check_log;      // its LOG_FILE; "" when none was named
  std::string reload_file;    // reload_file; without a name, vigild[_INSTANCE].reload in the
                              // pid directory (RunDirectory); "" when not configured
  std::string time_file;      // reload_time_file
  bool repeat = false;        // reload_repeat
  std::string save_dir;       // config_save_dir
};

// Returns the reload settings of `config`.
ReloadSettings GetReloadSettings(const model::Config& config);

// Writes `text` to the reload check's log `path`, replacing what it held (a character
// device such as /dev/null is written as it is).
Result<void> WriteCheckLog(const std::string& path, const std::string& text);

// Creates `path` empty (mode 0644), or truncates it if it exists: the configuration is being
// read. RemoveReloadFile deletes it once read.
Result<void> CreateReloadFile(const std::string& path);
void RemoveReloadFile(const std::string& path);

// Returns the text config_save_dir keeps of a loaded configuration: every file read, in the
// order read, each after a line "# PATH".
std::string ConfigCopyText(const config::SourceFiles& files);

// Saves ConfigCopyText(files) as `dir`/vigild.conf.PID.N and returns that path; creates
// `dir` (mode 0700) if it is missing (its parent must exist).
Result<std::string> SaveConfigCopy(const std::string& dir, const config::SourceFiles& files,
                                   pid_t pid, unsigned n);

}  // namespace vigil::daemon

#endif  // VIGIL_DAEMON_RELOAD_FILES_H_
