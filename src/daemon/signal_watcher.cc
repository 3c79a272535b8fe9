#include "daemon/signal_watcher.h"

#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <asio.hpp>

namespace vigil::daemon {
namespace {

class SignalWatcherImpl final : public SignalWatcher {
 public:
  SignalWatcherImpl(asio::io_context& io, int fd, SignalWatcher::Callback cb)
      : desc_(io, fd), on_signal_(std::move(cb)) {}

  void Wait() {
    desc_.async_wait(asio::posix::descriptor_base::wait_read, [this](std::error_code ec) {
      if (ec || closed_) return;
      signalfd_siginfo info[16];
      for (;;) {
        ssize_t n = ::read(desc_.native_handle(), info, sizeof(info));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        for (size_t i = 0; i < static_cast<size_t>(n) / sizeof(signalfd_siginfo); ++i) {
          const signalfd_siginfo& si = info[i];
          on_signal_({static_cast<int>(si.ssi_signo), static_cast<pid_t>(si.ssi_pid),
                      si.ssi_code, si.ssi_int});
          if (closed_) return;
        }
      }
      Wait();
    });
  }

  void Close() override {
    closed_ = true;
    std::error_code ec;
    desc_.close(ec);
  }
  ~SignalWatcherImpl() override { Close(); }

 private:
  asio::posix::stream_descriptor desc_;
  SignalWatcher::Callback on_signal_;
  bool closed_ = false;
};

}  // namespace

std::string SignalName(int sig) {
  if (sig >= SIGRTMIN && sig <= SIGRTMAX) {
    int from_max = SIGRTMAX - sig;
    return from_max <= (SIGRTMAX - SIGRTMIN) / 2
               ? "SIGRTMAX" + (from_max ? "-" + std::to_string(from_max) : "")
               : "SIGRTMIN+" + std::to_string(sig - SIGRTMIN);
  }
  const char* abbrev = sigabbrev_np(sig);
  return abbrev ? std::string("SIG") + abbrev : "signal " + std::to_string(sig);
}

Result<std::unique_ptr<SignalWatcher>> SignalWatcher::Start(asio::io_context& io,
                                                            std::span<const int> signals,
                                                            Callback on_signal) {
  sigset_t set;
  sigemptyset(&set);
  for (int s : signals) sigaddset(&set, s);
  if (sigprocmask(SIG_BLOCK, &set, nullptr) != 0) return FailErrno("sigprocmask");
  int fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
  if (fd < 0) return FailErrno("signalfd");
  auto w = std::make_unique<SignalWatcherImpl>(io, fd, std::move(on_signal));
  w->Wait();
  return std::unique_ptr<SignalWatcher>(std::move(w));
}

}  // namespace vigil::daemon
