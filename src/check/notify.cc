#include "check/notify.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "base/fd.h"
#include "base/fifo_owner.h"

namespace vigil::check {

std::string FifoVsLine(std::string_view vs, bool up) {
  return "VS " + std::string(vs) + (up ? " UP\n" : " DOWN\n");
}

std::string FifoRsLine(std::string_view rs, std::string_view vs, bool up) {
  return "RS " + std::string(rs) + " " + std::string(vs) + (up ? " UP\n" : " DOWN\n");
}

namespace {

class SpawnRunner final : public ScriptRunner {
 public:
  explicit SpawnRunner(asio::io_context& io) : io_(io) {}
  Result<void> Run(const SpawnSpec& spec, std::function<void(const ExitInfo&)> done) override {
    auto pid = SpawnProcess(io_, spec, std::move(done));
    if (!pid) return std::unexpected(pid.error());
    return {};
  }

 private:
  asio::io_context& io_;
};

}  // namespace

std::unique_ptr<ScriptRunner> MakeSpawnRunner(asio::io_context& io) {
  return std::make_unique<SpawnRunner>(io);
}

NotifyQueue::NotifyQueue(ScriptRunner& runner, Report report)
    : runner_(runner), report_(std::move(report)), alive_(std::make_shared<bool>(true)) {}

NotifyQueue::~NotifyQueue() { *alive_ = false; }

size_t NotifyQueue::Enqueue(const std::string& queue, SpawnSpec spec, std::string what,
                            const std::string& state) {
  Queue& q = queues_[queue];
  std::vector<Item> items;
  items.push_back(Item{std::move(spec), std::move(what)});
  const size_t dropped = q.transitions.Push(state, /*is_state=*/true, std::move(items));
  if (!q.running) StartNext(queue);
  return dropped;
}

void NotifyQueue::Transition(const std::string& queue, const std::string& state) {
  queues_[queue].transitions.Push(state, /*is_state=*/true, {});
}

size_t NotifyQueue::pending() const {
  size_t n = 0;
  for (const auto& [name, q] : queues_) n += q.transitions.pending() + (q.running ? 1 : 0);
  return n;
}

void NotifyQueue::StartNext(const std::string& queue) {
  auto it = queues_.find(queue);
  if (it == queues_.end()) return;
  Queue& q = it->second;
  q.running = false;
  while (auto item = q.transitions.Next()) {
    std::weak_ptr<bool> alive = alive_;
    auto r = runner_.Run(item->spec, [this, alive, queue, what = item->what](const ExitInfo& exit) {
      auto a = alive.lock();
      if (!a || !*a) return;
      if (report_) report_(what, exit.ToString());
      StartNext(queue);
    });
    if (r) {
      q.running = true;
      return;
    }
    if (report_) report_(item->what, "cannot start: " + r.error().ToString());
  }
}

std::vector<std::string> NotifyFifos::Open(const std::vector<Spec>& fifos,
                                           const ScriptDefaults& defaults) {
  std::vector<std::string> failures;
  for (const Spec& fifo : fifos) {
    const std::string& path = fifo.path;
    auto made = MakeFifo(path);
    if (!made) {
      failures.push_back(path + ": cannot create: " + made.error().ToString());
      continue;
    }
    const bool created = *made;
    if (created) {
      if (auto r = SetFifoOwner(path, fifo.user, fifo.group, defaults); !r)
        failures.push_back(path + ": owner not set: " + r.error().ToString());
    }
    UniqueFd fd = fd::Open(path.c_str(), O_RDWR | O_NONBLOCK | O_NOFOLLOW);
    if (!fd) {
      failures.push_back(path + ": cannot open: " + std::strerror(errno));
      if (created) unlink(path.c_str());
      continue;
    }
    fds_.push_back(std::move(fd));
    if (created) created_.push_back(path);
  }
  return failures;
}

void NotifyFifos::Write(std::string_view line) {
  for (const UniqueFd& fd : fds_) {
    ssize_t n;
    do {
      n = write(fd.get(), line.data(), line.size());
    } while (n < 0 && errno == EINTR);
  }
}

void NotifyFifos::Close() {
  fds_.clear();
  for (const std::string& p : created_) unlink(p.c_str());
  created_.clear();
}

}  // namespace vigil::check
