// FRR's view of vigil's announcements (vigil_announce_table), read back with vtysh's JSON:
// the BGP peers (show bgp summary json), what is advertised to each (show ip bgp neighbors
// PEER advertised-routes json) and the BFD peers (show bfd peers json). Parsing is pure;
// FrrPoller runs the commands through an injected runner, one at a time, each bounded.
#ifndef VIGIL_CHECK_FRR_VIEW_H_
#define VIGIL_CHECK_FRR_VIEW_H_

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "control/status.h"

namespace vigil::check {

// Returns the peers of `show bgp summary json` (IPv4 and IPv6 unicast; a peer of both
// once), sorted by address; nullopt when the text is not such an answer.
std::optional<std::vector<control::FrrPeerStatus>> ParseBgpSummary(std::string_view json);
// Returns the prefixes ("10.0.0.1/32") of `show ip bgp neighbors PEER advertised-routes
// json` that this node originates (an empty AS path: not those learned from another peer),
// sorted; none for anything else.
std::vector<std::string> ParseAdvertised(std::string_view json);
// Sets the `bfd` of each of `peers` from `show bfd peers json` (by peer address; single-hop
// and multihop alike). Leaves them as they are when the text is not such an answer.
void ApplyBfdPeers(std::string_view json, std::vector<control::FrrPeerStatus>& peers);

class FrrPoller {
 public:
  // Runs vtysh with `args` (after the program and its --vty_socket) and calls `done`, later,
  // with whether it exited 0 and its standard output.
  using Runner = std::function<void(std::vector<std::string> argv,
                                    std::function<void(bool ok, std::string out)> done)>;

  // `vtysh` is the program's path; `vty_dir` FRR's vty socket directory (unset: vtysh's
  // default). At most `max_peers` peers are asked for their advertised routes.
  FrrPoller(Runner run, std::string vtysh, std::optional<std::string> vty_dir,
            std::size_t max_peers = 16);

  // Reads FRR's view and calls `done` with it, or nullopt when bgpd does not answer (FRR
  // absent, stopped, or too slow). One poll at a time: a call during one is ignored.
  void Poll(std::function<void(std::optional<std::vector<control::FrrPeerStatus>>)> done);
  bool polling() const { return polling_; }

 private:
  std::vector<std::string> Command(const std::string& daemon, const std::string& command) const;
  void AskAdvertised(std::size_t i);
  void Finish(std::optional<std::vector<control::FrrPeerStatus>> view);

  Runner run_;
  std::string vtysh_;
  std::optional<std::string> vty_dir_;
  std::size_t max_peers_;
  bool polling_ = false;
  std::vector<control::FrrPeerStatus> peers_;
  std::function<void(std::optional<std::vector<control::FrrPeerStatus>>)> done_;
};

}  // namespace vigil::check

#endif  // VIGIL_CHECK_FRR_VIEW_H_
