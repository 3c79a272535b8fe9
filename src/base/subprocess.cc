#include "base/subprocess.h"

#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <limits.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <cstdlib>
#include <memory>

#include <asio.hpp>

extern char** environ;

namespace vigil {

std::string ExitInfo::ToString() const {
  if (timed_out) return "timed out";
  if (exited) return "exit " + std::to_string(code);
  return "killed by signal " + std::to_string(signal);
}

namespace {

// A script's soft limit on descriptors: the usual default, whatever vigild raised its own to.
constexpr rlim_t kChildNoFile = 1024;

// One running child: its pidfd on the loop and its timeout timer.
struct Running : std::enable_shared_from_this<Running> {
  Running(asio::io_context& io, pid_t p, int pidfd)
      : pid(p), fd(io, pidfd), timer(io) {}

  void Watch(std::chrono::milliseconds timeout, std::chrono::milliseconds grace) {
    auto self = shared_from_this();
    fd.async_wait(asio::posix::descriptor_base::wait_read,
                  [self](std::error_code) { self->Reap(); });
    if (timeout.count() > 0) {
      timer.expires_after(timeout);
      timer.async_wait([self, grace](std::error_code ec) {
        if (ec || self->done) return;
        self->timed_out = true;
        ::kill(-self->pid, SIGTERM);
        self->timer.expires_after(grace);
        self->timer.async_wait([self](std::error_code ec2) {
          if (!ec2 && !self->done) ::kill(-self->pid, SIGKILL);
        });
      });
    }
  }

  void Reap() {
    int status = 0;
    pid_t r;
    do {
      r = ::waitpid(pid, &status, WNOHANG);
    } while (r < 0 && errno == EINTR);
    if (r == 0) {  // spurious wake-up: wait again
      auto self = shared_from_this();
      fd.async_wait(asio::posix::descriptor_base::wait_read,
                    [self](std::error_code) { self->Reap(); });
      return;
    }
    done = true;
    timer.cancel();
    if (timed_out) ::kill(-pid, SIGKILL);  // whatever the script left running
    ExitInfo info;
    info.timed_out = timed_out;
    if (r == pid && WIFEXITED(status)) {
      info.exited = true;
      info.code = WEXITSTATUS(status);
    } else if (r == pid && WIFSIGNALED(status)) {
      info.signal = WTERMSIG(status);
    }
    std::error_code ignored;
    fd.close(ignored);
    auto cb = std::move(on_exit);
    if (cb) cb(info);
  }

