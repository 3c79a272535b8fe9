#include "config/system_check.h"

#include "base/fd.h"
#include "base/subprocess.h"

#include <fcntl.h>
#include <grp.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <set>
#include <vector>

namespace vigil::config {

bool HostSystemInfo::InterfaceExists(const std::string& name) const {
  return if_nametoindex(name.c_str()) != 0;
}

std::optional<unsigned> HostSystemInfo::LinkType(const std::string& name) const {
  // SIOCGIFHWADDR answers for this process's network namespace (a /sys read would not,
  // where sysfs was mounted for another).
  if (name.empty() || name.size() >= IFNAMSIZ) return std::nullopt;
  UniqueFd sock(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!sock) return std::nullopt;
  ifreq req{};
  name.copy(req.ifr_name, IFNAMSIZ - 1);
  if (::ioctl(sock.get(), SIOCGIFHWADDR, &req) != 0) return std::nullopt;
  return req.ifr_hwaddr.sa_family;
}

bool HostSystemInfo::UserExists(const std::string& name) const {
  std::vector<char> buf(16384);
  passwd pw{};
  passwd* out = nullptr;
  return getpwnam_r(name.c_str(), &pw, buf.data(), buf.size(), &out) == 0 && out != nullptr;
}

bool HostSystemInfo::GroupExists(const std::string& name) const {
  std::vector<char> buf(16384);
  group gr{};
  group* out = nullptr;
  return getgrnam_r(name.c_str(), &gr, buf.data(), buf.size(), &out) == 0 && out != nullptr;
}

std::optional<std::string> HostSystemInfo::ScriptInsecurity(const std::string& program) const {
  return ScriptSecurityProblem(program);
}

std::string HostSystemInfo::CommandPath() const { return CommandSearchPath(); }

std::optional<std::string> HostSystemInfo::FindCommand(const std::string& name) const {
  return SearchPath(name, CommandSearchPath());
}

std::optional<std::string> HostSystemInfo::RealPath(const std::string& path) const {
  char resolved[PATH_MAX];
  if (::realpath(path.c_str(), resolved) == nullptr) return std::nullopt;
  return std::string(resolved);
}

std::optional<SystemInfo::SecretFile> HostSystemInfo::ReadSecretFile(const std::string& path,
                                                                     size_t limit) const {
  UniqueFd file = fd::Open(path.c_str(), O_RDONLY);
  if (!file) return std::nullopt;
  SecretFile out;
  struct stat st{};
  if (fstat(file.get(), &st) == 0) out.mode = st.st_mode;
  std::string buf(limit + 1, '\0');
  size_t got = 0;
  while (got < buf.size()) {
    const ssize_t n = read(file.get(), buf.data() + got, buf.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      out.complete = n == 0;  // a read error (a directory) is not an end
      break;
    }
    got += static_cast<size_t>(n);
  }
  if (got > limit) out.complete = false;
  buf.resize(std::min(got, limit));
  out.head = std::move(buf);
  return out;
}

SystemInfo::FileState HostSystemInfo::Executable(const std::string& path) const {
  struct stat st{};
  if (stat(path.c_str(), &st) != 0) return FileState::kMissing;
  if (!S_ISREG(st.st_mode) || access(path.c_str(), X_OK) != 0) return FileState::kNotExecutable;
  return FileState::kExecutable;
}

namespace {

// Calls `f` on every script of `config` (a model::Script or a model::VrrpScript, const as
// `config` is), in the order of the configuration's blocks.
template <class ConfigT, class F>
void ForEachScript(ConfigT& config, F&& f) {
  auto opt = [&](auto& s) {
    if (s) f(*s);
  };
  auto& g = config.global;
  opt(g.startup_script);
  opt(g.shutdown_script);
  for (auto* fifo : {&g.notify_fifo, &g.vrrp_notify_fifo, &g.lvs_notify_fifo})
    if (*fifo) opt((*fifo)->script);
  for (auto& s : config.vrrp_scripts) f(s);
  auto notify = [&](auto& n) {
    for (auto* s : {&n.master, &n.backup, &n.fault, &n.stop, &n.deleted,
                    &n.master_rx_lower_pri, &n.generic})
      opt(*s);
  };
  for (auto& v : config.vrrp_instances) notify(v.notify);
  for (auto& sg : config.sync_groups) notify(sg.notify);
  for (auto& vs : config.virtual_servers) {
    opt(vs.quorum_up);
    opt(vs.quorum_down);
    for (auto& rs : vs.real_servers) {
      opt(rs.notify_up);
      opt(rs.notify_down);
      for (auto& chk : rs.checks)
        if (auto* m = chk.detail.template get_if<model::MiscCheck>()) f(m->path);
    }
  }
}

// Returns the program word of a command line (its first word), or "".
std::string ProgramWord(const std::string& command) {
  std::vector<std::string> argv = SplitCommandLine(command);
  return argv.empty() ? std::string() : argv[0];
}

class Checker {
 public:
  Checker(const SystemInfo& system, Diagnostics& diags, bool script_security,
          bool dynamic_interfaces, bool script_user_set)
      : system_(system),
        diags_(diags),
        script_security_(script_security),
        dynamic_interfaces_(dynamic_interfaces),
        script_user_set_(script_user_set) {}

