// libFuzzer target for the configuration front end: arbitrary bytes as keepalived.conf
// (which may include a second fuzzed file) through preprocess → tree → model.
#include <cstddef>
#include <cstdint>
#include <string>

#include "config/build.h"
#include "config/file_system.h"
#include "config/parser.h"
#include "config/preprocessor.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  // Split at the first NUL-NUL: the part after it becomes an includable file.
  std::string second;
  if (size_t cut = text.find(std::string("\0\0", 2)); cut != std::string::npos) {
    second = text.substr(cut + 2);
    text.resize(cut);
  }
  vigil::config::MemoryFileSystem fs;
  fs.Add("/etc/keepalived/keepalived.conf", text);
  fs.Add("/etc/keepalived/inc.conf", second);
  vigil::config::PreprocessOptions options;
  options.config_id = "fuzz";
  options.max_output_lines = 20000;
  vigil::config::SourceFiles files;
  vigil::config::Diagnostics diags;
  auto lines = vigil::config::Preprocess("/etc/keepalived/keepalived.conf", fs, options, files,
                                         diags);
  auto tree = vigil::config::ParseTree(lines, diags);
  auto model = vigil::config::Build(tree, diags);
  (void)diags.FormatAll(files);
  return 0;
}
