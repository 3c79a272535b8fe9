// Framing on the socket between the supervisor and an engine process:
//   4-byte big-endian payload length, 1 type byte, payload.
#ifndef VIGIL_DAEMON_FRAMES_H_
#define VIGIL_DAEMON_FRAMES_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace vigil::daemon {

enum class FrameType : char {
  kStatus = 'S',        // engine -> supervisor: control::Status JSON (the engine's part)
  kReportRequest = 'Q', // supervisor -> engine: send a status frame now
  kReload = 'H',        // supervisor -> engine: apply the configuration vigild read and
                        // checked, its model as model::EncodeConfig writes it
  kReloadResult = 'L',  // engine -> supervisor: "1" + summary, or "0" + errors
  kOperation = 'O',     // supervisor -> engine: a control::Operation as JSON
  kOperationResult = 'R',  // engine -> supervisor: "1" + what it did, or "0" + why not
  kEvent = 'E',         // engine -> supervisor: one event for the event log (a JSON object
                        // as control::EventBody makes it), in the order they happened
  kBfdState = 'B',      // BFD engine -> supervisor -> VRRP and checker engines: "1" (Up)
                        // or "0" (not Up) + the bfd_instance's name
  kVrrpState = 'V',     // VRRP engine -> supervisor -> checker engine: "1" (MASTER) or "0"
                        // (not MASTER) + the vrrp_instance's name
  kMaintenance = 'M',   // supervisor -> checker engine: "1" (vigilctl maintenance on) or "0"
  kLbReady = 'A',       // checker engine -> supervisor -> VRRP engine: "1" once the load
                        // balancer's table is applied; supervisor -> VRRP engine: "0" while
                        // a checker engine starts and has not applied it yet
};

// A frame's payload is at most this long (a reload's model at 37,205 real servers: 2.6 MB).
inline constexpr uint32_t kMaxFramePayload = 64 << 20;

struct Frame {
  FrameType type;
  std::string payload;
};

// Returns the wire form of a frame.
std::string EncodeFrame(FrameType type, std::string_view payload);

// Accumulates bytes from a stream and yields whole frames.
class FrameReader {
 public:
  void Append(std::string_view bytes) { buffer_.append(bytes); }
  // Returns the next complete frame, nullopt if more bytes are needed. Sets `bad` (and
  // stops yielding) on a frame larger than kMaxFramePayload or of an unknown type.
  std::optional<Frame> Next();
  bool bad() const { return bad_; }

 private:
  std::string buffer_;
  bool bad_ = false;
};

}  // namespace vigil::daemon

#endif  // VIGIL_DAEMON_FRAMES_H_
