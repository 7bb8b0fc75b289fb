#include "common/redis_subscriber.h"

#include <event2/event.h>
#include <event2/thread.h>
#include <hiredis/adapters/libevent.h>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <pthread.h>
#include <signal.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <mutex>

namespace mcscale {

namespace {

constexpr int64_t kFirstBackoffMs = 100;
constexpr int64_t kMaxBackoffMs = 5000;
// From starting to connect until every channel is confirmed; a server that accepts but
// never answers costs this long, then the next attempt.
constexpr int64_t kSubscribeTimeoutMs = 5000;

timeval ToTimeval(int64_t ms) {
  timeval tv;
  tv.tv_sec = static_cast<time_t>(ms / 1000);
  tv.tv_usec = static_cast<suseconds_t>((ms % 1000) * 1000);
  return tv;
}

std::once_flag evthread_once;

}  // namespace

// Everything below except Start/Stop runs on the loop thread. hiredis owns the async
// context: it frees it after the disconnect callback (or after a failed connect callback),
// so `ac` is cleared there and never touched afterwards.
struct RedisSubscriber::Impl {
  Impl(RedisSubscriber* owner, RedisAddress address, std::vector<std::string> channels, MessageFn on_message,
       ConnectFn on_connect)
      : owner(owner), address(std::move(address)), channels(std::move(channels)),
        on_message(std::move(on_message)), on_connect(std::move(on_connect)) {}

  RedisSubscriber* owner;
  const RedisAddress address;
  const std::vector<std::string> channels;
  const MessageFn on_message;
  const ConnectFn on_connect;

  std::thread thread;
  event_base* base = nullptr;
  event* stop_event = nullptr;       // activated by Stop() from the owner thread
  event* retry_timer = nullptr;      // the back-off before the next connect
  event* subscribe_timer = nullptr;  // bounds connect + AUTH + SUBSCRIBE

  redisAsyncContext* ac = nullptr;
  size_t confirmed = 0;  // channels confirmed on this connection
  int64_t backoff_ms = kFirstBackoffMs;
  bool stopping = false;
  bool outage_logged = false;

  std::string where() const { return "redis subscriber " + address.ToString(); }

  bool CreateLoop() {
    base = event_base_new();
    if (base == nullptr) return false;
    stop_event = event_new(base, -1, 0, &Impl::OnStop, this);
    retry_timer = evtimer_new(base, &Impl::OnRetryTimer, this);
    subscribe_timer = evtimer_new(base, &Impl::OnSubscribeTimeout, this);
    if (stop_event == nullptr || retry_timer == nullptr || subscribe_timer == nullptr) {
      FreeLoop();
      return false;
    }
    stopping = false;
    backoff_ms = kFirstBackoffMs;
    outage_logged = false;
    return true;
  }

  // REQUIRES: the loop thread has ended (or never started).
  void FreeLoop() {
    for (event** ev : {&stop_event, &retry_timer, &subscribe_timer}) {
      if (*ev != nullptr) event_free(*ev);
      *ev = nullptr;
    }
    if (base != nullptr) event_base_free(base);
    base = nullptr;
  }

  void Run() {
    // hiredis writes with write(2); a SIGPIPE on a dropped connection must not kill the
    // process. Blocked here, it stays pending on this thread, harmlessly.
    sigset_t pipe;
    sigemptyset(&pipe);
    sigaddset(&pipe, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe, nullptr);

    Connect();
    event_base_loop(base, EVLOOP_NO_EXIT_ON_EMPTY);
    if (ac != nullptr) {  // only if the loop ended without OnStop
      redisAsyncContext* c = ac;
      ac = nullptr;
      stopping = true;
      redisAsyncFree(c);
    }
  }

  void Connect() {
    confirmed = 0;
    redisAsyncContext* c = redisAsyncConnect(address.host.c_str(), address.port);
    if (c == nullptr) {
      ScheduleRetry("out of memory");
      return;
    }
    if (c->err != 0) {
      std::string why = c->errstr != nullptr ? c->errstr : "connect failed";
      redisAsyncFree(c);
      ScheduleRetry(why);
      return;
    }
    c->data = this;
    if (redisLibeventAttach(c, base) != REDIS_OK) {
      redisAsyncFree(c);
      ScheduleRetry("cannot attach to the event loop");
      return;
    }
    redisAsyncSetConnectCallback(c, &Impl::OnConnect);
    redisAsyncSetDisconnectCallback(c, &Impl::OnDisconnect);
    ac = c;
    timeval tv = ToTimeval(kSubscribeTimeoutMs);
    evtimer_add(subscribe_timer, &tv);
  }

  // Arms the back-off timer unless it is already armed (several paths may report one loss).
  void ScheduleRetry(const std::string& why) {
    evtimer_del(subscribe_timer);
    owner->connected_.store(false);
    if (stopping || evtimer_pending(retry_timer, nullptr)) return;
    if (!outage_logged) {
      spdlog::warn("{}: {}; reconnecting with back-off", where(), why);
      outage_logged = true;
    } else {
      spdlog::debug("{}: {}; retry in {} ms", where(), why, backoff_ms);
    }
    timeval tv = ToTimeval(backoff_ms);
    evtimer_add(retry_timer, &tv);
    backoff_ms = std::min(backoff_ms * 2, kMaxBackoffMs);
  }

  void SendSubscribe() {
    if (channels.empty()) {
      Subscribed();
      return;
    }
    std::vector<const char*> argv = {"SUBSCRIBE"};
    std::vector<size_t> lens = {9};
    for (const auto& ch : channels) {
      argv.push_back(ch.data());
      lens.push_back(ch.size());
    }
    redisAsyncCommandArgv(ac, &Impl::OnReply, this, static_cast<int>(argv.size()), argv.data(), lens.data());
  }

