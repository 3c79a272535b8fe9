// The typed configuration model: plain data for one whole keepalived.conf, with
// keepalived 2.2.7's defaults next to each field and its inheritance already resolved
// (virtual server -> real server -> checker), so engines read effective values only.
// Built by config::Build(); never parsed from text here. Not thread-safe; a value type.
#ifndef VIGIL_MODEL_CONFIG_H_
#define VIGIL_MODEL_CONFIG_H_

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <tuple>
#include <type_traits>
#include <variant>
#include <vector>

#include "base/subprocess.h"
#include "model/address.h"
#include "model/boxed.h"
#include "model/heap_optional.h"

namespace vigil::model {

// keepalived TIMERs have microsecond resolution.
using Duration = std::chrono::microseconds;

// Where an item was configured: a file number (as numbered by the configuration
// loader's SourceFiles), a 1-based line and a 1-based byte column. file == kNoFile when
// the item has no source (a default).
//
// A position is not part of a setting's value: any two SourceRefs compare equal, so that
// the model's comparisons (a reload asking whether a virtual server changed) see what was
// configured, not where — a line added above a block leaves the block equal. SamePlace
// compares positions.
struct SourceRef {
  static constexpr uint32_t kNoFile = UINT32_MAX;
  uint32_t file = kNoFile;
  uint32_t line = 0;
  uint32_t column = 0;
  friend constexpr bool operator==(const SourceRef&, const SourceRef&) { return true; }
  friend constexpr bool SamePlace(const SourceRef& a, const SourceRef& b) {
    return a.file == b.file && a.line == b.line && a.column == b.column;
  }
};

// A keyword the model keeps verbatim (rare settings without a typed field).
struct RawSetting {
  std::string keyword;
  std::vector<std::string> args;
  SourceRef loc;
  friend bool operator==(const RawSetting&, const RawSetting&) = default;
};

// An external command: `notify_master "/bin/x arg" [user [group]]`, `misc_path ...`.
struct Script {
  std::string command;               // the command line as written (one string)
  std::optional<std::string> user;   // run as; unset = global script_user
  std::optional<std::string> group;
  // The file to execute, set by config::ResolveCommands: the command's first word, searched
  // in PATH when it has no '/', as keepalived does. Unset: not resolved, or not found.
  // It is the script's argv[0].
  std::optional<std::string> program;
  // Set by config::ResolveCommands, unless global_defs has use_symlink_paths, when `program`
  // goes through a symlink: the file it named when the configuration was read (realpath),
  // which is executed (argv[0] stays `program`), as keepalived does.
  std::optional<std::string> real_program;
  SourceRef loc;
  friend bool operator==(const Script&, const Script&) = default;
};

// ---------------------------------------------------------------------------------
// global_defs

struct NotifyFifo {
  std::string path;
  std::optional<Script> script;  // `*_notify_fifo_script`
  // `*notify_fifo PATH [USER [GROUP]]`: the owner of a FIFO vigild creates (none: the
  // default script user).
  std::optional<std::string> user;
  std::optional<std::string> group;
};

struct LvsSyncDaemon {
  std::string interface;
  std::string vrrp_instance;         // instance whose state drives master/backup; empty:
                                     // both run while the checker engine runs
  std::optional<uint32_t> sync_id;   // `id N`; unset = the instance's VRID
  std::optional<uint32_t> maxlen;
  std::optional<uint16_t> port;
  std::optional<uint8_t> ttl;
  std::optional<IpAddress> group;
  SourceRef loc;
};

// vigil_conntrackd CONFIG_FILE FOLLOW [timeout SECONDS]: the conntrackd daemon the VRRP
// engine moves through the states of a vrrp_sync_group or vrrp_instance.
struct Conntrackd {
  std::string config;  // the daemon's configuration file (conntrackd -C)
  std::string follow;  // the vrrp_sync_group (first) or vrrp_instance it follows
  Duration timeout = std::chrono::seconds(10);  // for each command
  SourceRef loc;
};

// How one engine process is scheduled (global_defs vrrp_* / checker_* priority keywords),
// so that a loaded host does not delay adverts and probes. Unset fields leave the process
// as the supervisor started it.
struct ProcessTuning {
  std::optional<int> priority;         // nice value, -20..19 (`*_priority`)
  bool no_swap = false;                // lock all pages in memory (`*_no_swap`)
  std::optional<int> rt_priority;      // SCHED_RR priority, 1..99 (`*_rt_priority`)
  std::vector<int> cpu_affinity;       // CPUs to run on; empty: all (`*_cpu_affinity`)
  std::optional<uint32_t> rlimit_rttime;  // RLIMIT_RTTIME in µs (`*_rlimit_rttime`)
  bool operator==(const ProcessTuning&) const = default;
};

// How VRRP advert sockets' receive buffers are sized (global_defs vrrp_rx_bufs_policy).
enum class RxBufsPolicy { kNone, kMtu, kAdvert, kSize };

// global_defs lvs_flush_on_stop, keepalived's three shutdown behaviours:
enum class LvsFlushOnStop {
  kNone,  // unset: delete each virtual server of vigil's, each real server first
  kFull,  // `lvs_flush_on_stop`: flush the whole IPVS table, vigil's services or not
  kVs,    // `lvs_flush_on_stop VS`: delete vigil's virtual servers, not each real server
};

// A socket receive buffer of keepalived's `*_rcv_bufs BYTES` / `*_rcv_bufs_force [BOOL]`.
struct ReceiveBuffer {
  std::optional<uint32_t> bytes;  // unset (or 0): vigil's default for the socket
  bool force = false;             // SO_RCVBUFFORCE, past net.core.rmem_max
  friend bool operator==(const ReceiveBuffer&, const ReceiveBuffer&) = default;
};

struct Global {
  std::optional<std::string> router_id;        // default: the host name
  std::vector<std::string> notification_email;
  std::optional<std::string> notification_email_from;  // default keepalived@<host>
  std::optional<std::string> smtp_server;      // address or host name
  uint16_t smtp_port = 25;
  std::optional<std::string> smtp_helo_name;   // default: host name
  Duration smtp_connect_timeout = std::chrono::seconds(30);
  std::optional<bool> smtp_alert;              // unset: per-area defaults apply
  std::optional<bool> smtp_alert_vrrp;
  std::optional<bool> smtp_alert_checker;
  bool checker_log_all_failures = false;

