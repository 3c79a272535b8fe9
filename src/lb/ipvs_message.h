// IPVS generic netlink messages (family "IPVS", linux/ip_vs.h), built and parsed as values.
//
// Every request is a netlink header (type = the resolved family id, seq = 0 and pid = 0: the
// transport stamps them), a genetlink header {cmd, version 1, 0} and attributes:
//
//   IPVS_CMD_ATTR_SERVICE (nested)               IPVS_CMD_ATTR_DEST (nested)
//     AF        u16 AF_INET / AF_INET6             ADDR_FAMILY u16
//     FWMARK    u32               (fwmark key)     ADDR        16 bytes (union nf_inet_addr)
//     PROTOCOL  u16 IPPROTO_*     (address key)    PORT        be16
//     ADDR      16 bytes          (address key)    FWD_METHOD  u32 (MASQ 0, TUNNEL 2, DROUTE 3) *
//     PORT      be16              (address key)    WEIGHT      u32 *
//     SCHED_NAME string, NUL-terminated *          TUN_TYPE u8, TUN_PORT be16 (GUE),
//     FLAGS     {u32 flags; u32 mask = ~0} *         TUN_FLAGS u16 (GUE, GRE)   * (TUN only)
//     TIMEOUT   u32 seconds *                      U_THRESH    u32 *
//     NETMASK   u32: IPv4 mask in network order,   L_THRESH    u32 *
//               IPv6 prefix length *
//     PE_NAME   string, NUL-terminated (only when the service names a persistence engine) *
//
// Attributes marked * are sent only with NEW/SET; DEL and GET carry just the key, as the
// kernel asks. Destination commands carry the service key nest first. Nests are started with
// libmnl (NLA_F_NESTED set; the kernel's IPVS parser accepts either form).
#ifndef VIGIL_LB_IPVS_MESSAGE_H_
#define VIGIL_LB_IPVS_MESSAGE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/error.h"
#include "lb/reconciler.h"
#include "lb/state.h"

struct nlmsghdr;

namespace vigil::model {
struct LvsSyncDaemon;
}

namespace vigil::lb::ipvs {

inline constexpr char kFamilyName[] = "IPVS";
inline constexpr uint8_t kFamilyVersion = 1;

// IPVS_CMD_* values.
enum class Command : uint8_t {
  kNewService = 1,
  kSetService = 2,
  kDelService = 3,
  kGetService = 4,
  kNewDest = 5,
  kSetDest = 6,
  kDelDest = 7,
  kGetDest = 8,
  kNewDaemon = 9,
  kDelDaemon = 10,
  kGetDaemon = 11,
  kSetConfig = 12,
  kGetConfig = 13,
  kFlush = 17,
};

// IPVS's connection timeouts in seconds (global_defs lvs_timeouts); 0 = not set.
struct Timeouts {
  uint32_t tcp = 0;      // established TCP connections
  uint32_t tcp_fin = 0;  // TCP after a FIN
  uint32_t udp = 0;

