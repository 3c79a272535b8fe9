// Decoding what an inotify descriptor (fd::Inotify) reads: a run of struct inotify_event,
// each followed by its NUL-padded name. Pure.
#ifndef VIGIL_BASE_INOTIFY_H_
#define VIGIL_BASE_INOTIFY_H_

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace vigil {

struct InotifyEvent {
  int wd = -1;
  uint32_t mask = 0;  // IN_* bits
  std::string name;   // the entry of a watched directory ("" for the directory itself)
  friend bool operator==(const InotifyEvent&, const InotifyEvent&) = default;
};

// Returns the events in `bytes` (one read()'s worth); a truncated last event is dropped.
std::vector<InotifyEvent> ParseInotifyEvents(std::span<const uint8_t> bytes);

// Returns the IN_* names of `mask`, joined with '|' ("IN_CLOSE_WRITE", "IN_MOVED_TO|IN_ISDIR").
std::string InotifyMaskName(uint32_t mask);

}  // namespace vigil

#endif  // VIGIL_BASE_INOTIFY_H_
