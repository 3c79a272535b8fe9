// InstanceSpec: what the VRRP engine needs to run one vrrp_instance, derived purely from
// the model (defaults and globals already applied). Comparing two specs tells a reload
// what changed.
#ifndef VIGIL_VRRP_INSTANCE_SPEC_H_
#define VIGIL_VRRP_INSTANCE_SPEC_H_

#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "alert/smtp_message.h"
#include "model/config.h"
#include "net/netlink.h"
#include "net/rtnetlink.h"
#include "vrrp/conntrackd.h"
#include "vrrp/link_debounce.h"
#include "vrrp/packet.h"
#include "vrrp/params.h"
#include "vrrp/process_track.h"
#include "vrrp/rt_names.h"

namespace vigil::vrrp {

// One virtual address to install.
struct VipSpec {
  model::IpPrefix prefix;
  std::optional<model::IpAddress> broadcast;
  std::string dev;            // the interface it goes on
  std::optional<std::string> scope;
  std::optional<std::string> label;
  // The address line's options as keepalived sends them: IFA_F_HOMEADDRESS, _MANAGETEMPADDR,
  // _NOPREFIXROUTE, _MCAUTOJOIN (home, mngtmpaddr, noprefixroute, autojoin); `-nodad` keeps
  // DAD on an IPv6 VIP (IFA_F_NODAD otherwise); `peer`; IPv6 preferred_lft (keepalived's
  // default: 0, deprecated, for a /128, so that it is not chosen as a source; else forever).
  std::uint32_t flags = 0;
  bool keep_dad = false;
  std::optional<model::IpAddress> peer;
  std::optional<std::uint32_t> preferred_lft;  // IPv6; unset = forever
  bool advertised = true;     // false for virtual_ipaddress_excluded
  // A link-local IPv6 VIP the accept-mode filter keys by interface name instead of index
  // (keepalived: dont_track_primary without nftables_ifindex, for a VIP on the instance's
  // interface or with no_track).
  bool filter_by_name = false;

