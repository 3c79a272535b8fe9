#include "config/source.h"

namespace vigil::config {

uint32_t SourceFiles::Add(std::string path, std::string text) {
  File f{std::move(path), std::move(text), {}};
  f.line_starts.push_back(0);
  for (size_t i = f.text.find('\n'); i != std::string::npos; i = f.text.find('\n', i + 1))
    f.line_starts.push_back(static_cast<uint32_t>(i + 1));
  files_.push_back(std::move(f));
  return static_cast<uint32_t>(files_.size() - 1);
}

std::string_view SourceFiles::Path(uint32_t file) const {
  return file < files_.size() ? std::string_view(files_[file].path) : std::string_view();
}

std::string_view SourceFiles::Text(uint32_t file) const {
  return file < files_.size() ? std::string_view(files_[file].text) : std::string_view();
}

std::string_view SourceFiles::Line(uint32_t file, uint32_t line) const {
  if (file >= files_.size() || line == 0) return {};
  const File& f = files_[file];
  if (line > f.line_starts.size()) return {};
  size_t start = f.line_starts[line - 1];
  if (start > f.text.size()) return {};
  size_t end = f.text.find('\n', start);
  if (end == std::string::npos) end = f.text.size();
  std::string_view v(f.text.data() + start, end - start);
  if (!v.empty() && v.back() == '\r') v.remove_suffix(1);
  return v;
}

}  // namespace vigil::config
