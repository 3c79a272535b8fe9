// vigild's command line: keepalived's flags, parsed exactly as keepalived parses them
// (getopt_long: bundled short flags, `--opt=value`, optional arguments attached).
#ifndef VIGIL_DAEMON_OPTIONS_H_
#define VIGIL_DAEMON_OPTIONS_H_

#include <optional>
#include <string>
#include <vector>

#include "base/error.h"

namespace vigil::daemon {

enum class Mode {
  kRun,         // run the daemon
  kConfigTest,  // -t / --config-test: print diagnostics and exit with keepalived's codes
  kDumpConfig,  // --dump-config: print the normalised model as JSON
  kVersion,     // -v
  kHelp,        // -h
  kSignum,      // --signum=NAME: print the signal number
};

struct Options {
  Mode mode = Mode::kRun;
  std::string config_file = "/etc/keepalived/keepalived.conf";  // -f
  std::optional<std::string> config_test_log;                  // --config-test=FILE
  std::optional<std::string> config_id;                        // -i (default: short hostname)
  bool vrrp_only = false;         // -P
  bool check_only = false;        // -C
  bool no_bfd = false;            // -B
  bool all_children = false;      // --all
  bool log_console = false;       // -l
  bool log_detail = false;        // -D
  std::optional<int> log_facility;  // -S (LOG_* value)
  bool no_syslog = false;         // -G
  std::optional<unsigned> umask;  // -u
  bool release_vips = false;      // -X
  bool dont_release_vrrp = false; // -V
  bool dont_release_lb = false;   // -I
  bool dont_respawn = false;      // -R
  bool foreground = false;        // -n
  bool dump_conf = false;         // -d
  std::optional<std::string> pid_file;        // -p
  std::optional<std::string> vrrp_pid_file;   // -r
  std::optional<std::string> check_pid_file;  // -c
  std::optional<std::string> bfd_pid_file;    // -b
  bool address_monitoring = false;  // -a
  bool snmp = false;                // -x
  std::optional<std::string> snmp_socket;  // -A
  std::optional<std::string> net_namespace;  // -s
  bool core_dump = false;                    // -m
  std::optional<std::string> core_pattern;   // -M
  bool all_config = false;                   // -e
  std::string signum_name;                   // --signum
};

// Parses argv (argv[0] is the program name). Returns an Error with a usage message for an
// unknown flag or a bad value.
Result<Options> ParseOptions(const std::vector<std::string>& args);

// Returns the --help text.
std::string UsageText();

// Returns the signal number for a keepalived --signum name (STOP, RELOAD, DATA, STATS,
// STATS_CLEAR, JSON, TDATA), or nullopt.
std::optional<int> SignalNumber(const std::string& name);

}  // namespace vigil::daemon

#endif  // VIGIL_DAEMON_OPTIONS_H_
