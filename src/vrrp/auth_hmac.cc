#include "vrrp/auth_hmac.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <algorithm>
#include <memory>

#include "net/ipv4_header.h"

namespace vigil::vrrp {
namespace {

constexpr size_t kChecksumOffset = 6;       // of the VRRP message
constexpr size_t kSignedTrailerPart = 12;   // type .. counter: the trailer before its HMAC
constexpr std::array<uint8_t, kHmacDigestSize> kZeroDigest{};
constexpr std::array<uint8_t, 2> kZeroChecksum{};

// RFC 1982 serial order over the 64-bit sequence: true if `a` comes after `b`.
bool SequenceAfter(uint64_t a, uint64_t b) { return static_cast<int64_t>(a - b) > 0; }

// Returns the seconds of `a` minus those of `b` in 32-bit serial arithmetic.
int32_t SecondsApart(uint32_t a, uint32_t b) { return static_cast<int32_t>(a - b); }

uint32_t Seconds(uint64_t sequence) { return static_cast<uint32_t>(sequence >> 32); }

uint32_t UnixSeconds(std::chrono::system_clock::time_point now) {
  return static_cast<uint32_t>(
      std::chrono::floor<std::chrono::seconds>(now.time_since_epoch()).count());
}

bool OutsideWindow(int32_t apart, uint32_t window) {
  return apart > static_cast<int64_t>(window) || apart < -static_cast<int64_t>(window);
}

// Returns the truncated HMAC of an advert: pseudo-header, the message with a zero
// checksum, the trailer's signed part and a zero HMAC field.
std::array<uint8_t, kHmacDigestSize> AdvertDigest(std::span<const uint8_t> key,
                                                  const HmacBinding& binding,
                                                  std::span<const uint8_t> message,
                                                  std::span<const uint8_t> signed_part) {
  const auto pseudo = HmacPseudoHeader(binding);
  const Sha256Digest full =
      HmacSha256(key, {pseudo, message.first(kChecksumOffset), kZeroChecksum,
                       message.subspan(kChecksumOffset + kZeroChecksum.size()), signed_part,
                       kZeroDigest});
  std::array<uint8_t, kHmacDigestSize> out{};
  std::copy_n(full.begin(), out.size(), out.begin());
  return out;
}

}  // namespace

Sha256Digest HmacSha256(std::span<const uint8_t> key,
                        std::initializer_list<std::span<const uint8_t>> parts) {
  Sha256Digest digest{};
  std::unique_ptr<EVP_MAC, decltype(&EVP_MAC_free)> mac(EVP_MAC_fetch(nullptr, "HMAC", nullptr),
                                                        &EVP_MAC_free);
  if (!mac) return digest;  // all zero: verifies nothing
  std::unique_ptr<EVP_MAC_CTX, decltype(&EVP_MAC_CTX_free)> ctx(EVP_MAC_CTX_new(mac.get()),
                                                                &EVP_MAC_CTX_free);
  char sha256[] = "SHA256";
  const OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, sha256, 0),
      OSSL_PARAM_construct_end(),
  };
  if (!ctx || EVP_MAC_init(ctx.get(), key.data(), key.size(), params) != 1) return digest;
  for (std::span<const uint8_t> part : parts) {
    if (EVP_MAC_update(ctx.get(), part.data(), part.size()) != 1) return Sha256Digest{};
  }
  size_t length = 0;
  if (EVP_MAC_final(ctx.get(), digest.data(), &length, digest.size()) != 1 ||
      length != digest.size()) {
    return Sha256Digest{};
  }
  return digest;
}

std::array<uint8_t, kHmacPseudoHeaderSize> HmacPseudoHeader(const HmacBinding& binding) {
  std::array<uint8_t, kHmacPseudoHeaderSize> p{};
  const bool v6 = binding.family == model::Family::kIpv6;
  p[0] = v6 ? 6 : 4;
  p[1] = binding.version;
  p[2] = binding.vrid;
  const auto& bytes = binding.source.bytes();
  std::copy_n(bytes.begin(), v6 ? 16 : 4, p.begin() + 4);
  return p;
}

uint64_t ClockSequence(std::chrono::system_clock::time_point now) {
  const auto since = now.time_since_epoch();
  const auto whole = std::chrono::floor<std::chrono::seconds>(since);
  const uint64_t nanos = static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(since - whole).count());
  const uint64_t fraction = (nanos << 16) / 1'000'000'000u;
  return (uint64_t{static_cast<uint32_t>(whole.count())} << 32) | (fraction << 16);
}

