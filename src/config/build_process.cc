// global_defs keywords about vigild's own processes -> model::Global.
#include <sys/stat.h>

#include <cctype>
#include <cstdlib>

#include "config/build.h"
#include "config/values.h"

namespace vigil::config::build_internal {

namespace {

// The kernel keeps 15 bytes of a process name (TASK_COMM_LEN 16 with its NUL).
constexpr size_t kMaxProcessName = 15;

// keepalived's symbolic umask bits.
struct UmaskBit {
  std::string_view name;
  uint32_t bits;
};
constexpr UmaskBit kUmaskBits[] = {
    {"IRUSR", S_IRUSR}, {"IWUSR", S_IWUSR}, {"IXUSR", S_IXUSR}, {"IRWXU", S_IRWXU},
    {"IRGRP", S_IRGRP}, {"IWGRP", S_IWGRP}, {"IXGRP", S_IXGRP}, {"IRWXG", S_IRWXG},
    {"IROTH", S_IROTH}, {"IWOTH", S_IWOTH}, {"IXOTH", S_IXOTH}, {"IRWXO", S_IRWXO},
};

// `umask NUMBER` (strtol's base 0: 0177 octal, 0x7f hex, else decimal) or
// `umask BIT|BIT...` (the bits may be spread over several words, each '|' between two).
std::optional<uint32_t> ParseUmask(const Node& n, Diagnostics& diags) {
  const Token* first = RequireArg(n, 0, diags);
  if (!first) return std::nullopt;
  if (std::isdigit(static_cast<unsigned char>(first->text[0]))) {
    if (n.args.size() > 1) {
      diags.Error(n.args[1].loc, "umask: a number takes no further parameters");
      return std::nullopt;
    }
    char* end = nullptr;
    const long v = std::strtol(first->text.c_str(), &end, 0);
    if (*end != '\0' || v < 0 || (v & ~0777L) != 0) {
      diags.Error(first->loc, "invalid umask value '" + first->text +
                                  "' (0 to 0777: octal with a leading 0, hex with 0x, else "
                                  "decimal)");
      return std::nullopt;
    }
    return static_cast<uint32_t>(v);
  }
  uint32_t bits = 0;
  bool need_or = false;
  for (const Token& word : n.args) {
    std::string_view rest = word.text;
    while (!rest.empty()) {
      if (need_or) {
        if (rest[0] != '|') {
          diags.Error(word.loc, "invalid umask syntax '" + word.text + "': bits are joined "
                                "with '|'");
          return std::nullopt;
        }
        need_or = false;
        rest.remove_prefix(1);
        continue;
      }
      const UmaskBit* found = nullptr;
      for (const UmaskBit& b : kUmaskBits)
        if (rest.starts_with(b.name)) found = &b;
      if (!found) {
        diags.Error(word.loc, "unknown umask bit '" + std::string(rest) +
                                  "' (I{R,W,X}{USR,GRP,OTH} or IRWX{U,G,O})");
        return std::nullopt;
      }
      bits |= found->bits;
      rest.remove_prefix(found->name.size());
      need_or = true;
    }
  }
  if (!need_or) {
    diags.Error(n.args.back().loc, "umask: a bit is missing after the last '|'");
    return std::nullopt;
  }
  return bits;
}

void SetProcessName(const Node& n, std::string name, std::optional<std::string>& out,
                    Diagnostics& diags) {
  if (name.size() > kMaxProcessName) {
    diags.Error(n.args.empty() ? n.keyword.loc : n.args[0].loc,
                n.name() + ": '" + name + "' is longer than " +
                    std::to_string(kMaxProcessName) + " characters; truncated to '" +
                    name.substr(0, kMaxProcessName) + "'");
    name.resize(kMaxProcessName);
  }
  out = std::move(name);
}

}  // namespace

bool BuildProcessGlobal(const Node& n, model::Global& g, Diagnostics& diags) {
  const std::string& kw = n.name();
  if (kw == "umask") {
    if (auto v = ParseUmask(n, diags)) g.umask = *v;
  } else if (kw == "process_names") {
    // keepalived's names for its children; the parent keeps its own.
    SetProcessName(n, "keepalived_vrrp", g.vrrp_process_name, diags);
    SetProcessName(n, "keepalived_lvs", g.checker_process_name, diags);
    SetProcessName(n, "keepalived_bfd", g.bfd_process_name, diags);
  } else if (kw == "process_name" || kw == "vrrp_process_name" ||
             kw == "checker_process_name" || kw == "lvs_process_name" ||
             kw == "bfd_process_name") {
    const Token* t = RequireArg(n, 0, diags);
    if (!t) return true;
    auto& out = kw == "process_name"        ? g.process_name
                : kw == "vrrp_process_name" ? g.vrrp_process_name
                : kw == "bfd_process_name"  ? g.bfd_process_name
                                            : g.checker_process_name;
    SetProcessName(n, t->text, out, diags);
  } else if (kw == "random_seed") {
    if (const Token* t = RequireArg(n, 0, diags))
      if (auto v = ParseInteger(*t, kw, 0, UINT32_MAX, diags)) g.random_seed = *v;
  } else {
    return false;
  }
  return true;
}

}  // namespace vigil::config::build_internal
