// Where configuration text came from: the files read and positions within them.
#ifndef VIGIL_CONFIG_SOURCE_H_
#define VIGIL_CONFIG_SOURCE_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace vigil::config {

// A position in a configuration file. `line` and `column` are 1-based; column counts bytes.
// file == kNoFile marks a position that has no file (e.g. a command-line value).
struct SourceLoc {
  static constexpr uint32_t kNoFile = UINT32_MAX;
  uint32_t file = kNoFile;
  uint32_t line = 0;
  uint32_t column = 0;

  friend bool operator==(const SourceLoc&, const SourceLoc&) = default;
};

// Owns the text of every file read for one configuration load, so that diagnostics
// can quote the source line. Files are numbered in the order they are added.
class SourceFiles {
 public:
  // Records `path` with its full `text`; returns its file number.
  uint32_t Add(std::string path, std::string text);

  size_t size() const { return files_.size(); }
  // Returns the path as given to Add (or "" for kNoFile / out of range).
  std::string_view Path(uint32_t file) const;
  // Returns the full text of `file`.
  std::string_view Text(uint32_t file) const;
  // Returns line `line` (1-based) of `file` without its newline, or "" if out of range.
  std::string_view Line(uint32_t file, uint32_t line) const;

 private:
  struct File {
    std::string path;
    std::string text;
    std::vector<uint32_t> line_starts;  // byte offset of each line
  };
  std::vector<File> files_;
};

}  // namespace vigil::config

#endif  // VIGIL_CONFIG_SOURCE_H_