  bool enable_script_security = false;
  // set_supplementary_groups: scripts run with their user's supplementary groups.
  bool set_supplementary_groups = false;
  // use_symlink_paths: a script is executed by the path configured (or found in PATH), so a
  // symlink is followed at each run; without it, the file the symlink named when the
  // configuration was read (Script::real_program).
  bool use_symlink_paths = false;
  std::optional<std::string> script_user;      // default keepalived_script, else root
  std::optional<std::string> script_group;
  SourceRef script_user_loc;                   // the `script_user` line

  std::optional<std::string> default_interface;  // default "eth0" (static addresses, VIPs)
  // An interface the VRRP configuration names may be missing: its instance waits in FAULT
  // until it appears (`dynamic_interfaces [allow_if_changes]`). Without it a missing
  // interface is a configuration error, as in keepalived.
  bool dynamic_interfaces = false;
  // The VRRP engine's netlink sockets: its command socket (vrrp_netlink_cmd_rcv_bufs), its
  // link/address monitor (vrrp_netlink_monitor_rcv_bufs) and the proc connector of
  // vrrp_track_process (process_monitor_rcv_bufs), each with its `_force`.
  ReceiveBuffer vrrp_netlink_cmd_rcv_bufs;
  ReceiveBuffer vrrp_netlink_monitor_rcv_bufs;
  ReceiveBuffer process_monitor_rcv_bufs;
  // The checker engine's load-balancer netlink sockets: the command socket (IPVS generic
  // netlink, or nftables' batches) with lvs_netlink_cmd_rcv_bufs, the nftables event
  // monitor with lvs_netlink_monitor_rcv_bufs, each with its `_force`.
  ReceiveBuffer lvs_netlink_cmd_rcv_bufs;
  ReceiveBuffer lvs_netlink_monitor_rcv_bufs;
  // vrrp_rx_bufs_policy MTU|ADVERT|BYTES and vrrp_rx_bufs_multiplier: each instance's share
  // of its advert socket's receive buffer (the socket asks the sum with SO_RCVBUF): the
  // multiplier times its interface's MTU or its advert's length, or BYTES. kNone: none
  // (the kernel's default, unless kernel_rx_buf_size).
  RxBufsPolicy vrrp_rx_bufs_policy = RxBufsPolicy::kNone;
  uint32_t vrrp_rx_bufs_size = 0;        // with kSize
  uint32_t vrrp_rx_bufs_multiplier = 3;  // keepalived's default

  // VRRP defaults applied to instances that do not set their own.
  bool vrrp_strict = false;
  bool vrrp_skip_check_adv_addr = false;
  bool vrrp_check_unicast_src = false;
  bool v3_checksum_as_v2 = false;                // instances' v3_checksum_as_v2 default
  int vrrp_version = 2;                          // 2 or 3
  IpAddress vrrp_mcast_group4 = IpAddress::V4(0xe0000012);  // 224.0.0.18
  IpAddress vrrp_mcast_group6 = *IpAddress::Parse("ff02::12");
  Duration vrrp_garp_interval{0};                // between GARPs on one interface
  Duration vrrp_gna_interval{0};                 // between unsolicited NAs
  Duration vrrp_garp_master_delay = std::chrono::seconds(5);
  uint32_t vrrp_garp_master_repeat = 5;
  Duration vrrp_garp_master_refresh{0};          // 0 = no periodic refresh
  uint32_t vrrp_garp_master_refresh_repeat = 1;
  std::optional<Duration> vrrp_garp_lower_prio_delay;   // unset = garp_master_delay
  std::optional<uint32_t> vrrp_garp_lower_prio_repeat;  // unset = garp_master_repeat
  bool vrrp_lower_prio_no_advert = false;
  bool vrrp_higher_prio_send_advert = false;
  // vrrp_min_garp: applied by the builder where it stands among global_defs (the GARP
  // settings still at keepalived's defaults become repeat 1, delay 0, refresh 0 ×0).
  bool vrrp_min_garp = false;
  bool vrrp_notify_priority_changes = false;
  uint32_t vrrp_down_timer_adverts = 3;          // instances' down_timer_adverts (1..100)
  Duration vrrp_startup_delay{0};
  // vrrp_delay_after_boot: VRRP also waits until the system has been up this long (the
  // VRRP engine reads the uptime when it starts; the longer of the two waits applies).
  Duration vrrp_delay_after_boot{0};
  bool vrrp_owner_ignore_adverts = false;        // default of owner_ignore_adverts
  // iproute_etc_dir / iproute_usr_dir: where the names of routing tables, protocols and
  // scopes are read (unset: /etc/iproute2, /usr/share/iproute2).
  std::optional<std::string> iproute_etc_dir;
  std::optional<std::string> iproute_usr_dir;
  // disable_local_igmp: while the VRRP engine runs, net.ipv4.igmp_link_local_mcast_reports
  // is 0 (no IGMP reports for 224.0.0.x groups such as VRRP's), put back when it stops.
  bool disable_local_igmp = false;
  // The VRRP accept-mode filter's nftables tables (vrrp/accept_filter.h). `nftables
  // [NAME]`: NAME, or "" for vigil's own name (vigil_vrrp[_ID]); unset: not given.
  // vrrp_iptables (keepalived's iptables chains) is accepted, and nftables used instead.
  std::optional<std::string> vrrp_iptables;    // its words, as given; unset = not given
  std::optional<std::string> nftables;
  int nftables_priority = -1;                  // the base chains' priority
  bool nftables_ifindex = false;               // link-local VIPs by index, dont_track_primary too
  bool nftables_counters = false;              // a counter on every rule
  // nftables_ipvs [NAME], nftables_ipvs_priority, nftables_ipvs_start_fwmark: read and
  // checked as keepalived does; vigil does not use them (see schema_global.cc).
  std::optional<std::string> nftables_ipvs;
  int nftables_ipvs_priority = -1;
  uint32_t nftables_ipvs_start_fwmark = 1000;

