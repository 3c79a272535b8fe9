#include "daemon/frames.h"

namespace vigil::daemon {

std::string EncodeFrame(FrameType type, std::string_view payload) {
  std::string out;
  uint32_t n = static_cast<uint32_t>(payload.size());
  out.reserve(5 + n);
  out.push_back(static_cast<char>((n >> 24) & 0xff));
  out.push_back(static_cast<char>((n >> 16) & 0xff));
  out.push_back(static_cast<char>((n >> 8) & 0xff));
  out.push_back(static_cast<char>(n & 0xff));
  out.push_back(static_cast<char>(type));
  out.append(payload);
  return out;
}

std::optional<Frame> FrameReader::Next() {
  if (bad_ || buffer_.size() < 5) return std::nullopt;
  auto byte = [this](size_t i) { return static_cast<uint32_t>(static_cast<uint8_t>(buffer_[i])); };
  uint32_t n = (byte(0) << 24) | (byte(1) << 16) | (byte(2) << 8) | byte(3);
  char t = buffer_[4];
  static constexpr std::string_view kTypes = "SQHLORE" "BVMA";  // FrameType's letters
  if (n > kMaxFramePayload || kTypes.find(t) == std::string_view::npos) {
    bad_ = true;
    return std::nullopt;
  }
  if (buffer_.size() < 5 + static_cast<size_t>(n)) return std::nullopt;
  Frame f{static_cast<FrameType>(t), buffer_.substr(5, n)};
  buffer_.erase(0, 5 + static_cast<size_t>(n));
  return f;
}

}  // namespace vigil::daemon
