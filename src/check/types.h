// Parameter structs for health checks. These are check's own view of a checker; the daemon
// maps the configuration model onto them. Plain data: no I/O, no heavy headers.
#ifndef VIGIL_CHECK_TYPES_H_
#define VIGIL_CHECK_TYPES_H_

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "base/clock.h"

namespace vigil::check {

using std::chrono::milliseconds;
using std::chrono::seconds;

// Where and how a probe connects. `address` is a numeric IPv4 or IPv6 literal (an IPv6
// link-local address needs `bind_if`); an empty `bind_address` / zero `bind_port` means
// "let the kernel choose".
struct ConnectOptions {
  std::string address;
  uint16_t port = 0;
  std::string bind_address;
  uint16_t bind_port = 0;
  std::string bind_if;  // SO_BINDTODEVICE
  uint32_t fwmark = 0;  // SO_MARK; 0 = unset
  Duration connect_timeout = seconds(5);

  bool operator==(const ConnectOptions&) const = default;
};

// Timing of one checker, with keepalived's meaning:
//  - the first probe runs after kBootstrapDelay + a random delay in [0, warmup];
//  - after a success, or once a failure has been decided, the next probe runs after delay_loop;
//  - an UP checker that fails is probed again after delay_before_retry, `retry` times, before it
//    is declared DOWN; a DOWN checker is probed every delay_loop.
struct CheckTiming {
  Duration delay_loop = seconds(60);
  Duration delay_before_retry = seconds(1);
  Duration warmup = seconds(60);
  unsigned retry = 1;
  bool alpha = false;             // start DOWN until the first success
  bool log_all_failures = false;  // report every failed attempt, not only state changes
  // HTTP_GET / SSL_GET, as keepalived: a checker that failed remembers its failed url, and
  // the success that clears it leaves the checker DOWN: only the next success (all urls
  // again) brings it UP, after delay_loop — at once with fast_recovery (CheckerState).
  bool confirm_recovery = false;
  bool fast_recovery = false;

  bool operator==(const CheckTiming&) const = default;
};

struct TcpCheck {
  bool operator==(const TcpCheck&) const = default;
};

// One url { } block of HTTP_GET / SSL_GET.
struct HttpUrl {
  std::string path = "/";
  std::string digest;       // 32 lower-case hex digits of the body's MD5, or empty
  std::string virtualhost;  // overrides the checker's virtualhost for this url
  // Accepted status codes as inclusive ranges; empty means 200-299.
  std::vector<std::pair<int, int>> status_codes;
  std::string regex;  // PCRE2 pattern matched against the body, or empty
  bool regex_no_match = false;
  uint32_t regex_options = 0;  // PCRE2_* compile options
  size_t regex_min_offset = 0;
  std::optional<size_t> regex_max_offset;  // last offset a match may start at
  // The PCRE2 JIT stack the regex is matched with (max 0: PCRE2's own, 32 KiB).
  size_t regex_stack_start = 0;
  size_t regex_stack_max = 0;
  // SSL_GET: end the TLS session with a close_notify alert (keepalived's tls_compliant, set
  // on the url or on its checker); without, the connection is closed without one.
  bool tls_compliant = false;

  bool operator==(const HttpUrl&) const = default;
};

enum class HttpVersion { k10, k10Close, k11 };

// The global SSL { } block (shared by every SSL_GET) plus per-checker SNI.
struct TlsOptions {
  std::string ca_file;
  std::string certificate_file;
  std::string key_file;
  std::string password;
  // keepalived loads the CA but never verifies the peer; vigil verifies exactly when a CA is
  // configured, unless this says otherwise.
  std::optional<bool> verify_peer;
  bool enable_sni = false;
  std::string sni_name;  // default: the effective virtualhost

  bool operator==(const TlsOptions&) const = default;
};

struct HttpCheck {
  bool tls = false;  // SSL_GET
  std::vector<HttpUrl> urls;
  std::string virtualhost;
  HttpVersion version = HttpVersion::k10;
  TlsOptions tls_options;
  // Decode "Transfer-Encoding: chunked" before digesting (keepalived digests the raw bytes).
  bool decode_chunked = true;

