#include "config/file_system.h"

#include <fcntl.h>
#include <fnmatch.h>
#include <glob.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <set>

#include "base/unique_fd.h"

namespace vigil::config {
namespace {

// Returns `path` with "//", "/./" and "/x/../" collapsed (purely textual).
std::string NormalizePath(const std::string& path) {
  bool absolute = !path.empty() && path[0] == '/';
  std::vector<std::string> parts;
  size_t i = 0;
  while (i <= path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string::npos) j = path.size();
    std::string part = path.substr(i, j - i);
    if (part == "..") {
      if (!parts.empty() && parts.back() != "..") {
        parts.pop_back();
      } else if (!absolute) {
        parts.push_back(part);
      }
    } else if (!part.empty() && part != ".") {
      parts.push_back(part);
    }
    i = j + 1;
  }
  std::string out = absolute ? "/" : "";
  for (size_t k = 0; k < parts.size(); ++k) {
    if (k) out += '/';
    out += parts[k];
  }
  if (out.empty()) out = ".";
  return out;
}

}  // namespace

Result<std::string> RealFileSystem::ReadFile(const std::string& path) {
  int raw = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (raw < 0) return FailErrno(path);
  UniqueFd fd(raw);
  struct stat st;
  if (::fstat(fd.get(), &st) != 0) return FailErrno(path);
  if (!S_ISREG(st.st_mode)) return Fail(ErrorCode::kInvalidArgument, path, EISDIR);
  // Read straight into a string of the file's size (one allocation, no copy: a
  // configuration of 37,000 real servers is 4.6 MB); a file that grows meanwhile is read to
  // its end all the same.
  std::string text(static_cast<size_t>(st.st_size) + 1, '\0');
  size_t have = 0;
  while (true) {
    if (have == text.size()) text.resize(text.size() * 2);
    ssize_t n = ::read(fd.get(), text.data() + have, text.size() - have);
    if (n < 0) {
      if (errno == EINTR) continue;
      return FailErrno(path);
    }
    if (n == 0) break;
    have += static_cast<size_t>(n);
  }
  text.resize(have);
  return text;
}

std::vector<std::string> RealFileSystem::Glob(const std::string& pattern) {
  std::vector<std::string> out;
  glob_t g{};
  if (::glob(pattern.c_str(), GLOB_MARK | GLOB_BRACE, nullptr, &g) == 0) {
    for (size_t i = 0; i < g.gl_pathc; ++i) out.emplace_back(g.gl_pathv[i]);
  }
  globfree(&g);
  return out;
}

std::string RealFileSystem::Canonical(const std::string& path) {
  char buf[PATH_MAX];
  if (::realpath(path.c_str(), buf) != nullptr) return buf;
  return NormalizePath(path);
}

Result<std::string> MemoryFileSystem::ReadFile(const std::string& path) {
  auto it = files_.find(NormalizePath(path));
  if (it != files_.end()) return it->second;
  // A directory (a prefix of some file) cannot be read as a file.
  std::string dir = NormalizePath(path) + "/";
  auto lb = files_.lower_bound(dir);
  if (lb != files_.end() && lb->first.starts_with(dir)) {
    return Fail(ErrorCode::kInvalidArgument, path, EISDIR);
  }
  return Fail(ErrorCode::kNotFound, path, ENOENT);
}

std::vector<std::string> MemoryFileSystem::Glob(const std::string& pattern) {
  // Candidates: every file, and every directory implied by a file (marked with '/').
  std::set<std::string> dirs;
  for (const auto& [path, text] : files_) {
    for (size_t i = path.find('/', 1); i != std::string::npos; i = path.find('/', i + 1)) {
      dirs.insert(path.substr(0, i));
    }
  }
  std::vector<std::string> alternatives;
  if (std::count(pattern.begin(), pattern.end(), '{') > 64) return {};
  ExpandBraces(pattern, alternatives, 4096);
  std::vector<std::string> out;
  for (const std::string& alt : alternatives) {
    std::string norm = NormalizePath(alt);
    std::vector<std::string> matches;
    for (const auto& [path, text] : files_) {
      if (::fnmatch(norm.c_str(), path.c_str(), FNM_PATHNAME | FNM_PERIOD) == 0) {
        matches.push_back(path);
      }
    }
    for (const std::string& d : dirs) {
      if (::fnmatch(norm.c_str(), d.c_str(), FNM_PATHNAME | FNM_PERIOD) == 0) {
        matches.push_back(d + "/");
      }
    }
    std::sort(matches.begin(), matches.end());
    out.insert(out.end(), matches.begin(), matches.end());
  }
  return out;
}

std::string MemoryFileSystem::Canonical(const std::string& path) { return NormalizePath(path); }

bool MemoryFileSystem::Executable(const std::string& path) {
  return executable_.contains(NormalizePath(path));
}

bool RealFileSystem::Executable(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && (st.st_mode & (S_IXUSR | S_IXGRP | S_IXOTH)) != 0;
}

bool ExpandBraces(const std::string& pattern, std::vector<std::string>& out, size_t limit) {
  if (out.size() > limit) return false;
  size_t open = std::string::npos;
  for (size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] == '\\') {
      ++i;
    } else if (pattern[i] == '{') {
      open = i;
      break;
    }
  }
  size_t close = std::string::npos;
  std::vector<size_t> commas;
  if (open != std::string::npos) {
    int depth = 0;
    for (size_t i = open; i < pattern.size(); ++i) {
      char c = pattern[i];
      if (c == '\\') {
        ++i;
      } else if (c == '{') {
        ++depth;
      } else if (c == '}') {
        if (--depth == 0) {
          close = i;
          break;
        }
      } else if (c == ',' && depth == 1) {
        commas.push_back(i);
      }
    }
  }
  if (close == std::string::npos) {
    out.push_back(pattern);
    return out.size() <= limit;
  }
  std::string prefix = pattern.substr(0, open);
  std::string suffix = pattern.substr(close + 1);
  size_t start = open + 1;
  commas.push_back(close);
  for (size_t end : commas) {
    if (!ExpandBraces(prefix + pattern.substr(start, end - start) + suffix, out, limit)) {
      return false;
    }
    start = end + 1;
  }
  return true;
}


}  // namespace vigil::config