  friend bool operator==(const VipSpec&, const VipSpec&) = default;
};

struct ScriptRef {
  std::string name;
  int weight = 0;
  bool reverse = false;
  friend bool operator==(const ScriptRef&, const ScriptRef&) = default;
};

struct InterfaceRef {
  std::string name;
  int weight = 0;
  bool reverse = false;
  friend bool operator==(const InterfaceRef&, const InterfaceRef&) = default;
};

struct FileRef {
  std::string name;
  std::string path;
  int weight = 1;
  bool reverse = false;
  friend bool operator==(const FileRef&, const FileRef&) = default;
};

struct CommandSpec {
  std::vector<std::string> argv;
  std::string path;  // the file executed when not argv[0] (SpawnSpec::path)
  std::optional<std::string> user;
  std::optional<std::string> group;
  friend bool operator==(const CommandSpec&, const CommandSpec&) = default;
};

struct NotifySpec {
  std::optional<CommandSpec> master, backup, fault, stop, deleted, generic, master_rx_lower_pri;
  bool smtp_alert = false;  // its transitions are mailed (smtp_alert, smtp_alert_vrrp)
  bool notify_deleted = false;  // notify_deleted: a removal at reload is DELETED, not FAULT
  friend bool operator==(const NotifySpec&, const NotifySpec&) = default;
};

// An instance's share of the receive buffer of the advert socket it is on: the socket asks
// the sum of its instances' shares with SO_RCVBUF (nothing when it is 0), as keepalived sizes
// it. From kernel_rx_buf_size (kBytes) when not 0, else from vrrp_rx_bufs_policy: BYTES, or
// the multiplier (vrrp_rx_bufs_multiplier) times the interface's MTU or the advert's length.
struct RxBufShare {
  enum class Kind { kNone, kBytes, kMtu, kAdvert };
  Kind kind = Kind::kNone;
  uint32_t value = 0;  // the bytes, or the multiplier
  friend bool operator==(const RxBufShare&, const RxBufShare&) = default;
};

struct InstanceSpec {
  std::string name;
  std::string interface;           // where adverts are received (and sent, without VMAC)
  model::Family family = model::Family::kIpv4;
  Params params;                   // primary_address is filled at run time
  AuthType auth_type = AuthType::kNone;
  std::string auth_pass;
  std::optional<model::AuthHmac> auth_hmac;  // keys loaded, time_window derived
  std::vector<VipSpec> vips;
  std::optional<model::IpAddress> source;        // mcast_src_ip / unicast_src_ip
  // track_src_ip: FAULT while `source` is not an address of the interface.
  bool track_source = false;
  std::vector<UnicastPeer> unicast_peers;
  // unicast_fault_no_peer without any unicast_peer: the instance stays in FAULT (keepalived
  // counts it a configuration fault) instead of falling back to multicast.
  bool no_peer_fault = false;
  model::IpAddress multicast_group;
  bool check_unicast_src = false;
  uint8_t unicast_ttl = 255;
  bool v3_checksum_as_v2 = false;
  // How VRRPv3 IPv4 unicast adverts are summed at start (old_unicast_checksum).
  UnicastChecksum unicast_checksum = UnicastChecksum::kDetect;
  bool dont_track_primary = false;
  int debug = 0;  // `debug` (0..4): only shown, as keepalived only shows it
  // Its share of its advert socket's receive buffer (RxBufBytes).
  RxBufShare rx_buf_share;
  // promote_secondaries: the interface's net.ipv4.conf.IF.promote_secondaries is 1 while
  // the instance runs (restored at stop), so removing a VIP that is the primary address of
  // its subnet does not take the secondary addresses of that subnet with it.
  bool promote_secondaries = false;
  // The instance's own interface on `interface`, which carries its VIPs and adverts: the
  // VMAC (use_vmac) or, when `ipvlan` is set, the L2 ipvlan (use_ipvlan) of this name.
  std::optional<std::string> vmac;
  bool vmac_xmit_base = false;
  std::optional<net::MacAddress> vmac_mac;  // use_vmac's MAC (the VRID filled in), if given
  std::optional<std::string> vmac_group;    // use_vmac / use_ipvlan group; unset: the parent's
  // Whether the VMAC / ipvlan keeps IPv6 (disable_ipv6 otherwise): keepalived leaves it on
  // only for an IPv6 instance or one with excluded VIPs of the other family.
  bool vmac_ipv6 = false;
  // use_vmac_addr: the VMACs made for VIPs on another interface than `interface` (or of the
  // other family on it); the VIPs' `dev` names them. Each has the instance's VRID, its
  // family's virtual MAC (or `vmac_mac`) and the devconf of a VMAC.
  struct AddressVmac {
    std::string name;
    std::string parent;
    model::Family family = model::Family::kIpv4;
    friend bool operator==(const AddressVmac&, const AddressVmac&) = default;
  };
  std::vector<AddressVmac> address_vmacs;
  // garp_extra_if: the VIPs a master announces every params.garp_extra_if (GarpExtraVips).
  std::vector<VipSpec> garp_extra_vips;
  struct Ipvlan {
    std::uint16_t flags = 0;                 // 0 bridge, IPVLAN_F_PRIVATE, IPVLAN_F_VEPA
    std::optional<model::IpPrefix> address;  // put on the ipvlan (also the adverts' source)
    friend bool operator==(const Ipvlan&, const Ipvlan&) = default;
  };
  std::optional<Ipvlan> ipvlan;
  // vrf: the VRF (master device) an instance without an interface sends and receives its
  // unicast adverts in (sockets bound to it).
  std::optional<std::string> vrf;
  // track_interface (the instance's, its sync group's) and, with weight 0, the interfaces
  // of the static addresses, routes and rules whose track_group lists the instance.
  std::vector<InterfaceRef> track_interfaces;
  std::vector<ScriptRef> track_scripts;
  std::vector<ScriptRef> track_processes;  // vrrp_track_process names with their weights
  std::vector<FileRef> track_files;
  std::vector<ScriptRef> track_bfds;  // bfd_instance names with their weights
  NotifySpec notify;
  std::optional<std::string> sync_group;
  // virtual_routes / virtual_rules lines (`ip route` / `ip rule` words), installed with
  // the VIPs.
  std::vector<std::vector<std::string>> routes;
  std::vector<std::vector<std::string>> rules;

