#include "config/system_check.h"

#include "base/subprocess.h"

#include <grp.h>
#include <net/if.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <set>
#include <vector>

namespace vigil::config {

bool HostSystemInfo::InterfaceExists(const std::string& name) const {
  return if_nametoindex(name.c_str()) != 0;
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

SystemInfo::FileState HostSystemInfo::Executable(const std::string& path) const {
  struct stat st{};
  if (stat(path.c_str(), &st) != 0) return FileState::kMissing;
  if (!S_ISREG(st.st_mode) || access(path.c_str(), X_OK) != 0) return FileState::kNotExecutable;
  return FileState::kExecutable;
}

namespace {

class Checker {
 public:
  Checker(const SystemInfo& system, Diagnostics& diags, bool script_security)
      : system_(system), diags_(diags), script_security_(script_security) {}

  void Interface(const std::string& name, const model::SourceRef& at) {
    if (name.empty() || !seen_if_.insert(name).second) return;
    if (!system_.InterfaceExists(name)) Warn(at, "interface '" + name + "' does not exist");
  }

  void User(const std::optional<std::string>& user, const std::optional<std::string>& group,
            const model::SourceRef& at) {
    if (user && seen_user_.insert(*user).second && !system_.UserExists(*user))
      Warn(at, "user '" + *user + "' does not exist");
    if (group && seen_group_.insert(*group).second && !system_.GroupExists(*group))
      Warn(at, "group '" + *group + "' does not exist");
  }

  // Checks the program of a command line (its first word).
  void Command(const std::string& command, const model::SourceRef& at) {
    std::string prog = command.substr(0, command.find_first_of(" \t"));
    if (prog.empty()) return;
    SystemInfo::FileState state = SystemInfo::FileState::kMissing;
    if (prog.find('/') != std::string::npos) {
      state = system_.Executable(prog);
    } else {  // found through PATH at run time, as keepalived does
      for (const char* dir : {"/usr/local/sbin/", "/usr/local/bin/", "/usr/sbin/", "/usr/bin/",
                              "/sbin/", "/bin/"}) {
        state = system_.Executable(dir + prog);
        if (state != SystemInfo::FileState::kMissing) break;
      }
    }
    switch (state) {
      case SystemInfo::FileState::kMissing:
        Warn(at, "script '" + prog + "' does not exist");
        return;  // like keepalived: a missing script is dropped, not a security problem
      case SystemInfo::FileState::kNotExecutable:
        Warn(at, "script '" + prog + "' is not executable");
        break;
      case SystemInfo::FileState::kExecutable:
        break;
    }
    if (script_security_) {
      if (auto why = system_.ScriptInsecurity(prog))
        diags_.Error({at.file, at.line, at.column},
                     "script '" + prog + "' will not be run: " + *why +
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

  void Script(const std::optional<model::Script>& s) {
    if (!s) return;
    Command(s->command, s->loc);
    User(s->user, s->group, s->loc);
  }

  void Notify(const model::VrrpNotify& n) {
    for (const auto* s : {&n.master, &n.backup, &n.fault, &n.stop, &n.deleted,
                          &n.master_rx_lower_pri, &n.generic})
      Script(*s);
  }

 private:
  void Warn(const model::SourceRef& at, std::string msg) {
    diags_.Warning({at.file, at.line, at.column}, std::move(msg));
  }

  const SystemInfo& system_;
  Diagnostics& diags_;
  std::set<std::string> seen_if_, seen_user_, seen_group_;
  bool script_security_;
  bool security_reported_ = false;
};

}  // namespace

void CheckSystem(const model::Config& config, const SystemInfo& system, Diagnostics& diags) {
  const model::Global& g = config.global;
  Checker c(system, diags, g.enable_script_security);
  c.User(g.script_user, g.script_group, {});
  c.Script(g.startup_script);
  c.Script(g.shutdown_script);
  for (const auto* f : {&g.notify_fifo, &g.vrrp_notify_fifo, &g.lvs_notify_fifo})
    if (*f) c.Script((*f)->script);

  for (const auto& s : config.vrrp_scripts) {
    c.Command(s.command, s.loc);
    c.User(s.user, s.group, s.loc);
  }
  for (const auto& v : config.vrrp_instances) {
    if (v.interface) c.Interface(*v.interface, v.loc);
    for (const auto& t : v.track_interface) c.Interface(t.name, t.loc);
    for (const auto& a : v.virtual_ipaddress)
      if (a.dev) c.Interface(*a.dev, a.loc);
    for (const auto& a : v.virtual_ipaddress_excluded)
      if (a.dev) c.Interface(*a.dev, a.loc);
    c.Notify(v.notify);
  }
  for (const auto& s : config.sync_groups) {
    for (const auto& t : s.track_interface) c.Interface(t.name, t.loc);
    c.Notify(s.notify);
  }
  for (const auto& a : config.static_addresses)
    if (a.dev) c.Interface(*a.dev, a.loc);
  for (const auto& gg : config.garp_groups)
    for (const auto& i : gg.interfaces) c.Interface(i, gg.loc);
  for (const auto& vs : config.virtual_servers) {
    c.Script(vs.quorum_up);
    c.Script(vs.quorum_down);
    for (const auto& rs : vs.real_servers) {
      c.Script(rs.notify_up);
      c.Script(rs.notify_down);
      for (const auto& chk : rs.checks) {
        if (chk.bind_if) c.Interface(*chk.bind_if, chk.loc);
        if (const auto* m = std::get_if<model::MiscCheck>(&chk.detail)) {
          c.Command(m->path.command, m->path.loc);
          c.User(m->path.user, m->path.group, m->path.loc);
        }
      }
    }
  }
}

}  // namespace vigil::config