HmacTrailer HmacSigner::Sign(const model::AuthHmac& settings, std::span<const uint8_t> message,
                             const HmacBinding& binding,
                             std::chrono::system_clock::time_point now) {
  const uint64_t clock = ClockSequence(now);
  if (SequenceAfter(clock, sequence_)) {
    sequence_ = clock;
  } else if (settings.anti_replay_time &&
             SecondsApart(Seconds(sequence_), Seconds(clock)) >
                 static_cast<int64_t>(settings.time_window)) {
    sequence_ = clock;  // a clock stepped back: receivers would refuse the old run
  } else {
    ++sequence_;
  }

  HmacTrailer t{};
  t[0] = kHmacSha256Type;
  t[1] = settings.active_key;
  net::StoreBe32(&t[4], Seconds(sequence_));
  net::StoreBe16(&t[8], static_cast<uint16_t>(sequence_ >> 16));
  net::StoreBe16(&t[10], static_cast<uint16_t>(sequence_));
  if (const model::HmacKey* key = settings.Key(settings.active_key)) {
    const auto digest =
        AdvertDigest(key->secret, binding, message, std::span(t).first(kSignedTrailerPart));
    std::copy(digest.begin(), digest.end(), t.begin() + kSignedTrailerPart);
  }
  return t;
}

HmacVerifier::Outcome HmacVerifier::Check(const model::AuthHmac& settings,
                                          std::span<const uint8_t> message,
                                          std::span<const uint8_t> trailer,
                                          const HmacBinding& binding, bool unicast,
                                          std::chrono::system_clock::time_point now) {
  Outcome out;
  if (trailer.empty()) {
    if (settings.mode != model::HmacMode::kEnforce) return out;
    out.verdict = HmacVerdict::kMissing;
    return out;
  }
  if (trailer.size() != kHmacTrailerSize || trailer[0] != kHmacSha256Type ||
      net::LoadBe16(&trailer[2]) != 0) {
    out.verdict = HmacVerdict::kMalformed;
    return out;
  }
  const uint32_t seconds = net::LoadBe32(&trailer[4]);
  const uint64_t sequence = (uint64_t{seconds} << 32) |
                            (uint64_t{net::LoadBe16(&trailer[8])} << 16) |
                            net::LoadBe16(&trailer[10]);
  const uint32_t now_seconds = UnixSeconds(now);

  // The window is checked before the costly HMAC: a flood of old captures costs no
  // digest. The seconds are not yet authenticated, so this can only refuse.
  if (settings.anti_replay_time) {
    out.skew = SecondsApart(now_seconds, seconds);
    if (OutsideWindow(*out.skew, settings.time_window)) {
      out.verdict = HmacVerdict::kStale;
      return out;
    }
  }
  const model::HmacKey* key = settings.Key(trailer[1]);
  if (key == nullptr) {
    out.verdict = HmacVerdict::kUnknownKey;
    return out;
  }
  const auto digest =
      AdvertDigest(key->secret, binding, message, trailer.first(kSignedTrailerPart));
  if (CRYPTO_memcmp(digest.data(), trailer.data() + kSignedTrailerPart, digest.size()) != 0) {
    out.verdict = HmacVerdict::kBadHmac;
    return out;
  }
  Replay& state = unicast ? peers_[binding.source] : MulticastState(binding.source);
  if (!Advance(settings, state, sequence, now_seconds)) out.verdict = HmacVerdict::kReplay;
  return out;
}

void HmacVerifier::Reset() {
  peers_.clear();
  slots_ = {};
  lru_clock_ = 0;
}

HmacVerifier::Replay& HmacVerifier::MulticastState(const model::IpAddress& sender) {
  auto next_rank = [this] {
    if (++lru_clock_ == 0) lru_clock_ = 1;
    return lru_clock_;
  };
  Slot* victim = nullptr;
  for (Slot& slot : slots_) {
    if (slot.last_used != 0 && slot.sender == sender) {
      slot.last_used = next_rank();
      return slot.replay;
    }
    if (victim == nullptr || slot.last_used < victim->last_used) victim = &slot;
  }
  victim->sender = sender;
  victim->replay = {};
  victim->last_used = next_rank();
  return victim->replay;
}

bool HmacVerifier::Advance(const model::AuthHmac& settings, Replay& state, uint64_t sequence,
                           int64_t now_seconds) {
  // A mark outside the window orders only adverts the window refuses anyway; dropping it
  // lets a sender whose clock was stepped back in again.
  if (state.valid && settings.anti_replay_time &&
      OutsideWindow(SecondsApart(static_cast<uint32_t>(now_seconds), Seconds(state.sequence)),
                    settings.time_window)) {
    state.valid = false;
  }
  if (state.valid && !SequenceAfter(sequence, state.sequence)) return false;
  state.valid = true;
  state.sequence = sequence;
  return true;
}

}  // namespace vigil::vrrp