  void Interface(const std::string& name, const model::SourceRef& at) {
    if (name.empty() || !seen_if_.insert(name).second) return;
    // keepalived -t: "interface ... doesn't exist" (an error: exit 5), unless
    // dynamic_interfaces lets interfaces appear later.
    if (system_.InterfaceExists(name)) return;
    if (dynamic_interfaces_)
      Warn(at, "interface '" + name + "' does not exist (yet: dynamic_interfaces)");
    else
      Warn(at, "interface '" + name + "' does not exist", Grade::kError);
  }

  // A vrrp_instance's own interface: as VrrpInterface, and as keepalived 2.2.7 judges its
  // kind (configuration errors: -t exits 5): a loopback device cannot carry VRRP ("cannot
  // use a loopback interface"; its VRRP process does not start), and use_vmac needs an
  // Ethernet parent ("vmacs are only supported on Ethernet type interfaces"; keepalived
  // runs the instance without its VMAC, vigild in FAULT: the kernel refuses the macvlan).
  void InstanceInterface(const model::VrrpInstance& v) {
    const std::string& name = *v.interface;
    const std::optional<unsigned> type = system_.LinkType(name);
    const SourceLoc at{v.loc.file, v.loc.line, v.loc.column};
    if (type == ARPHRD_LOOPBACK) {
      diags_.Error(at, "vrrp_instance " + v.name + ": interface '" + name +
                           "' is a loopback device, which VRRP cannot use");
      return;
    }
    if (type && *type != ARPHRD_ETHER && v.use_vmac)
      diags_.Error(at, "vrrp_instance " + v.name + ": use_vmac needs an Ethernet interface; '" +
                           name + "' is not one");
    VrrpInterface(name, v.loc);
  }

  // An interface the VRRP engine needs: as in keepalived, a missing one stops the engine
  // (and vigild) unless dynamic_interfaces lets its instance wait for it in FAULT.
  void VrrpInterface(const std::string& name, const model::SourceRef& at) {
    if (name.empty() || !seen_if_.insert(name).second || system_.InterfaceExists(name)) return;
    if (dynamic_interfaces_) {
      Warn(at, "interface '" + name + "' does not exist; its instance waits for it in FAULT "
               "(dynamic_interfaces)");
      return;
    }
    diags_.Fatal({at.file, at.line, at.column},
                 "interface '" + name + "' does not exist (the VRRP engine cannot start "
                 "without it; global_defs dynamic_interfaces makes its instance wait in FAULT)");
  }

