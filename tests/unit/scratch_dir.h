// A unit test's own directory under the system's temporary directory, named after the
// test and the process, emptied when made and removed when the test ends; and the reading
// and writing of small files in it.
#ifndef VIGIL_TESTS_UNIT_SCRATCH_DIR_H_
#define VIGIL_TESTS_UNIT_SCRATCH_DIR_H_

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>

#include <gtest/gtest.h>

namespace vigil::test_support {

class ScratchDir {
 public:
  // `what` names the suite: <tmp>/vigil-WHAT-PID-TEST.
  explicit ScratchDir(std::string_view what)
      : path_(std::filesystem::temp_directory_path() /
              ("vigil-" + std::string(what) + "-" + std::to_string(::getpid()) + "-" +
               ::testing::UnitTest::GetInstance()->current_test_info()->name())) {
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~ScratchDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// Returns the whole of file `path` ("" when it cannot be read).
inline std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Replaces file `path` with `text`.
inline void WriteFile(const std::filesystem::path& path, const std::string& text) {
  std::ofstream(path) << text;
}

}  // namespace vigil::test_support

#endif  // VIGIL_TESTS_UNIT_SCRATCH_DIR_H_
