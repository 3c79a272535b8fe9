#include "base/inotify.h"

#include <sys/inotify.h>

#include <cstring>
#include <utility>

namespace vigil {

std::vector<InotifyEvent> ParseInotifyEvents(std::span<const uint8_t> bytes) {
  std::vector<InotifyEvent> out;
  size_t at = 0;
  while (bytes.size() - at >= sizeof(inotify_event)) {
    inotify_event head;
    std::memcpy(&head, bytes.data() + at, sizeof(head));
    const size_t end = at + sizeof(head) + head.len;
    if (end > bytes.size()) break;
    InotifyEvent e;
    e.wd = head.wd;
    e.mask = head.mask;
    const char* name = reinterpret_cast<const char*>(bytes.data() + at + sizeof(head));
    e.name.assign(name, strnlen(name, head.len));
    out.push_back(std::move(e));
    at = end;
  }
  return out;
}

std::string InotifyMaskName(uint32_t mask) {
  static constexpr std::pair<uint32_t, const char*> kNames[] = {
      {IN_ACCESS, "IN_ACCESS"},         {IN_MODIFY, "IN_MODIFY"},
      {IN_ATTRIB, "IN_ATTRIB"},         {IN_CLOSE_WRITE, "IN_CLOSE_WRITE"},
      {IN_CLOSE_NOWRITE, "IN_CLOSE_NOWRITE"}, {IN_OPEN, "IN_OPEN"},
      {IN_MOVED_FROM, "IN_MOVED_FROM"}, {IN_MOVED_TO, "IN_MOVED_TO"},
      {IN_CREATE, "IN_CREATE"},         {IN_DELETE, "IN_DELETE"},
      {IN_DELETE_SELF, "IN_DELETE_SELF"}, {IN_MOVE_SELF, "IN_MOVE_SELF"},
      {IN_UNMOUNT, "IN_UNMOUNT"},       {IN_Q_OVERFLOW, "IN_Q_OVERFLOW"},
      {IN_IGNORED, "IN_IGNORED"},       {IN_ISDIR, "IN_ISDIR"},
  };
  std::string out;
  for (const auto& [bit, name] : kNames) {
    if (!(mask & bit)) continue;
    if (!out.empty()) out += '|';
    out += name;
  }
  return out;
}

}  // namespace vigil