  ProcessTuning vrrp_tuning;     // the VRRP engine process
  ProcessTuning checker_tuning;  // the checker engine process
  // max_auto_priority: an engine whose timers run more than min_auto_priority_delay late
  // switches to SCHED_RR, one priority higher each time, up to this (0: never; -1: never,
  // keepalived's "no warning"; the keyword alone: 99).
  int max_auto_priority = 0;
  Duration min_auto_priority_delay = std::chrono::seconds(1);
  ProcessTuning bfd_tuning;      // the BFD engine process

  std::optional<NotifyFifo> notify_fifo;
  std::optional<NotifyFifo> vrrp_notify_fifo;
  std::optional<NotifyFifo> lvs_notify_fifo;

  std::optional<Script> startup_script;
  Duration startup_script_timeout = std::chrono::seconds(10);
  std::optional<Script> shutdown_script;
  Duration shutdown_script_timeout = std::chrono::seconds(10);

  // The file creation mask of vigild's processes (`umask`); unset: keepalived's 0177.
  // vigild's -u takes precedence.
  std::optional<uint32_t> umask;
  // Process names (prctl PR_SET_NAME): `process_name` (the supervisor),
  // `vrrp_process_name`, `checker_process_name` (alias `lvs_process_name`),
  // `bfd_process_name`; `process_names` gives the engines keepalived's names. Unset:
  // vigil's own (vigild, vigild-vrrp, vigild-check).
  std::optional<std::string> process_name;
  std::optional<std::string> vrrp_process_name;
  std::optional<std::string> checker_process_name;
  std::optional<std::string> bfd_process_name;
  // `random_seed`: the preprocessor seeds ${_RANDOM} with it from that line on.
  std::optional<uint32_t> random_seed;

  // IPVS.
  std::optional<LvsSyncDaemon> lvs_sync_daemon;
  std::optional<Duration> lvs_timeout_tcp;     // unset = kernel default
  std::optional<Duration> lvs_timeout_tcpfin;
  std::optional<Duration> lvs_timeout_udp;
  bool lvs_flush = false;
  // lvs_flush_on_stop [VS]: what the checker engine removes at shutdown (see LvsFlushOnStop).
  LvsFlushOnStop lvs_flush_on_stop = LvsFlushOnStop::kNone;

  std::optional<Conntrackd> conntrackd;  // vigil_conntrackd

  // vigil_announce_table N (1..252, FRR's `ip import-table` range): the kernel routing
  // table in which the checker engine keeps a host route for every virtual server address
  // whose service is up (route health injection, for FRR to announce).
  std::optional<uint32_t> announce_table;
  // `vty_socket DIR` after it: where vtysh finds FRR's daemons (unset: vtysh's default).
  std::optional<std::string> announce_vty_socket;
  SourceRef announce_table_loc;

  bool enable_traps = false;
  bool enable_dbus = false;
  bool enable_snmp_vrrp = false;
  bool enable_snmp_checker = false;

  // The dumps (SIGUSR1 data, SIGUSR2 statistics, SIGRTMIN+2 JSON): where they go
  // (`state_dump_file`, `stats_dump_file`, `json_dump_file`; unset: $TMPDIR's default
  // files), whether their names carry the namespace and instance (`data_use_instance`),
  // and the JSON dump's layout (`json_version` 1 or 2).
  std::optional<std::string> state_dump_file;
  std::optional<std::string> stats_dump_file;
  std::optional<std::string> json_dump_file;
  bool data_use_instance = false;
  int json_version = 1;

