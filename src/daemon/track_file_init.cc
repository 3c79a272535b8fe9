#include "daemon/track_file_init.h"

#include <sys/stat.h>

#include <cerrno>

#include "base/fd.h"

namespace vigil::daemon {

std::vector<std::string> InitTrackFiles(const std::vector<model::TrackFile>& files, bool reload,
                                        mode_t mode) {
  std::vector<std::string> failed;
  for (const auto& f : files) {
    if (!f.init_file) continue;
    struct stat st {};
    if (::stat(f.path.c_str(), &st) == 0) {
      if (!f.init_overwrite) continue;  // only created when missing
      if (!S_ISREG(st.st_mode)) {
        failed.push_back("track_file " + f.name + ": cannot initialise " + f.path +
                         ": not a regular file");
        continue;
      }
      if (reload) continue;  // overwritten at start only
    }
    const std::string text = std::to_string(f.init_value.value_or(0)) + "\n";
    if (auto r = fd::ReplaceFile(f.path, text, mode); !r)
      failed.push_back("track_file " + f.name + ": cannot initialise " + f.path + ": " +
                       r.error().ToString());
  }
  return failed;
}

}  // namespace vigil::daemon
