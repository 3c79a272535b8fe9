#include "net/checksum.h"

namespace vigil::net {

void ChecksumAccumulator::Add(std::span<const uint8_t> bytes) {
  size_t i = 0;
  if (odd_ && !bytes.empty()) {
    sum_ += bytes[0];
    odd_ = false;
    i = 1;
  }
  for (; i + 1 < bytes.size(); i += 2) {
    sum_ += (uint32_t{bytes[i]} << 8) | bytes[i + 1];
  }
  if (i < bytes.size()) {
    sum_ += uint32_t{bytes[i]} << 8;
    odd_ = true;
  }
}

void ChecksumAccumulator::AddWord(uint16_t word) { sum_ += word; }

uint16_t ChecksumAccumulator::Finish() const {
  uint64_t s = sum_;
  while (s >> 16) s = (s & 0xffff) + (s >> 16);
  return static_cast<uint16_t>(~s & 0xffff);
}

uint16_t InternetChecksum(std::span<const uint8_t> bytes) {
  ChecksumAccumulator acc;
  acc.Add(bytes);
  return acc.Finish();
}

uint16_t Ipv4PseudoHeaderChecksum(const std::array<uint8_t, 4>& src,
                                  const std::array<uint8_t, 4>& dst, uint8_t protocol,
                                  std::span<const uint8_t> payload) {
  ChecksumAccumulator acc;
  acc.Add(src);
  acc.Add(dst);
  acc.AddWord(protocol);
  acc.AddWord(static_cast<uint16_t>(payload.size()));
  acc.Add(payload);
  return acc.Finish();
}

uint16_t Ipv6PseudoHeaderChecksum(const std::array<uint8_t, 16>& src,
                                  const std::array<uint8_t, 16>& dst, uint8_t next_header,
                                  std::span<const uint8_t> payload) {
  ChecksumAccumulator acc;
  acc.Add(src);
  acc.Add(dst);
  const uint32_t len = static_cast<uint32_t>(payload.size());
  acc.AddWord(static_cast<uint16_t>(len >> 16));
  acc.AddWord(static_cast<uint16_t>(len & 0xffff));
  acc.AddWord(next_header);  // three zero bytes, then the next header
  acc.Add(payload);
  return acc.Finish();
}

}  // namespace vigil::net
