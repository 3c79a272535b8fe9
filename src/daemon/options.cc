#include "daemon/options.h"

#include <getopt.h>
#include <signal.h>
#include <syslog.h>

#include <cerrno>
#include <cstdlib>
#include <map>

#include "daemon/settings.h"
#include "model/config.h"

namespace vigil::daemon {
namespace {

enum LongOnly { kOptAll = 256, kOptSignum, kOptDumpConfig };

const option kLongOptions[] = {
    {"use-file", required_argument, nullptr, 'f'},
    {"vrrp", no_argument, nullptr, 'P'},
    {"check", no_argument, nullptr, 'C'},
    {"no_bfd", no_argument, nullptr, 'B'},
    {"all", no_argument, nullptr, kOptAll},
    {"log-console", no_argument, nullptr, 'l'},
    {"log-detail", no_argument, nullptr, 'D'},
    {"log-facility", required_argument, nullptr, 'S'},
    {"no-syslog", no_argument, nullptr, 'G'},
    {"umask", required_argument, nullptr, 'u'},
    {"release-vips", no_argument, nullptr, 'X'},
    {"dont-release-vrrp", no_argument, nullptr, 'V'},
    {"dont-release-ipvs", no_argument, nullptr, 'I'},
    {"dont-respawn", no_argument, nullptr, 'R'},
    {"dont-fork", no_argument, nullptr, 'n'},
    {"dump-conf", no_argument, nullptr, 'd'},
    {"pid", required_argument, nullptr, 'p'},
    {"vrrp_pid", required_argument, nullptr, 'r'},
    {"checkers_pid", required_argument, nullptr, 'c'},
    {"bfd_pid", required_argument, nullptr, 'b'},
    {"address-monitoring", no_argument, nullptr, 'a'},
    {"snmp", no_argument, nullptr, 'x'},
    {"snmp-agent-socket", required_argument, nullptr, 'A'},
    {"namespace", required_argument, nullptr, 's'},
    {"core-dump", no_argument, nullptr, 'm'},
    {"core-dump-pattern", optional_argument, nullptr, 'M'},
    {"all-config", no_argument, nullptr, 'e'},
    {"config-id", required_argument, nullptr, 'i'},
    {"signum", required_argument, nullptr, kOptSignum},
    {"config-test", optional_argument, nullptr, 't'},
    {"dump-config", no_argument, nullptr, kOptDumpConfig},
    {"version", no_argument, nullptr, 'v'},
    {"help", no_argument, nullptr, 'h'},
    {nullptr, 0, nullptr, 0},
};

constexpr const char kShortOptions[] = ":f:PCBlDS:Gu:XVIRndp:r:c:b:axA:s:mM::ei:t::vh";

std::optional<int> ParseFacility(const std::string& v) {
  static const std::map<std::string, int> kNamed = {
      {"user", LOG_USER}, {"daemon", LOG_DAEMON},
      {"local0", LOG_LOCAL0}, {"local1", LOG_LOCAL1}, {"local2", LOG_LOCAL2},
      {"local3", LOG_LOCAL3}, {"local4", LOG_LOCAL4}, {"local5", LOG_LOCAL5},
      {"local6", LOG_LOCAL6}, {"local7", LOG_LOCAL7}};
  if (auto it = kNamed.find(v); it != kNamed.end()) return it->second;
  if (v.size() == 1 && v[0] >= '0' && v[0] <= '7') {
    static const int kLocal[] = {LOG_LOCAL0, LOG_LOCAL1, LOG_LOCAL2, LOG_LOCAL3,
                                 LOG_LOCAL4, LOG_LOCAL5, LOG_LOCAL6, LOG_LOCAL7};
    return kLocal[v[0] - '0'];
  }
  return std::nullopt;
}

}  // namespace

std::optional<int> SignalNumber(const std::string& name) {
  if (name == "STOP") return SIGTERM;
  if (name == "RELOAD") return SIGHUP;
  if (name == "DATA") return SIGUSR1;
  if (name == "STATS") return SIGUSR2;
  if (name == "STATS_CLEAR") return SIGRTMAX - 1;
  if (name == "JSON") return SIGRTMIN + 2;
  if (name == "TDATA") return SIGRTMAX;
  return std::nullopt;
}

Result<Options> ParseOptions(const std::vector<std::string>& args) {
  std::vector<std::string> copy = args;
  if (copy.empty()) copy.push_back("vigild");
  std::vector<char*> argv;
  for (std::string& a : copy) argv.push_back(a.data());
  argv.push_back(nullptr);

  Options o;
  opterr = 0;
  optind = 0;  // full re-initialisation of getopt's state
  int c;
  while ((c = getopt_long(static_cast<int>(copy.size()), argv.data(), kShortOptions,
                          kLongOptions, nullptr)) != -1) {
    std::string arg = optarg ? optarg : "";
    switch (c) {
      case 'f': o.config_file = arg; break;
      case 'P': o.vrrp_only = true; break;
      case 'C': o.check_only = true; break;
      case 'B': o.no_bfd = true; break;
      case kOptAll: o.all_children = true; break;
      case 'l': o.log_console = true; break;
      case 'D': o.log_detail = true; break;
      case 'S': {
        auto f = ParseFacility(arg);
        if (!f) return Fail(ErrorCode::kInvalidArgument, "invalid log facility '" + arg + "'");
        o.log_facility = *f;
        break;
      }
      case 'G': o.no_syslog = true; break;
      case 'u': {
        // As keepalived: strtoll's base 0 (0177 octal, 0x7f hex, 127 decimal).
        char* end = nullptr;
        errno = 0;
        const long long v = std::strtoll(arg.c_str(), &end, 0);
        if (arg.empty() || *end != '\0' || errno != 0 || v < 0 || (v & ~0777LL) != 0)
          return Fail(ErrorCode::kInvalidArgument, "invalid umask '" + arg + "'");
        o.umask = static_cast<unsigned>(v);
        break;
      }
      case 'X': o.release_vips = true; break;
      case 'V': o.dont_release_vrrp = true; break;
      case 'I': o.dont_release_lb = true; break;
      case 'R': o.dont_respawn = true; break;
      case 'n': o.foreground = true; break;
      case 'd': o.dump_conf = true; break;
      case 'p': o.pid_file = arg; break;
      case 'r': o.vrrp_pid_file = arg; break;
      case 'c': o.check_pid_file = arg; break;
      case 'b': o.bfd_pid_file = arg; break;
      case 'a': o.address_monitoring = true; break;
      case 'x': o.snmp = true; break;
      case 'A': o.snmp_socket = arg; break;
      case 's': o.net_namespace = arg; break;
      case 'm': o.core_dump = true; break;
      case 'M': o.core_dump = true; o.core_pattern = optarg ? arg : "core"; break;
      case 'e': o.all_config = true; break;
      case 'i': o.config_id = arg; break;
      case kOptSignum: o.mode = Mode::kSignum; o.signum_name = arg; break;
      case 't':
        o.mode = Mode::kConfigTest;
        if (optarg) o.config_test_log = arg;
        break;
      case kOptDumpConfig: o.mode = Mode::kDumpConfig; break;
      case 'v': o.mode = Mode::kVersion; break;
      case 'h': o.mode = Mode::kHelp; break;
      case ':':
        return Fail(ErrorCode::kInvalidArgument,
                    "option '" + std::string(argv[optind - 1]) + "' needs a value");
      default:
        return Fail(ErrorCode::kInvalidArgument,
                    "unknown option '" + std::string(argv[optind - 1]) + "'");
    }
  }
  if (optind < static_cast<int>(copy.size()))
    return Fail(ErrorCode::kInvalidArgument,
                "unexpected argument '" + copy[optind] + "'");
  return o;
}

std::string UsageText() {
  // The pid file defaults come from DefaultPidFile (no `instance`, no namespace).
  const model::Config plain;
  std::string text = R"(Usage: vigild [OPTION...]
  -f, --use-file=FILE          configuration file (default /etc/keepalived/keepalived.conf)
  -t, --config-test[=FILE]     check the configuration, print diagnostics (to FILE) and exit
                               as keepalived: 0 fine, 4 cannot run, 5 errors, 6 scripts
                               without enable_script_security
      --dump-config            print the configuration model as JSON and exit
  -i, --config-id=ID           config id for '@ID' lines (default: short host name)
  -P, --vrrp                   run only the VRRP engine
  -C, --check                  run only the health checkers and load balancer
  -B, --no_bfd                 do not run the BFD engine
      --all                    start every engine even without configuration for it
  -l, --log-console            log to the console
  -D, --log-detail             log in detail
  -S, --log-facility=FAC       syslog facility: 0-7 (local0-7), local0-7, user, daemon
  -G, --no-syslog              do not log to syslog
  -u, --umask=MASK             umask for created files: 0177 octal, 0x7f hex, else
                               decimal (default: global_defs umask, else 0177)
  -X, --release-vips           drop VIPs when stopping on a signal
  -V, --dont-release-vrrp      leave VIPs and routes in place on exit
  -I, --dont-release-ipvs      leave the load balancer's entries in place on exit
  -R, --dont-respawn           do not respawn the engine processes
  -n, --dont-fork              stay in the foreground
  -d, --dump-conf              log the configuration at start-up
  -p, --pid=FILE               main pid file (default @MAIN@)
  -r, --vrrp_pid=FILE          VRRP engine pid file (default @VRRP@)
  -c, --checkers_pid=FILE      checker engine pid file (default @CHECK@)
  -b, --bfd_pid=FILE           BFD engine pid file (default @BFD@)
  -a, --address-monitoring     log every address change seen over netlink
  -x, --snmp                   accepted for compatibility (no SNMP in vigil)
  -A, --snmp-agent-socket=FILE accepted for compatibility
  -s, --namespace=NAME         run in network namespace NAME
  -m, --core-dump              allow core dumps
  -M, --core-dump-pattern[=P]  allow core dumps and set the core pattern
  -e, --all-config             a missing included file is an error
      --signum=NAME            print the number of signal NAME (STOP, RELOAD, DATA, STATS,
                               STATS_CLEAR, JSON, TDATA)
  -v, --version                print the version
  -h, --help                   print this help
)";
  for (auto [marker, engine] : {std::pair{"@MAIN@", ""}, {"@VRRP@", "vrrp"}, {"@CHECK@", "check"},
                                {"@BFD@", "bfd"}}) {
    const size_t at = text.find(marker);
    text.replace(at, std::string_view(marker).size(), DefaultPidFile(engine, plain));
  }
  return text;
}

}  // namespace vigil::daemon
