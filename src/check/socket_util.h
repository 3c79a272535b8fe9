// Socket set-up shared by the probes: address parsing and the connect options (bindto,
// bind_port, bind_if, fwmark). Plain POSIX; no asio here.
#ifndef VIGIL_CHECK_SOCKET_UTIL_H_
#define VIGIL_CHECK_SOCKET_UTIL_H_

#include <sys/socket.h>

#include <cstdint>
#include <string>

#include "base/error.h"
#include "base/unique_fd.h"
#include "check/types.h"

namespace vigil::check {

// A socket address with its length.
struct SockAddr {
  sockaddr_storage storage{};
  socklen_t length = 0;
  int family() const { return storage.ss_family; }
  const sockaddr* get() const { return reinterpret_cast<const sockaddr*>(&storage); }
};

// Parses a numeric IPv4/IPv6 literal (optionally "%scope") and port into a socket address.
Result<SockAddr> ParseSockAddr(const std::string& address, uint16_t port);

// Returns "a.b.c.d:port" or "[v6]:port".
std::string FormatHostPort(const std::string& address, uint16_t port);

// Sets SO_MARK (fwmark) and SO_BINDTODEVICE (bind_if) on `fd` when `opts` asks for them.
Result<void> ApplyDeviceOptions(int fd, const ConnectOptions& opts);

// Opens a socket of `type`/`protocol` for reaching `opts.address`, O_CLOEXEC|O_NONBLOCK, with
// SO_MARK (fwmark), SO_BINDTODEVICE (bind_if) and bound to bind_address/bind_port when set.
Result<UniqueFd> OpenProbeSocket(const ConnectOptions& opts, int type, int protocol);

}  // namespace vigil::check

#endif  // VIGIL_CHECK_SOCKET_UTIL_H_
