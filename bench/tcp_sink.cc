// bench_tcp_sink: the "real servers" for the health-check benchmarks. Listens on one TCP
// port on every address (0.0.0.0; a lab puts the servers either on 127.x.y.z, which all
// reach lo, or on a range made local by an AnyIP route and reached over a veth), accepts
// every connection and closes it. It notes every connection attempt: the time
// (CLOCK_MONOTONIC) and destination address of each SYN to the port arriving on one
// interface (--ifname, lo by default), seen by a packet socket with a classic BPF filter.
// (Accepts would miss checkers that reset the connection before completing the handshake,
// as haproxy's TCP checks do.) On SIGTERM/SIGINT, or after --duration seconds, reads on
// for kFlushNs (until the last block has retired), writes one line per SYN,
// "<monotonic ns> <destination IPv4>", to --out and exits.
//
// The packet socket reads through a TPACKET_V3 ring: the kernel fills blocks of frames and
// wakes the sink once per block (full, or retired after kRetireMs), not once per packet. On
// lo the packet is delivered in the sender's context, so a per-packet wake-up would be
// charged to the health checker being measured. Each SYN's time is the kernel's receive
// stamp in its frame (CLOCK_REALTIME), moved to CLOCK_MONOTONIC.
//
//   bench_tcp_sink --port P --out FILE [--ifname DEV] [--duration S] [--ready FILE]
//                  [--http-delay-ms MS]
//
// --http-delay-ms makes each connection an HTTP server's instead of closing it at once: the
// sink reads the request (up to its blank line) and, MS milliseconds later (0: at once),
// answers "200 OK" with an empty body and closes. Each connection waiting for its answer
// holds a descriptor in the checker too: the delay sets how many the checker holds at once.
//
// --ready names a file created once the sockets are open. The interface must have
// Ethernet framing (lo and veth both do).
#include <arpa/inet.h>
#include <linux/filter.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <deque>
#include <unordered_map>
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

// The ring: kBlockCount blocks of kBlockSize bytes. A SYN frame takes about 160 bytes (twice
// that on lo should PACKET_IGNORE_OUTGOING be missing), so at 10,000 SYNs/s a block retires
// on its timer (after 32-64 KiB) long before it fills, and the sink may fall kBlockCount
// retirements (0.64 s) behind before the kernel drops a frame (counted on stderr at exit).
constexpr unsigned kBlockSize = 1 << 20;
constexpr unsigned kBlockCount = 32;
constexpr unsigned kFrameSize = 2048;  // V3 frames vary in size; the kernel wants a bound.
constexpr unsigned kRetireMs = 20;
// After the stop, the sink keeps reading this long, so that the block open at the stop
// retires (on its timer) and is read too.
constexpr int64_t kFlushNs = 5 * kRetireMs * 1'000'000;