  // Every other global_defs keyword, verbatim, in configuration order.
  std::vector<RawSetting> other;
};

// Returns how global_defs runs scripts that name no user (script_user, its group,
// enable_script_security, set_supplementary_groups).
ScriptDefaults ScriptDefaultsOf(const Global& global);

// ---------------------------------------------------------------------------------
// Trackers

struct VrrpScript {
  std::string name;
  std::string command;                          // `script` (required)
  Duration interval = std::chrono::seconds(1);  // whole seconds
  Duration timeout = std::chrono::seconds(1);   // default: = interval
  int weight = 0;                               // -253..253; 0 = failure means FAULT
  bool weight_reverse = false;
  uint32_t rise = 1;
  uint32_t fall = 1;
  std::optional<std::string> user;              // unset = global script_user
  std::optional<std::string> group;
  bool init_fail = false;                       // start in the failed state
  std::optional<std::string> program;           // as Script::program
  std::optional<std::string> real_program;      // as Script::real_program
  // Set by config::ResolveCommands when the program does not exist (not in PATH, or no
  // such file): keepalived disables such a script, and its trackers ignore it.
  bool missing = false;
  SourceRef loc;
  SourceRef command_loc;                        // the `script` line
};

struct TrackFile {
  std::string name;
  std::string path;                             // `file` (required)
  int weight = 1;                               // value x weight is added to priority
  bool weight_reverse = false;
  std::optional<int64_t> init_value;            // `init_file [VALUE] [overwrite]`
  bool init_file = false;
  bool init_overwrite = false;
  SourceRef loc;
  friend bool operator==(const TrackFile&, const TrackFile&) = default;
};

enum class ParamMatch { kExact, kPartial, kInitial };

struct TrackProcess {
  std::string name;
  std::string process;                          // `process NAME`
  std::vector<std::string> parameters;          // args after the name
  ParamMatch param_match = ParamMatch::kExact;
  int weight = 0;
  bool weight_reverse = false;
  uint32_t quorum = 1;
  std::optional<uint32_t> quorum_max;
  Duration fork_delay{0};
  Duration terminate_delay{0};
  bool full_command = false;
  SourceRef loc;
};

struct BfdInstance {
  std::string name;
  IpAddress neighbor_ip;
  std::optional<IpAddress> source_ip;
  Duration min_rx = std::chrono::milliseconds(10);
  Duration min_tx = std::chrono::milliseconds(10);
  Duration idle_tx = std::chrono::seconds(1);
  uint32_t multiplier = 5;
  bool passive = false;
  // ttl / hoplimit sent; resolved: 255 for IPv4, 64 for IPv6 unless set.
  uint32_t ttl = 255;
  // How far below `ttl` a received TTL may be (0: exactly `ttl`, GTSM); 255 checks nothing.
  uint32_t max_hops = 0;
  bool multihop = false;  // RFC 5883: port 4784
  // The default weight of a track_bfd naming this instance.
  int weight = 0;
  bool weight_reverse = false;
  // Which engines hear its state (keepalived's `vrrp` / `checker`; both when neither is set).
  bool vrrp = true;
  bool checker = true;
  SourceRef loc;
};

// A reference from an instance or sync group to a tracker, with its optional override.
struct TrackedInterface {
  std::string name;
  int weight = 0;        // 0 = down means FAULT
  bool reverse = false;
  SourceRef loc;
};

struct TrackedRef {
  std::string name;
  std::optional<int> weight;  // unset = the tracker's own weight
  bool reverse = false;
  SourceRef loc;
  bool noreverse = false;     // track_bfd: not reversed, whatever the bfd_instance says
};

// ---------------------------------------------------------------------------------
// VRRP

enum class VrrpState { kBackup, kMaster };
enum class AuthType { kNone, kPass, kAh };

// auth_hmac { }: adverts carry an HMAC-SHA256 trailer (keepalived 2.4).
enum class HmacMode {
  kEnforce,      // a valid trailer is required
  kPermissive,   // sends trailers, still takes adverts without one
  kReceiveOnly,  // sends none, verifies a trailer when present
};

// One `key ID VALUE` of auth_hmac. VALUE is `hex:DIGITS`, `file:PATH` or the ASCII key.
struct HmacKey {
  uint8_t id = 0;                      // 1..255
  std::vector<uint8_t> secret;         // 32..64 bytes; empty while `file` is unread
  std::optional<std::string> file;     // `file:PATH`: read by the system pass
  SourceRef loc;
  friend bool operator==(const HmacKey&, const HmacKey&) = default;
};

struct AuthHmac {
  std::vector<HmacKey> keys;
  uint8_t active_key = 0;              // the key adverts are signed with
  HmacMode mode = HmacMode::kEnforce;
  bool anti_replay_time = true;        // `anti_replay time` (else monotonic)
  uint32_t time_window = 0;            // seconds; 0 until derived from advert_int
  SourceRef loc;

  // Returns the key with `id`, or nullptr.
  const HmacKey* Key(uint8_t id) const;
  friend bool operator==(const AuthHmac&, const AuthHmac&) = default;
};

// One `virtual_ipaddress` / `static_ipaddress` line: IP[/M] [brd IP] [dev IF]
// [scope S] [label L] [no_track] [...].
struct VirtualAddress {
  IpPrefix prefix;                        // no "/M" = /32 or /128
  std::optional<IpAddress> broadcast;
  std::optional<std::string> dev;         // unset = the instance's interface
  std::optional<std::string> scope;
  std::optional<std::string> label;
  bool no_track = false;
  // static_ipaddress only: the track_group whose instances track this address's interface.
  std::optional<std::string> track_group;
  std::vector<std::string> other;         // other options verbatim (peer, preferred_lft...)
  SourceRef loc;
};

// One `virtual_routes`/`static_routes`/`virtual_rules`/`static_rules` line, kept
// in `ip route`/`ip rule` syntax.
struct RouteOrRule {
  std::vector<std::string> words;         // without `track_group NAME`
  Family family = Family::kUnspec;        // from the first address seen (or `inet6`)
  // static_routes / static_rules only: the track_group whose instances track the route's
  // `dev` (the rule's `iif`).
  std::optional<std::string> track_group;
  SourceRef loc;
};

struct UnicastPeer {
  IpAddress address;
  std::optional<uint8_t> min_ttl;
  std::optional<uint8_t> max_ttl;
  SourceRef loc;
};

// On the heap: each is nearly always absent, and inline the seven Scripts were 1,512 of a
// vrrp_instance's 2,368 bytes.
struct VrrpNotify {
  HeapOptional<Script> master;
  HeapOptional<Script> backup;
  HeapOptional<Script> fault;
  HeapOptional<Script> stop;
  HeapOptional<Script> deleted;              // instances only
  HeapOptional<Script> master_rx_lower_pri;  // instances only
  HeapOptional<Script> generic;              // `notify`
};

// `old_unicast_checksum [never]`: the pseudo-header destination of VRRPv3 IPv4 unicast
// adverts' checksum (keepalived 1.3.6 and older summed them over the multicast group).
enum class OldUnicastChecksum {
  kAuto,   // not set: the packet's destination, switching to the group if a peer uses it
  kNever,  // `old_unicast_checksum never`: the packet's destination, no switch
  kOld,    // `old_unicast_checksum`: the multicast group
};

// use_ipvlan [[name] NAME] [ADDRESS[/LEN]] [bridge|private|vepa]: an L2 ipvlan on the
// instance's interface carries its VIPs and adverts (keepalived's VRRP_IPVLAN).
enum class IpvlanMode { kBridge, kPrivate, kVepa };
struct UseIpvlan {
  std::string name;                  // "" = vrrp.<VRID>
  std::optional<IpPrefix> address;   // put on the ipvlan; the adverts' source
  IpvlanMode mode = IpvlanMode::kBridge;
  friend bool operator==(const UseIpvlan&, const UseIpvlan&) = default;
};

struct VrrpInstance {
  std::string name;
  VrrpState initial_state = VrrpState::kBackup;  // default BACKUP, but MASTER at priority 255
  std::optional<std::string> interface;          // required unless unicast
  uint8_t virtual_router_id = 0;                 // 1..255, required
  uint8_t priority = 100;                        // 255 when `state MASTER` and none given
  Duration advert_int = std::chrono::seconds(1); // v2: whole seconds; v3: 0.01..40.95 s
  int version = 2;                               // global vrrp_version; 3 for IPv6
  Family family = Family::kIpv4;                 // from the VIPs; IPv4 when none

