// Running external programs (notify scripts, vrrp_script, MISC_CHECK, notify FIFO readers)
// from an event loop: the one spawner of every script kind. fork + exec without a shell, as
// the user keepalived would run it as, with only descriptors 0-2, its parent's death
// signalled to it, watched through a pidfd so the loop never blocks, with a timeout that
// sends SIGTERM and then SIGKILL.
#ifndef VIGIL_BASE_SUBPROCESS_H_
#define VIGIL_BASE_SUBPROCESS_H_

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <optional>
#include <utility>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"

namespace asio {
class io_context;
}

namespace vigil {

struct SpawnSpec {
  std::vector<std::string> argv;  // argv[0] is the program path
  // The file executed, when not argv[0] (a script's real_program: argv[0] names it through
  // a symlink).
  std::string path;
  std::optional<uid_t> uid;       // run as (needs root)
  std::optional<gid_t> gid;       // also the only supplementary group, unless `groups`
  // The supplementary groups (keepalived's set_supplementary_groups, or ':' before a
  // script's group): the user's own, as getgrouplist(3) lists them.
  std::optional<std::vector<gid_t>> groups;
  // 0 = no limit. On expiry the process group gets SIGTERM, then SIGKILL after
  // `kill_grace`.
  std::chrono::milliseconds timeout{0};
  std::chrono::milliseconds kill_grace{2000};
  // Contain the run: the program runs under a keeper process (the pid returned) that
  // adopts everything the program starts, background jobs and `setsid` escapees included,
  // and kills all of it when the program ends; the keeper then exits as the program did
  // (its status, or the same signal). Signals to the keeper's process group reach the
  // program; the keeper itself ignores SIGTERM, and SIGUSR1 (see EndContainedRun) or the
  // death of vigil makes it kill the program at once.
  bool contain = false;
  // When >= 0: the program's standard output (a descriptor of the caller's, e.g. a memfd it
  // reads once the program has ended); otherwise /dev/null.
  int stdout_fd = -1;
};

struct ExitInfo {
  bool exited = false;   // exited normally: `code` is valid
  int code = -1;
  int signal = 0;        // killed by this signal
  bool timed_out = false;

