// Pure decisions of the simple probes (DNS, SMTP, UDP, PING, MISC, FILE), kept apart from their
// I/O so they can be tested byte for byte.
#ifndef VIGIL_CHECK_PROBE_LOGIC_H_
#define VIGIL_CHECK_PROBE_LOGIC_H_

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "check/types.h"

namespace vigil::check {

// Maps a DNS_CHECK type name (A NS CNAME SOA MX TXT AAAA RRSIG DNSKEY, any case) to its code.
std::optional<uint16_t> DnsTypeFromName(std::string_view name);

// Returns a DNS query: header (id, RD set, one question) + QNAME of `name` ("." is the root)
// + QTYPE `type` + QCLASS IN. Fails on an empty label or a label over 63 bytes.
Result<std::vector<uint8_t>> BuildDnsQuery(uint16_t id, std::string_view name, uint16_t type);

enum class DnsVerdict {
  kIgnore,   // not the answer to our query (too short, other id, not a response): keep waiting
  kSuccess,  // a response with rcode 0
  kFailure,  // a response with a non-zero rcode
};

// Judges a datagram received for the query with `id`; sets *rcode for responses.
DnsVerdict JudgeDnsResponse(uint16_t id, const uint8_t* data, size_t size, int* rcode);

// Returns the SMTP reply code of `line` if it is a final reply line ("NNN" or "NNN text"),
// 0 for a continuation line ("NNN-text"), and -1 if it is not a reply line (which includes
// a code below 100).
int SmtpReplyCode(std::string_view line);

// Returns the default UDP_CHECK payload: 32 filler bytes.
std::vector<uint8_t> DefaultUdpPayload();

// Returns true if `reply` satisfies UDP_CHECK's min/max_reply_length and matches reply_data
// (bits set in reply_mask are ignored) over the shorter of the two.
bool UdpReplyMatches(const UdpCheck& check, const uint8_t* reply, size_t size);

// Returns the PING_CHECK echo request: ICMP (IPv4) or ICMPv6 echo request, code 0,
// identifier `id`, sequence `seq`, then 56 payload bytes 0, 1, 2, ...; the checksum is filled
// in for IPv4 only (the kernel computes ICMPv6's).
std::vector<uint8_t> BuildEchoRequest(bool ipv6, uint16_t id, uint16_t seq);

// What answers a PING_CHECK echo request.
struct EchoExpectation {
  bool ipv6 = false;
  bool with_ip_header = false;  // raw IPv4 socket: each datagram starts with its IPv4 header
  bool match_id = false;        // raw sockets; datagram ICMP sockets rewrite the identifier
  uint16_t id = 0;
  uint16_t seq = 0;
};

// Returns true if `packet`, as read from the ICMP socket, is the echo reply `expect` waits for.
bool IsEchoReply(std::span<const uint8_t> packet, const EchoExpectation& expect);

// Returns what a TCP connection's failure with errno `err` is, as keepalived tells them
// apart: connect() itself failing (`at_once`) with one of ENETUNREACH EHOSTUNREACH
// ECONNREFUSED EHOSTDOWN ENETDOWN ECONNRESET ECONNABORTED ETIMEDOUT is kUnreachable, with
// another errno kConnectError; a connection under way that ends in ETIMEDOUT is
// kConnectTimeout, in another error kConnectFailed.
FailureKind ConnectFailureKind(int err, bool at_once);

// Turns a MISC_CHECK exit: 0 is success; with misc_dynamic, 2..255 is success with weight
// rc - 2 and 0 resets the weight; anything else fails.
ProbeResult MiscExitResult(const MiscCheck& check, int exit_code);

// Applies FILE_CHECK (track_file) semantics to `value`: with weight 0 a non-zero value (a zero
// one with `reverse`) is a failure; otherwise the checker is up and contributes
// value * weight (negated with `reverse`), failing only at or below INT32_MIN.
ProbeResult FileCheckResult(const FileCheck& check, int64_t value);

}  // namespace vigil::check

#endif  // VIGIL_CHECK_PROBE_LOGIC_H_