  bool operator==(const HttpCheck&) const = default;
};

inline constexpr char kDefaultHeloName[] = "smtpchecker.keepalived.org";

struct SmtpCheck {
  std::string helo_name = kDefaultHeloName;
  bool operator==(const SmtpCheck&) const = default;
};

struct DnsCheck {
  uint16_t type = 6;  // SOA
  std::string name = ".";
  bool operator==(const DnsCheck&) const = default;
};

struct UdpCheck {
  std::vector<uint8_t> payload;  // empty: 32 filler bytes
  bool require_reply = false;
  std::vector<uint8_t> reply_data;  // expected prefix of the reply, if any
  std::vector<uint8_t> reply_mask;  // bits set here are ignored when comparing
  size_t min_reply_length = 0;
  size_t max_reply_length = 255;
  bool operator==(const UdpCheck&) const = default;
};

struct PingCheck {
  bool operator==(const PingCheck&) const = default;
};

struct MiscCheck {
  std::vector<std::string> argv;  // argv[0] is the program path
  std::string path;               // the file executed when not argv[0] (SpawnSpec::path)
  std::optional<Duration> timeout;  // default: delay_loop
  bool dynamic = false;            // misc_dynamic: exit 2..255 sets weight rc-2
  std::optional<uint32_t> uid;     // run as this user ...
  std::optional<uint32_t> gid;     // ... and group
  std::string refused;             // why it must not run (its user, script security): fails
  bool operator==(const MiscCheck&) const = default;
};

struct FileCheck {
  std::string path;
  int weight = 1;
  bool reverse = false;
  bool operator==(const FileCheck&) const = default;
};

// BFD_CHECK: never probed; the BFD engine's news about session `name` (through the
// supervisor) set the checker up or down at once.
struct BfdCheck {
  std::string name;
  bool operator==(const BfdCheck&) const = default;
};

using CheckParams = std::variant<TcpCheck, HttpCheck, SmtpCheck, DnsCheck, UdpCheck, PingCheck,
                                 MiscCheck, FileCheck, BfdCheck>;

// Everything needed to run one probe. MISC and FILE checks ignore `connect`.
struct ProbeSpec {
  ConnectOptions connect;
  CheckParams params;
  bool operator==(const ProbeSpec&) const = default;
};

// How a successful probe changes the real server's weight (misc_dynamic, FILE_CHECK).
struct WeightUpdate {
  enum class Kind {
    kAbsolute,  // the real server's weight becomes `value`
    kOffset,    // this checker contributes `value` on top of the configured weight
  };
  Kind kind = Kind::kOffset;
  int64_t value = 0;
  bool operator==(const WeightUpdate&) const = default;
};

// What made a probe fail, where keepalived's mail names it (check/mail.h): the step of an
// SMTP_CHECK (its connection and its dialogue) and a MISC_CHECK stopped at its timeout.
enum class FailureKind : uint8_t {
  kUnspecified,     // success, or a failure keepalived's mail has no words for
  kConnectError,    // the connection's state could not be read, or connect() failed oddly
  kConnectTimeout,  // no answer to the SYN within connect_timeout (or ETIMEDOUT)
  kConnectFailed,   // refused or reset once the connection was under way
  kUnreachable,     // connect() itself failed: unreachable, refused or reset at once
  kReadTimeout,
  kReadFailure,     // an error or the end of the stream before a line
  kWriteTimeout,
  kWriteFailure,
  kBadGreeting,     // SMTP: a banner that is not 220
  kBadHelo,         // SMTP: a HELO reply that is not 250
  kTimedOut,        // MISC_CHECK: the script was stopped at its timeout
  kExitStatus,      // MISC_CHECK: the script exited with a failing status (ProbeResult::code)
  kSignal,          // MISC_CHECK: the script was killed by signal ProbeResult::code
};

// The outcome of one probe attempt.
struct ProbeResult {
  bool ok = false;
  std::string detail;  // why it failed (or what succeeded), for logs
  std::optional<WeightUpdate> weight;
  FailureKind failure = FailureKind::kUnspecified;
  int code = 0;  // kExitStatus: the exit status; kSignal: the signal
};

// Returns keepalived's default timing for a checker of `params`' kind given the delay_loop:
// retry 1 (DNS 3, MISC 0, FILE 0), delay_before_retry 1s (HTTP/SSL 3s, DNS delay_loop),
// warmup = delay_loop (FILE 0).
CheckTiming DefaultTiming(const CheckParams& params, Duration delay_loop = seconds(60));

// Returns "TCP_CHECK", "HTTP_GET", "SSL_GET", "SMTP_CHECK", "DNS_CHECK", "UDP_CHECK",
// "PING_CHECK", "MISC_CHECK", "FILE_CHECK" or "BFD_CHECK".
const char* CheckTypeName(const CheckParams& params);

}  // namespace vigil::check

#endif  // VIGIL_CHECK_TYPES_H_
