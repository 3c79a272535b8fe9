#include "daemon/settings.h"

#include <sstream>

#include "base/log.h"
#include "control/client.h"

namespace vigil::daemon {

const model::RawSetting* FindGlobal(const model::Config& config, const std::string& keyword) {
  for (const auto& s : config.global.other)
    if (s.keyword == keyword) return &s;
  return nullptr;
}

namespace {

std::string FirstArg(const model::Config& config, const std::string& keyword) {
  const model::RawSetting* s = FindGlobal(config, keyword);
  return (s && !s->args.empty()) ? s->args[0] : std::string();
}

std::string Suffix(const model::Config& config) {
  return config.instance ? "_" + *config.instance : std::string();
}

}  // namespace

void SetupLogging(const Options& options, const std::string& ident) {
  log::Sink sink = options.log_console ? log::Sink::kConsole
                   : options.no_syslog ? log::Sink::kNone
                                       : log::Sink::kSyslog;
  log::Setup(sink, ident, options.log_detail, options.log_facility.value_or(-1));
}

std::string RunDirectory(const model::Config& config) {
  if (config.net_namespace) return std::string(kPidDirectory) + "/" + *config.net_namespace;
  if (config.use_pid_dir || config.instance) return kPidDirectory;
  return "/run";
}

std::string DefaultPidFile(const std::string& engine, const model::Config& config) {
  std::string name = engine.empty() ? "vigild" : "vigild_" + engine;
  return RunDirectory(config) + "/" + name + Suffix(config) + ".pid";
}

std::string ControlSocketPath(const model::Config& config) {
  std::string configured = FirstArg(config, "vigil_control_socket");
  if (!configured.empty()) return configured;
  if (config.instance || config.net_namespace)
    return RunDirectory(config) + "/vigild" + Suffix(config) + ".ctl";
  return control::kDefaultControlSocket;
}

std::string LogIdent(const std::string& base, const model::Config& config) {
  std::string ident = base;
  if (config.net_namespace) ident += "_" + *config.net_namespace;
  return ident + Suffix(config);
}

std::string ControlGroup(const model::Config& config) {
  return FirstArg(config, "vigil_control_group");
}

std::string MetricsListen(const model::Config& config) {
  return FirstArg(config, "vigil_metrics_listen");
}

std::string DumpPath(const model::Config& config, const std::optional<std::string>& configured,
                     const std::string& file_name, const char* tmpdir) {
  std::string dir = (tmpdir != nullptr && tmpdir[0] == '/') ? tmpdir : "/tmp";
  std::string name = file_name;
  if (configured && !configured->empty()) {
    const std::string& c = *configured;
    const size_t slash = c.rfind('/');
    if (c[0] == '/') dir = c.substr(0, slash);  // "" for a file in "/"
    if (c.back() != '/') name = slash == std::string::npos ? c : c.substr(slash + 1);
  }
  if (config.global.data_use_instance && (config.instance || config.net_namespace)) {
    std::string tag = ".";
    if (config.net_namespace) tag += *config.net_namespace;
    if (config.net_namespace && config.instance) tag += "_";
    if (config.instance) tag += *config.instance;
    const size_t dot = name.rfind('.');
    name.insert(dot == std::string::npos ? name.size() : dot, tag);
  }
  return dir + "/" + name;
}

std::string UnreloadableChange(const model::Config& running, const model::Config& next) {
  if (running.net_namespace != next.net_namespace) return "net_namespace";
  if (running.net_namespace_ipvs != next.net_namespace_ipvs) return "net_namespace_ipvs";
  if (running.instance != next.instance) return "instance";
  // keepalived refuses a reload that renames its nftables table (vigil: the name in effect;
  // no name and `nftables` alone both mean vigil's own).
  if (running.global.nftables.value_or("") != next.global.nftables.value_or("")) return "nftables";
  return "";
}

bool WantsVrrpEngine(const model::Config& config) {
  return !config.vrrp_instances.empty() || !config.static_addresses.empty() ||
         !config.static_routes.empty() || !config.static_rules.empty();
}

bool WantsCheckEngine(const model::Config& config) { return !config.virtual_servers.empty(); }

bool WantsBfdEngine(const model::Config& config) { return !config.bfd_instances.empty(); }

std::string RenderDataDump(const control::Status& s) {
  std::ostringstream out;
  out << "------< vigild " << s.version << " data >------\n"
      << "pid = " << s.pid << "\nconfig = " << s.config_file << "\nuptime = " << s.uptime_s
      << " s\nreloads = " << s.reloads << " (failed " << s.reload_failures << ")\n";
  for (const auto& i : s.instances) {
    out << "\n VRRP instance = " << i.name << "\n"
        << "   state = " << i.state << "\n   interface = " << i.interface
        << "\n   virtual router id = " << i.vrid << "\n   version = " << i.version
        << "\n   family = " << i.family << "\n   priority = " << i.base_priority
        << " (effective " << i.effective_priority << ")\n   advert interval = "
        << i.advert_interval_s << " s\n   last master = "
        << (i.master_address.empty() ? "-" : i.master_address) << "\n   virtual addresses =";
    for (const auto& v : i.vips) out << ' ' << v;
    out << "\n";
    if (i.debug) out << "   Debug level = " << i.debug << "\n";  // as keepalived's dump
  }
  for (const auto& v : s.virtual_servers) {
    out << "\n Virtual server = " << v.name << "\n   scheduler = " << v.scheduler
        << "\n   quorum = " << (v.quorum_up ? "up" : "down")
        << (v.sorry_server_active ? " (sorry server)" : "") << "\n";
    for (const auto& r : v.real_servers)
      out << "   real server = " << r.address << " " << (r.up ? "UP" : "DOWN") << " weight "
          << r.weight << "\n";
  }
  return out.str();
}

std::string RenderStatsDump(const control::Status& s) {
  std::ostringstream out;
  for (const auto& i : s.instances) {
    out << "VRRP Instance: " << i.name << "\n"
        << "  Advertisements:\n    Received: " << i.adverts_received
        << "\n    Sent: " << i.adverts_sent << "\n  Became master: " << i.became_master
        << "\n  Transitions: " << i.transitions << "\n  Priority Zero:\n    Received: "
        << i.priority_zero_received << "\n    Sent: " << i.priority_zero_sent
        << "\n  Packets rejected:\n";
    if (i.rejected.empty()) out << "    none\n";
    for (const auto& [reason, n] : i.rejected) out << "    " << reason << ": " << n << "\n";
  }
  return out.str();
}

}  // namespace vigil::daemon
