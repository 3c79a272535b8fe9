#include "check/socket_util.h"

#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>

#include <cerrno>
#include <cstring>

#include "base/fd.h"

namespace vigil::check {

Result<SockAddr> ParseSockAddr(const std::string& address, uint16_t port) {
  SockAddr out;
  std::string host = address;
  std::string scope;
  if (auto pct = host.find('%'); pct != std::string::npos) {
    scope = host.substr(pct + 1);
    host.resize(pct);
  }
  auto* in4 = reinterpret_cast<sockaddr_in*>(&out.storage);
  auto* in6 = reinterpret_cast<sockaddr_in6*>(&out.storage);
  if (scope.empty() && inet_pton(AF_INET, host.c_str(), &in4->sin_addr) == 1) {
    in4->sin_family = AF_INET;
    in4->sin_port = htons(port);
    out.length = sizeof(sockaddr_in);
    return out;
  }
  if (inet_pton(AF_INET6, host.c_str(), &in6->sin6_addr) == 1) {
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons(port);
    if (!scope.empty()) {
      unsigned idx = if_nametoindex(scope.c_str());
      if (idx == 0) return Fail(ErrorCode::kNotFound, "unknown interface in address " + address);
      in6->sin6_scope_id = idx;
    }
    out.length = sizeof(sockaddr_in6);
    return out;
  }
  return Fail(ErrorCode::kInvalidArgument, "not a numeric IP address: '" + address + "'");
}

std::string FormatHostPort(const std::string& address, uint16_t port) {
  if (address.find(':') != std::string::npos) return "[" + address + "]:" + std::to_string(port);
  return address + ":" + std::to_string(port);
}

Result<void> ApplyDeviceOptions(int fd, const ConnectOptions& opts) {
  if (opts.fwmark != 0) {
    uint32_t mark = opts.fwmark;
    if (::setsockopt(fd, SOL_SOCKET, SO_MARK, &mark, sizeof(mark)) != 0) {
      return FailErrno("setsockopt(SO_MARK " + std::to_string(mark) + ")");
    }
  }
  if (!opts.bind_if.empty()) {
    if (::setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, opts.bind_if.c_str(),
                     static_cast<socklen_t>(opts.bind_if.size() + 1)) != 0) {
      return FailErrno("setsockopt(SO_BINDTODEVICE " + opts.bind_if + ")");
    }
  }
  return {};
}

Result<UniqueFd> OpenProbeSocket(const ConnectOptions& opts, int type, int protocol) {
  auto dst = ParseSockAddr(opts.address, opts.port);
  if (!dst) return std::unexpected(dst.error());
  UniqueFd fd = fd::Socket(dst->family(), type | SOCK_NONBLOCK, protocol);
  if (!fd) return FailErrno("socket");
  if (auto r = ApplyDeviceOptions(fd.get(), opts); !r) return std::unexpected(r.error());
  if (!opts.bind_address.empty() || opts.bind_port != 0) {
    SockAddr src;
    if (!opts.bind_address.empty()) {
      auto parsed = ParseSockAddr(opts.bind_address, opts.bind_port);
      if (!parsed) return std::unexpected(parsed.error());
      if (parsed->family() != dst->family()) {
        return Fail(ErrorCode::kInvalidArgument, "bindto address family differs from target");
      }
      src = *parsed;
    } else if (dst->family() == AF_INET) {
      auto* in4 = reinterpret_cast<sockaddr_in*>(&src.storage);
      in4->sin_family = AF_INET;
      in4->sin_port = htons(opts.bind_port);
      src.length = sizeof(sockaddr_in);
    } else {
      auto* in6 = reinterpret_cast<sockaddr_in6*>(&src.storage);
      in6->sin6_family = AF_INET6;
      in6->sin6_port = htons(opts.bind_port);
      src.length = sizeof(sockaddr_in6);
    }
    if (type == SOCK_STREAM) {
      int one = 1;
      (void)::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    }
    if (::bind(fd.get(), src.get(), src.length) != 0) return FailErrno("bind");
  }
  return fd;
}

}  // namespace vigil::check