  friend bool operator==(const InstanceSpec&, const InstanceSpec&) = default;

  // Returns whether `other` differs from this spec only in its VIPs.
  bool SameExceptVips(const InstanceSpec& other) const;
};

struct ScriptSpec {
  std::string name;
  CommandSpec command;
  std::chrono::microseconds interval{std::chrono::seconds(1)};
  std::chrono::microseconds timeout{std::chrono::seconds(1)};
  uint32_t rise = 1;
  uint32_t fall = 1;
  bool init_fail = false;
  friend bool operator==(const ScriptSpec&, const ScriptSpec&) = default;
};

struct FifoSpec {
  std::string path;
  std::optional<CommandSpec> script;
  std::optional<std::string> user, group;  // the owner of the FIFO if created (base/fifo_owner.h)
  friend bool operator==(const FifoSpec&, const FifoSpec&) = default;
};

// A vrrp_sync_group with at least one running member.
struct SyncGroupSpec {
  std::string name;
  std::vector<std::string> members;  // instance names, in the order of `group { }`
  NotifySpec notify;                 // the group's notify scripts ("GROUP name STATE 0")
  friend bool operator==(const SyncGroupSpec&, const SyncGroupSpec&) = default;
};

// A garp_group: its interfaces share one pacing of gratuitous ARPs (garp_interval) and of
// unsolicited NAs (gna_interval); 0 leaves that kind unpaced on them.
struct GarpGroupSpec {
  std::vector<std::string> interfaces;
  std::chrono::microseconds garp_interval{0};
  std::chrono::microseconds gna_interval{0};
  friend bool operator==(const GarpGroupSpec&, const GarpGroupSpec&) = default;
};

// Where gratuitous messages of one kind leaving an interface are paced: `key` names the
// pacing they share (a garp_group, or the interface alone), `interval` spaces them.
struct GarpPacing {
  std::string key;
  std::chrono::microseconds interval{0};
  friend bool operator==(const GarpPacing&, const GarpPacing&) = default;
};

struct VrrpSpec {
  std::vector<InstanceSpec> instances;
  std::vector<SyncGroupSpec> sync_groups;
  std::vector<ScriptSpec> scripts;
  std::vector<std::string> disabled_scripts;  // vrrp_scripts whose program does not exist
  std::vector<ProcessSpec> processes;        // the vrrp_track_process blocks in use
  std::optional<FifoSpec> notify_fifo;       // notify_fifo (VRRP and LVS lines)
  std::optional<FifoSpec> vrrp_notify_fifo;  // VRRP lines only
  ScriptDefaults script_defaults;             // script_user, enable_script_security, ...
  bool disable_local_igmp = false;           // igmp_link_local_mcast_reports 0 while running
  // The accept-mode filter: its table name (unset: vigil's own, vigil_vrrp[_ID]), the
  // base chains' priority, counters.
  std::optional<std::string> nftables_table;
  int nftables_priority = -1;
  bool nftables_counters = false;
  std::string iproute_etc_dir = kIprouteEtcDir;  // where rt_tables & co. are read
  std::string iproute_usr_dir = kIprouteUsrDir;
  std::chrono::microseconds garp_interval{0};
  std::chrono::microseconds gna_interval{0};
  std::vector<GarpGroupSpec> garp_groups;
  // static_ipaddress / static_routes / static_rules: installed at start, removed at stop.
  std::vector<VipSpec> static_addresses;
  std::vector<std::vector<std::string>> static_routes;
  std::vector<std::vector<std::string>> static_rules;
  std::string default_interface = "eth0";
  bool dynamic_interfaces = false;            // a missing interface is waited for in FAULT
  bool log_unknown_vrids = false;             // log adverts no instance on their socket has
  bool fifo_write_states_on_reload = false;   // fifo_write_vrrp_states_on_reload
  // The receive buffers of the engine's netlink sockets (see BufferFor).
  net::ReceiveBuffer command_buffer = net::NetlinkSocket::kDefaultReceiveBuffer;
  net::ReceiveBuffer monitor_buffer = net::NetlinkSocket::kDefaultReceiveBuffer;
  net::ReceiveBuffer process_monitor_buffer = 0;  // the kernel's default
  // interface_up_down_delays, by interface, as configured (the engine caps them).
  std::map<std::string, UpDownDelays> up_down_delays;
  std::chrono::microseconds startup_delay{0};      // vrrp_startup_delay
  std::chrono::microseconds delay_after_boot{0};   // vrrp_delay_after_boot
  std::optional<ConntrackdSpec> conntrackd;        // vigil_conntrackd
  // SMTP alerts: the server and envelope, the router_id of the subjects, no_email_faults.
  alert::SmtpSettings smtp;
  std::string router_id;
  bool no_email_faults = false;
};

// Returns the receive buffer `configured` asks for (keepalived's `*_rcv_bufs BYTES` and
// `_force`): BYTES (at most INT_MAX) with SO_RCVBUF, or SO_RCVBUFFORCE with `_force`; without
// BYTES, vigil's `fallback` for the socket (forced if either says so).
net::ReceiveBuffer BufferFor(const model::ReceiveBuffer& configured, net::ReceiveBuffer fallback);

// Builds the engine's view of `config`.
VrrpSpec SpecFromModel(const model::Config& config);

// Returns the length of `spec`'s adverts as keepalived counts it for vrrp_rx_bufs_policy
// ADVERT: the VRRP message (header, addresses, v2's authentication data over IPv4), the
// IPv4 header, IPsec AH's header, and auth_hmac's trailer unless receive-only.
uint64_t AdvertLength(const InstanceSpec& spec);

// Returns `spec`'s share of its advert socket's receive buffer on an interface of MTU `mtu`.
uint64_t RxBufBytes(const InstanceSpec& spec, uint32_t mtu);

// Returns the addresses `spec`'s adverts carry: its VIPs of its own family that are
// advertised (not virtual_ipaddress_excluded), in order.
std::vector<model::IpAddress> AdvertisedAddresses(const InstanceSpec& spec);

// Returns what instance `spec` expects of the adverts it hears (ValidateAdvert): its
// family, version, VRID, v2 authentication, interval, unicast peers, checksum rules and
// auth_hmac keys. `advertised` (AdvertisedAddresses), `check_addresses` (the state
// machine's ShouldCheckAdvertAddresses) and `unicast_checksum` (the rule in force) are the
// running instance's; auth_hmac's per-sender state and clock are left to the caller. The
// result refers to `spec` and `advertised`, which must outlive it.
Expectation ExpectationFor(const InstanceSpec& spec,
                           std::span<const model::IpAddress> advertised, bool check_addresses,
                           UnicastChecksum unicast_checksum);

// Returns the pacing of gratuitous ARPs (`arp`) or NAs sent for VIPs of an instance on
// `interface` (its base interface, VMAC or not), as keepalived paces them: the first
// garp_group naming the interface (its interval for that kind, 0 if it has none), else the
// interface alone with vrrp_garp_interval / vrrp_gna_interval.
GarpPacing PacingFor(const VrrpSpec& spec, const std::string& interface, bool arp);

// The MAC of the instance's VMAC (use_vmac, not an ipvlan): the one configured, else the
// VRRP virtual MAC of its family and VRID.
net::MacAddress VmacMac(const InstanceSpec& spec);
// Returns `spec` as the instance of its address VMAC `v` (use_vmac_addr): that VMAC on its
// parent, of its family, without ipvlan — what Vmacs::SetUp makes it from.
InstanceSpec AddressVmacSpec(const InstanceSpec& spec, const InstanceSpec::AddressVmac& v);

}  // namespace vigil::vrrp

#endif  // VIGIL_VRRP_INSTANCE_SPEC_H_
