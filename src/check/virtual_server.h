// VirtualServerState: the pure real-server and quorum logic of one virtual server
// (keepalived's ipwrapper.c). Fed checker state changes; produces the desired list of
// (real server, weight) for the lb layer and the events to notify. No I/O, no clock.
#ifndef VIGIL_CHECK_VIRTUAL_SERVER_H_
#define VIGIL_CHECK_VIRTUAL_SERVER_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "check/types.h"

namespace vigil::check {

// The largest weight IPVS accepts; effective weights are clamped to [0, kMaxWeight].
inline constexpr int64_t kMaxWeight = 2147483647;

struct RealServerConfig {
  std::string name;  // for logs and notifications, e.g. "[192.168.1.10]:tcp:80"
  int64_t weight = 1;
  bool inhibit_on_failure = false;  // keep a failed server with weight 0 instead of removing it
};

struct VirtualServerConfig {
  std::string name;
  std::vector<RealServerConfig> real_servers;
  std::optional<RealServerConfig> sorry_server;
  uint32_t quorum = 1;
  uint32_t hysteresis = 0;
  bool rs_init_notifies = false;  // global rs_init_notifies: notify UP servers at start
};

// A destination the lb layer should have in this virtual server.
struct Destination {
  static constexpr size_t kSorryServer = static_cast<size_t>(-1);
  size_t real_server;  // index into VirtualServerConfig::real_servers, or kSorryServer
  int64_t weight;      // 0 for an inhibited (failed, inhibit_on_failure) server
  bool operator==(const Destination&) const = default;
};

struct Event {
  enum class Kind {
    kRealServerUp,    // run notify_up
    kRealServerDown,  // run notify_down
    kQuorumUp,        // run quorum_up
    kQuorumDown,      // run quorum_down
  };
  Kind kind;
  size_t real_server = Destination::kSorryServer;  // for kRealServer*
  bool init = false;                               // raised by Start()
  bool stopping = false;                           // raised at shutdown (omega)
  bool removed = false;                            // raised by a reload that removes it
  int64_t live_weight = 0;                         // for kQuorum*: the weight that decided
  int64_t threshold = 0;                           // for kQuorum*: what it was compared with
  bool operator==(const Event&) const = default;
};

using CheckerId = size_t;

// What an operator set on a real server at run time (`vigilctl enable|disable|weight|drain`);
// never written into the configuration.
struct RealServerAdmin {
  enum class Mode {
    kEnabled,   // in the pool while its checkers pass
    kDisabled,  // out of the pool (and of the quorum), whatever its checkers say
    kDraining,  // in the pool with weight 0: no new connections, the old ones go on
  };
  Mode mode = Mode::kEnabled;
  std::optional<int64_t> weight;  // replaces the configured weight while set
  bool operator==(const RealServerAdmin&) const = default;
};

// Returns "enabled", "disabled" or "draining".
const char* AdminModeName(RealServerAdmin::Mode mode);

// Real-server and quorum state of one virtual server. Not thread-safe.
//
// A real server is alive when none of its checkers is DOWN. Its effective weight is its
// configured weight (or the operator's, RealServerAdmin::weight) plus what dynamic checkers
// contribute, clamped to [0, kMaxWeight]; 0 while it drains. A disabled server is out of the
// pool and of the live weight whatever its checkers say.
// Quorum: live weight = sum of the alive servers' effective weights; quorum is gained when
// live weight >= quorum + hysteresis and lost when it drops below quorum - hysteresis or to 0.
// Without quorum the sorry server (if any) replaces the pool.
class VirtualServerState {
 public:
  // keepalived's config-time fixes are applied here: quorum is lowered to the total weight of
  // the real servers, and hysteresis to quorum - 1.
  explicit VirtualServerState(VirtualServerConfig config);

  // Registers a checker of real server `rs`; `starts_up` is false for alpha checkers.
  // Must be called before Start().
  CheckerId AddChecker(size_t rs, bool starts_up = true);

  // Brings the virtual server up: servers without failing checkers become alive, then quorum
  // is evaluated (QuorumUp if there is enough weight; QuorumDown if not and a sorry server
  // must be put in). Returns the events in order.
  std::vector<Event> Start();

  // Records that `checker` went UP or DOWN; returns the events in order. A checker going DOWN
  // drops any weight it contributed.
  std::vector<Event> SetCheckerUp(CheckerId checker, bool up);

  // Records a dynamic weight reported by `checker` (misc_dynamic, FILE_CHECK).
  std::vector<Event> SetCheckerWeight(CheckerId checker, const WeightUpdate& update);

  // keepalived reports a real server's state when a checker that started DOWN (alpha) fails
  // its first probe. Returns kRealServerDown for that server if it is not alive.
  std::vector<Event> ReportFirstResultDown(CheckerId checker);

  // Sets what the operator decided for real server `rs` (before or after Start); returns the
  // quorum events it causes. A real server's health events are not raised: its checkers
  // decide those.
  std::vector<Event> SetAdmin(size_t rs, const RealServerAdmin& admin);
  const RealServerAdmin& admin(size_t rs) const { return servers_[rs].admin; }

  // Returns the destinations the lb layer should have, real servers in configuration order,
  // then the sorry server.
  std::vector<Destination> Desired() const;

  bool alive(size_t rs) const { return servers_[rs].alive; }
  int64_t effective_weight(size_t rs) const;
  bool quorum_up() const { return quorum_up_; }
  bool sorry_server_active() const { return sorry_active_; }
  // Returns the sum of the effective weights of the alive real servers.
  int64_t LiveWeight() const;
  const VirtualServerConfig& config() const { return config_; }

 private:
  struct Server {
    bool alive = false;
    unsigned failed_checkers = 0;
    int64_t extra_weight = 0;  // sum of the checkers' contributions
    RealServerAdmin admin;
  };
  // True iff `rs` is alive and not disabled.
  bool InPool(size_t rs) const {
    return servers_[rs].alive && servers_[rs].admin.mode != RealServerAdmin::Mode::kDisabled;
  }
  struct Checker {
    size_t rs;
    bool up;
    int64_t contribution = 0;
  };

  void SetAlive(size_t rs, bool alive, std::vector<Event>& events);
  void UpdateQuorum(bool init, std::vector<Event>& events);
  void ChangeContribution(Checker& c, int64_t contribution, std::vector<Event>& events);

  VirtualServerConfig config_;
  std::vector<Server> servers_;
  std::vector<Checker> checkers_;
  bool started_ = false;
  bool quorum_up_ = false;
  bool sorry_active_ = false;
};

}  // namespace vigil::check

#endif  // VIGIL_CHECK_VIRTUAL_SERVER_H_
