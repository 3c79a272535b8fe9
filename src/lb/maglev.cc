#include "lb/maglev.h"

#include <algorithm>
#include <numeric>

namespace vigil::lb::maglev {
namespace {

constexpr uint32_t kNone = UINT32_MAX;

uint64_t Rotl(uint64_t x, int b) { return (x << b) | (x >> (64 - b)); }

uint64_t ReadLe64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

struct SipState {
  uint64_t v0, v1, v2, v3;

  void Round() {
    v0 += v1;
    v1 = Rotl(v1, 13);
    v1 ^= v0;
    v0 = Rotl(v0, 32);
    v2 += v3;
    v3 = Rotl(v3, 16);
    v3 ^= v2;
    v0 += v3;
    v3 = Rotl(v3, 21);
    v3 ^= v0;
    v2 += v1;
    v1 = Rotl(v1, 17);
    v1 ^= v2;
    v2 = Rotl(v2, 32);
  }
  void Compress(uint64_t m) {
    v3 ^= m;
    Round();
    Round();
    v0 ^= m;
  }
};

}  // namespace

uint64_t SipHash24(const std::array<uint8_t, 16>& key, std::span<const uint8_t> data) {
  const uint64_t k0 = ReadLe64(key.data());
  const uint64_t k1 = ReadLe64(key.data() + 8);
  SipState s{k0 ^ 0x736f6d6570736575ULL, k1 ^ 0x646f72616e646f6dULL, k0 ^ 0x6c7967656e657261ULL,
             k1 ^ 0x7465646279746573ULL};
  const size_t whole = data.size() / 8 * 8;
  for (size_t i = 0; i < whole; i += 8) s.Compress(ReadLe64(data.data() + i));
  // The last block: the bytes left over, then the length's low byte in the top byte.
  uint64_t last = static_cast<uint64_t>(data.size() & 0xff) << 56;
  for (size_t i = whole; i < data.size(); ++i) last |= static_cast<uint64_t>(data[i]) << (8 * (i - whole));
  s.Compress(last);
  s.v2 ^= 0xff;
  for (int i = 0; i < 4; ++i) s.Round();
  return s.v0 ^ s.v1 ^ s.v2 ^ s.v3;
}

bool IsPrime(uint64_t n) {
  if (n < 2) return false;
  if (n % 2 == 0) return n == 2;
  for (uint64_t d = 3; d * d <= n; d += 2) {
    if (n % d == 0) return false;
  }
  return true;
}

uint32_t TableSize(size_t servers) {
  uint64_t size = kDefaultTableSize;
  while (size < static_cast<uint64_t>(servers) * kEntriesPerServer) {
    size *= 2;
    while (!IsPrime(size)) ++size;
  }
  return static_cast<uint32_t>(size);
}

std::vector<uint8_t> NameBytes(const DestinationKey& key) {
  std::vector<uint8_t> name(key.address.bytes().begin(),
                            key.address.bytes().begin() + static_cast<long>(key.address.size()));
  name.push_back(static_cast<uint8_t>(key.port >> 8));
  name.push_back(static_cast<uint8_t>(key.port & 0xff));
  return name;
}

std::vector<uint32_t> BuildTable(std::span<const Server> servers, uint32_t size) {
  // The servers that take turns, in key order (the first given of equal keys).
  std::vector<uint32_t> order;
  for (uint32_t i = 0; i < servers.size(); ++i) {
    if (servers[i].weight > 0) order.push_back(i);
  }
  std::stable_sort(order.begin(), order.end(),
                   [&](uint32_t a, uint32_t b) { return servers[a].key < servers[b].key; });
  order.erase(std::unique(order.begin(), order.end(),
                          [&](uint32_t a, uint32_t b) { return servers[a].key == servers[b].key; }),
              order.end());
  if (order.empty() || size < 2) return {};

  // Each server's share of the entries: proportional to its weight, largest remainders
  // taking what rounding down leaves.
  const size_t n = order.size();
  uint64_t total = 0;
  for (uint32_t i : order) total += servers[i].weight;
  std::vector<uint32_t> share(n);
  std::vector<uint64_t> remainder(n);
  uint64_t given = 0;
  for (size_t k = 0; k < n; ++k) {
    const uint64_t scaled = static_cast<uint64_t>(size) * servers[order[k]].weight;
    share[k] = static_cast<uint32_t>(scaled / total);
    remainder[k] = scaled % total;
    given += share[k];
  }
  std::vector<size_t> by_remainder(n);
  std::iota(by_remainder.begin(), by_remainder.end(), 0);
  std::stable_sort(by_remainder.begin(), by_remainder.end(),
                   [&](size_t a, size_t b) { return remainder[a] > remainder[b]; });
  for (size_t k = 0; given < size; ++k, ++given) ++share[by_remainder[k]];

  // Preference lists: the next candidate entry and the step of each server.
  std::vector<uint32_t> next(n), skip(n);
  for (size_t k = 0; k < n; ++k) {
    const std::vector<uint8_t> name = NameBytes(servers[order[k]].key);
    next[k] = static_cast<uint32_t>(SipHash24(kOffsetKey, name) % size);
    skip[k] = static_cast<uint32_t>(SipHash24(kSkipKey, name) % (size - 1) + 1);
  }

  std::vector<uint32_t> table(size, kNone);
  std::vector<size_t> turns;  // the servers still short of their share, in key order
  for (size_t k = 0; k < n; ++k) {
    if (share[k] > 0) turns.push_back(k);
  }
  std::vector<uint32_t> held(n, 0);
  uint32_t filled = 0;
  while (filled < size) {
    for (size_t k : turns) {
      uint32_t c = next[k];
      while (table[c] != kNone) {
        c += skip[k];
        if (c >= size) c -= size;
      }
      table[c] = order[k];
      c += skip[k];
      next[k] = c >= size ? c - size : c;
      ++held[k];
      ++filled;
    }
    std::erase_if(turns, [&](size_t k) { return held[k] == share[k]; });
  }
  return table;
}

std::vector<DestinationKey> BuildKeyTable(std::span<const Server> servers) {
  size_t n = 0;
  for (const Server& s : servers) n += s.weight > 0 ? 1 : 0;
  const std::vector<uint32_t> table = BuildTable(servers, TableSize(n));
  std::vector<DestinationKey> keys;
  keys.reserve(table.size());
  for (uint32_t i : table) keys.push_back(servers[i].key);
  return keys;
}

}  // namespace vigil::lb::maglev
