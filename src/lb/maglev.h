// Maglev consistent hashing (Eisenbud et al., "Maglev: A Fast and Reliable Software Network
// Load Balancer", NSDI 2016, section 3.4): a lookup table of M entries, M prime, in which
// every real server owns a share of entries proportional to its weight, so that a flow
// hashed to an entry reaches the same real server on every director that built the table
// from the same set of servers, and removing one of N servers moves about 1/N of the
// entries (those it owned, plus few others).
//
// Each server has a preference list, a permutation of the entries: entry
// (offset + j * skip) mod M for j = 0, 1, ..., where
//   offset = SipHash-2-4(kOffsetKey, name) mod M
//   skip   = SipHash-2-4(kSkipKey, name) mod (M - 1) + 1
// and `name` is the server's address in network order (4 or 16 bytes) followed by its port
// in network order (2 bytes). The servers take turns in the order of their keys (address,
// then port), each claiming the next free entry of its list, and a server stops taking turns
// once it holds its share: M * weight / (sum of weights), rounded down, with the entries left
// over going one each to the servers with the largest remainders (ties in key order). With
// equal weights this is the paper's algorithm exactly. Nothing depends on the order in which
// the servers are given, on the host or on the process: two directors agree.
//
// Pure: no I/O, no clock, no global state.
#ifndef VIGIL_LB_MAGLEV_H_
#define VIGIL_LB_MAGLEV_H_

#include <array>
#include <cstdint>
#include <span>
#include <vector>

#include "lb/state.h"

namespace vigil::lb::maglev {

// The table size for up to 655 servers (the paper's and IPVS mh's default).
inline constexpr uint32_t kDefaultTableSize = 65537;
// Entries per server that the table size guarantees at least.
inline constexpr uint32_t kEntriesPerServer = 100;

// The SipHash keys of the two hashes: bytes 0x00..0x0f and 0x10..0x1f.
inline constexpr std::array<uint8_t, 16> kOffsetKey = {0, 1, 2,  3,  4,  5,  6,  7,
                                                       8, 9, 10, 11, 12, 13, 14, 15};
inline constexpr std::array<uint8_t, 16> kSkipKey = {16, 17, 18, 19, 20, 21, 22, 23,
                                                     24, 25, 26, 27, 28, 29, 30, 31};

// Returns SipHash-2-4 (Aumasson and Bernstein, 2012) of `data` under `key`, the 64-bit
// result read as a little-endian number as the reference implementation does.
uint64_t SipHash24(const std::array<uint8_t, 16>& key, std::span<const uint8_t> data);

// Returns whether `n` is prime.
bool IsPrime(uint64_t n);

// Returns the table size for `servers` real servers: kDefaultTableSize while that holds at
// least kEntriesPerServer entries per server, else the first prime at or above twice the
// previous size, doubling until it does (65537, 131101, 262217, ...). Sizes step by doubling
// rather than following the count so that a server joining or leaving seldom changes the
// size, which would move nearly every flow.
uint32_t TableSize(size_t servers);

struct Server {
  DestinationKey key;
  uint32_t weight = 1;
};

// Returns the server's name bytes as hashed: address then port, network order.
std::vector<uint8_t> NameBytes(const DestinationKey& key);

// Returns the lookup table of `size` entries (size prime, at least 2) for `servers`: entry
// i is the index in `servers` of the server that owns it. Servers with weight 0 own none;
// with no server of positive weight (or no servers) the table is empty. Two servers with
// the same key are one (the first given counts).
std::vector<uint32_t> BuildTable(std::span<const Server> servers, uint32_t size);

// Returns the table of BuildTable(servers, TableSize(n)) as server keys, where n is the
// number of servers with a positive weight.
std::vector<DestinationKey> BuildKeyTable(std::span<const Server> servers);

}  // namespace vigil::lb::maglev

#endif  // VIGIL_LB_MAGLEV_H_
