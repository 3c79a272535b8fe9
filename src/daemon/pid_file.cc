#include "daemon/pid_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <string>

namespace vigil::daemon {
namespace {

struct flock WholeFile(short type) {
  struct flock l = {};
  l.l_type = type;
  l.l_whence = SEEK_SET;
  l.l_start = 0;
  l.l_len = 0;
  return l;
}

Result<void> WritePid(int fd, pid_t pid) {
  std::string text = std::to_string(pid) + "\n";
  if (ftruncate(fd, 0) != 0) return FailErrno("truncate pid file");
  ssize_t n;
  do {
    n = pwrite(fd, text.data(), text.size(), 0);
  } while (n < 0 && errno == EINTR);
  if (n != static_cast<ssize_t>(text.size())) return FailErrno("write pid file");
  return {};
}

}  // namespace

Result<PidFile> PidFile::Acquire(const std::string& path, pid_t pid) {
  // rw-r--r-- whatever the umask, as keepalived's pid files.
  const mode_t mask = umask(0);
  umask(mask & ~0644);
  int raw;
  do {
    raw = open(path.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
  } while (raw < 0 && errno == EINTR);
  umask(mask);
  if (raw < 0) return FailErrno("open pid file '" + path + "'");
  UniqueFd fd(raw);
  struct flock l = WholeFile(F_WRLCK);
  if (fcntl(fd.get(), F_OFD_SETLK, &l) != 0) {
    if (errno == EAGAIN || errno == EACCES) {
      // The lock holder wrote its pid: quote it, as information only.
      char buf[32] = {};
      std::string who;
      if (pread(fd.get(), buf, sizeof(buf) - 1, 0) > 0) {
        std::string text(buf);
        text = text.substr(0, text.find('\n'));
        if (!text.empty()) who = " (pid " + text + ")";
      }
      return Fail(ErrorCode::kExists,
                  "another vigild is running" + who + ": '" + path + "' is locked");
    }
    return FailErrno("lock pid file '" + path + "'");
  }
  if (auto w = WritePid(fd.get(), pid); !w) return std::unexpected(w.error());
  return PidFile(path, std::move(fd));
}

PidFile::~PidFile() {
  if (fd_.valid()) unlink(path_.c_str());
}

Result<void> PidFile::Rewrite(pid_t pid) { return WritePid(fd_.get(), pid); }

void PidFile::Abandon() { fd_.Reset(); }

Result<bool> IsLocked(const std::string& path) {
  int raw = open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (raw < 0) {
    if (errno == ENOENT) return false;
    return FailErrno("open pid file '" + path + "'");
  }
  UniqueFd fd(raw);
  struct flock q = WholeFile(F_WRLCK);
  if (fcntl(fd.get(), F_OFD_GETLK, &q) != 0) return FailErrno("query lock on '" + path + "'");
  return q.l_type != F_UNLCK;
}

}  // namespace vigil::daemon
