// Trackers: the VRRP engine's tracked objects that are not interfaces — vrrp_script
// runners, vrrp_track_process counts and track_file values. It runs and watches them and
// keeps each one's current status; the engine asks what they make of an instance's
// priority (Evaluate, vrrp/tracking.h), and is told after any of them changed. One
// lifecycle: Configure at start and on every reload (unchanged scripts and processes keep
// running and keep their status), Stop at shutdown. Lives on the engine's event loop.
#ifndef VIGIL_VRRP_TRACKERS_H_
#define VIGIL_VRRP_TRACKERS_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "vrrp/instance_spec.h"
#include "vrrp/tracking.h"

namespace asio {
class io_context;
}

namespace vigil::vrrp {

class Trackers {
 public:
  // Called after a script, process or file changed its status (not from Configure).
  using Changed = std::function<void()>;

  Trackers(asio::io_context& io, Changed on_change);
  ~Trackers();
  Trackers(const Trackers&) = delete;
  Trackers& operator=(const Trackers&) = delete;

  // Tracks what `spec` names: its vrrp_scripts and vrrp_track_processes and the files of
  // every instance's track_file. Statuses of new trackers are known on return (scripts:
  // their init_fail state until the first run ends). Logs each vrrp_script disabled because
  // its program does not exist (the instances tracking it ignore it, as keepalived).
  void Configure(const VrrpSpec& spec);
  // Stops every script, watch and timer.
  void Stop();

  // Whether vrrp_script `name` is OK (true for one not tracked).
  bool ScriptOk(const std::string& name) const;
  // Whether vrrp_track_process `name` has its quorum (true for one not tracked).
  bool ProcessOk(const std::string& name) const;
  // The number in track_file `path` (0 when the file is missing or holds no number);
  // nullopt when the path is not tracked (its directory does not exist, as keepalived drops
  // such a track_file).
  std::optional<int64_t> FileValue(const std::string& path) const;
  // track_bfd: records the BFD engine's news about session `name`; returns whether it
  // changed. A session never reported Up counts as down (keepalived's start).
  bool SetBfdUp(const std::string& name, bool up);
  bool BfdUp(const std::string& name) const;

  // What the tracked objects of instance `spec` make of base priority `base`
  // (vrrp/tracking.h): its track_interface entries as `interface_ok` reports them, its
  // scripts, processes, files and BFD sessions as this owner knows them.
  TrackingResult Evaluate(const InstanceSpec& spec, uint8_t base,
                          const std::function<bool(const std::string&)>& interface_ok) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace vigil::vrrp

#endif  // VIGIL_VRRP_TRACKERS_H_
