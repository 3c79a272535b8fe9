// IP addresses and prefixes as plain values (IPv4 or IPv6), with text parsing and
// formatting. No system calls beyond inet_pton/inet_ntop.
#ifndef VIGIL_MODEL_ADDRESS_H_
#define VIGIL_MODEL_ADDRESS_H_

#include <array>
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace vigil::model {

enum class Family : uint8_t {
  kUnspec = 0,
  kIpv4 = 4,
  kIpv6 = 6,
};

// Returns "inet", "inet6" or "unspec".
std::string_view FamilyName(Family f);

// An IPv4 or IPv6 address. A default-constructed address is unspecified (family kUnspec).
// IPv4 addresses use the first 4 bytes of `bytes()` in network order.
class IpAddress {
 public:
  IpAddress() = default;

  // Parses dotted IPv4 ("10.0.0.1") or IPv6 text ("fe80::1"). Returns nullopt for
  // anything else (no host names, no prefix lengths, no zone ids).
  static std::optional<IpAddress> Parse(std::string_view text);
  // Returns the IPv4 address `host_order` (e.g. 0x0a000001 for 10.0.0.1).
  static IpAddress V4(uint32_t host_order);
  // Returns the IPv6 address with the 16 given bytes.
  static IpAddress V6(const std::array<uint8_t, 16>& bytes);

  Family family() const { return family_; }
  bool is_v4() const { return family_ == Family::kIpv4; }
  bool is_v6() const { return family_ == Family::kIpv6; }
  bool is_unspec() const { return family_ == Family::kUnspec; }
  // Returns the address bytes; only the first 4 are meaningful for IPv4.
  const std::array<uint8_t, 16>& bytes() const { return bytes_; }
  // Returns the IPv4 address in host order (0 for non-IPv4).
  uint32_t v4_host_order() const;

  // Returns true for 224.0.0.0/4 or ff00::/8.
  bool IsMulticast() const;
  // Returns true for 169.254.0.0/16 or fe80::/10.
  bool IsLinkLocal() const;

  // Returns the canonical text ("10.0.0.1", "fe80::1"); "" when unspecified.
  std::string ToString() const;

  friend auto operator<=>(const IpAddress&, const IpAddress&) = default;
  friend bool operator==(const IpAddress&, const IpAddress&) = default;

 private:
  Family family_ = Family::kUnspec;
  std::array<uint8_t, 16> bytes_{};
};

// An address with a prefix length. `length` is 0..32 (IPv4) or 0..128 (IPv6).
// The host bits are kept as written (a VIP "10.0.0.1/24" keeps its ".1").
struct IpPrefix {
  IpAddress address;
  uint8_t length = 0;

  // Parses "ADDR" (full-length prefix) or "ADDR/LEN". Returns nullopt when the address
  // is invalid or LEN is not a decimal number within the family's range.
  static std::optional<IpPrefix> Parse(std::string_view text);
  // Returns the maximum prefix length of `f` (32 or 128; 0 for kUnspec).
  static uint8_t MaxLength(Family f);

  Family family() const { return address.family(); }
  // Returns "ADDR/LEN".
  std::string ToString() const;

  friend auto operator<=>(const IpPrefix&, const IpPrefix&) = default;
  friend bool operator==(const IpPrefix&, const IpPrefix&) = default;
};

}  // namespace vigil::model

#endif  // VIGIL_MODEL_ADDRESS_H_
