// ProcConnector: the kernel's process events — fork, exec, name change and exit of every
// process — from the proc connector (NETLINK_CONNECTOR, CN_IDX_PROC). It needs root
// (CAP_NET_ADMIN), the initial pid namespace (the kernel ignores listeners elsewhere) and a
// socket in the initial network namespace (the only one the connector reaches): a process
// in another network namespace (ip netns exec) opens its socket there when it may — pid 1's
// namespace, else that of the nearest ancestor process outside its own, kept only if the
// kernel answers there — as keepalived opens it before entering net_namespace. Decoding is
// pure (ParseProcEvents).
#ifndef VIGIL_NET_PROC_CONNECTOR_H_
#define VIGIL_NET_PROC_CONNECTOR_H_

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "base/error.h"
#include "base/unique_fd.h"
#include "net/netlink.h"

namespace vigil::net {

struct ProcEvent {
  enum class Kind { kAck, kFork, kExec, kComm, kExit, kOther };
  Kind kind = Kind::kOther;
  pid_t pid = 0;          // the thread (fork: the child's)
  pid_t tgid = 0;         // its process (fork: the child's)
  pid_t parent_tgid = 0;  // fork: the parent's process
  uint32_t ack_error = 0; // ack: the kernel's answer to the listen request (0: listening)
  friend bool operator==(const ProcEvent&, const ProcEvent&) = default;
};

// Returns the process events in one datagram read from the connector socket (netlink
// messages of cn_msg + proc_event); anything else or truncated is skipped.
std::vector<ProcEvent> ParseProcEvents(std::span<const uint8_t> datagram);

// Returns the listen (or ignore) request for the connector, sequence `seq`, sender `portid`.
std::vector<uint8_t> BuildProcListen(bool listen, uint32_t seq, uint32_t portid);

class ProcConnector {
 public:
  // Opens the socket, asks for events and waits up to `ack_wait` for the kernel's answer:
  // fails, saying why, when the connector cannot be reached or does not answer.
  // `receive_buffer` sizes the socket (0: the kernel's default).
  static Result<ProcConnector> Open(std::chrono::milliseconds ack_wait,
                                    ReceiveBuffer receive_buffer = 0);

  int fd() const { return fd_.get(); }
  // Returns the events queued now (never blocks). An error with errno ENOBUFS when the
  // kernel dropped events (the receive buffer overran): the caller must read /proc again.
  Result<std::vector<ProcEvent>> Read();

 private:
  explicit ProcConnector(UniqueFd fd) : fd_(std::move(fd)) {}
  // Binds `sock` to the process events group and asks for them; fails without an answer.
  static Result<ProcConnector> Listen(UniqueFd sock, std::chrono::milliseconds ack_wait);
  UniqueFd fd_;
};

}  // namespace vigil::net

#endif  // VIGIL_NET_PROC_CONNECTOR_H_
