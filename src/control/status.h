// The daemon's observable state: what the engines report, what `vigilctl` shows and what
// the Prometheus endpoint exports. Plain values; each engine fills its part.
#ifndef VIGIL_CONTROL_STATUS_H_
#define VIGIL_CONTROL_STATUS_H_

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace vigil::control {

struct InstanceStatus {
  std::string name;
  std::string state;        // INIT, BACKUP, MASTER, FAULT, STOP
  std::string interface;
  int vrid = 0;
  int version = 2;
  std::string family;       // "inet" or "inet6"
  int base_priority = 0;
  int effective_priority = 0;
  double advert_interval_s = 1.0;
  std::string master_address;  // last master seen ("" if none)
  std::vector<std::string> vips;
  uint64_t transitions = 0;
  uint64_t became_master = 0;
  uint64_t adverts_sent = 0;
  uint64_t adverts_received = 0;
  uint64_t priority_zero_sent = 0;
  uint64_t priority_zero_received = 0;
  std::map<std::string, uint64_t> rejected;  // reason -> count
  // Runtime state an operator set (vigilctl): the base priority set by `vigilctl priority`
  // (0: none, the configured one applies), and what holds the instance out of MASTER:
  // "maintenance" (vigilctl maintenance on), "failover" (it stepped down and yields to any
  // master until it is master again) or "" (nothing).
  int runtime_priority = 0;
  std::string hold;
  int debug = 0;  // the instance's `debug` level (0..4), shown in the data dump as keepalived's
  // Why it is in FAULT ("" in any other state): its own causes ("interface eth0 down",
  // "track_script chk", "unicast_fault_no_peer and no unicast_peer", ...; "; " between
  // two) or its sync group's ("sync group G: VI_2 in FAULT").
  std::string fault_reason;

  friend bool operator==(const InstanceStatus&, const InstanceStatus&) = default;
};

struct RealServerStatus {
  std::string address;  // "ip:port"
  bool up = false;
  int weight = 0;        // weight in the load balancer now (0 when inhibited)
  int config_weight = 0;
  uint64_t checks_ok = 0;
  uint64_t checks_failed = 0;
  double last_check_latency_s = 0;  // duration of the last probe
  double check_running_s = 0;       // how long the check in flight has run (0: none)
  // Runtime state an operator set (vigilctl): "enabled", "disabled" or "draining", the
  // weight set by `vigilctl weight` (-1: none), and the seconds a drain has left (0 unless
  // draining).
  std::string admin = "enabled";
  int admin_weight = -1;
  double drain_left_s = 0;

  friend bool operator==(const RealServerStatus&, const RealServerStatus&) = default;
};

struct VirtualServerStatus {
  std::string name;      // "ip:port/proto", "fwmark N" or "group NAME"
  std::string scheduler;
  bool quorum_up = true;
  bool sorry_server_active = false;
  int live_weight = 0;
  std::vector<RealServerStatus> real_servers;
  bool checkers_suspended = false;  // ha_suspend: none of its addresses is local

  friend bool operator==(const VirtualServerStatus&, const VirtualServerStatus&) = default;
};

// One BFD session (bfd_instance) of the BFD engine.
struct BfdSessionStatus {
  std::string name;
  std::string neighbor;           // neighbor_ip
  std::string source;             // source_ip ("" if not configured)
  bool multihop = false;
  std::string state;              // AdminDown, Down, Init, Up
  std::string remote_state;
  std::string diag;               // the local diagnostic (RFC 5880 name)
  uint32_t local_discriminator = 0;
  uint32_t remote_discriminator = 0;
  double tx_interval_s = 0;       // the transmit interval in force, before jitter
  double detection_time_s = 0;    // remote multiplier x agreed receive interval (0: none)
  uint64_t packets_sent = 0;
  uint64_t packets_received = 0;
  uint64_t up_transitions = 0;    // times it came Up
  uint64_t down_transitions = 0;  // times it left Up

  friend bool operator==(const BfdSessionStatus&, const BfdSessionStatus&) = default;
};

// A BGP peer of the local FRR, as vtysh shows it (vigil_announce_table).
struct FrrPeerStatus {
  std::string address;
  std::string state;                    // BGP state: "Established", "Active", ...
  int64_t remote_as = 0;
  uint64_t prefixes_received = 0;
  std::vector<std::string> advertised;  // the prefixes FRR originates to it (this node's)
  std::string bfd;                      // FRR's BFD session with it: "up", "down", ... ("": none)

  friend bool operator==(const FrrPeerStatus&, const FrrPeerStatus&) = default;
};

// vigil_announce_table: the host routes the checker engine keeps for a routing daemon.
struct AnnounceStatus {
  uint32_t table = 0;                  // 0: vigil_announce_table is not set
  std::vector<std::string> announced;  // the addresses in the table now
  // Addresses of services that are up but not announced, with why ("maintenance",
  // "VI_1 not MASTER").
  std::map<std::string, std::string> held;
  std::string error;                   // the last failure to change the table ("": none)
  // FRR's view, read with vtysh: false while FRR is absent or does not answer.
  bool frr = false;
  std::vector<FrrPeerStatus> frr_peers;

  friend bool operator==(const AnnounceStatus&, const AnnounceStatus&) = default;
};

// One of the supervisor's listeners (the control socket, the metrics endpoint).
struct ListenerStatus {
  std::string name;             // "control" or "metrics"
  uint64_t accepted = 0;        // connections accepted
  uint64_t accept_errors = 0;   // failed accept calls (EMFILE, ENFILE, ...)
  uint64_t refused = 0;         // peers refused for their credentials
  uint64_t timed_out = 0;       // exchanges cut at the deadline
  uint64_t open = 0;            // connections open now
  uint64_t watching = 0;        // of those, the ones that watch events (vigilctl watch)
  uint64_t max_connections = 0;

  friend bool operator==(const ListenerStatus&, const ListenerStatus&) = default;
};

// One engine process as the supervisor sees it.
struct EngineStatus {
  std::string name;          // "vrrp" or "check"
  bool running = false;
  int64_t pid = 0;           // 0 while not running
  uint64_t starts = 0;       // processes started
  uint64_t start_failures = 0;  // starts that failed (fork, socketpair)
  std::string last_error;    // why the last start failed or the process ended ("" if none)
  double retry_in_s = -1;    // seconds until the next start attempt, -1 if none is due

  friend bool operator==(const EngineStatus&, const EngineStatus&) = default;
};

struct Status {
  std::string version;
  int64_t pid = 0;
  double uptime_s = 0;
  std::string config_file;
  uint64_t reloads = 0;
  uint64_t reload_failures = 0;
  bool last_reload_ok = true;
  bool maintenance = false;  // `vigilctl maintenance on` is in force
  uint64_t events = 0;       // events numbered so far (vigilctl watch; the last one's seq)
  std::string lb_backend;  // "nftables", "ipvs" or "" when no checker engine runs
  // Times the kernel's load balancer was found changed behind vigil's back and restored,
  // by how it was found: "event" (nftables notification), "audit" (periodic comparison),
  // "damaged" (unreadable when vigil read it, e.g. at start).
  std::map<std::string, uint64_t> lb_restorations;
  // vigil_conntrackd: the commands the VRRP engine ran, {command: {result: count}}, every
  // command and result present (zeros too); empty when conntrackd is not driven.
  std::map<std::string, std::map<std::string, uint64_t>> conntrackd_commands;
  std::vector<InstanceStatus> instances;
  std::vector<VirtualServerStatus> virtual_servers;
  std::vector<BfdSessionStatus> bfd_sessions;
  AnnounceStatus announce;  // the checker engine's (vigil_announce_table)
  // BFD datagrams dropped before reaching a session, by reason.
  std::map<std::string, uint64_t> bfd_dropped;
  std::vector<EngineStatus> engines;        // the supervisor's engines (wanted or running)
  std::vector<ListenerStatus> listeners;

  friend bool operator==(const Status&, const Status&) = default;
};

// The real servers of all `virtual_servers`.
size_t RealServerCount(const std::vector<VirtualServerStatus>& virtual_servers);

// JSON round trip (the control protocol, the engines' reports to the supervisor, the
// JSON dump file).
std::string ToJson(const Status& status, int indent = -1);
// The lists alone, as ToJson writes them in a Status (vigilctl instances, servers).
std::string ToJson(const std::vector<InstanceStatus>& instances);
std::string ToJson(const std::vector<VirtualServerStatus>& virtual_servers);

// Returns the VRRP instances of `status` in the layout of keepalived's JSON dump
// (vrrp_json.c): per instance an object {"data": {...}, "stats": {...}} with keepalived's
// field names (state as its number: 0 INIT, 1 BACKUP, 2 MASTER, 3 FAULT, 98 STOP), those
// vigil keeps (the reject reasons summed into keepalived's error counters); `version` 1
// (json_version) is the array of them, 2 the array as "vrrp" of an object.
std::string ToKeepalivedJson(const Status& status, int version);
// Reads a status document as ToJson writes it (status_read.cc). Returns false, leaving `out`
// unspecified and saying why in `error` (with the byte offset) if given, when `text` is not
// one: not JSON, a value of another type than its field's, an integer beyond its field's
// range or a fraction for an integer field, a number no double holds.
bool FromJson(std::string_view text, Status& out, std::string* error = nullptr);

// Renders the Prometheus text exposition format (version 0.0.4).
std::string RenderPrometheus(const Status& status);

}  // namespace vigil::control

#endif  // VIGIL_CONTROL_STATUS_H_