  bool ok() const { return exited && code == 0; }
  // Returns "exit 0", "exit 3", "killed by signal 9", "timed out".
  std::string ToString() const;
};

// Forks and execs the program in its own process group as `spec.uid`/`spec.gid` (the
// supplementary groups reduced to that gid, or `spec.groups`), with stdin, stdout and stderr on /dev/null and
// no other descriptor (close_range backs up close-on-exec), default signal handling and
// scheduling priority, and SIGTERM when its parent dies (set after the credential change,
// which clears it; a parent already gone means the program is not run). Returns the child's
// pid; the caller reaps it. A program that cannot be executed exits 127, one whose user
// cannot be taken on 126.
Result<pid_t> ForkExec(const SpawnSpec& spec);

// Ends a contained run now (see SpawnSpec::contain): its keeper `keeper` kills the program
// and everything it started with SIGKILL, then exits.
void EndContainedRun(pid_t keeper);

// Starts the program in its own process group and calls `on_exit` once, on `io`'s loop,
// when it has ended (and been reaped). Fails if the program cannot be started; a program
// that cannot be executed exits 127.
Result<pid_t> SpawnProcess(asio::io_context& io, const SpawnSpec& spec,
                           std::function<void(const ExitInfo&)> on_exit);

// Splits a script line into words as keepalived does: whitespace separates words;
// '...' and "..." group (quotes removed); a backslash escapes the next character.
std::vector<std::string> SplitCommandLine(std::string_view line);

// Returns the argv of a script: `line` split by SplitCommandLine, with argv[0] replaced by
// `program` when given (the file a PATH search found for it; see SearchPath).
std::vector<std::string> CommandArgv(std::string_view line,
                                     const std::optional<std::string>& program);

// Returns the search path keepalived uses for a command without a '/': $PATH of this
// process, or the C library's default path (confstr(_CS_PATH)) when PATH is unset.
std::string CommandSearchPath();

// Returns the first "DIR/name" along `search_path` (':'-separated; an empty entry is the
// current directory) that is a regular file with an execute bit, as execvp would run it;
// nullopt when there is none or `name` is empty or has a '/'.
std::optional<std::string> SearchPath(const std::string& name, const std::string& search_path);

// Returns why running `program` as root would be unsafe, or nullopt if it is safe: the file
// or a directory above it is writable by a user other than root (group or other write
// permission without the sticky bit, or a non-root owner), as enable_script_security
// demands. A program without a '/' is looked up along CommandSearchPath().
std::optional<std::string> ScriptSecurityProblem(const std::string& program);

// Returns the uid and primary gid of `user` (and the gid of `group` when given).
Result<std::pair<uid_t, gid_t>> LookupUser(const std::string& user,
                                           const std::optional<std::string>& group);

// Resolves a user (and optional group) to (uid, gid): LookupUser in production, a table in
// tests.
using UserResolver = std::function<Result<std::pair<uid_t, gid_t>>(
    const std::string& user, const std::optional<std::string>& group)>;

// The user scripts run as when neither they nor global_defs name one (if it exists).
inline constexpr char kDefaultScriptUser[] = "keepalived_script";

// What global_defs says about scripts that name no user of their own.
struct ScriptDefaults {
  std::optional<std::string> user;   // script_user
  std::optional<std::string> group;  // script_user's optional group ([:][GROUP])
  bool security = false;             // enable_script_security
  bool supplementary_groups = false; // set_supplementary_groups
  friend bool operator==(const ScriptDefaults&, const ScriptDefaults&) = default;
};

// Returns the groups of `user`, whose primary group is `gid`: getgrouplist(3) in production,
// a table in tests.
using GroupListResolver =
    std::function<Result<std::vector<gid_t>>(const std::string& user, gid_t gid)>;
Result<std::vector<gid_t>> LookupGroupList(const std::string& user, gid_t gid);

// Returns the (uid, gid) a script runs as, keepalived's rule: the script's own user (and
// group), else global_defs' script_user (and group), else the user `keepalived_script` if it
// exists, else vigild's own user, except that under enable_script_security a missing
// `keepalived_script` is an error. A name that does not resolve is an error, never root.
// `self` is vigild's own (uid, gid).
Result<std::pair<uid_t, gid_t>> ResolveScriptUser(const std::optional<std::string>& user,
                                                  const std::optional<std::string>& group,
                                                  const ScriptDefaults& defaults,
                                                  const UserResolver& resolve,
                                                  std::pair<uid_t, gid_t> self);

// Returns how to run a script (argv, split by the caller; `path`, the file executed when
// not argv[0]: see SpawnSpec::path): its user by ResolveScriptUser, and, run as root under
// enable_script_security, the file executed and its directories checked
// (ScriptSecurityProblem). Fails, naming the script, if it must not run. The group that
// goes with the user used (the script's own, or script_user's) may start with ':' (":" alone:
// no group), keepalived's way of asking for the user's supplementary groups, as
// set_supplementary_groups does for every script; they are then `groups` of the user
// (getgrouplist of its name and its own primary group, whatever group the script runs
// as), looked up by `group_list`. A user whose groups cannot be listed keeps only its gid.
Result<SpawnSpec> PrepareScript(std::vector<std::string> argv, std::string path,
                                const std::optional<std::string>& user,
                                const std::optional<std::string>& group,
                                const ScriptDefaults& defaults,
                                const UserResolver& resolve = LookupUser,
                                const GroupListResolver& group_list = LookupGroupList);

}  // namespace vigil

#endif  // VIGIL_BASE_SUBPROCESS_H_
