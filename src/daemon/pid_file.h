// Pid files locked with an open file description lock (F_OFD_SETLK): the lock, not the
// pid written in the file, says whether a vigild is running, and it dies with its owner.
#ifndef VIGIL_DAEMON_PID_FILE_H_
#define VIGIL_DAEMON_PID_FILE_H_

#include <sys/types.h>

#include <string>

#include "base/error.h"
#include "base/unique_fd.h"

namespace vigil::daemon {

class PidFile {
 public:
  // Creates (or opens) `path` without following symlinks, takes its write lock and writes
  // `pid`. Fails with kExists, naming the running pid, if another process holds the lock.
  static Result<PidFile> Acquire(const std::string& path, pid_t pid);

  PidFile(PidFile&&) = default;
  PidFile& operator=(PidFile&&) = default;
  // Removes the file (while still holding the lock) and releases the lock.
  ~PidFile();

  const std::string& path() const { return path_; }
  // Rewrites the pid (after a fork, the child that now owns the file calls this).
  Result<void> Rewrite(pid_t pid);
  // Drops the lock and the descriptor without removing the file (in a forked child
  // that must not hold the parent's file).
  void Abandon();

 private:
  PidFile(std::string path, UniqueFd fd) : path_(std::move(path)), fd_(std::move(fd)) {}
  std::string path_;
  UniqueFd fd_;
};

// Returns whether some process holds the lock on `path` (false if the file is absent).
// OFD locks carry no owner pid: the pid written in the file is only informative.
Result<bool> IsLocked(const std::string& path);

}  // namespace vigil::daemon

#endif  // VIGIL_DAEMON_PID_FILE_H_
