#include "alert/smtp_sender.h"

#include <fmt/format.h>

#include <asio.hpp>
#include <deque>
#include <utility>

#include "base/log.h"

namespace vigil::alert {

using asio::awaitable;
using asio::use_awaitable;

struct SenderState {
  explicit SenderState(asio::io_context& io) : io(io) {}

  asio::io_context& io;
  SmtpSettings settings;
  std::deque<std::pair<Mail, std::string>> queue;  // mail, Date header
  bool running = false;
  bool stopped = false;
  bool failing = false;      // the last mail failed; its failure was logged
  bool dropping = false;     // the queue overflowed; logged
  uint64_t failed_run = 0;   // mails failed since the last one sent
  SmtpSender::Counters counters;
  std::shared_ptr<asio::ip::tcp::socket> socket;  // of the exchange under way
};

namespace {

std::string HostText(const SmtpSettings& s) { return fmt::format("[{}]:{}", s.server, s.port); }

// One exchange: the socket and the timer that closes it at the deadline, shared with the
// timer's handler so that neither outlives the other's use.
struct Exchange {
  explicit Exchange(const asio::any_io_executor& ex) : socket(std::make_shared<asio::ip::tcp::socket>(ex)), timer(ex) {}
  std::shared_ptr<asio::ip::tcp::socket> socket;
  asio::steady_timer timer;
  bool expired = false;
};

// Sends `mail`; returns an empty string once the server accepted it, else what went wrong.
awaitable<std::string> Deliver(std::shared_ptr<SenderState> s, SmtpSettings settings,
                               Mail mail, std::string date) {
  auto ex = co_await asio::this_coro::executor;
  auto x = std::make_shared<Exchange>(ex);
  s->socket = x->socket;
  x->timer.expires_after(settings.timeout);
  x->timer.async_wait([x](std::error_code ec) {
    if (ec) return;
    x->expired = true;
    std::error_code ignored;
    x->socket->close(ignored);
  });
  auto finish = [&](std::string what) {
    x->timer.cancel();
    std::error_code ignored;
    x->socket->close(ignored);
    s->socket.reset();
    if (x->expired) return std::string("timeout after smtp_connect_timeout");
    return what;
  };

  std::error_code ec;
  asio::ip::tcp::endpoint endpoint;
  asio::ip::address address = asio::ip::make_address(settings.server, ec);
  if (!ec) {
    endpoint = {address, settings.port};
  } else {
    asio::ip::tcp::resolver resolver(ex);
    auto results = co_await resolver.async_resolve(settings.server, std::to_string(settings.port),
                                                   asio::redirect_error(use_awaitable, ec));
    if (ec || results.empty()) co_return finish("cannot resolve " + settings.server);
    endpoint = results.begin()->endpoint();
  }
  co_await x->socket->async_connect(endpoint, asio::redirect_error(use_awaitable, ec));
  if (ec) co_return finish("connect: " + ec.message());

  std::vector<SmtpStep> steps = SmtpDialogue(settings, mail, date);
  std::string buffer;
  bool accepted = false;
  std::string error;
  for (size_t i = 0; i < steps.size(); ++i) {
    const SmtpStep& step = steps[i];
    bool quit = i + 1 == steps.size();
    if (!step.command.empty()) {
      co_await asio::async_write(*x->socket, asio::buffer(step.command),
                                 asio::redirect_error(use_awaitable, ec));
      if (ec) co_return finish(accepted ? "" : "send: " + ec.message());
    }
    std::optional<int> code;
    while (!(code = TakeReplyCode(buffer))) {
      char chunk[512];
      size_t n = co_await x->socket->async_read_some(asio::buffer(chunk),
                                                     asio::redirect_error(use_awaitable, ec));
      if (ec) co_return finish(accepted ? "" : "read: " + ec.message());
      buffer.append(chunk, n);
      if (buffer.size() > 4096) co_return finish(accepted ? "" : "reply too long");
    }
    if (quit) break;
    if (*code == step.expect) {
      accepted = accepted || step.name == "BODY";
      continue;
    }
    // As keepalived: a wrong reply ends the dialogue with QUIT.
    error = fmt::format("error processing {} cmd, SMTP status code = {}", step.name, *code);
    i = steps.size() - 2;
  }
  co_return finish(accepted ? "" : error);
}

awaitable<void> Drain(std::shared_ptr<SenderState> s) {
  while (!s->stopped && !s->queue.empty()) {
    auto [mail, date] = std::move(s->queue.front());
    s->queue.pop_front();
    std::string error = co_await Deliver(s, s->settings, std::move(mail), std::move(date));
    if (s->stopped) break;
    if (error.empty()) {
      ++s->counters.sent;
      if (s->failing)
        log::Info(fmt::format("SMTP alerts: {} accepts mail again ({} alert(s) lost)",
                              HostText(s->settings), s->failed_run));
      s->failing = false;
      s->failed_run = 0;
      continue;
    }
    ++s->counters.failed;
    ++s->failed_run;
    if (!s->failing)
      log::Warning(fmt::format("SMTP alerts: cannot send to {}: {} (logged once until one gets "
                               "through)", HostText(s->settings), error));
    s->failing = true;
  }
  s->running = false;
}

}  // namespace

SmtpSender::SmtpSender(asio::io_context& io) : state_(std::make_shared<SenderState>(io)) {}

SmtpSender::~SmtpSender() {
  state_->stopped = true;
  state_->queue.clear();
  if (state_->socket) {
    std::error_code ignored;
    state_->socket->close(ignored);
  }
}

void SmtpSender::Configure(SmtpSettings settings) { state_->settings = std::move(settings); }

bool SmtpSender::enabled() const { return state_->settings.enabled(); }

void SmtpSender::Send(Mail mail) {
  if (!enabled()) return;
  if (state_->queue.size() >= kMaxQueued) {
    state_->queue.pop_front();
    ++state_->counters.dropped;
    if (!state_->dropping)
      log::Warning(fmt::format("SMTP alerts: more than {} alerts wait for {}; the oldest are "
                               "dropped", kMaxQueued, HostText(state_->settings)));
    state_->dropping = true;
  } else if (state_->queue.empty()) {
    state_->dropping = false;
  }
  state_->queue.emplace_back(std::move(mail), MailDate(std::time(nullptr)));
  if (state_->running) return;
  state_->running = true;
  asio::co_spawn(state_->io, Drain(state_), asio::detached);
}

SmtpSender::Counters SmtpSender::counters() const { return state_->counters; }

size_t SmtpSender::pending() const { return state_->queue.size() + (state_->socket ? 1 : 0); }

}  // namespace vigil::alert