  std::vector<VirtualAddress> virtual_ipaddress;
  std::vector<VirtualAddress> virtual_ipaddress_excluded;
  std::vector<RouteOrRule> virtual_routes;
  std::vector<RouteOrRule> virtual_rules;

  AuthType auth_type = AuthType::kNone;
  std::string auth_pass;                         // at most 8 bytes
  std::optional<AuthHmac> auth_hmac;

  bool nopreempt = false;
  Duration preempt_delay{0};                     // 0..1000 s
  bool accept = true;                            // default: !strict || owner
  bool strict_mode = false;                      // global vrrp_strict
  bool skip_check_adv_addr = false;
  bool dont_track_primary = false;
  bool promote_secondaries = false;
  // no_virtual_ipaddress: an instance without VIPs is intended (no warning, allowed in v3);
  // cleared in strict mode.
  bool no_virtual_ipaddress = false;
  // An address owner (priority 255) drops every advert it receives; default: set in
  // strict mode, else global vrrp_owner_ignore_adverts. Never set below priority 255.
  bool owner_ignore_adverts = false;

  std::vector<TrackedInterface> track_interface;
  std::vector<TrackedRef> track_script;
  std::vector<TrackedRef> track_file;
  std::vector<TrackedRef> track_process;
  std::vector<TrackedRef> track_bfd;

  std::optional<IpAddress> mcast_src_ip;
  std::optional<IpAddress> unicast_src_ip;
  std::optional<IpAddress> mcast_dst_ip;         // unset = global group
  // track_src_ip: FAULT while the configured mcast_src_ip/unicast_src_ip is not on the
  // interface (false when neither is set, as keepalived clears it).
  bool track_src_ip = false;
  std::vector<UnicastPeer> unicast_peer;
  std::optional<uint8_t> unicast_ttl;            // IPv4 default 255
  bool unicast_fault_no_peer = false;
  bool check_unicast_src = false;                // global vrrp_check_unicast_src
  OldUnicastChecksum old_unicast_checksum = OldUnicastChecksum::kAuto;
  bool v3_checksum_as_v2 = false;                // global v3_checksum_as_v2

  std::optional<std::string> use_vmac;           // VMAC name; "" = vrrp.<VRID>
  // use_vmac's MAC_ADDRESS: the VMAC's MAC instead of 00:00:5e:00:0{1,2}:VRID; given with
  // five octets (`vmac_mac_vrid`), the VRID is the sixth.
  std::optional<std::array<std::uint8_t, 6>> vmac_mac;
  bool vmac_mac_vrid = false;
  // use_vmac / use_ipvlan `group GROUP` (newer keepalived): the interface group the VMAC or
  // ipvlan is made in, a number or a name of iproute2's `group` file; unset: its parent's.
  std::optional<std::string> vmac_group;
  bool vmac_xmit_base = false;
  // use_vmac_addr: VIPs on other interfaces (or of the other family) get VMACs of their own.
  bool use_vmac_addr = false;
  std::optional<UseIpvlan> use_ipvlan;
  // vrf NAME: the VRF (master device) an instance without an interface sends and
  // receives its unicast adverts in.
  std::optional<std::string> vrf;

  VrrpNotify notify;
  std::optional<bool> smtp_alert;
  // The instance's own, else its sync group's, else the global one: unset only while the
  // builder has not yet seen the sync groups (FinishVrrp resolves it).
  std::optional<bool> notify_priority_changes;

  Duration garp_master_delay = std::chrono::seconds(5);  // global defaults
  uint32_t garp_master_repeat = 5;
  Duration garp_master_refresh{0};
  uint32_t garp_master_refresh_repeat = 1;
  Duration garp_lower_prio_delay = std::chrono::seconds(5);
  uint32_t garp_lower_prio_repeat = 5;
  bool lower_prio_no_advert = false;
  bool higher_prio_send_advert = false;
  uint32_t down_timer_adverts = 3;               // 1..100 (vrrp_down_timer_adverts)
  uint32_t debug = 0;
  // kernel_rx_buf_size: this instance's share of its advert socket's receive buffer, in
  // place of vrrp_rx_bufs_policy's (0: none of its own).
  uint32_t kernel_rx_buf_size = 0;
  // timer_expired_backup [PRIORITY] (thread_timer_expired): with nopreempt, a master whose
  // engine ran too late for it to have kept mastership (another router of at most PRIORITY,
  // default 254, may have taken over) goes to BACKUP. 0: off.
  uint8_t timer_expired_backup = 0;

