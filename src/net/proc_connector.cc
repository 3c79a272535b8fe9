#include "net/proc_connector.h"

#include <fcntl.h>
#include <linux/cn_proc.h>
#include <linux/connector.h>
#include <linux/netlink.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <utility>

#include "base/fd.h"
#include "net/netns.h"

namespace vigil::net {
namespace {

constexpr size_t kCnHeader = NLMSG_HDRLEN + sizeof(cn_msg);

// Returns the network namespaces where the connector may be, nearest first: this
// process's, pid 1's (the initial one, on an ordinary host), then those of its ancestors
// (started under `ip netns exec`, the shell that ran it is in the initial one). Each once.
std::vector<std::string> CandidateNamespaces() {
  std::vector<std::string> out = {"/proc/self/ns/net", "/proc/1/ns/net"};
  pid_t pid = getppid();
  for (int depth = 0; pid > 1 && depth < 16; ++depth) {
    out.push_back("/proc/" + std::to_string(pid) + "/ns/net");
    std::ifstream status("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    pid_t parent = 0;
    while (std::getline(status, line))
      if (line.rfind("PPid:", 0) == 0) parent = static_cast<pid_t>(std::atoi(line.c_str() + 5));
    pid = parent;
  }
  return out;
}

// Returns a connector socket made in the network namespace `ns` (a /proc/PID/ns/net path),
// entering it for the socket() call when it is not this process's.
Result<UniqueFd> SocketIn(const std::string& ns, bool here) {
  UniqueFd s;
  int socket_errno = 0;
  auto in = InNetns(here ? std::string() : ns, [&] {
    s = fd::Socket(AF_NETLINK, SOCK_DGRAM | SOCK_NONBLOCK, NETLINK_CONNECTOR);
    socket_errno = errno;
  });
  if (!in) return std::unexpected(in.error());
  if (!s) return std::unexpected(Error::FromErrno(socket_errno, "socket"));
  return s;
}

}  // namespace

std::vector<ProcEvent> ParseProcEvents(std::span<const uint8_t> datagram) {
  std::vector<ProcEvent> out;
  size_t at = 0;
  while (datagram.size() - at >= NLMSG_HDRLEN) {
    nlmsghdr nh;
    std::memcpy(&nh, datagram.data() + at, sizeof(nh));
    if (nh.nlmsg_len < NLMSG_HDRLEN || nh.nlmsg_len > datagram.size() - at) break;
    const size_t next = at + NLMSG_ALIGN(nh.nlmsg_len);
    if (nh.nlmsg_type != NLMSG_ERROR && nh.nlmsg_type != NLMSG_NOOP &&
        nh.nlmsg_len >= kCnHeader + offsetof(proc_event, event_data)) {
      cn_msg cn;
      std::memcpy(&cn, datagram.data() + at + NLMSG_HDRLEN, sizeof(cn));
      const size_t body = nh.nlmsg_len - kCnHeader;
      if (cn.id.idx == CN_IDX_PROC && cn.id.val == CN_VAL_PROC && cn.len <= body) {
        proc_event ev{};
        std::memcpy(&ev, datagram.data() + at + kCnHeader,
                    std::min<size_t>(cn.len, sizeof(ev)));
        ProcEvent e;
        switch (ev.what) {
          case proc_event::PROC_EVENT_NONE:
            e.kind = ProcEvent::Kind::kAck;
            e.ack_error = ev.event_data.ack.err;
            break;
          case proc_event::PROC_EVENT_FORK:
            e.kind = ProcEvent::Kind::kFork;
            e.pid = ev.event_data.fork.child_pid;
            e.tgid = ev.event_data.fork.child_tgid;
            e.parent_tgid = ev.event_data.fork.parent_tgid;
            break;
          case proc_event::PROC_EVENT_EXEC:
          case proc_event::PROC_EVENT_COMM:
          case proc_event::PROC_EVENT_EXIT:
            // All three begin with process_pid, process_tgid (the kernel's ABI).
            e.kind = ev.what == proc_event::PROC_EVENT_EXEC   ? ProcEvent::Kind::kExec
                     : ev.what == proc_event::PROC_EVENT_COMM ? ProcEvent::Kind::kComm
                                                              : ProcEvent::Kind::kExit;
            e.pid = ev.event_data.exec.process_pid;
            e.tgid = ev.event_data.exec.process_tgid;
            break;
          default:
            break;
        }
        out.push_back(e);
      }
    }
    if (next <= at) break;
    at = next;
  }
  return out;
}

std::vector<uint8_t> BuildProcListen(bool listen, uint32_t seq, uint32_t portid) {
  const uint32_t op = listen ? PROC_CN_MCAST_LISTEN : PROC_CN_MCAST_IGNORE;
  std::vector<uint8_t> out(kCnHeader + sizeof(op), 0);
  nlmsghdr nh{};
  nh.nlmsg_len = static_cast<uint32_t>(out.size());
  nh.nlmsg_type = NLMSG_DONE;
  nh.nlmsg_seq = seq;
  nh.nlmsg_pid = portid;
  cn_msg cn{};
  cn.id.idx = CN_IDX_PROC;
  cn.id.val = CN_VAL_PROC;
  cn.seq = seq;
  cn.len = sizeof(op);
  std::memcpy(out.data(), &nh, sizeof(nh));
  std::memcpy(out.data() + NLMSG_HDRLEN, &cn, sizeof(cn));
  std::memcpy(out.data() + kCnHeader, &op, sizeof(op));
  return out;
}

Result<ProcConnector> ProcConnector::Open(std::chrono::milliseconds ack_wait,
                                          ReceiveBuffer receive_buffer) {
  struct stat self {};
  if (stat("/proc/self/ns/net", &self) != 0)
    return std::unexpected(Error::FromErrno(errno, "/proc/self/ns/net"));
  std::vector<std::pair<dev_t, ino_t>> tried;
  std::string why;
  for (const std::string& ns : CandidateNamespaces()) {
    struct stat st {};
    if (stat(ns.c_str(), &st) != 0) continue;  // gone, or not ours to see
    if (std::find(tried.begin(), tried.end(), std::pair(st.st_dev, st.st_ino)) != tried.end())
      continue;
    tried.emplace_back(st.st_dev, st.st_ino);
    const bool here = st.st_dev == self.st_dev && st.st_ino == self.st_ino;
    auto sock = SocketIn(ns, here);
    if (!sock) {
      why = sock.error().ToString();
      continue;
    }
    if (auto r = SetReceiveBuffer(sock->get(), receive_buffer); !r) return std::unexpected(r.error());
    auto pc = Listen(std::move(*sock), ack_wait);
    if (pc) return pc;
    // No answer at all: the kernel ignores this pid namespace, wherever the socket is.
    if (pc.error().code() == ErrorCode::kUnsupported) return std::unexpected(pc.error());
    // ECONNREFUSED: no connector in that namespace (only the initial one has it).
    if (why.empty() || pc.error().sys_errno() != ECONNREFUSED) why = pc.error().ToString();
  }
  return Fail(ErrorCode::kUnsupported,
              "the proc connector cannot be reached (" + why +
                  "); it lives in the initial network and pid namespaces");
}

Result<ProcConnector> ProcConnector::Listen(UniqueFd sock, std::chrono::milliseconds ack_wait) {
  ProcConnector pc(std::move(sock));
  sockaddr_nl sa{};
  sa.nl_family = AF_NETLINK;
  sa.nl_groups = CN_IDX_PROC;
  if (bind(pc.fd(), reinterpret_cast<const sockaddr*>(&sa), sizeof(sa)) != 0)
    return std::unexpected(Error::FromErrno(errno, "proc connector bind"));
  socklen_t len = sizeof(sa);
  if (getsockname(pc.fd(), reinterpret_cast<sockaddr*>(&sa), &len) != 0)
    return std::unexpected(Error::FromErrno(errno, "proc connector getsockname"));
  const std::vector<uint8_t> req = BuildProcListen(true, 1, sa.nl_pid);
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  if (sendto(pc.fd(), req.data(), req.size(), 0, reinterpret_cast<const sockaddr*>(&kernel),
             sizeof(kernel)) < 0)
    return std::unexpected(Error::FromErrno(errno, "proc connector listen request"));
  // The kernel answers at once; no answer means it ignores us (another pid namespace).
  const auto deadline = std::chrono::steady_clock::now() + ack_wait;
  while (true) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    pollfd p{pc.fd(), POLLIN, 0};
    int r = poll(&p, 1, static_cast<int>(std::max<int64_t>(left.count(), 0)));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0)
      return Fail(ErrorCode::kUnsupported, "no answer to the listen request (another pid "
                                           "namespace?)");
    auto events = pc.Read();
    if (!events) return std::unexpected(events.error());
    for (const ProcEvent& e : *events) {
      if (e.kind != ProcEvent::Kind::kAck) continue;
      if (e.ack_error != 0)
        return std::unexpected(Error::FromErrno(static_cast<int>(e.ack_error),
                                                "proc connector listen request refused"));
      return pc;
    }
  }
}

Result<std::vector<ProcEvent>> ProcConnector::Read() {
  std::vector<ProcEvent> out;
  alignas(nlmsghdr) uint8_t buf[8192];
  while (true) {
    ssize_t n = recv(fd_.get(), buf, sizeof(buf), 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return out;
      return std::unexpected(Error::FromErrno(errno, "proc connector"));
    }
    if (n == 0) return out;
    auto more = ParseProcEvents({buf, static_cast<size_t>(n)});
    out.insert(out.end(), more.begin(), more.end());
  }
}

}  // namespace vigil::net