  pid_t pid;
  asio::posix::stream_descriptor fd;
  asio::steady_timer timer;
  std::function<void(const ExitInfo&)> on_exit;
  bool timed_out = false;
  bool done = false;
};

// The contained program's pid, in its keeper (a fresh process: nothing else uses it).
volatile sig_atomic_t g_contained_program = 0;

void KillContainedProgram(int) {
  if (g_contained_program > 0) ::kill(static_cast<pid_t>(g_contained_program), SIGKILL);
}

// Returns the pids listed in /proc/self/task/<tid>/children (this single-threaded
// process's children), at most `max`. Async-signal-safe.
size_t ReadChildren(pid_t self, pid_t* out, size_t max) {
  char path[64] = "/proc/self/task/";
  size_t len = 16;
  char digits[16];
  size_t n = 0;
  for (pid_t v = self; v > 0 && n < sizeof digits; v /= 10) digits[n++] = static_cast<char>('0' + v % 10);
  while (n > 0) path[len++] = digits[--n];
  for (const char* tail = "/children"; *tail; ++tail) path[len++] = *tail;
  path[len] = '\0';
  const int fd = ::open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  char buf[4096];
  size_t count = 0;
  pid_t cur = 0;
  bool in_number = false;
  ssize_t got;
  while ((got = ::read(fd, buf, sizeof buf)) > 0 || (got < 0 && errno == EINTR)) {
    for (ssize_t i = 0; i < got; ++i) {
      if (buf[i] >= '0' && buf[i] <= '9') {
        cur = cur * 10 + (buf[i] - '0');
        in_number = true;
      } else if (in_number) {
        if (count < max) out[count++] = cur;
        cur = 0;
        in_number = false;
      }
    }
  }
  if (in_number && count < max) out[count++] = cur;
  ::close(fd);
  return count;
}

// The keeper of a contained run, in a fresh fork of vigil (only async-signal-safe calls).
// Returns in the program's process (a child of the keeper, in its process group); in the
// keeper it never returns: it waits for the program, kills whatever the program left (every
// descendant ends up its child: it is their subreaper), and exits as the program did.
pid_t KeepRun(pid_t vigil) {
  ::prctl(PR_SET_PDEATHSIG, SIGUSR1);
  if (::getppid() != vigil) ::_exit(126);
  ::prctl(PR_SET_CHILD_SUBREAPER, 1);
  struct sigaction end {};
  end.sa_handler = KillContainedProgram;
  ::sigaction(SIGUSR1, &end, nullptr);
  ::signal(SIGTERM, SIG_IGN);  // a timeout's SIGTERM is for the program
  ::signal(SIGINT, SIG_IGN);
  ::signal(SIGHUP, SIG_IGN);
  ::signal(SIGPIPE, SIG_IGN);
  ::signal(SIGCHLD, SIG_DFL);  // waitpid must see the program
  const pid_t keeper = ::getpid();
  const pid_t program = ::fork();
  if (program < 0) ::_exit(126);
  if (program == 0) return keeper;
  g_contained_program = program;
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  int status = 0;
  pid_t r;
  do {
    r = ::waitpid(program, &status, 0);
  } while (r < 0 && errno == EINTR);
  g_contained_program = 0;
  // Whatever is left: kill our children (the orphans we adopted, and the group's members
  // once their parents die and they come to us), reap them, until none is left.
  pid_t children[512];
  for (int round = 0; round < 100000; ++round) {
    const size_t n = ReadChildren(keeper, children, 512);
    if (n == 0) break;
    for (size_t i = 0; i < n; ++i) ::kill(children[i], SIGKILL);
    while (::waitpid(-1, nullptr, 0) < 0 && errno == EINTR) {
    }
    while (::waitpid(-1, nullptr, WNOHANG) > 0) {
    }
  }
  if (r == program && WIFEXITED(status)) ::_exit(WEXITSTATUS(status));
  const int sig = r == program && WIFSIGNALED(status) ? WTERMSIG(status) : SIGKILL;
  rlimit no_core{0, 0};
  ::setrlimit(RLIMIT_CORE, &no_core);
  ::signal(sig, SIG_DFL);
  ::kill(keeper, sig);
  ::_exit(126);
}

}  // namespace

void EndContainedRun(pid_t keeper) { ::kill(keeper, SIGUSR1); }

Result<pid_t> ForkExec(const SpawnSpec& spec) {
  if (spec.argv.empty() || spec.argv[0].empty())
    return Fail(ErrorCode::kInvalidArgument, "empty command");
  std::vector<char*> argv;
  for (const auto& a : spec.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  const char* file = spec.path.empty() ? argv[0] : spec.path.c_str();
  pid_t parent = ::getpid();
  const bool root = ::geteuid() == 0;
  // Every CPU (the kernel keeps those that exist and are allowed): a script does not
  // inherit its engine's vrrp_/checker_cpu_affinity.
  cpu_set_t all_cpus;
  std::memset(&all_cpus, 0xff, sizeof(all_cpus));
  pid_t pid = ::fork();
  if (pid < 0) return FailErrno("fork");
  if (pid == 0) {
    // Only async-signal-safe calls from here on.
    ::setpgid(0, 0);
    if (spec.contain) parent = KeepRun(parent);  // the program's parent is its keeper
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    for (int s = 1; s < NSIG; ++s) ::signal(s, SIG_DFL);
    // The engine's scheduling is not the script's: back to the defaults (while still
    // privileged enough to lower a priority).
    if (::sched_getscheduler(0) != SCHED_OTHER) {
      sched_param sp{};
      ::sched_setscheduler(0, SCHED_OTHER, &sp);
    }
    ::setpriority(PRIO_PROCESS, 0, 0);
    ::sched_setaffinity(0, sizeof(all_cpus), &all_cpus);
    rlimit nofile{};
    if (::getrlimit(RLIMIT_NOFILE, &nofile) == 0 && nofile.rlim_cur > kChildNoFile) {
      nofile.rlim_cur = kChildNoFile;
      ::setrlimit(RLIMIT_NOFILE, &nofile);
    }
    if (spec.gid) {
      if (::setgid(*spec.gid) != 0) ::_exit(126);
      if (root && spec.groups) {
        if (::setgroups(spec.groups->size(), spec.groups->data()) != 0) ::_exit(126);
      } else if (root && ::setgroups(1, &*spec.gid) != 0) {
        ::_exit(126);
      }
    } else if (root) {
      const gid_t gid = ::getgid();
      if (::setgroups(1, &gid) != 0) ::_exit(126);
    }
    if (spec.uid && ::setuid(*spec.uid) != 0) ::_exit(126);
    // After the credential change: changing credentials clears the death signal.
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (::getppid() != parent) ::_exit(126);
    int devnull = ::open("/dev/null", O_RDWR | O_CLOEXEC);
    if (devnull < 0) ::_exit(126);
    for (int std_fd = 0; std_fd <= 2; ++std_fd)
      if (::dup2(std_fd == 1 && spec.stdout_fd >= 0 ? spec.stdout_fd : devnull, std_fd) < 0)
        ::_exit(126);
    // Everything vigil opens is close-on-exec; this is the backstop for what a library
    // opened without it.
    if (::syscall(SYS_close_range, 3u, ~0u, 0u) != 0) {
      for (int fd = 3; fd < 65536; ++fd) ::close(fd);
    }
    ::execve(file, argv.data(), environ);
    ::_exit(127);
  }
  return pid;
}

Result<pid_t> SpawnProcess(asio::io_context& io, const SpawnSpec& spec,
                           std::function<void(const ExitInfo&)> on_exit) {
  auto forked = ForkExec(spec);
  if (!forked) return std::unexpected(forked.error());
  const pid_t pid = *forked;
  int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  if (pidfd < 0) {
    int saved = errno;
    ::kill(-pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
    return std::unexpected(Error::FromErrno(saved, "pidfd_open"));
  }
  auto running = std::make_shared<Running>(io, pid, pidfd);
  running->on_exit = std::move(on_exit);
  running->Watch(spec.timeout, spec.kill_grace);
  return pid;
}

std::vector<std::string> SplitCommandLine(std::string_view line) {
  std::vector<std::string> words;
  std::string cur;
  bool in_word = false;
  char quote = 0;
  for (size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (quote) {
      if (c == quote) quote = 0;
      else if (c == '\\' && quote == '"' && i + 1 < line.size()) cur += line[++i];
      else cur += c;
      continue;
    }
    if (c == '\'' || c == '"') {
      quote = c;
      in_word = true;
    } else if (c == '\\' && i + 1 < line.size()) {
      cur += line[++i];
      in_word = true;
    } else if (c == ' ' || c == '\t') {
      if (in_word) words.push_back(std::move(cur));
      cur.clear();
      in_word = false;
    } else {
      cur += c;
      in_word = true;
    }
  }
  if (in_word) words.push_back(std::move(cur));
  return words;
}

std::vector<std::string> CommandArgv(std::string_view line,
                                     const std::optional<std::string>& program) {
  std::vector<std::string> argv = SplitCommandLine(line);
  if (!argv.empty() && program) argv[0] = *program;
  return argv;
}

std::string CommandSearchPath() {
  if (const char* env = ::getenv("PATH")) return env;
  const size_t n = ::confstr(_CS_PATH, nullptr, 0);
  if (n == 0) return "/bin:/usr/bin";
  std::string out(n, '\0');
  ::confstr(_CS_PATH, out.data(), n);
  out.resize(n - 1);
  return out;
}

std::optional<std::string> SearchPath(const std::string& name, const std::string& search_path) {
  if (name.empty() || name.find('/') != std::string::npos) return std::nullopt;
  size_t start = 0;
  for (;;) {
    const size_t colon = search_path.find(':', start);
    const std::string dir = search_path.substr(
        start, colon == std::string::npos ? std::string::npos : colon - start);
    const std::string candidate = dir.empty() ? name : dir + "/" + name;
    struct stat st {};
    if (::stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
        (st.st_mode & (S_IXUSR | S_IXGRP | S_IXOTH)))
      return candidate;
    if (colon == std::string::npos) return std::nullopt;
    start = colon + 1;
  }
}

std::optional<std::string> ScriptSecurityProblem(const std::string& program) {
  std::string path = program;
  if (path.find('/') == std::string::npos)
    path = SearchPath(program, CommandSearchPath()).value_or(program);
  char resolved[PATH_MAX];
  if (::realpath(path.c_str(), resolved) == nullptr) return std::nullopt;  // missing: not run
  std::string p = resolved;
  // The file itself, then every directory up to /.
  for (;;) {
    struct stat st {};
    if (::stat(p.c_str(), &st) != 0) return std::nullopt;
    const bool dir = S_ISDIR(st.st_mode);
    const bool sticky = dir && (st.st_mode & S_ISVTX);
    if (st.st_uid != 0)
      return "'" + p + "' is owned by uid " + std::to_string(st.st_uid) + ", not root";
    if ((st.st_mode & (S_IWGRP | S_IWOTH)) && !sticky)
      return "'" + p + "' is writable by " +
             std::string((st.st_mode & S_IWOTH) ? "every user" : "its group");
    if (p == "/") return std::nullopt;
    size_t slash = p.rfind('/');
    p = slash == 0 ? "/" : p.substr(0, slash);
  }
}

Result<std::pair<uid_t, gid_t>> LookupUser(const std::string& user,
                                           const std::optional<std::string>& group) {
  std::vector<char> buf(16384);
  passwd pw{};
  passwd* found = nullptr;
  if (getpwnam_r(user.c_str(), &pw, buf.data(), buf.size(), &found) != 0 || !found)
    return Fail(ErrorCode::kNotFound, "no user '" + user + "'");
  gid_t gid = pw.pw_gid;
  if (group) {
    ::group gr{};
    ::group* gfound = nullptr;
    std::vector<char> gbuf(16384);
    if (getgrnam_r(group->c_str(), &gr, gbuf.data(), gbuf.size(), &gfound) != 0 || !gfound)
      return Fail(ErrorCode::kNotFound, "no group '" + *group + "'");
    gid = gr.gr_gid;
  }
  return std::make_pair(pw.pw_uid, gid);
}

Result<std::pair<uid_t, gid_t>> ResolveScriptUser(const std::optional<std::string>& user,
                                                  const std::optional<std::string>& group,
                                                  const ScriptDefaults& defaults,
                                                  const UserResolver& resolve,
                                                  std::pair<uid_t, gid_t> self) {
  if (user) return resolve(*user, group);
  if (defaults.user) {
    auto r = resolve(*defaults.user, defaults.group);
    if (!r)
      return Fail(r.error().code(), "script_user: " + r.error().context());
    return r;
  }
  if (auto r = resolve(kDefaultScriptUser, std::nullopt)) return r;
  if (defaults.security)
    return Fail(ErrorCode::kNotFound, std::string("no user '") + kDefaultScriptUser +
                                          "' to run scripts as (enable_script_security needs "
                                          "it, or script_user, or a user per script)");
  return self;
}

Result<std::vector<gid_t>> LookupGroupList(const std::string& user, gid_t gid) {
  std::vector<gid_t> groups(64);
  for (int attempt = 0; attempt < 4; ++attempt) {
    int n = static_cast<int>(groups.size());
    if (::getgrouplist(user.c_str(), gid, groups.data(), &n) >= 0) {
      groups.resize(static_cast<size_t>(n));
      return groups;
    }
    groups.resize(static_cast<size_t>(n) > groups.size() ? static_cast<size_t>(n)
                                                          : groups.size() * 2);
  }
  return Fail(ErrorCode::kNotFound, "cannot list the groups of '" + user + "'");
}

Result<SpawnSpec> PrepareScript(std::vector<std::string> argv, std::string path,
                                const std::optional<std::string>& user,
                                const std::optional<std::string>& group,
                                const ScriptDefaults& defaults, const UserResolver& resolve,
                                const GroupListResolver& group_list) {
  if (argv.empty() || argv[0].empty()) return Fail(ErrorCode::kInvalidArgument, "empty command");
  // keepalived's "[:][GROUP]": ':' asks for the supplementary groups of the user used.
  bool supplementary = defaults.supplementary_groups;
  auto colon = [&supplementary](std::optional<std::string> g) {
    if (g && g->starts_with(':')) {
      supplementary = true;
      g->erase(0, 1);
      if (g->empty()) g.reset();
    }
    return g;
  };
  ScriptDefaults used = defaults;
  std::optional<std::string> own_group = group;
  if (user) own_group = colon(group);
  else if (defaults.user) used.group = colon(defaults.group);
  auto who = ResolveScriptUser(user, own_group, used, resolve, {::getuid(), ::getgid()});
  if (!who) return std::unexpected(who.error());
  std::optional<std::string> name = user ? user : defaults.user;
  if (!name && resolve(kDefaultScriptUser, std::nullopt)) name = kDefaultScriptUser;
  // keepalived protects scripts run as root (uid or gid 0) only.
  if (defaults.security && (who->first == 0 || who->second == 0)) {
    if (auto why = ScriptSecurityProblem(path.empty() ? argv[0] : path))
      return Fail(ErrorCode::kPermission, "refused by enable_script_security: " + *why);
  }
  SpawnSpec spec;
  spec.argv = std::move(argv);
  spec.path = std::move(path);
  spec.uid = who->first;
  spec.gid = who->second;
  if (supplementary && name) {
    // getgrouplist is given the user's own group, not the one the script runs as.
    if (auto own = resolve(*name, std::nullopt))
      if (auto groups = group_list(*name, own->second)) spec.groups = std::move(*groups);
  }
  return spec;
}

}  // namespace vigil