  void Subscribed() {
    evtimer_del(subscribe_timer);
    backoff_ms = kFirstBackoffMs;
    outage_logged = false;
    owner->connected_.store(true);
    int n = ++owner->subscriptions_;
    if (n > 1) spdlog::info("{}: resubscribed to {} channel(s)", where(), channels.size());
    if (!on_connect) return;
    try {
      on_connect(n > 1);
    } catch (const std::exception& e) {
      spdlog::error("{}: on_connect threw: {}", where(), e.what());
    }
  }

  void Deliver(const redisReply* channel, const redisReply* payload) {
    if (!on_message || channel->type != REDIS_REPLY_STRING || payload->type != REDIS_REPLY_STRING) return;
    try {
      on_message(std::string(channel->str, channel->len), std::string(payload->str, payload->len));
    } catch (const std::exception& e) {
      spdlog::error("{}: on_message threw: {}", where(), e.what());
    }
  }

  // ---- callbacks ----

  static void OnConnect(const redisAsyncContext* c, int status) {
    auto* self = static_cast<Impl*>(c->data);
    if (status != REDIS_OK) {
      self->ac = nullptr;  // hiredis frees it when this returns
      self->ScheduleRetry(c->c.errstr);
      return;
    }
    if (self->address.password.empty()) {
      self->SendSubscribe();
      return;
    }
    std::vector<const char*> argv = {"AUTH"};
    std::vector<size_t> lens = {4};
    if (!self->address.username.empty()) {
      argv.push_back(self->address.username.data());
      lens.push_back(self->address.username.size());
    }
    argv.push_back(self->address.password.data());
    lens.push_back(self->address.password.size());
    redisAsyncCommandArgv(self->ac, &Impl::OnAuth, self, static_cast<int>(argv.size()), argv.data(), lens.data());
  }

  static void OnDisconnect(const redisAsyncContext* c, int status) {
    auto* self = static_cast<Impl*>(c->data);
    self->ac = nullptr;  // hiredis frees it when this returns
    self->owner->connected_.store(false);
    if (self->stopping) return;
    self->ScheduleRetry(status == REDIS_OK ? std::string("connection closed") : std::string(c->c.errstr));
  }

  static void OnAuth(redisAsyncContext* c, void* r, void* privdata) {
    auto* self = static_cast<Impl*>(privdata);
    auto* reply = static_cast<redisReply*>(r);
    if (reply == nullptr) return;  // the context is going away
    if (reply->type == REDIS_REPLY_ERROR) {
      // Once per outage, like ScheduleRetry's warning (a wrong password fails every retry).
      if (!self->outage_logged) spdlog::error("{}: AUTH failed: {}", self->where(), std::string(reply->str, reply->len));
      redisAsyncDisconnect(c);  // takes effect after this callback; OnDisconnect retries
      return;
    }
    self->SendSubscribe();
  }

  // Subscribe confirmations and messages, both [kind, channel, x].
  static void OnReply(redisAsyncContext*, void* r, void* privdata) {
    auto* self = static_cast<Impl*>(privdata);
    auto* reply = static_cast<redisReply*>(r);
    if (reply == nullptr || reply->type != REDIS_REPLY_ARRAY || reply->elements < 3) return;
    const redisReply* kind = reply->element[0];
    if (kind->type != REDIS_REPLY_STRING) return;
    std::string k(kind->str, kind->len);
    if (k == "message") {
      self->Deliver(reply->element[1], reply->element[2]);
    } else if (k == "subscribe") {
      if (++self->confirmed == self->channels.size()) self->Subscribed();
    }
  }

  static void OnRetryTimer(evutil_socket_t, short, void* arg) {
    auto* self = static_cast<Impl*>(arg);
    if (!self->stopping) self->Connect();
  }

  static void OnSubscribeTimeout(evutil_socket_t, short, void* arg) {
    auto* self = static_cast<Impl*>(arg);
    if (self->ac == nullptr) return;
    self->ScheduleRetry("not subscribed within " + std::to_string(kSubscribeTimeoutMs) + " ms");
    redisAsyncContext* c = self->ac;
    self->ac = nullptr;
    redisAsyncFree(c);  // may call OnDisconnect, whose retry is already armed
  }

  static void OnStop(evutil_socket_t, short, void* arg) {
    auto* self = static_cast<Impl*>(arg);
    self->stopping = true;
    evtimer_del(self->retry_timer);
    evtimer_del(self->subscribe_timer);
    if (self->ac != nullptr) {
      redisAsyncContext* c = self->ac;
      self->ac = nullptr;
      redisAsyncFree(c);
    }
    self->owner->connected_.store(false);
    event_base_loopbreak(self->base);
  }
};

RedisSubscriber::RedisSubscriber(RedisAddress address, std::vector<std::string> channels, MessageFn on_message,
                                 ConnectFn on_connect)
    : impl_(std::make_unique<Impl>(this, std::move(address), std::move(channels), std::move(on_message),
                                   std::move(on_connect))) {}

RedisSubscriber::~RedisSubscriber() { Stop(); }

void RedisSubscriber::Start() {
  if (impl_->thread.joinable()) return;
  // Stop() wakes the loop from another thread, which libevent allows only with locking on.
  std::call_once(evthread_once, [] { evthread_use_pthreads(); });
  if (!impl_->CreateLoop()) {
    spdlog::error("{}: cannot create an event loop", impl_->where());
    return;
  }
  Impl* impl = impl_.get();
  impl_->thread = std::thread([impl] { impl->Run(); });
}

void RedisSubscriber::Stop() {
  if (!impl_->thread.joinable()) return;
  event_active(impl_->stop_event, EV_READ, 0);
  impl_->thread.join();
  impl_->FreeLoop();
}

}  // namespace mcscale