  std::vector<RawSetting> other;                 // rare keywords, verbatim
  SourceRef loc;
};

struct SyncGroup {
  std::string name;
  std::vector<std::string> members;              // instance names (`group { }`)
  std::vector<TrackedInterface> track_interface;
  std::vector<TrackedRef> track_script;
  std::vector<TrackedRef> track_file;
  std::vector<TrackedRef> track_process;
  std::vector<TrackedRef> track_bfd;
  VrrpNotify notify;
  std::optional<bool> smtp_alert;
  bool global_tracking = false;                  // deprecated alias of the next
  bool sync_group_tracking_weight = false;
  std::optional<bool> notify_priority_changes;   // unset: its instances use the global one
  SourceRef loc;
};

// A top-level `track_group NAME { group { INSTANCE... } }`: the instances that track the
// interfaces of the static addresses, routes and rules naming it (FAULT while one is down).
struct StaticTrackGroup {
  std::string name;
  std::vector<std::string> members;  // vrrp_instance names, as written
  SourceRef loc;
};

// One `interface_up_down_delays` line: a change of IF's link counts only once it has lasted
// this long (0: at once).
struct UpDownDelay {
  std::string interface;
  Duration down{0};
  Duration up{0};
  SourceRef loc;
};

struct GarpGroup {
  Duration garp_interval{0};
  Duration gna_interval{0};
  std::vector<std::string> interfaces;
  SourceRef loc;
};

// ---------------------------------------------------------------------------------
// IPVS and health checks

enum class Protocol { kNone, kTcp, kUdp, kSctp };  // kNone: not set (fwmark services)
enum class LbKind : uint8_t { kNat, kDr, kTun };
enum class TunnelType : uint8_t { kIpip, kGue, kGre };
enum class TunnelChecksum : uint8_t { kNone, kCsum, kRemCsum };

// The IPVS schedulers keepalived accepts.
enum class Scheduler { kRr, kWrr, kLc, kWlc, kLblc, kSh, kMh, kDh, kFo, kOvf, kLblcr, kSed, kNq, kTwos };

struct Forwarding {
  LbKind method = LbKind::kNat;          // default NAT
  TunnelType tunnel_type = TunnelType::kIpip;
  uint16_t tunnel_port = 0;              // GUE only
  TunnelChecksum tunnel_checksum = TunnelChecksum::kNone;
  friend bool operator==(const Forwarding&, const Forwarding&) = default;
};

// One `url { }` of HTTP_GET/SSL_GET.
struct StatusRange {
  uint16_t low = 200;
  uint16_t high = 299;
  friend bool operator==(const StatusRange&, const StatusRange&) = default;
};

struct Url {
  std::string path;                            // required
  std::optional<std::string> digest;           // MD5 of the body, lower-case hex
  std::vector<StatusRange> status_codes;       // default 200-299
  std::optional<std::string> virtualhost;
  std::optional<std::string> regex;
  bool regex_no_match = false;
  // regex_options NAME...: PCRE2 compile options by keepalived's names (lower-case
  // PCRE2_* without the prefix); unknown names are not kept.
  std::vector<std::string> regex_options;
  // regex_min_offset / regex_max_offset: where in the body a match may start (the last
  // offset; unset: anywhere from the first).
  uint64_t regex_min_offset = 0;
  std::optional<uint64_t> regex_max_offset;
  // regex_stack START MAX: the regex is matched with a PCRE2 JIT stack (0: PCRE2's own).
  uint64_t regex_stack_start = 0;
  uint64_t regex_stack_max = 0;
  bool tls_compliant = false;                  // SSL_GET's url: send close_notify
  SourceRef loc;
  friend bool operator==(const Url&, const Url&) = default;
};

enum class HttpProtocol { k10, k10C, k11 };     // 1.0 (default), 1.0C, 1.1

struct TcpCheck {
  friend bool operator==(const TcpCheck&, const TcpCheck&) = default;
};

struct HttpCheck {
  bool ssl = false;                             // SSL_GET
  std::vector<Url> urls;
  HttpProtocol http_protocol = HttpProtocol::k10;
  std::optional<std::string> virtualhost;       // inherited rs -> vs when unset
  bool enable_sni = false;                      // SSL only
  std::optional<std::string> sni_name;
  bool fast_recovery = false;
  bool tls_compliant = false;
  friend bool operator==(const HttpCheck&, const HttpCheck&) = default;
};

struct MiscCheck {
  Script path;                                  // `misc_path`
  std::optional<Duration> timeout;              // unset = delay_loop
  bool dynamic = false;                         // exit 2..255 sets weight = rc - 2
  friend bool operator==(const MiscCheck&, const MiscCheck&) = default;
};

struct SmtpCheck {
  std::optional<std::string> helo_name;         // default: host name
  friend bool operator==(const SmtpCheck&, const SmtpCheck&) = default;
};

struct DnsCheck {
  std::string type = "SOA";
  std::string name = ".";
  friend bool operator==(const DnsCheck&, const DnsCheck&) = default;
};

struct UdpCheck {
  std::vector<uint8_t> payload;
  bool require_reply = false;
  std::vector<uint8_t> reply;                   // `require_reply HEX`
  std::optional<uint32_t> min_reply_length;
  std::optional<uint32_t> max_reply_length;
  friend bool operator==(const UdpCheck&, const UdpCheck&) = default;
};

struct PingCheck {
  friend bool operator==(const PingCheck&, const PingCheck&) = default;
};

struct FileCheck {
  std::string track_file;
  std::optional<int> weight;
  bool reverse = false;
  friend bool operator==(const FileCheck&, const FileCheck&) = default;
};

struct BfdCheck {
  std::string name;
  std::optional<int> weight;
  bool reverse = false;
  friend bool operator==(const BfdCheck&, const BfdCheck&) = default;
};

// A checker's own settings: one of the kinds above (default TCP_CHECK). The kinds with
// settings are kept on the heap, so that the common TCP_CHECK's CheckSpec stays small (a
// variant of the kinds themselves was as large as MiscCheck); holds / get_if / get / visit
// see the kinds themselves.
class CheckDetail {
 public:
  // The kinds, in the order index() numbers them.
  using Kinds = std::tuple<TcpCheck, HttpCheck, MiscCheck, SmtpCheck, DnsCheck, UdpCheck,
                           PingCheck, FileCheck, BfdCheck>;
  template <typename T>
  static constexpr bool IsKind = []<typename... K>(std::tuple<K...>*) {
    return (std::is_same_v<T, K> || ...);
  }(static_cast<Kinds*>(nullptr));

