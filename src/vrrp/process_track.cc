#include "vrrp/process_track.h"

#include <dirent.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <iterator>
#include <sstream>

namespace vigil::vrrp {

bool Matches(const ProcInfo& p, const ProcessSpec& spec) {
  if (spec.full_command) {
    if (p.argv.empty() || p.argv[0] != spec.process) return false;
  } else {
    // comm holds at most 15 characters of the name.
    if (p.comm != spec.process.substr(0, 15)) return false;
  }
  if (spec.params.empty()) return true;
  std::vector<std::string> args;
  if (p.argv.size() > 1) args.assign(p.argv.begin() + 1, p.argv.end());
  switch (spec.param_match) {
    case ParamMatch::kExact:
      return args == spec.params;
    case ParamMatch::kInitial:
      return args.size() >= spec.params.size() &&
             std::equal(spec.params.begin(), spec.params.end(), args.begin());
    case ParamMatch::kPartial:
      return std::search(args.begin(), args.end(), spec.params.begin(), spec.params.end()) !=
             args.end();
  }
  return false;
}

size_t CountMatching(const std::vector<ProcInfo>& procs, const ProcessSpec& spec) {
  return static_cast<size_t>(
      std::count_if(procs.begin(), procs.end(), [&](const ProcInfo& p) { return Matches(p, spec); }));
}

bool QuorumMet(const ProcessSpec& spec, size_t count) {
  return count >= spec.quorum && (!spec.quorum_max || count <= *spec.quorum_max);
}

std::optional<ProcInfo> ReadProcess(pid_t pid, const std::string& proc_root) {
  const std::string dir = proc_root + "/" + std::to_string(pid);
  // A zombie is gone for a tracker's purposes (it keeps its name until it is reaped).
  std::ifstream stat(dir + "/stat");
  std::string stat_line;
  if (!std::getline(stat, stat_line)) return std::nullopt;
  size_t close_paren = stat_line.rfind(')');
  if (close_paren == std::string::npos || close_paren + 2 >= stat_line.size()) return std::nullopt;
  char state = stat_line[close_paren + 2];
  if (state == 'Z' || state == 'X') return std::nullopt;
  ProcInfo p;
  p.pid = pid;
  std::ifstream comm(dir + "/comm");
  if (!std::getline(comm, p.comm)) return std::nullopt;
  std::ifstream cmd(dir + "/cmdline", std::ios::binary);
  std::string raw((std::istreambuf_iterator<char>(cmd)), std::istreambuf_iterator<char>());
  std::string word;
  for (char c : raw) {
    if (c == '\0') {
      p.argv.push_back(word);
      word.clear();
    } else {
      word += c;
    }
  }
  if (!word.empty()) p.argv.push_back(word);
  return p;
}

std::vector<ProcInfo> ReadProcesses(const std::string& proc_root) {
  std::vector<ProcInfo> out;
  DIR* dir = opendir(proc_root.c_str());
  if (!dir) return out;
  while (dirent* e = readdir(dir)) {
    std::string pid = e->d_name;
    if (pid.empty() || !std::all_of(pid.begin(), pid.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); }))
      continue;
    if (auto p = ReadProcess(static_cast<pid_t>(std::stol(pid)), proc_root))
      out.push_back(std::move(*p));
  }
  closedir(dir);
  return out;
}

}  // namespace vigil::vrrp