  // keepalived: a missing VRF is an error (exit 5 at -t), unless dynamic_interfaces lets it
  // appear later.
  void Vrf(const std::string& name, const model::SourceRef& at) {
    if (system_.InterfaceExists(name)) return;
    if (dynamic_interfaces_)
      Warn(at, "vrf: VRF '" + name + "' does not exist (yet: dynamic_interfaces)");
    else
      Warn(at, "vrf: VRF '" + name + "' does not exist", Grade::kError);
  }

  // keepalived -t: "Unable to set uid/gid for script" / "Error setting global script
  // uid/gid" (errors: the script is dropped).
  // A group may start with ':' (the user's supplementary groups; ":" alone names none).
  void User(const std::optional<std::string>& user, std::optional<std::string> group,
            const model::SourceRef& at) {
    if (user && seen_user_.insert(*user).second && !system_.UserExists(*user))
      diags_.Error({at.file, at.line, at.column}, "user '" + *user + "' does not exist");
    if (group && group->starts_with(':')) group->erase(0, 1);
    if (group && !group->empty() && seen_group_.insert(*group).second &&
        !system_.GroupExists(*group))
      diags_.Error({at.file, at.line, at.column}, "group '" + *group + "' does not exist");
  }

  // A script's own user, or the default one (ResolveScriptUser's rule): with neither its own
  // user nor script_user, it runs as `keepalived_script`, else as root, which
  // enable_script_security forbids. keepalived -t: "Unable to set default user
  // keepalived_script for script" (an error: the script is dropped).
  void ScriptUser(const std::optional<std::string>& user, const std::optional<std::string>& group,
                  const model::SourceRef& at) {
    User(user, group, at);
    if (user || script_user_set_ || !script_security_ || system_.UserExists(kDefaultScriptUser))
      return;
    diags_.Error({at.file, at.line, at.column},
                 std::string("no user to run this script as: '") + kDefaultScriptUser +
                     "' does not exist and enable_script_security forbids root "
                     "(set global_defs script_user, or a user for the script)");
  }

  // Checks the program of a command line (its first word, resolved by ResolveCommands).
  // A vrrp_script (`tracked`) that is missing or refused by enable_script_security is an
  // error, as keepalived's "disabling track script ..."; any other script a warning
  // (keepalived drops it with a log line only, and -t does not count it).
  void Command(const std::string& command, const std::optional<std::string>& program,
               const model::SourceRef& at, bool tracked) {
    std::string prog = ProgramWord(command);
    if (prog.empty()) return;
    auto missing = [&](std::string msg) {
      if (tracked) diags_.Error({at.file, at.line, at.column}, std::move(msg));
      else Warn(at, std::move(msg));
    };
    if (prog.find('/') == std::string::npos) {
      if (!program) {
        missing("script '" + prog + "' is not found in PATH (" + system_.CommandPath() + ")");
        return;  // like keepalived: a missing script is dropped, not a security problem
      }
      prog = *program;
    }
    switch (system_.Executable(prog)) {
      case SystemInfo::FileState::kMissing:
        missing("script '" + prog + "' does not exist");
        return;
      case SystemInfo::FileState::kNotExecutable:
        Warn(at, "script '" + prog + "' is not executable");
        break;
      case SystemInfo::FileState::kExecutable:
        break;
    }
    if (script_security_) {
      if (auto why = system_.ScriptInsecurity(prog))
        missing("script '" + prog + "' will not be run: " + *why +
                " (enable_script_security refuses scripts a non-root user can change)");
      return;
    }
    if (!security_reported_) {
      security_reported_ = true;
      diags_.SetScriptsWithoutSecurity();
      Warn(at, "scripts are configured but global_defs has no enable_script_security: "
               "they would run as root without their files' safety being checked");
    }
  }

  void Script(const model::Script& s) {
    Command(s.command, s.program, s.loc, /*tracked=*/false);
    ScriptUser(s.user, s.group, s.loc);
  }

  void Script(const model::VrrpScript& s) {
    Command(s.command, s.program, s.command_loc, /*tracked=*/true);
    ScriptUser(s.user, s.group, s.loc);
  }