  CheckDetail() = default;
  template <typename T>
    requires IsKind<T>
  CheckDetail(T kind) : v_(Stored<T>(std::move(kind))) {}  // NOLINT: implicit, as a variant's

  template <typename T>
  bool holds() const {
    return std::holds_alternative<Stored<T>>(v_);
  }
  template <typename T>
  const T* get_if() const {
    const Stored<T>* p = std::get_if<Stored<T>>(&v_);
    return p ? &Unbox(*p) : nullptr;
  }
  template <typename T>
  T* get_if() {
    Stored<T>* p = std::get_if<Stored<T>>(&v_);
    return p ? &Unbox(*p) : nullptr;
  }
  // Throws std::bad_variant_access when the detail is of another kind.
  template <typename T>
  const T& get() const {
    return Unbox(std::get<Stored<T>>(v_));
  }
  template <typename T>
  T& get() {
    return Unbox(std::get<Stored<T>>(v_));
  }
  // Calls f with the kind held (const TcpCheck&, const HttpCheck&, ...).
  template <typename F>
  decltype(auto) visit(F&& f) const {
    return std::visit([&f](const auto& k) -> decltype(auto) { return f(Unbox(k)); }, v_);
  }
  // The held kind's position in Kinds.
  size_t index() const { return v_.index(); }

  friend bool operator==(const CheckDetail&, const CheckDetail&) = default;

 private:
  template <typename T>
  using Stored = std::conditional_t<std::is_empty_v<T>, T, Boxed<T>>;
  template <typename T>
  static const T& Unbox(const Boxed<T>& b) { return *b; }
  template <typename T>
  static T& Unbox(Boxed<T>& b) { return *b; }
  template <typename T>
  static const T& Unbox(const T& k) { return k; }
  template <typename T>
  static T& Unbox(T& k) { return k; }

  template <typename Tuple>
  struct StoredVariant;
  template <typename... K>
  struct StoredVariant<std::tuple<K...>> {
    using type = std::variant<Stored<K>...>;
  };

  StoredVariant<Kinds>::type v_;
};

// Returns "TCP_CHECK", "HTTP_GET", "SSL_GET", ... for the kind held by `d`.
std::string_view CheckKindName(const CheckDetail& d);

// One per real server and checker (tens of thousands at scale): rarely set options are on
// the heap and the fields ordered so that it packs (112 bytes).
struct CheckSpec {
  // Connection options (none for MISC/FILE/BFD checks).
  HeapOptional<IpAddress> connect_ip;           // default: the real server's address
  HeapOptional<IpAddress> bindto;
  HeapOptional<std::string> bind_if;
  std::optional<uint16_t> connect_port;         // default: the real server's port
  std::optional<uint16_t> bind_port;
  std::optional<uint32_t> fwmark;
  // Effective timing (inheritance resolved).
  uint32_t retry = 1;                     // rs -> type default (DNS 3, MISC 0, others 1)
  bool alpha = false;                     // rs -> vs
  bool log_all_failures = false;          // global checker_log_all_failures
  Duration connect_timeout = std::chrono::seconds(5);   // rs -> vs -> 5 s
  Duration delay_before_retry = std::chrono::seconds(1);  // rs -> type default (HTTP 3 s, DNS = delay_loop)
  Duration delay_loop = std::chrono::seconds(60);         // rs -> vs -> 60 s
  Duration warmup{0};                     // rs -> delay_loop
  CheckDetail detail;
  SourceRef loc;
  friend bool operator==(const CheckSpec&, const CheckSpec&) = default;
};

// One per real server (tens of thousands at scale): the fields ordered so that it packs,
// rarely set strings on the heap (168 bytes).
struct RealServer {
  IpAddress address;
  uint16_t port = 0;                       // NAT/same-port: the virtual server's port
  uint32_t weight = 1;                     // vs `weight` (default 1)
  Forwarding forwarding;                   // vs lvs_method
  bool inhibit_on_failure = false;         // vs
  bool alpha = false;                      // vs
  bool smtp_alert = true;                  // global smtp_alert_checker / smtp_alert; else true
  std::optional<uint32_t> uthreshold;
  std::optional<uint32_t> lthreshold;
  std::optional<uint32_t> retry;           // unset: each checker's own default
  SourceRef loc;
  Duration connect_timeout = std::chrono::seconds(5);
  Duration delay_loop = std::chrono::seconds(60);
  std::optional<Duration> delay_before_retry;
  std::optional<Duration> warmup;
  HeapOptional<std::string> virtualhost;   // vs
  // On the heap: nearly always absent, and a Script is 168 bytes (a third of a real server).
  HeapOptional<Script> notify_up;
  HeapOptional<Script> notify_down;
  std::vector<CheckSpec> checks;
  friend bool operator==(const RealServer&, const RealServer&) = default;
};

struct SorryServer {
  IpAddress address;
  uint16_t port = 0;
  bool inhibit = false;
  Forwarding forwarding;
  SourceRef loc;
  friend bool operator==(const SorryServer&, const SorryServer&) = default;
};

// One entry of a virtual_server_group: an address range or a firewall mark.
struct VsgEntry {
  IpAddress address;
  std::optional<IpAddress> range_end;      // `a.b.c.d-e` or from `/nn`
  uint16_t port = 0;
  std::optional<uint32_t> fwmark;
  Family fwmark_family = Family::kUnspec;  // `fwmark N inet|inet6`
  SourceRef loc;
  friend bool operator==(const VsgEntry&, const VsgEntry&) = default;
};

struct VirtualServerGroup {
  std::string name;
  std::vector<VsgEntry> entries;
  SourceRef loc;
  friend bool operator==(const VirtualServerGroup&, const VirtualServerGroup&) = default;
};

struct VirtualServer {
  // Exactly one of address (+port), fwmark or group identifies the service.
  std::optional<IpAddress> address;
  uint16_t port = 0;
  std::optional<uint32_t> fwmark;
  std::optional<std::string> group;
  Family family = Family::kUnspec;         // from the address, ip_family or real servers

