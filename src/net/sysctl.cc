#include "net/sysctl.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "base/fd.h"
#include "base/unique_fd.h"

namespace vigil::net {
namespace {

// Rejects keys that could escape the root ("..", absolute paths, empty components).
bool ValidKey(std::string_view key) {
  if (key.empty() || key.front() == '/' || key.back() == '/') return false;
  std::size_t start = 0;
  while (start <= key.size()) {
    std::size_t end = key.find('/', start);
    if (end == std::string_view::npos) end = key.size();
    std::string_view part = key.substr(start, end - start);
    if (part.empty() || part == "." || part == "..") return false;
    start = end + 1;
  }
  return true;
}

}  // namespace

std::string Ipv4ConfKey(std::string_view ifname, std::string_view setting) {
  std::string key = "net/ipv4/conf/";
  key += ifname;
  key += '/';
  key += setting;
  return key;
}

Result<std::string> Sysctl::Read(std::string_view key) const {
  if (!ValidKey(key)) return Fail(ErrorCode::kInvalidArgument, "bad sysctl key " + std::string(key));
  std::string path = root_ + "/" + std::string(key);
  UniqueFd fd = fd::Open(path.c_str(), O_RDONLY | O_NONBLOCK);
  if (!fd) return FailErrno("open " + path);
  std::string value;
  char buf[256];
  for (int i = 0; i < 64; ++i) {  // sysctl values are small; bound the loop anyway
    ssize_t got = ::read(fd.get(), buf, sizeof(buf));
    if (got < 0) {
      if (errno == EINTR) continue;
      return FailErrno("read " + path);
    }
    if (got == 0) break;
    value.append(buf, static_cast<std::size_t>(got));
  }
  while (!value.empty() && (value.back() == '\n' || value.back() == ' ')) value.pop_back();
  return value;
}

Result<void> Sysctl::Write(std::string_view key, std::string_view value) const {
  if (!ValidKey(key)) return Fail(ErrorCode::kInvalidArgument, "bad sysctl key " + std::string(key));
  std::string path = root_ + "/" + std::string(key);
  UniqueFd fd = fd::Open(path.c_str(), O_WRONLY | O_TRUNC | O_NONBLOCK);
  if (!fd) return FailErrno("open " + path);
  std::string data(value);
  data += '\n';
  ssize_t wrote;
  do {
    wrote = ::write(fd.get(), data.data(), data.size());
  } while (wrote < 0 && errno == EINTR);
  if (wrote < 0) return FailErrno("write " + path);
  if (static_cast<std::size_t>(wrote) != data.size()) {
    return Fail(ErrorCode::kIo, "short write to " + path);
  }
  return {};
}

Result<void> SysctlRestorer::Set(std::string_view key, std::string_view value) {
  auto current = sysctl_.Read(key);
  if (!current) return std::unexpected(current.error());
  bool known = std::any_of(saved_.begin(), saved_.end(),
                           [&](const auto& entry) { return entry.first == key; });
  if (*current == value) return {};
  if (!known) saved_.emplace_back(std::string(key), *current);
  return sysctl_.Write(key, value);
}

Result<void> SysctlRestorer::Restore() {
  Result<void> first;
  for (auto it = saved_.rbegin(); it != saved_.rend(); ++it) {
    auto r = sysctl_.Write(it->first, it->second);
    if (!r && first) first = r;
  }
  saved_.clear();
  return first;
}

namespace {

Result<void> SetAll(SysctlRestorer& restorer, std::string_view ifname,
                    std::initializer_list<std::pair<std::string_view, std::string_view>> values) {
  for (const auto& [setting, value] : values) {
    if (auto r = restorer.Set(Ipv4ConfKey(ifname, setting), value); !r) return r;
  }
  return {};
}

}  // namespace

Result<void> ConfigureVmacInterface(SysctlRestorer& restorer, std::string_view ifname) {
  return SetAll(restorer, ifname, {{"arp_ignore", "1"},
                                  {"accept_local", "1"},
                                  {"rp_filter", "0"},
                                  {"promote_secondaries", "1"}});
}

Result<void> ConfigureVmacParent(SysctlRestorer& restorer, std::string_view ifname) {
  return SetAll(restorer, ifname, {{"arp_ignore", "1"}, {"arp_filter", "1"}});
}

}  // namespace vigil::net
