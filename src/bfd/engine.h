// The BFD engine: its own process, as keepalived's BFD child. A thin socket shell over
// SessionTable (session_table.h): UDP receivers on port 3784 (single hop, RFC 5881) and
// 4784 (multihop, RFC 5883) that read each datagram's TTL and destination, one sending
// socket per session (source port 49152-65535, the session's ttl), and one timer at the
// table's next deadline. A session coming Up or leaving Up is published (Engine's
// PublishBfdState) for the supervisor to pass to the VRRP and checker engines.
#ifndef VIGIL_BFD_ENGINE_H_
#define VIGIL_BFD_ENGINE_H_

#include <memory>

#include "control/engine.h"

namespace asio {
class io_context;
}

namespace vigil::bfd {

std::unique_ptr<control::Engine> MakeEngine(asio::io_context& io);

}  // namespace vigil::bfd

#endif  // VIGIL_BFD_ENGINE_H_
