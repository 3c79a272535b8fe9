// GratuitousSender: the VRRP engine's gratuitous ARPs (IPv4) and unsolicited neighbour
// advertisements (IPv6) for the VIPs of its masters — the packet socket they leave by and
// their pacing (vrrp_garp_interval, vrrp_gna_interval, garp_group). One lifecycle: Open at
// start, Stop at shutdown (what is still queued then is dropped). Lives on the engine's
// event loop; logs the messages that fail to leave.
#ifndef VIGIL_VRRP_GRATUITOUS_SENDER_H_
#define VIGIL_VRRP_GRATUITOUS_SENDER_H_

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "base/error.h"
#include "net/packet_socket.h"
#include "net/rtnetlink.h"
#include "net/sysctl.h"
#include "vrrp/instance_spec.h"

namespace asio {
class io_context;
}

namespace vigil::vrrp {

// One VIP's gratuitous message as keepalived sends it: out of the interface the VIP is on,
// from that interface's MAC, paced as its base interface (a VMAC's parent) is for the
// VIP's kind (ARP for IPv4, NA for IPv6).
struct GratuitousItem {
  model::IpAddress address;
  int ifindex = 0;
  net::MacAddress mac{};
  GarpPacing pacing;
  bool router = false;  // an NA's Router flag (AnnounceRule::router of its base interface)
};

// Returns the frame that announces `item`: a gratuitous ARP for an IPv4 address, an
// unsolicited NA (Router flag iff `item.router`) for an IPv6 one. Pure.
std::vector<uint8_t> GratuitousFrame(const GratuitousItem& item);

// What keepalived reads of a VIP's base interface (a VMAC's or ipvlan's parent, else the
// VIP's own) each time it announces the VIP.
struct AnnounceRule {
  bool send = true;     // false when the interface is flagged NOARP: neither ARP nor NA
  bool router = false;  // it forwards IPv6: the NAs carry the Router flag
  friend bool operator==(const AnnounceRule&, const AnnounceRule&) = default;
};
// Returns the rule for base interface `base`: IFF_NOARP from its flags, IPv6 forwarding
// from net/ipv6/conf/<name>/forwarding through `sysctl` (on when it reads a number other
// than 0; off when it cannot be read).
AnnounceRule ReadAnnounceRule(const net::LinkInfo& base, const net::Sysctl& sysctl);

// When each message of a pacing may leave: at once while its pacing is free (or when it is
// unpaced), else one interval after the message queued before it. Pure.
class PacingSchedule {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;
  // Takes the next slot of `pacing` for a message ready at `now`; returns when it leaves
  // (`now` when it leaves at once).
  TimePoint Take(const GarpPacing& pacing, TimePoint now);

  // One message of TakeRounds: the item it is for (an index into `items`) and when it
  // leaves.
  struct Slot {
    size_t item = 0;
    TimePoint at;
    friend bool operator==(const Slot&, const Slot&) = default;
  };
  // Takes the slots of `count` rounds of one message per item of `items`, ready at `now`:
  // round after round, each in the order of `items`, each from its item's pacing.
  std::vector<Slot> TakeRounds(std::span<const GratuitousItem> items, uint32_t count,
                               TimePoint now);

 private:
  std::map<std::string, TimePoint> next_;  // per pacing key: its next free slot
};

class GratuitousSender {
 public:
  explicit GratuitousSender(asio::io_context& io);
  ~GratuitousSender();
  GratuitousSender(const GratuitousSender&) = delete;
  GratuitousSender& operator=(const GratuitousSender&) = delete;

  // Opens the packet socket (needs CAP_NET_RAW).
  Result<void> Open();
  // Drops the messages still queued; later ones that would queue are dropped too.
  void Stop();

  // Sends `count` rounds of one message per item of `items`, in order — a gratuitous ARP
  // for an IPv4 address, an unsolicited NA for an IPv6 one. A failure is logged under `who`.
  void Send(const std::string& who, std::span<const GratuitousItem> items, uint32_t count);

 private:
  struct Pending;
  // Sends `frame` at `at`, at once when that is not after `now`.
  void Queue(const std::string& who, int ifindex, PacingSchedule::TimePoint at,
             PacingSchedule::TimePoint now, std::vector<uint8_t> frame, const std::string& what);
  void Transmit(const std::string& who, int ifindex, const std::vector<uint8_t>& frame,
                const std::string& what);

  asio::io_context& io_;
  std::optional<net::PacketSocket> socket_;
  PacingSchedule schedule_;
  std::set<std::shared_ptr<Pending>> pending_;  // messages waiting for their slot
  bool stopped_ = false;
};

}  // namespace vigil::vrrp

#endif  // VIGIL_VRRP_GRATUITOUS_SENDER_H_