int64_t ClockNs(clockid_t clock) {
  timespec ts{};
  clock_gettime(clock, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

int64_t NowNs() { return ClockNs(CLOCK_MONOTONIC); }

// CLOCK_REALTIME minus CLOCK_MONOTONIC, now (the realtime reading bracketed by two
// monotonic ones).
int64_t RealtimeOffsetNs() {
  const int64_t before = NowNs();
  const int64_t real = ClockNs(CLOCK_REALTIME);
  const int64_t after = NowNs();
  return real - (before + (after - before) / 2);
}

struct Ring {
  unsigned char* base = nullptr;
  unsigned next = 0;  // the block to read next
};

// Reads every block the kernel has handed to user space, in ring order, appends its SYNs
// to `log` and hands the block back.
void DrainRing(Ring& ring, std::vector<Syn>& log) {
  for (;;) {
    auto* block = reinterpret_cast<tpacket_block_desc*>(ring.base + size_t{ring.next} * kBlockSize);
    tpacket_hdr_v1& bh = block->hdr.bh1;
    if ((__atomic_load_n(&bh.block_status, __ATOMIC_ACQUIRE) & TP_STATUS_USER) == 0) return;
    const int64_t offset = RealtimeOffsetNs();
    const unsigned char* frame = reinterpret_cast<unsigned char*>(block) + bh.offset_to_first_pkt;
    for (uint32_t i = 0; i < bh.num_pkts; ++i) {
      const auto* h = reinterpret_cast<const tpacket3_hdr*>(frame);
      const auto* from =
          reinterpret_cast<const sockaddr_ll*>(frame + TPACKET_ALIGN(sizeof(tpacket3_hdr)));
      // lo shows each frame twice: as sent and as received. Keep the received copy (should
      // PACKET_IGNORE_OUTGOING not be available).
      if (from->sll_pkttype != PACKET_OUTGOING && h->tp_snaplen >= 34) {
        uint32_t dst;
        std::memcpy(&dst, frame + h->tp_mac + 30, sizeof dst);
        const int64_t real = static_cast<int64_t>(h->tp_sec) * 1'000'000'000 + h->tp_nsec;
        log.push_back(Syn{real - offset, dst});
      }
      frame += h->tp_next_offset;
    }
    __atomic_store_n(&bh.block_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
    ring.next = (ring.next + 1) % kBlockCount;
  }
}

constexpr char kHttpReply[] =
    "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";

// The HTTP side (--http-delay-ms): connections reading their request, and those whose
// answer is due (in order: every answer waits the same delay).
struct Http {
  int64_t delay_ns = -1;  // < 0: not an HTTP server
  std::unordered_map<int, std::string> reading;
  std::deque<std::pair<int64_t, int>> due;
  uint64_t answered = 0;
};

void Answer(int fd, Http& http) {
  (void)!write(fd, kHttpReply, sizeof kHttpReply - 1);
  close(fd);
  ++http.answered;
}

// Reads what `fd` has; once the request's blank line is in, answers now or queues it.
void ReadRequest(int ep, int fd, Http& http, int64_t now) {
  std::string& got = http.reading[fd];
  char buf[4096];
  for (;;) {
    const ssize_t n = read(fd, buf, sizeof buf);
    if (n > 0) {
      got.append(buf, static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
      if (got.find("\r\n\r\n") == std::string::npos) return;
      break;
    }
    // The peer closed or failed before its request ended.
    epoll_ctl(ep, EPOLL_CTL_DEL, fd, nullptr);
    http.reading.erase(fd);
    close(fd);
    return;
  }
  epoll_ctl(ep, EPOLL_CTL_DEL, fd, nullptr);
  http.reading.erase(fd);
  if (http.delay_ns == 0) return Answer(fd, http);
  http.due.emplace_back(now + http.delay_ns, fd);
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
  std::string ifname = "lo";
  Http http;
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
    } else if (k == "--ifname") {
      ifname = argv[i + 1];
    } else if (k == "--http-delay-ms") {
      http.delay_ns = static_cast<int64_t>(std::atof(argv[i + 1]) * 1e6);
    }
  }
  if (port <= 0 || port > 65535 || out_path.empty()) {
    std::fprintf(stderr,
                 "usage: bench_tcp_sink --port P --out FILE [--ifname DEV] [--duration S] "
                 "[--ready F] [--http-delay-ms MS]\n");
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

  // SYN (not ACK) to `port`, IPv4 over Ethernet framing (lo's is Ethernet-like), not a
  // fragment.
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
  // On lo every packet passes the capture twice, leaving and arriving; the leaving copy is
  // skipped below anyway, so spare the sender (the measured checker) its delivery. On a
  // veth only the sink's own replies leave, and the filter drops them.
  (void)setsockopt(pfd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof one);
  if (setsockopt(pfd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof prog) != 0) {
    Die("SO_ATTACH_FILTER");
  }
  int version = TPACKET_V3;
  if (setsockopt(pfd, SOL_PACKET, PACKET_VERSION, &version, sizeof version) != 0) {
    Die("PACKET_VERSION");
  }
  tpacket_req3 req{};
  req.tp_block_size = kBlockSize;
  req.tp_block_nr = kBlockCount;
  req.tp_frame_size = kFrameSize;
  req.tp_frame_nr = kBlockSize / kFrameSize * kBlockCount;
  req.tp_retire_blk_tov = kRetireMs;
  if (setsockopt(pfd, SOL_PACKET, PACKET_RX_RING, &req, sizeof req) != 0) Die("PACKET_RX_RING");
  void* map = mmap(nullptr, size_t{kBlockSize} * kBlockCount, PROT_READ | PROT_WRITE,
                   MAP_SHARED | MAP_POPULATE, pfd, 0);
  if (map == MAP_FAILED) Die("mmap(ring)");
  Ring ring{static_cast<unsigned char*>(map)};
  sockaddr_ll ll{};
  ll.sll_family = AF_PACKET;
  ll.sll_protocol = htons(ETH_P_IP);
  ll.sll_ifindex = static_cast<int>(if_nametoindex(ifname.c_str()));
  if (ll.sll_ifindex == 0) Die("if_nametoindex");
  if (bind(pfd, reinterpret_cast<sockaddr*>(&ll), sizeof ll) != 0) Die("bind(packet socket)");

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
  // The stop (a signal, or the end of --duration) starts a flush of kFlushNs.
  bool stopping = false;
  int64_t flush_end_ns = 0;
  const auto stop = [&](int64_t now) {
    if (stopping) return;
    stopping = true;
    flush_end_ns = now + kFlushNs;
  };
  for (;;) {
    const int64_t now = NowNs();
    if (now >= end_ns) stop(now);
    if (stopping && now >= flush_end_ns) break;
    while (!http.due.empty() && http.due.front().first <= now) {
      Answer(http.due.front().second, http);
      http.due.pop_front();
    }
    int64_t left_ns = (stopping ? flush_end_ns : end_ns) - now;
    if (!http.due.empty()) left_ns = std::min(left_ns, http.due.front().first - now);
    const int64_t left_ms = std::min<int64_t>(left_ns / 1'000'000 + 1, 1000);
    epoll_event events[64];
    const int n = epoll_wait(ep, events, 64, static_cast<int>(left_ms));
    if (n < 0 && errno != EINTR) Die("epoll_wait");
    for (int e = 0; e < n; ++e) {
      if (events[e].data.fd == sfd) {
        signalfd_siginfo info;
        while (read(sfd, &info, sizeof info) == sizeof info) {
        }
        stop(NowNs());
        continue;
      }
      if (events[e].data.fd == pfd) {
        DrainRing(ring, log);
        continue;
      }
      if (events[e].data.fd != lfd) {
        ReadRequest(ep, events[e].data.fd, http, NowNs());
        continue;
      }
      for (;;) {
        const int fd = accept4(lfd, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (fd < 0) break;
        if (http.delay_ns < 0) {
          close(fd);
          continue;
        }
        epoll_event cev{};
        cev.events = EPOLLIN;
        cev.data.fd = fd;
        epoll_ctl(ep, EPOLL_CTL_ADD, fd, &cev);
      }
    }
  }
  DrainRing(ring, log);
  if (http.delay_ns >= 0) {
    std::fprintf(stderr, "bench_tcp_sink: answered %llu HTTP requests\n",
                 static_cast<unsigned long long>(http.answered));
  }
  tpacket_stats_v3 stats{};
  socklen_t stats_len = sizeof stats;
  if (getsockopt(pfd, SOL_PACKET, PACKET_STATISTICS, &stats, &stats_len) == 0 &&
      stats.tp_drops != 0) {
    std::fprintf(stderr, "bench_tcp_sink: the ring dropped %u packets\n", stats.tp_drops);
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
