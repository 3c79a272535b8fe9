// libFuzzer target for DNS_CHECK: JudgeDnsResponse on arbitrary datagrams, and BuildDnsQuery
// on arbitrary names. Invariants: only a response (QR set) to our id of at least a header
// counts, its verdict is its rcode; the query we send is never taken for its own answer and
// spells the name back label by label.
// Input: query id (2 bytes), name length byte, name, then the datagram.
#include <cstddef>
#include <cstdint>
#include <string>

#include "check/probe_logic.h"
#include "fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using vigil::check::DnsVerdict;
  vigil::fuzz::Reader in(data, size);
  const uint16_t id = in.U16();
  const auto name_bytes = in.Take(in.Byte());
  const std::string name(name_bytes.begin(), name_bytes.end());
  const auto reply = in.Rest();

  int rcode = -1;
  const DnsVerdict verdict = vigil::check::JudgeDnsResponse(id, reply.data(), reply.size(), &rcode);
  const bool answers = reply.size() >= 12 && ((reply[0] << 8) | reply[1]) == id &&
                       (reply[2] & 0x80) != 0;
  if (!answers) {
    FUZZ_CHECK(verdict == DnsVerdict::kIgnore);
    FUZZ_CHECK(rcode == -1);
  } else {
    FUZZ_CHECK(rcode == (reply[3] & 0x0f));
    FUZZ_CHECK(verdict == (rcode == 0 ? DnsVerdict::kSuccess : DnsVerdict::kFailure));
  }

  const uint16_t type = vigil::check::DnsTypeFromName(name).value_or(1);
  const auto query = vigil::check::BuildDnsQuery(id, name, type);
  if (query) {
    FUZZ_CHECK(vigil::check::JudgeDnsResponse(id, query->data(), query->size(), nullptr) ==
               DnsVerdict::kIgnore);
    // Read the QNAME back.
    std::string spelled;
    size_t at = 12;
    while (true) {
      FUZZ_CHECK(at < query->size());
      const uint8_t len = (*query)[at++];
      if (len == 0) break;
      FUZZ_CHECK(len <= 63 && at + len <= query->size());
      if (!spelled.empty()) spelled.push_back('.');
      spelled.append(query->begin() + static_cast<std::ptrdiff_t>(at),
                     query->begin() + static_cast<std::ptrdiff_t>(at + len));
      at += len;
    }
    FUZZ_CHECK(query->size() == at + 4);
    std::string want = name == "." ? "" : name;
    if (!want.empty() && want.back() == '.') want.pop_back();
    FUZZ_CHECK(spelled == want);
  }
  return 0;
}