  bool empty() const { return tcp == 0 && tcp_fin == 0 && udp == 0; }
  friend bool operator==(const Timeouts&, const Timeouts&) = default;
};

using Message = std::vector<uint8_t>;

// Returns the CTRL_CMD_GETFAMILY request for "IPVS" (to GENL_ID_CTRL, with NLM_F_ACK).
Message BuildGetFamily();
// Returns the family id (CTRL_ATTR_FAMILY_ID) carried by a reply to BuildGetFamily.
Result<uint16_t> ParseFamilyId(const nlmsghdr& reply);

// Returns a service command: kNewService/kSetService with every attribute, kDelService and
// kGetService with the key only. Requests are NLM_F_REQUEST | NLM_F_ACK.
Message BuildServiceCommand(uint16_t family_id, Command command, const Service& service);
// Returns a destination command for `destination` of `service`: kNewDest/kSetDest with
// every attribute, kDelDest with the key only.
Message BuildDestinationCommand(uint16_t family_id, Command command, const Service& service,
                                const Destination& destination);
// Returns the GET_SERVICE dump request (NLM_F_REQUEST | NLM_F_DUMP, no attributes).
Message BuildDumpServices(uint16_t family_id);
// Returns the GET_DEST dump request for the service `key`.
Message BuildDumpDestinations(uint16_t family_id, const ServiceKey& key);
// Returns the FLUSH request (deletes every service in the namespace).
Message BuildFlush(uint16_t family_id);
// Returns the GET_CONFIG request (the kernel answers with its three timeouts).
Message BuildGetTimeouts(uint16_t family_id);
// Returns the SET_CONFIG request carrying the timeouts of `t` that are set (the kernel keeps
// the others: it starts from its current values).
Message BuildSetTimeouts(uint16_t family_id, const Timeouts& t);
// Parses the reply to BuildGetTimeouts.
Result<Timeouts> ParseTimeouts(const nlmsghdr& reply);
// Returns the message that carries out `op`.
Message BuildOp(uint16_t family_id, const Op& op);

// Parses one reply of a GET_SERVICE dump.
Result<Service> ParseService(const nlmsghdr& reply);
// Parses one reply of a GET_DEST dump; `service_family` fills in a missing ADDR_FAMILY.
Result<Destination> ParseDestination(const nlmsghdr& reply, Family service_family);

// A destination's connection counters (IPVS_DEST_ATTR_ACTIVE_CONNS: established TCP;
// IPVS_DEST_ATTR_INACT_CONNS: every other state, and UDP).
struct DestinationConnections {
  DestinationKey key;
  uint32_t active = 0;
  uint32_t inactive = 0;
};
// Parses the key and connection counters of one reply of a GET_DEST dump.
Result<DestinationConnections> ParseDestinationConnections(const nlmsghdr& reply,
                                                           Family service_family);

// ---- the connection synchronisation daemons (IPVS_CMD_*_DAEMON) -------------------
//
// The kernel runs at most one master daemon (it multicasts the state of the connections it
// handles) and one backup daemon (it receives that state and creates the connections) per
// network namespace, both at the same time if asked. NEW_DAEMON carries the nest
// IPVS_CMD_ATTR_DAEMON:
//   STATE       u32 IP_VS_STATE_MASTER 1 / IP_VS_STATE_BACKUP 2
//   MCAST_IFN   string, NUL-terminated (at most 15 characters)
//   SYNC_ID     u32 (0..255; a backup with 0 takes every sync id)
//   SYNC_MAXLEN u16, MCAST_PORT u16 (host order), MCAST_TTL u8,
//   MCAST_GROUP 4 bytes (network order) or MCAST_GROUP6 16 bytes   (each only when set)
// DEL_DAEMON carries STATE and SYNC_ID only (the kernel stops the daemon of that state).

// Which daemon (IP_VS_STATE_*).
enum class SyncRole : uint8_t { kMaster = 1, kBackup = 2 };

// A daemon's parameters; 0 / unset = the kernel's default (maxlen from the interface's
// MTU, port 8848, ttl 1, group 224.0.0.81).
struct SyncDaemonConfig {
  std::string interface;
  uint8_t sync_id = 0;
  uint16_t maxlen = 0;
  uint16_t port = 0;
  uint8_t ttl = 0;
  std::optional<IpAddress> group = std::nullopt;
  friend bool operator==(const SyncDaemonConfig&, const SyncDaemonConfig&) = default;
};

// Returns the daemon parameters of global_defs lvs_sync_daemon, with `default_sync_id`
// when it gives no id (keepalived: the driving instance's VRID, else 0).
SyncDaemonConfig SyncDaemonConfigOf(const model::LvsSyncDaemon& d, uint32_t default_sync_id);

// Returns the NEW_DAEMON request starting the `role` daemon with `config`.
Message BuildStartDaemon(uint16_t family_id, SyncRole role, const SyncDaemonConfig& config);
// Returns the DEL_DAEMON request stopping the `role` daemon.
Message BuildStopDaemon(uint16_t family_id, SyncRole role, uint8_t sync_id);
// Returns the GET_DAEMON dump request (one reply per running daemon).
Message BuildDumpDaemons(uint16_t family_id);

// One running daemon, as a GET_DAEMON reply gives it.
struct DaemonStatus {
  SyncRole role = SyncRole::kMaster;
  SyncDaemonConfig config;
  friend bool operator==(const DaemonStatus&, const DaemonStatus&) = default;
};
// Parses one reply of a GET_DAEMON dump.
Result<DaemonStatus> ParseDaemon(const nlmsghdr& reply);

// Returns success if IPVS can express `state`, else an Error naming the ipvs backend.
Result<void> Validate(const State& state);
// The same for one service and its destinations.
Result<void> ValidateService(const ServiceEntry& entry);

}  // namespace vigil::lb::ipvs

#endif  // VIGIL_LB_IPVS_MESSAGE_H_
