#include "base/fd.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/inotify.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <random>

namespace vigil::fd {

UniqueFd Open(const char* path, int flags, mode_t mode) {
  int r;
  do {
    r = ::open(path, flags | O_CLOEXEC, mode);
  } while (r < 0 && errno == EINTR);
  return UniqueFd(r);
}

UniqueFd Socket(int domain, int type, int protocol) {
  return UniqueFd(::socket(domain, type | SOCK_CLOEXEC, protocol));
}

UniqueFd Inotify() { return UniqueFd(::inotify_init1(IN_CLOEXEC | IN_NONBLOCK)); }

UniqueFd Dup(int fd) { return UniqueFd(::fcntl(fd, F_DUPFD_CLOEXEC, 3)); }

Result<std::pair<UniqueFd, UniqueFd>> SocketPair(int domain, int type, int protocol) {
  int sv[2];
  if (::socketpair(domain, type | SOCK_CLOEXEC, protocol, sv) != 0) return FailErrno("socketpair");
  return std::make_pair(UniqueFd(sv[0]), UniqueFd(sv[1]));
}

Result<void> SetCloexec(int fd) {
  int flags = ::fcntl(fd, F_GETFD);
  if (flags < 0 || ::fcntl(fd, F_SETFD, flags | FD_CLOEXEC) != 0) return FailErrno("fcntl(FD_CLOEXEC)");
  return {};
}

bool IsCloexec(int fd) {
  int flags = ::fcntl(fd, F_GETFD);
  return flags >= 0 && (flags & FD_CLOEXEC);
}

std::vector<int> OpenFds() {
  std::vector<int> out;
  DIR* d = ::opendir("/proc/self/fd");
  if (d == nullptr) return out;
  const int own = ::dirfd(d);
  while (dirent* e = ::readdir(d)) {
    if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
    const int n = std::atoi(e->d_name);
    if (n != own) out.push_back(n);
  }
  ::closedir(d);
  std::sort(out.begin(), out.end());
  return out;
}

void CloexecSince(const std::vector<int>& before) {
  for (int n : OpenFds())
    if (!std::binary_search(before.begin(), before.end(), n)) (void)SetCloexec(n);
}

Result<void> ReplaceFile(const std::string& path, std::string_view data, mode_t mode) {
  const size_t slash = path.rfind('/');
  const std::string dir = slash == std::string::npos ? "." : path.substr(0, slash + 1);
  const std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
  std::random_device rd;
  std::string tmp;
  UniqueFd out;
  for (int attempt = 0; attempt < 16 && !out; ++attempt) {
    tmp = dir + (dir == "." ? "/." : ".") + base + ".tmp" + std::to_string(rd() & 0xffffff);
    out = Open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, mode);
    if (!out && errno != EEXIST) return FailErrno("open " + tmp);
  }
  if (!out) return FailErrno("open " + tmp);
  // The umask may have taken bits away; the mode asked for is what the file gets.
  if (::fchmod(out.get(), mode) != 0) {
    auto failed = FailErrno("fchmod " + tmp);
    ::unlink(tmp.c_str());
    return failed;
  }
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(out.get(), data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      auto failed = FailErrno("write " + tmp);
      ::unlink(tmp.c_str());
      return failed;
    }
    done += static_cast<size_t>(n);
  }
  out.Reset();
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    auto failed = FailErrno("rename " + tmp + " to " + path);
    ::unlink(tmp.c_str());
    return failed;
  }
  return {};
}

}  // namespace vigil::fd
