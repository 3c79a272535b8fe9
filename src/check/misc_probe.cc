// MISC_CHECK: runs a program, contained (see SpawnSpec::contain: nothing it starts outlives
// the run), and judges its exit status. The keeper is watched through a pidfd on the loop,
// so the loop never blocks on it.
#include <fcntl.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "base/subprocess.h"
#include "check/probe_coro.h"
#include "check/probe_logic.h"

namespace vigil::check {
namespace {

constexpr Duration kKillGrace = std::chrono::seconds(2);

// Starts the check's program (see ForkExec). Returns the pid.
Result<pid_t> Spawn(const MiscCheck& check) {
  if (check.argv.empty()) return Fail(ErrorCode::kInvalidArgument, "MISC_CHECK without a program");
  if (!check.refused.empty()) return Fail(ErrorCode::kPermission, "not run: " + check.refused);
  vigil::SpawnSpec spec;
  spec.argv = check.argv;
  spec.path = check.path;
  spec.uid = check.uid;
  spec.gid = check.gid;
  spec.contain = true;
  return vigil::ForkExec(spec);
}

}  // namespace

asio::awaitable<ProbeResult> MiscProbe(MiscCheck check, Duration timeout) {
  auto pid = Spawn(check);
  if (!pid) co_return ProbeResult{false, pid.error().ToString(), {}};
  const std::string name = check.argv[0];

  int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, *pid, 0));
  if (pidfd < 0) {
    vigil::EndContainedRun(*pid);
    ::waitpid(*pid, nullptr, 0);
    co_return ProbeResult{false, std::string("pidfd_open: ") + std::strerror(errno), {}};
  }
  asio::posix::stream_descriptor desc(co_await asio::this_coro::executor, pidfd);
  Watchdog watchdog(desc.get_executor(), timeout, [&desc] {
    std::error_code ignored;
    desc.cancel(ignored);
  });

  int stage = 0;  // 0 running, 1 SIGTERM sent, 2 keeper told to end it, 3 group killed
  watchdog.Arm();
  while (true) {
    std::error_code ec;
    co_await desc.async_wait(asio::posix::descriptor_base::wait_read,
                             asio::redirect_error(asio::use_awaitable, ec));
    if (!ec) break;
    if (!watchdog.expired()) {
      // Cancelled from outside: end the run now (the keeper kills it all and exits at once).
      vigil::EndContainedRun(*pid);
      while (::waitpid(*pid, nullptr, 0) < 0 && errno == EINTR) {
      }
      co_return ProbeResult{false, "MISC_CHECK " + name + " aborted", {}};
    }
    ++stage;
    // SIGTERM to the program's group first; then its keeper kills everything; and should
    // the keeper itself hang, the whole group.
    if (stage == 1) {
      ::kill(-*pid, SIGTERM);
    } else if (stage == 2) {
      vigil::EndContainedRun(*pid);
    } else {
      ::kill(-*pid, SIGKILL);
    }
    watchdog.Arm(stage == 1 ? kKillGrace : std::chrono::seconds(5));
  }
  watchdog.Disarm();

  int status = 0;
  pid_t r;
  do {
    r = ::waitpid(*pid, &status, WNOHANG);
  } while (r < 0 && errno == EINTR);
  if (r != *pid) co_return ProbeResult{false, "MISC_CHECK " + name + " lost", {}};

  // A run that had to be stopped failed, whatever it exited with (a script may well exit 0
  // on SIGTERM).
  if (stage >= 1) {
    co_return ProbeResult{false, "MISC_CHECK " + name + " timed out", {}, FailureKind::kTimedOut};
  }
  if (WIFEXITED(status)) {
    ProbeResult res = MiscExitResult(check, WEXITSTATUS(status));
    res.detail = "MISC_CHECK " + name + " " + res.detail;
    co_return res;
  }
  co_return ProbeResult{false,
                        "MISC_CHECK " + name + " killed by signal " +
                            std::to_string(WTERMSIG(status)),
                        {}, FailureKind::kSignal, WTERMSIG(status)};
}

}  // namespace vigil::check
