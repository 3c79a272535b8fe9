// AdvertSender: one VRRP instance's advert output — the raw socket on the interface its
// adverts leave from, and what each advert carries besides the priority (IPv4 header
// identification, the checksum rule its peers expect, the auth_hmac trailer's sequence). Opened when the instance binds to
// its interface, closed when the interface goes away or is replaced, opened again on the
// successor. Lives on the engine's event loop; does not log.
#ifndef VIGIL_VRRP_ADVERT_SENDER_H_
#define VIGIL_VRRP_ADVERT_SENDER_H_

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "base/error.h"
#include "model/address.h"
#include "net/raw_socket.h"
#include "vrrp/auth_hmac.h"
#include "vrrp/instance_spec.h"

namespace vigil::vrrp {

// Returns the packet instance `spec` sends as `advert` from `src` to `dst`: IPv4 with
// its header (identification `ip_id`) and the checksum rule of the instance
// (v3_checksum_as_v2, and `unicast_checksum` towards unicast peers); IPv6 the VRRP
// message alone (the kernel sums it). `trailer` (auth_hmac) follows the message.
Result<std::vector<uint8_t>> EncodeAdvert(const InstanceSpec& spec, const Advert& advert,
                                          const model::IpAddress& src,
                                          const model::IpAddress& dst, uint16_t ip_id,
                                          UnicastChecksum unicast_checksum,
                                          std::span<const uint8_t> trailer = {});

class AdvertSender {
 public:
  // What one Send did: adverts that left, the destinations that failed with why, and an
  // advert that could not be encoded (then nothing was sent).
  struct Report {
    uint32_t sent = 0;
    std::vector<std::pair<model::IpAddress, Error>> failed;
    std::optional<Error> encode_error;
  };

  // Opens the socket of instance `spec` on interface `ifindex`, adverts coming from
  // `primary` (IPv6: bound to it when it is global). Replaces a socket already open.
  Result<void> Open(const InstanceSpec& spec, int ifindex, const model::IpAddress& primary);
  // Closes the socket; Send does nothing until the next Open.
  void Close() { sock_.reset(); }
  bool open() const { return sock_.has_value(); }

  // Answers a peer that checksums unicast IPv4 adverts over the multicast group (keepalived
  // 1.3.6 and older) in kind from now on. Returns false if it did already.
  bool UseLegacyChecksum();
  // Returns the unicast checksum rule in force: `spec`'s, or kLegacy after
  // UseLegacyChecksum.
  UnicastChecksum unicast_checksum(const InstanceSpec& spec) const {
    return legacy_checksum_ ? UnicastChecksum::kLegacy : spec.unicast_checksum;
  }

  // Sends one advert with `priority` and `addresses` to the multicast group or to every
  // unicast peer of `spec`. Nothing when closed. With auth_hmac (not receive-only) every
  // copy carries the same trailer, signed once for wall-clock time `now`.
  Report Send(const InstanceSpec& spec, std::span<const model::IpAddress> addresses,
              uint8_t priority,
              std::chrono::system_clock::time_point now = std::chrono::system_clock::now());

 private:
  std::optional<net::VrrpSocket> sock_;
  model::IpAddress primary_;
  uint16_t ip_id_ = 0;
  bool legacy_checksum_ = false;
  HmacSigner signer_;
};

}  // namespace vigil::vrrp

#endif  // VIGIL_VRRP_ADVERT_SENDER_H_
