// Half-open TCP_CHECK: sends a SYN from a raw socket and takes the server's SYN-ACK as
// success, its RST as "refused" and a matching ICMP error as the failure it names; no
// answer within connect_timeout is a timeout. An unanswered SYN is sent again on the
// kernel's schedule (see SynRetransmitOffsets), so a lossy path gives connect()'s verdict. The kernel answers the SYN-ACK with a reset
// (no socket owns the probe's port), so the server's application never sees a connection.
// A SYN-ACK is what makes connect() succeed, so the verdict is the one a full connect gives,
// at a fraction of the cost: no socket, no port search, no FIN exchange per probe.
//
// All probes share one raw socket per (source address, fwmark, bind_if) and a few local
// ports reserved by bound, never-listening TCP sockets; replies are matched on the four-tuple
// and the acknowledgment of the probe's random initial sequence number.
#ifndef VIGIL_CHECK_SYN_PROBER_H_
#define VIGIL_CHECK_SYN_PROBER_H_

#include <functional>
#include <memory>
#include <vector>

#include "check/probe.h"
#include "check/types.h"

struct mmsghdr;

namespace asio {
class io_context;
}  // namespace asio

namespace vigil::check {

// The wait after an unanswered SYN before it is sent again, given the wait before this send
// (zero after the first send): 1 s, then doubling, as the kernel retransmits a connect's SYN.
Duration NextSynWait(Duration previous);

// Returns when, after the first SYN, a probe bounded by `connect_timeout` sends it again:
// as Linux's connect() does, after the initial retransmission timeout of 1 s and then each
// time after twice the previous wait (1 s, 3 s, 7 s, 15 s, ...), while before the timeout.
std::vector<Duration> SynRetransmitOffsets(Duration connect_timeout);

// Sends `count` SYNs of `msgs` through raw socket `fd` as sendmmsg(2) with no flags does:
// returns how many left (from the first), or -1 with errno set when the first did not.
using SendSyns = std::function<int(int fd, mmsghdr* msgs, unsigned count)>;

// Returns sendmmsg(2) itself, the SendSyns of every prober but a test's.
SendSyns KernelSendSyns();

class SynProber {
 public:
  // `send` carries every SYN to the kernel (a test passes one that fails on cue).
  explicit SynProber(asio::io_context& io, SendSyns send = KernelSendSyns());
  ~SynProber();
  SynProber(const SynProber&) = delete;
  SynProber& operator=(const SynProber&) = delete;

  // Starts a half-open probe of `opts` and returns true; `done` is then called exactly once,
  // later, from the loop. Returns false, leaving `done` untouched, when this probe needs a real
  // connect: a fixed bind_port, a scoped IPv6 address, options the socket refuses, or no
  // raw sockets here (no CAP_NET_RAW).
  // `memo`, if given, remembers the probe's route and raw socket between runs.
  bool Start(const ConnectOptions& opts, ProbeCallback&& done, ProbeMemo* memo = nullptr);

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace vigil::check

#endif  // VIGIL_CHECK_SYN_PROBER_H_