 private:
  void Warn(const model::SourceRef& at, std::string msg, Grade grade = Grade::kNone) {
    diags_.Warning({at.file, at.line, at.column}, std::move(msg), grade);
  }

  const SystemInfo& system_;
  Diagnostics& diags_;
  std::set<std::string> seen_if_, seen_user_, seen_group_;
  bool script_security_;
  bool dynamic_interfaces_;
  bool script_user_set_;
  bool security_reported_ = false;
};

}  // namespace

void ResolveCommands(model::Config& config, const SystemInfo& system) {
  ForEachScript(config, [&](auto& s) {
    std::string prog = ProgramWord(s.command);
    if (prog.empty()) s.program.reset();
    else if (prog.find('/') != std::string::npos) s.program = prog;
    else s.program = system.FindCommand(prog);
    s.real_program.reset();
    if (s.program && !config.global.use_symlink_paths)
      if (auto real = system.RealPath(*s.program); real && *real != *s.program)
        s.real_program = std::move(real);
    if constexpr (requires { s.missing; })
      s.missing = !prog.empty() && (!s.program ||
                                    system.Executable(*s.program) == SystemInfo::FileState::kMissing);
  });
}

void CheckSystem(const model::Config& config, const SystemInfo& system, Diagnostics& diags) {
  const model::Global& g = config.global;
  Checker c(system, diags, g.enable_script_security, g.dynamic_interfaces,
            g.script_user.has_value());
  c.User(g.script_user, g.script_group, g.script_user_loc);
  // Without its group, vigild would refuse to start: an error, not a warning.
  for (const auto& raw : g.other)
    if (raw.keyword == "vigil_control_group" && !raw.args.empty() &&
        !system.GroupExists(raw.args[0]))
      diags.Error({raw.loc.file, raw.loc.line, raw.loc.column},
                  "group '" + raw.args[0] + "' does not exist (vigil_control_group)");
  ForEachScript(config, [&](const auto& s) { c.Script(s); });
  // vigil_conntrackd: the VRRP engine runs conntrackd along PATH, else /usr/sbin's.
  if (const auto& ctd = g.conntrackd) {
    const SourceLoc at{ctd->loc.file, ctd->loc.line, ctd->loc.column};
    if (!system.FindCommand("conntrackd") &&
        system.Executable("/usr/sbin/conntrackd") != SystemInfo::FileState::kExecutable)
      diags.Warning(at, "vigil_conntrackd: conntrackd is not installed (not in " +
                            system.CommandPath() + " nor /usr/sbin): its commands will fail");
    if (system.Executable(ctd->config) == SystemInfo::FileState::kMissing)
      diags.Warning(at, "vigil_conntrackd: '" + ctd->config + "' does not exist");
  }
  for (const auto& v : config.vrrp_instances) {
    if (v.interface) c.InstanceInterface(v);
    if (v.vrf) c.Vrf(*v.vrf, v.loc);
    for (const auto& t : v.track_interface) c.VrrpInterface(t.name, t.loc);
    for (const auto& a : v.virtual_ipaddress)
      if (a.dev) c.VrrpInterface(*a.dev, a.loc);
    for (const auto& a : v.virtual_ipaddress_excluded)
      if (a.dev) c.VrrpInterface(*a.dev, a.loc);
  }
  for (const auto& s : config.sync_groups)
    for (const auto& t : s.track_interface) c.VrrpInterface(t.name, t.loc);
  for (const auto& a : config.static_addresses)
    if (a.dev) c.Interface(*a.dev, a.loc);
  for (const auto& gg : config.garp_groups)
    for (const auto& i : gg.interfaces) c.Interface(i, gg.loc);
  for (const auto& d : config.interface_up_down_delays) c.Interface(d.interface, d.loc);
  for (const auto& vs : config.virtual_servers)
    for (const auto& rs : vs.real_servers)
      for (const auto& chk : rs.checks)
        if (chk.bind_if) c.Interface(*chk.bind_if, chk.loc);
}

}  // namespace vigil::config
