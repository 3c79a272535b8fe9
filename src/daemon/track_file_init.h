// track_file `init_file [VALUE] [overwrite]`: the files vigild writes when it reads its
// configuration, as keepalived 2.2.7 does — VALUE (default 0) and a newline, to a file that
// does not exist, or with `overwrite` to an existing regular file too, but then only at
// start, never at a reload. `vigild -t` writes nothing.
#ifndef VIGIL_DAEMON_TRACK_FILE_INIT_H_
#define VIGIL_DAEMON_TRACK_FILE_INIT_H_

#include <sys/types.h>

#include <string>
#include <vector>

#include "model/config.h"

namespace vigil::daemon {

// Initialises the files of `files` that ask for it; a file written gets mode `mode`.
// Returns one line per file that could not be initialised (the others are written).
std::vector<std::string> InitTrackFiles(const std::vector<model::TrackFile>& files, bool reload,
                                        mode_t mode);

}  // namespace vigil::daemon

#endif  // VIGIL_DAEMON_TRACK_FILE_INIT_H_