  Protocol protocol = Protocol::kNone;     // address services default to UDP (keepalived
                                           // warns); fwmark services ignore it
  Scheduler scheduler = Scheduler::kWlc;
  Forwarding forwarding;                   // `lvs_method`/`lb_kind`, default NAT
  bool ops = false;
  bool hashed = false;
  bool sched_flag_1 = false;               // flag-1, sh-fallback, mh-fallback (IPVS SCHED1)
  bool sched_flag_2 = false;               // flag-2, sh-port, mh-port (IPVS SCHED2)
  bool sched_flag_3 = false;
  std::optional<uint32_t> persistence_timeout;  // seconds; bare keyword = 360
  std::optional<IpAddress> persistence_granularity;
  std::optional<std::string> persistence_engine;
  bool ha_suspend = false;
  bool smtp_alert = false;
  std::optional<std::string> virtualhost;
  bool alpha = false;
  bool omega = false;
  uint32_t quorum = 1;
  uint32_t hysteresis = 0;
  // On the heap: nearly always absent (a Script is 208 bytes).
  HeapOptional<Script> quorum_up;
  HeapOptional<Script> quorum_down;
  uint32_t weight = 1;                     // default real-server weight
  bool inhibit_on_failure = false;
  Duration delay_loop = std::chrono::seconds(60);
  Duration connect_timeout = std::chrono::seconds(5);
  std::optional<uint32_t> retry;
  std::optional<Duration> delay_before_retry;
  std::optional<Duration> warmup;

  std::optional<SorryServer> sorry_server;
  std::vector<RealServer> real_servers;
  // vigil_announce_with VRRP_INSTANCE: the address is announced (vigil_announce_table)
  // only while that instance is MASTER.
  std::optional<std::string> announce_with;
  SourceRef announce_with_loc;
  SourceRef loc;
  friend bool operator==(const VirtualServer&, const VirtualServer&) = default;
};

struct SslConfig {
  std::optional<std::string> password;
  std::optional<std::string> ca;
  std::optional<std::string> certificate;
  std::optional<std::string> key;
  SourceRef loc;
  friend bool operator==(const SslConfig&, const SslConfig&) = default;
};

// ---------------------------------------------------------------------------------
// The whole configuration.

struct Config {
  Global global;

  // Top-level singletons (outside global_defs).
  std::optional<std::string> net_namespace;   // the `ip netns` name vigild runs in
  SourceRef net_namespace_loc;                // its `net_namespace` line
  // Where IPVS is programmed: nullopt = where vigild runs, "" = the init namespace (the
  // keyword without a name), else the `ip netns` name.
  std::optional<std::string> net_namespace_ipvs;
  SourceRef net_namespace_ipvs_loc;
  std::optional<std::string> instance;
  bool use_pid_dir = false;
  Duration child_wait_time = std::chrono::seconds(5);
  bool linkbeat_use_polling = false;

  std::vector<VrrpScript> vrrp_scripts;
  std::vector<TrackFile> track_files;
  std::vector<TrackProcess> track_processes;
  std::vector<BfdInstance> bfd_instances;
  std::vector<VrrpInstance> vrrp_instances;
  std::vector<SyncGroup> sync_groups;
  std::vector<VirtualAddress> static_addresses;
  std::vector<RouteOrRule> static_routes;
  std::vector<RouteOrRule> static_rules;
  std::vector<GarpGroup> garp_groups;
  std::vector<StaticTrackGroup> track_groups;
  std::vector<UpDownDelay> interface_up_down_delays;
  std::vector<std::string> linkbeat_interfaces;
  std::vector<VirtualServerGroup> virtual_server_groups;
  std::vector<VirtualServer> virtual_servers;
  std::optional<SslConfig> ssl;
};

// Returns the IPVS name of `s` ("wlc", "rr", ...).
std::string_view SchedulerName(Scheduler s);
// Returns the scheduler called `name`, or nullopt if IPVS has no such scheduler.
std::optional<Scheduler> SchedulerFromName(std::string_view name);

}  // namespace vigil::model

#endif  // VIGIL_MODEL_CONFIG_H_
