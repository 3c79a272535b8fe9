// Engine: the interface every engine process runs (the VRRP engine; the checker and
// load-balancer engine). The supervisor starts one process per engine; an engine never
// sees another's state.
#ifndef VIGIL_CONTROL_ENGINE_H_
#define VIGIL_CONTROL_ENGINE_H_

#include <functional>
#include <string>
#include <vector>

#include "base/error.h"
#include "control/event_log.h"
#include "control/protocol.h"
#include "control/status.h"

namespace vigil::model {
struct Config;
}

namespace vigil::control {

class Engine {
 public:
  virtual ~Engine() = default;

  // Applies `config` for the first time. An error here is permanent (the process exits
  // and the supervisor stops).
  virtual Result<void> Start(const model::Config& config) = 0;
  // Moves from the running configuration to `config`, changing only the difference.
  // Returns a readable summary of what changed, or an Error (the old state is kept).
  virtual Result<std::string> Reload(const model::Config& config) = 0;
  // Stops gracefully (for VRRP: priority-0 adverts, VIPs removed) and calls `done`.
  virtual void Stop(std::function<void()> done) = 0;
  // Fills this engine's part of the status.
  virtual void Report(Status& status) const = 0;
  // Carries out an operator's runtime operation (vigilctl); returns what it did, or why
  // not. Engines without operations refuse them all.
  virtual Result<std::string> Operate(const Operation& op) {
    return Fail(ErrorCode::kInvalidArgument, "the " + op.command + " operation is not for this engine");
  }

  // Takes, before Start, the runtime operations in force when this engine's process is
  // started again (it died): the engine starts in their state instead of reaching it after
  // a start without them. Engines that keep no such state ignore them.
  virtual void Restore(const std::vector<Operation>& ops) { (void)ops; }

  // Takes a BFD session's news, which the supervisor passes on from the BFD engine to the
  // engines that track it (track_bfd, BFD_CHECK): `up` while the session is Up. Before any
  // news a session counts as down, as in keepalived. Engines that track none ignore it.
  virtual void OnBfdState(const std::string& session, bool up) {
    (void)session;
    (void)up;
  }

  // Takes a VRRP instance's news, which the supervisor passes on from the VRRP engine to
  // the checker engine (vigil_announce_with): `master` while the instance is MASTER. Before
  // any news an instance counts as not MASTER. Engines that need none ignore it.
  virtual void OnVrrpState(const std::string& instance, bool master) {
    (void)instance;
    (void)master;
  }
  // Takes the node's maintenance mode (vigilctl maintenance on|off), which the supervisor
  // passes on to the checker engine. Engines that need it otherwise ignore it.
  virtual void OnMaintenance(bool on) { (void)on; }
  // Takes whether the load balancer's table is applied (`ready`; the checker engine's news
  // through the supervisor): while it is not, the VRRP engine preempts no lower-priority
  // master. Engines that need it otherwise ignore it.
  virtual void OnLbReady(bool ready) { (void)ready; }

  // The engine calls this whenever its observable state changed.
  void set_on_change(std::function<void()> f) { on_change_ = std::move(f); }
  // The engine calls this with each event for `vigilctl watch` (an EventBody), in the
  // order they happen.
  void set_on_event(std::function<void(std::string)> f) { on_event_ = std::move(f); }
  // The BFD engine calls this when a session comes Up or leaves Up (see OnBfdState).
  void set_on_bfd_state(std::function<void(const std::string&, bool)> f) {
    on_bfd_state_ = std::move(f);
  }
  // The VRRP engine calls this when an instance becomes MASTER or leaves MASTER.
  void set_on_vrrp_state(std::function<void(const std::string&, bool)> f) {
    on_vrrp_state_ = std::move(f);
  }
  // The checker engine calls this once its load balancer's table is applied (OnLbReady).
  void set_on_lb_ready(std::function<void()> f) { on_lb_ready_ = std::move(f); }

 protected:
  void Changed() {
    if (on_change_) on_change_();
  }
  void Emit(std::string_view type, const std::vector<EventField>& fields) {
    if (on_event_) on_event_(EventBody(type, fields));
  }
  void PublishBfdState(const std::string& session, bool up) {
    if (on_bfd_state_) on_bfd_state_(session, up);
  }
  void PublishVrrpState(const std::string& instance, bool master) {
    if (on_vrrp_state_) on_vrrp_state_(instance, master);
  }
  void PublishLbReady() {
    if (on_lb_ready_) on_lb_ready_();
  }

 private:
  std::function<void()> on_change_;
  std::function<void(std::string)> on_event_;
  std::function<void(const std::string&, bool)> on_bfd_state_;
  std::function<void(const std::string&, bool)> on_vrrp_state_;
  std::function<void()> on_lb_ready_;
};

}  // namespace vigil::control

#endif  // VIGIL_CONTROL_ENGINE_H_
