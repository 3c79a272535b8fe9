// bench_tcp_sink: the "real servers" for the health-check benchmarks. Listens on one TCP
// port on every address (0.0.0.0; a lab puts the servers on 127.x.y.z, which all reach lo),
// accepts every connection, notes when it was accepted (CLOCK_MONOTONIC) and on which local
// address, and closes it. On SIGTERM/SIGINT, or after --duration seconds, writes one line
// per connection, "<monotonic ns> <local IPv4>", to --out and exits.
//
//   bench_tcp_sink --port P --out FILE [--duration S] [--ready FILE]
//
// --ready names a file created once the socket listens.
#include <arpa/inet.h>
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

struct Accepted {
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

  const int ep = epoll_create1(EPOLL_CLOEXEC);
  if (ep < 0) Die("epoll_create1");
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = lfd;
  epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
  ev.data.fd = sfd;
  epoll_ctl(ep, EPOLL_CTL_ADD, sfd, &ev);

  if (!ready_path.empty()) {
    FILE* f = std::fopen(ready_path.c_str(), "w");
    if (f != nullptr) std::fclose(f);
  }

  std::vector<Accepted> log;
  log.reserve(1 << 20);
  const int64_t end_ns =
      duration > 0 ? NowNs() + static_cast<int64_t>(duration * 1e9) : INT64_MAX;
  bool done = false;
  while (!done) {
    const int64_t left_ms = (end_ns - NowNs()) / 1'000'000;
    if (left_ms <= 0) break;
    epoll_event events[2];
    const int n = epoll_wait(ep, events, 2, static_cast<int>(std::min<int64_t>(left_ms, 1000)));
    if (n < 0 && errno != EINTR) Die("epoll_wait");
    for (int e = 0; e < n; ++e) {
      if (events[e].data.fd == sfd) {
        done = true;
        continue;
      }
      for (;;) {
        const int fd = accept4(lfd, nullptr, nullptr, SOCK_CLOEXEC);
        if (fd < 0) break;
        const int64_t t = NowNs();
        sockaddr_in local{};
        socklen_t len = sizeof local;
        getsockname(fd, reinterpret_cast<sockaddr*>(&local), &len);
        log.push_back(Accepted{t, local.sin_addr.s_addr});
        close(fd);
      }
    }
  }

  FILE* out = std::fopen(out_path.c_str(), "w");
  if (out == nullptr) Die("fopen");
  char text[INET_ADDRSTRLEN];
  for (const Accepted& a : log) {
    in_addr addr{a.addr};
    inet_ntop(AF_INET, &addr, text, sizeof text);
    std::fprintf(out, "%lld %s\n", static_cast<long long>(a.ns), text);
  }
  std::fclose(out);
  return 0;
}
