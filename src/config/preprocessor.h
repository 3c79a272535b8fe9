// The preprocessor: files → logical lines of tokens, applying keepalived's rules for
// comments, quoting, line continuation, `include` (and includer/includem/...),
// `@ID` / `@^ID` conditional lines, `$NAME=value` definitions, the predefined
// ${_PWD} ${_INSTANCE} ${_RANDOM} ${_ENV} ${_HASH} ${_BANG}, and ~SEQ/~SEQx/~LST loops.
// It never touches anything but the FileSystem it is given, never hangs (expansions,
// includes and loops are bounded) and reports problems as Diagnostics.
#ifndef VIGIL_CONFIG_PREPROCESSOR_H_
#define VIGIL_CONFIG_PREPROCESSOR_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/diagnostics.h"
#include "config/file_system.h"
#include "config/source.h"
#include "config/token.h"

namespace vigil::config {

struct PreprocessOptions {
  // The config id that `@ID` lines are compared with (`-i ID`; default short hostname).
  std::string config_id;
  // The value of ${_INSTANCE} (the `instance` name; default empty).
  std::string instance;
  // Looks up environment variables for ${_ENV NAME}; nullopt when unset.
  std::function<std::optional<std::string>(const std::string&)> getenv;
  // Seed for ${_RANDOM}; tests fix it.
  uint64_t random_seed = 0;
  // Bounds that keep hostile input from hanging or exhausting memory.
  size_t max_line_bytes = 1 << 20;        // longer physical lines are an error, truncated
  size_t max_expanded_bytes = 1 << 16;    // one logical line after expansion
  size_t max_expansion_depth = 32;        // nested $NAME expansions
  size_t max_include_depth = 32;
  size_t max_output_lines = 2'000'000;    // all lines produced by loops and includes
  // keepalived's `-e`: every include problem (unreadable, missing, no match, missing
  // brace alternative) is fatal, as `include_check` with no options.
  bool fail_on_missing_include = false;
  // true: words are read with shell rules ("..." and '...', backslash escapes, quoted
  // parts joined to adjacent text), as keepalived reads script command lines.
  // false: keepalived's plain reading of other keyword lines (only "...", no escapes).
  bool shell_quoting = true;
};

// Reads `path` (and what it includes) through `fs`, registering every file in `files`,
// and returns the logical lines. Problems go to `diags`; a missing top-level file is fatal.
// Like keepalived, a line is split before and after every `{` and `}` outside quotes, so
// a brace is always a Line of its own: `a b { c }` gives the lines [a b] [{] [c] [}].
// `include_check` inside `global_defs` is applied to later includes, as in keepalived.
std::vector<Line> Preprocess(const std::string& path, FileSystem& fs,
                             const PreprocessOptions& options, SourceFiles& files,
                             Diagnostics& diags);

// Preprocess one logical line at a time: each is made when it is asked for, so the lines of
// a large configuration are never all in memory. The lines and diagnostics are those of
// Preprocess, in the same order.
class LineReader {
 public:
  // Reads `path` (a missing or unreadable file is fatal in `diags`, and there are no lines).
  // `fs`, `options`, `files` and `diags` must outlive the reader.
  LineReader(const std::string& path, FileSystem& fs, const PreprocessOptions& options,
             SourceFiles& files, Diagnostics& diags);
  ~LineReader();
  LineReader(const LineReader&) = delete;
  LineReader& operator=(const LineReader&) = delete;

  // Moves the next logical line into `line`; returns false at the end of the input. The
  // room of what `line` held (a line the caller has done with) may serve a later line.
  bool Next(Line& line);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace vigil::config

#endif  // VIGIL_CONFIG_PREPROCESSOR_H_
