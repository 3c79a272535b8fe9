// bench_tcp_sink: the "real servers" for the health-check benchmarks. Listens on one TCP
// port on every address (0.0.0.0; a lab puts the servers on 127.x.y.z, which all reach lo),
// accepts every connection and closes it. It notes every connection attempt: the time
// (CLOCK_MONOTONIC) and destination address of each SYN to the port arriving on lo, seen
// by a packet socket with a classic BPF filter. (Accepts would miss checkers that reset the
// connection before completing the handshake, as haproxy's TCP checks do.) On
// SIGTERM/SIGINT, or after --duration seconds, writes one line per SYN,
// "<monotonic ns> <destination IPv4>", to --out and exits.
//
//   bench_tcp_sink --port P --out FILE [--duration S] [--ready FILE]
//
// --ready names a file created once the sockets are open.
#include <arpa/inet.h>
#include <linux/filter.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace {

struct Syn {
  int64_t ns;
  uint32_t addr;  // network order
};

int64_t NowNs() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

[[noreturn]] void Die(const char* what) {
  std::fprintf(stderr, "bench_tcp_sink: %s: %s\n", what, std::strerror(errno));
  std::exit(1);
}

}  // namespace

int main(int argc, char** argv) {
  int port = 0;
  double duration = 0;
  std::string out_path;
  std::string ready_path;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string_view k = argv[i];
    if (k == "--port") {
      port = std::atoi(argv[i + 1]);
    } else if (k == "--duration") {
      duration = std::atof(argv[i + 1]);
    } else if (k == "--out") {
      out_path = argv[i + 1];
    } else if (k == "--ready") {
      ready_path = argv[i + 1];
    }
  }
  if (port <= 0 || port > 65535 || out_path.empty()) {
    std::fprintf(stderr, "usage: bench_tcp_sink --port P --out FILE [--duration S] [--ready F]\n");
    return 2;
  }

  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGTERM);
  sigaddset(&mask, SIGINT);
  sigprocmask(SIG_BLOCK, &mask, nullptr);
  const int sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
  if (sfd < 0) Die("signalfd");

  const int lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (lfd < 0) Die("socket");
  int one = 1;
  setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(static_cast<uint16_t>(port));
  sa.sin_addr.s_addr = htonl(INADDR_ANY);
  if (bind(lfd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) Die("bind");
  if (listen(lfd, 65535) != 0) Die("listen");

  // SYN (not ACK) to `port`, IPv4 over lo's Ethernet-like framing, not a fragment.
  sock_filter code[] = {
      BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 12),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ETHERTYPE_IP, 0, 11),
      BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 23),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, IPPROTO_TCP, 0, 9),
      BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 20),
      BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, 0x1fff, 7, 0),
      BPF_STMT(BPF_LDX | BPF_B | BPF_MSH, 14),
      BPF_STMT(BPF_LD | BPF_H | BPF_IND, 16),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, static_cast<uint32_t>(port), 0, 4),
      BPF_STMT(BPF_LD | BPF_B | BPF_IND, 27),
      BPF_STMT(BPF_ALU | BPF_AND | BPF_K, 0x12),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0x02, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, 64),
      BPF_STMT(BPF_RET | BPF_K, 0),
  };
  sock_fprog prog{static_cast<unsigned short>(sizeof code / sizeof code[0]), code};
  const int pfd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, htons(ETH_P_IP));
  if (pfd < 0) Die("socket(AF_PACKET)");
  if (setsockopt(pfd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof prog) != 0) {
    Die("SO_ATTACH_FILTER");
  }
  int rcvbuf = 64 << 20;
  setsockopt(pfd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof rcvbuf);
  sockaddr_ll ll{};
  ll.sll_family = AF_PACKET;
  ll.sll_protocol = htons(ETH_P_IP);
  ll.sll_ifindex = static_cast<int>(if_nametoindex("lo"));
  if (bind(pfd, reinterpret_cast<sockaddr*>(&ll), sizeof ll) != 0) Die("bind(lo)");

  const int ep = epoll_create1(EPOLL_CLOEXEC);
  if (ep < 0) Die("epoll_create1");
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = lfd;
  epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
  ev.data.fd = sfd;
  epoll_ctl(ep, EPOLL_CTL_ADD, sfd, &ev);
  ev.data.fd = pfd;
  epoll_ctl(ep, EPOLL_CTL_ADD, pfd, &ev);

  if (!ready_path.empty()) {
    FILE* f = std::fopen(ready_path.c_str(), "w");
    if (f != nullptr) std::fclose(f);
  }

  std::vector<Syn> log;
  log.reserve(1 << 20);
  const int64_t end_ns =
      duration > 0 ? NowNs() + static_cast<int64_t>(duration * 1e9) : INT64_MAX;
  bool done = false;
  while (!done) {
    const int64_t left_ms = (end_ns - NowNs()) / 1'000'000;
    if (left_ms <= 0) break;
    epoll_event events[3];
    const int n = epoll_wait(ep, events, 3, static_cast<int>(std::min<int64_t>(left_ms, 1000)));
    if (n < 0 && errno != EINTR) Die("epoll_wait");
    for (int e = 0; e < n; ++e) {
      if (events[e].data.fd == sfd) {
        done = true;
        continue;
      }
      if (events[e].data.fd == pfd) {
        for (;;) {
          unsigned char frame[64];
          sockaddr_ll from{};
          socklen_t len = sizeof from;
          const ssize_t got = recvfrom(pfd, frame, sizeof frame, 0,
                                       reinterpret_cast<sockaddr*>(&from), &len);
          if (got < 0) break;
          // lo shows each frame twice: as sent and as received. Keep the received copy.
          if (from.sll_pkttype == PACKET_OUTGOING || got < 34) continue;
          uint32_t dst;
          std::memcpy(&dst, frame + 30, sizeof dst);
          log.push_back(Syn{NowNs(), dst});
        }
        continue;
      }
      for (;;) {
        const int fd = accept4(lfd, nullptr, nullptr, SOCK_CLOEXEC);
        if (fd < 0) break;
        close(fd);
      }
    }
  }

  FILE* out = std::fopen(out_path.c_str(), "w");
  if (out == nullptr) Die("fopen");
  char text[INET_ADDRSTRLEN];
  for (const Syn& a : log) {
    in_addr addr{a.addr};
    inet_ntop(AF_INET, &addr, text, sizeof text);
    std::fprintf(out, "%lld %s\n", static_cast<long long>(a.ns), text);
  }
  std::fclose(out);
  return 0;
}
