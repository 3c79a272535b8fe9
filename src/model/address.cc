#include "model/address.h"

#include <arpa/inet.h>

#include <cstring>

namespace vigil::model {

std::string_view FamilyName(Family f) {
  switch (f) {
    case Family::kIpv4:
      return "inet";
    case Family::kIpv6:
      return "inet6";
    case Family::kUnspec:
      break;
  }
  return "unspec";
}

std::optional<IpAddress> IpAddress::Parse(std::string_view text) {
  if (text.empty() || text.size() >= INET6_ADDRSTRLEN) return std::nullopt;
  char buf[INET6_ADDRSTRLEN];
  std::memcpy(buf, text.data(), text.size());
  buf[text.size()] = '\0';
  IpAddress a;
  if (text.find(':') == std::string_view::npos) {
    if (inet_pton(AF_INET, buf, a.bytes_.data()) != 1) return std::nullopt;
    a.family_ = Family::kIpv4;
  } else {
    if (inet_pton(AF_INET6, buf, a.bytes_.data()) != 1) return std::nullopt;
    a.family_ = Family::kIpv6;
  }
  return a;
}

IpAddress IpAddress::V4(uint32_t host_order) {
  IpAddress a;
  a.family_ = Family::kIpv4;
  a.bytes_[0] = static_cast<uint8_t>(host_order >> 24);
  a.bytes_[1] = static_cast<uint8_t>(host_order >> 16);
  a.bytes_[2] = static_cast<uint8_t>(host_order >> 8);
  a.bytes_[3] = static_cast<uint8_t>(host_order);
  return a;
}

IpAddress IpAddress::V6(const std::array<uint8_t, 16>& bytes) {
  IpAddress a;
  a.family_ = Family::kIpv6;
  a.bytes_ = bytes;
  return a;
}

uint32_t IpAddress::v4_host_order() const {
  if (!is_v4()) return 0;
  return (uint32_t{bytes_[0]} << 24) | (uint32_t{bytes_[1]} << 16) |
         (uint32_t{bytes_[2]} << 8) | uint32_t{bytes_[3]};
}

bool IpAddress::IsMulticast() const {
  if (is_v4()) return (bytes_[0] & 0xf0) == 0xe0;
  if (is_v6()) return bytes_[0] == 0xff;
  return false;
}

bool IpAddress::IsLinkLocal() const {
  if (is_v4()) return bytes_[0] == 169 && bytes_[1] == 254;
  if (is_v6()) return bytes_[0] == 0xfe && (bytes_[1] & 0xc0) == 0x80;
  return false;
}

std::string IpAddress::ToString() const {
  char buf[INET6_ADDRSTRLEN];
  if (is_v4()) {
    inet_ntop(AF_INET, bytes_.data(), buf, sizeof buf);
    return buf;
  }
  if (is_v6()) {
    inet_ntop(AF_INET6, bytes_.data(), buf, sizeof buf);
    return buf;
  }
  return "";
}

uint8_t IpPrefix::MaxLength(Family f) {
  switch (f) {
    case Family::kIpv4:
      return 32;
    case Family::kIpv6:
      return 128;
    case Family::kUnspec:
      break;
  }
  return 0;
}

std::optional<IpPrefix> IpPrefix::Parse(std::string_view text) {
  size_t slash = text.find('/');
  auto addr = IpAddress::Parse(text.substr(0, slash));
  if (!addr) return std::nullopt;
  IpPrefix p{*addr, MaxLength(addr->family())};
  if (slash == std::string_view::npos) return p;
  std::string_view len = text.substr(slash + 1);
  if (len.empty() || len.size() > 3) return std::nullopt;
  unsigned v = 0;
  for (char c : len) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<unsigned>(c - '0');
  }
  if (v > p.length) return std::nullopt;
  p.length = static_cast<uint8_t>(v);
  return p;
}

std::string IpPrefix::ToString() const {
  return address.ToString() + "/" + std::to_string(length);
}

}  // namespace vigil::model
