// Creating file descriptors. Every descriptor vigil makes is close-on-exec from birth, so a
// script or a check program started by any engine inherits none of them (the raw VRRP
// socket, netlink, the control socket...). Make descriptors here, not with the raw calls.
#ifndef VIGIL_BASE_FD_H_
#define VIGIL_BASE_FD_H_

#include <sys/types.h>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/error.h"
#include "base/unique_fd.h"

namespace vigil::fd {

// Returns open(path, flags | O_CLOEXEC, mode); invalid (errno set) on failure.
UniqueFd Open(const char* path, int flags, mode_t mode = 0);
// Returns socket(domain, type | SOCK_CLOEXEC, protocol); invalid (errno set) on failure.
UniqueFd Socket(int domain, int type, int protocol);
// Returns inotify_init1(IN_CLOEXEC | IN_NONBLOCK); invalid (errno set) on failure.
UniqueFd Inotify();
// Returns a close-on-exec duplicate of `fd` (F_DUPFD_CLOEXEC); invalid (errno set) on failure.
UniqueFd Dup(int fd);
// Returns a connected pair, socketpair(domain, type | SOCK_CLOEXEC, protocol).
Result<std::pair<UniqueFd, UniqueFd>> SocketPair(int domain, int type, int protocol);
// Sets FD_CLOEXEC on a descriptor a library made without it (asio's accept, open).
Result<void> SetCloexec(int fd);
// Returns whether `fd` is close-on-exec.
bool IsCloexec(int fd);
// Returns the descriptors open in this process, ascending.
std::vector<int> OpenFds();
// Sets FD_CLOEXEC on every descriptor open now that is not in `before` (from OpenFds): for a
// library that opens its own without it (libnftables' netlink socket).
void CloexecSince(const std::vector<int>& before);

// Replaces `path` with a file holding `data`, mode `mode`: written to a new temporary file in
// the same directory (O_EXCL | O_NOFOLLOW, so nothing planted there is followed or
// truncated), then renamed over `path`. A symlink at `path` is replaced, never followed.
Result<void> ReplaceFile(const std::string& path, std::string_view data, mode_t mode);

}  // namespace vigil::fd

#endif  // VIGIL_BASE_FD_H_
