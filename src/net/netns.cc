#include "net/netns.h"

#include <fcntl.h>
#include <sched.h>

#include <cerrno>

#include "base/unique_fd.h"

namespace vigil::net {
namespace {

Result<UniqueFd> OpenNamespaceFile(const std::string& path) {
  int fd;
  do {
    fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) return FailErrno("network namespace '" + path + "'");
  return UniqueFd(fd);
}

Result<void> Join(const UniqueFd& fd, const std::string& path) {
  if (setns(fd.get(), CLONE_NEWNET) != 0)
    return FailErrno("entering network namespace '" + path + "'");
  return {};
}

}  // namespace

std::string NetnsPath(std::string_view name) { return kNetnsDir + std::string(name); }

std::string IpvsNetnsPath(const std::optional<std::string>& net_namespace_ipvs) {
  if (!net_namespace_ipvs) return "";
  if (net_namespace_ipvs->empty()) return kInitNetns;
  return NetnsPath(*net_namespace_ipvs);
}

Result<void> EnterNetns(const std::string& path) {
  auto fd = OpenNamespaceFile(path);
  if (!fd) return std::unexpected(fd.error());
  return Join(*fd, path);
}

Result<void> InNetns(const std::string& path, const std::function<void()>& body) {
  if (path.empty()) {
    body();
    return {};
  }
  // The thread's own namespace (not the process's: another thread may have moved).
  auto home = OpenNamespaceFile("/proc/thread-self/ns/net");
  if (!home) return std::unexpected(home.error());
  auto target = OpenNamespaceFile(path);
  if (!target) return std::unexpected(target.error());
  if (auto r = Join(*target, path); !r) return r;
  body();
  return Join(*home, "/proc/thread-self/ns/net");
}

}  // namespace vigil::net
