#include "vrrp/rt_names.h"

#include <linux/rtnetlink.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <utility>

namespace vigil::vrrp {
namespace {

using Entries = std::vector<std::pair<uint32_t, std::string>>;

uint32_t Max(RtNames::Kind kind) {
  return kind == RtNames::Kind::kTable   ? UINT32_MAX
         : kind == RtNames::Kind::kGroup ? INT32_MAX
                                         : 255;
}

const char* FileName(RtNames::Kind kind) {
  switch (kind) {
    case RtNames::Kind::kTable:
      return "rt_tables";
    case RtNames::Kind::kProtocol:
      return "rt_protos";
    case RtNames::Kind::kScope:
      return "rt_scopes";
    case RtNames::Kind::kGroup:
      return "group";
  }
  return "";
}

// strtoul(3) with base 0 over the whole word, as keepalived reads numbers; nullopt for a
// negative number, trailing characters or a value above `max`.
std::optional<uint32_t> Number(const std::string& word, uint32_t max) {
  if (word.empty() || word[0] == '-') return std::nullopt;
  errno = 0;
  char* end = nullptr;
  const unsigned long v = std::strtoul(word.c_str(), &end, 0);
  if (end == word.c_str() || *end != '\0' || errno == ERANGE || v > max) return std::nullopt;
  return static_cast<uint32_t>(v);
}

bool IsRegularFile(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

bool Exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

std::optional<std::string> ReadText(const std::string& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// The "*.conf" regular files (not hidden, more than the suffix) of `dir`, sorted.
std::vector<std::string> ConfFiles(const std::string& dir) {
  std::vector<std::string> names;
  std::error_code ec;
  for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.empty() || name[0] == '.' || name.size() <= 5 || !name.ends_with(".conf")) continue;
    if (IsRegularFile(dir + "/" + name)) names.push_back(name);
  }
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace

const RtNames& RtNames::Defaults() {
  static const RtNames defaults = [] {
    RtNames n;
    n.AddDefaults();
    return n;
  }();
  return defaults;
}

Entries& RtNames::List(Kind kind) {
  return const_cast<Entries&>(std::as_const(*this).List(kind));
}

const Entries& RtNames::List(Kind kind) const {
  switch (kind) {
    case Kind::kTable: return tables_;
    case Kind::kProtocol: return protocols_;
    case Kind::kScope: return scopes_;
    case Kind::kGroup: return groups_;
  }
  return groups_;
}

void RtNames::AddText(Kind kind, std::string_view text) {
  Entries& list = List(kind);
  std::istringstream lines{std::string(text)};
  std::string line;
  while (std::getline(lines, line)) {
    if (auto hash = line.find('#'); hash != std::string::npos) line.resize(hash);
    std::istringstream words(line);
    std::string number, name, extra;
    if (!(words >> number >> name) || (words >> extra)) continue;
    if (auto id = Number(number, Max(kind))) list.emplace_back(*id, name);
  }
}

void RtNames::AddDefaults() {
  static const std::pair<uint32_t, const char*> kTables[] = {
      {RT_TABLE_DEFAULT, "default"}, {RT_TABLE_MAIN, "main"}, {RT_TABLE_LOCAL, "local"}};
  static const std::pair<uint32_t, const char*> kProtocols[] = {
      {RTPROT_UNSPEC, "none"},   {RTPROT_REDIRECT, "redirect"}, {RTPROT_KERNEL, "kernel"},
      {RTPROT_BOOT, "boot"},     {RTPROT_STATIC, "static"},     {RTPROT_GATED, "gated"},
      {RTPROT_RA, "ra"},         {RTPROT_MRT, "mrt"},           {RTPROT_ZEBRA, "zebra"},
      {RTPROT_BIRD, "bird"},     {RTPROT_BABEL, "babel"},       {RTPROT_DNROUTED, "dnrouted"},
      {RTPROT_XORP, "xorp"},     {RTPROT_NTK, "ntk"},           {RTPROT_DHCP, "dhcp"}};
  static const std::pair<uint32_t, const char*> kScopes[] = {
      {RT_SCOPE_UNIVERSE, "global"}, {RT_SCOPE_NOWHERE, "nowhere"}, {RT_SCOPE_HOST, "host"},
      {RT_SCOPE_LINK, "link"},       {RT_SCOPE_SITE, "site"}};
  auto add = [](Entries& list, const auto& defaults) {
    for (const auto& [id, name] : defaults) {
      const bool named = std::any_of(list.begin(), list.end(),
                                     [id = id](const auto& e) { return e.first == id; });
      if (!named) list.emplace_back(id, name);
    }
  };
  add(tables_, kTables);
  add(protocols_, kProtocols);
  add(scopes_, kScopes);
}

RtNames RtNames::Load(const std::string& etc_dir, const std::string& usr_dir) {
  RtNames names;
  for (Kind kind : {Kind::kTable, Kind::kProtocol, Kind::kScope, Kind::kGroup}) {
    const std::string file = FileName(kind);
    auto read = [&](const std::string& path) {
      if (auto text = ReadText(path)) names.AddText(kind, *text);
    };
    if (IsRegularFile(etc_dir + "/" + file)) read(etc_dir + "/" + file);
    else if (!usr_dir.empty() && IsRegularFile(usr_dir + "/" + file)) read(usr_dir + "/" + file);
    if (!usr_dir.empty()) {
      const std::string dir = usr_dir + "/" + file + ".d";
      for (const std::string& name : ConfFiles(dir))
        if (!Exists(etc_dir + "/" + file + ".d/" + name)) read(dir + "/" + name);
    }
    const std::string dir = etc_dir + "/" + file + ".d";
    for (const std::string& name : ConfFiles(dir)) read(dir + "/" + name);
  }
  names.AddDefaults();
  return names;
}

std::optional<uint32_t> RtNames::Find(Kind kind, const std::string& word) const {
  if (auto n = Number(word, Max(kind))) return n;
  for (const auto& [id, name] : List(kind))
    if (name == word) return id;
  return std::nullopt;
}

}  // namespace vigil::vrrp
