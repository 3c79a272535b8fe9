#include "check/probe_logic.h"

#include <netinet/icmp6.h>
#include <netinet/ip_icmp.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>

#include "net/checksum.h"
#include "net/ipv4_header.h"

namespace vigil::check {
namespace {

struct DnsTypeName {
  const char* name;
  uint16_t code;
};
constexpr DnsTypeName kDnsTypes[] = {
    {"A", 1},   {"NS", 2},    {"CNAME", 5}, {"SOA", 6},     {"MX", 15},
    {"TXT", 16}, {"AAAA", 28}, {"RRSIG", 46}, {"DNSKEY", 48},
};

}  // namespace

std::optional<uint16_t> DnsTypeFromName(std::string_view name) {
  for (const auto& t : kDnsTypes) {
    if (name.size() == std::strlen(t.name) &&
        std::equal(name.begin(), name.end(), t.name, [](char a, char b) {
          return std::toupper(static_cast<unsigned char>(a)) == b;
        })) {
      return t.code;
    }
  }
  return std::nullopt;
}

Result<std::vector<uint8_t>> BuildDnsQuery(uint16_t id, std::string_view name, uint16_t type) {
  std::vector<uint8_t> q = {
      static_cast<uint8_t>(id >> 8), static_cast<uint8_t>(id), 0x01, 0x00,  // id, RD
      0, 1, 0, 0, 0, 0, 0, 0,                                             // 1 question
  };
  if (name != ".") {
    std::string_view rest = name;
    if (!rest.empty() && rest.back() == '.') rest.remove_suffix(1);
    while (true) {
      size_t dot = rest.find('.');
      std::string_view label = rest.substr(0, dot);
      if (label.empty() || label.size() > 63) {
        return Fail(ErrorCode::kInvalidArgument, "bad DNS name '" + std::string(name) + "'");
      }
      q.push_back(static_cast<uint8_t>(label.size()));
      q.insert(q.end(), label.begin(), label.end());
      if (dot == std::string_view::npos) break;
      rest.remove_prefix(dot + 1);
    }
  }
  q.push_back(0);
  q.push_back(static_cast<uint8_t>(type >> 8));
  q.push_back(static_cast<uint8_t>(type));
  q.push_back(0);
  q.push_back(1);  // IN
  return q;
}

DnsVerdict JudgeDnsResponse(uint16_t id, const uint8_t* data, size_t size, int* rcode) {
  if (size < 12) return DnsVerdict::kIgnore;
  if (((data[0] << 8) | data[1]) != id) return DnsVerdict::kIgnore;
  if ((data[2] & 0x80) == 0) return DnsVerdict::kIgnore;  // QR clear: a query
  const int rc = data[3] & 0x0f;
  if (rcode != nullptr) *rcode = rc;
  return rc == 0 ? DnsVerdict::kSuccess : DnsVerdict::kFailure;
}

int SmtpReplyCode(std::string_view line) {
  while (!line.empty() && (line.back() == '\r' || line.back() == '\n')) line.remove_suffix(1);
  if (line.size() < 3) return -1;
  for (int i = 0; i < 3; ++i) {
    if (!std::isdigit(static_cast<unsigned char>(line[i]))) return -1;
  }
  // No reply code starts with 0; "000 x" would otherwise read as a continuation line.
  if (line[0] == '0') return -1;
  if (line.size() > 3 && line[3] == '-') return 0;
  if (line.size() > 3 && line[3] != ' ') return -1;
  return (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
}

std::vector<uint8_t> DefaultUdpPayload() {
  static constexpr std::string_view kFiller = "vigil health check - ";
  std::vector<uint8_t> out;
  while (out.size() < 32) out.push_back(static_cast<uint8_t>(kFiller[out.size() % kFiller.size()]));
  return out;
}

bool UdpReplyMatches(const UdpCheck& check, const uint8_t* reply, size_t size) {
  if (size < check.min_reply_length || size > check.max_reply_length) return false;
  const size_t n = std::min(size, check.reply_data.size());
  for (size_t i = 0; i < n; ++i) {
    const uint8_t mask = i < check.reply_mask.size() ? check.reply_mask[i] : 0;
    if ((reply[i] ^ check.reply_data[i]) & static_cast<uint8_t>(~mask)) return false;
  }
  return true;
}

std::vector<uint8_t> BuildEchoRequest(bool ipv6, uint16_t id, uint16_t seq) {
  constexpr size_t kPayloadSize = 56;
  std::vector<uint8_t> pkt(8 + kPayloadSize);
  pkt[0] = ipv6 ? static_cast<uint8_t>(ICMP6_ECHO_REQUEST) : static_cast<uint8_t>(ICMP_ECHO);
  net::StoreBe16(&pkt[4], id);
  net::StoreBe16(&pkt[6], seq);
  for (size_t i = 0; i < kPayloadSize; ++i) pkt[8 + i] = static_cast<uint8_t>(i);
  if (!ipv6) net::StoreBe16(&pkt[2], net::InternetChecksum(pkt));
  return pkt;
}

bool IsEchoReply(std::span<const uint8_t> packet, const EchoExpectation& expect) {
  std::span<const uint8_t> icmp = packet;
  if (expect.with_ip_header) {
    if (icmp.empty()) return false;
    const size_t ihl = (icmp[0] & 0x0fu) * 4u;
    if (ihl < 20 || icmp.size() < ihl) return false;
    icmp = icmp.subspan(ihl);
  }
  if (icmp.size() < 8) return false;
  const uint8_t reply_type =
      expect.ipv6 ? static_cast<uint8_t>(ICMP6_ECHO_REPLY) : static_cast<uint8_t>(ICMP_ECHOREPLY);
  if (icmp[0] != reply_type) return false;
  if (net::LoadBe16(&icmp[6]) != expect.seq) return false;
  return !expect.match_id || net::LoadBe16(&icmp[4]) == expect.id;
}

FailureKind ConnectFailureKind(int err, bool at_once) {
  if (!at_once) return err == ETIMEDOUT ? FailureKind::kConnectTimeout : FailureKind::kConnectFailed;
  switch (err) {
    case ENETUNREACH:
    case EHOSTUNREACH:
    case ECONNREFUSED:
    case EHOSTDOWN:
    case ENETDOWN:
    case ECONNRESET:
    case ECONNABORTED:
    case ETIMEDOUT:
      return FailureKind::kUnreachable;
    default:
      return FailureKind::kConnectError;
  }
}

ProbeResult MiscExitResult(const MiscCheck& check, int exit_code) {
  ProbeResult r;
  r.detail = "exited with status " + std::to_string(exit_code);
  if (exit_code == 0) {
    r.ok = true;
    if (check.dynamic) r.weight = WeightUpdate{WeightUpdate::Kind::kOffset, 0};
  } else if (check.dynamic && exit_code >= 2 && exit_code <= 255) {
    r.ok = true;
    r.weight = WeightUpdate{WeightUpdate::Kind::kAbsolute, exit_code - 2};
  } else {
    r.failure = FailureKind::kExitStatus;
    r.code = exit_code;
  }
  return r;
}

ProbeResult FileCheckResult(const FileCheck& check, int64_t value) {
  ProbeResult r;
  r.detail = "file value " + std::to_string(value);
  if (check.weight == 0) {
    r.ok = (value == 0) != check.reverse;
    if (r.ok) r.weight = WeightUpdate{WeightUpdate::Kind::kOffset, 0};
    return r;
  }
  int64_t status = value * check.weight * (check.reverse ? -1 : 1);
  status = std::clamp<int64_t>(status, INT32_MIN, INT32_MAX);
  r.ok = status > INT32_MIN;
  if (r.ok) r.weight = WeightUpdate{WeightUpdate::Kind::kOffset, status};
  return r;
}

}  // namespace vigil::check
