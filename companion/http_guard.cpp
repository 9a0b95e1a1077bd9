#include "http_guard.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>

namespace ftconfig::telemetry {

namespace {

using Clock = std::chrono::steady_clock;

int MillisUntil(Clock::time_point t) {
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t - Clock::now()).count();
  return ms <= 0 ? 0 : static_cast<int>(std::min<long long>(ms, 1 << 30));
}

bool PollFor(socket_t sock, short events, int timeout_ms) {
  pollfd p{sock, events, 0};
  int r;
  do r = ::poll(&p, 1, timeout_ms);
  while (r < 0 && errno == EINTR);
  return r > 0;
}

void AddressOf(const sockaddr_storage& a, std::string& ip, int& port) {
  char buf[INET6_ADDRSTRLEN] = {0};
  if (a.ss_family == AF_INET) {
    const auto* v4 = reinterpret_cast<const sockaddr_in*>(&a);
    ::inet_ntop(AF_INET, &v4->sin_addr, buf, sizeof buf);
    port = ntohs(v4->sin_port);
  } else if (a.ss_family == AF_INET6) {
    const auto* v6 = reinterpret_cast<const sockaddr_in6*>(&a);
    ::inet_ntop(AF_INET6, &v6->sin6_addr, buf, sizeof buf);
    port = ntohs(v6->sin6_port);
  }
  ip = buf;
}

// A socket stream whose reads fail once a deadline passes (not a timeout that
// restarts with every byte) and, before the headers are done, once they
// exceeded their byte budget.
class DeadlineStream : public httplib::Stream {
 public:
  DeadlineStream(socket_t sock, const CollectorLimits& limits) : sock_(sock), limits_(limits) {}

  void StartRequest() {
    start_ = Clock::now();
    deadline_ = start_ + Seconds(limits_.header_timeout_s);
    header_bytes_ = 0;
    in_headers_ = true;
    close_after_ = false;
    deadline_hit_ = false;
  }
  void HeadersDone() {
    in_headers_ = false;
    deadline_ = start_ + Seconds(limits_.request_timeout_s);
  }
  void CloseAfter(bool close) { close_after_ = close; }
  bool close_after() const { return close_after_; }
  bool deadline_hit() const { return deadline_hit_; }

  bool is_readable() const override { return PollFor(sock_, POLLIN, MillisUntil(deadline_)); }
  bool is_writable() const override {
    return PollFor(sock_, POLLOUT, static_cast<int>(limits_.header_timeout_s * 1000));
  }
  ssize_t read(char* ptr, size_t size) override {
    if (in_headers_ && header_bytes_ + size > limits_.max_header_bytes) {
      if (header_bytes_ >= limits_.max_header_bytes) return -1;
      size = limits_.max_header_bytes - header_bytes_;
    }
    if (!is_readable()) {
      deadline_hit_ = Clock::now() >= deadline_;
      return -1;
    }
    ssize_t n;
    do n = ::recv(sock_, ptr, size, 0);
    while (n < 0 && errno == EINTR);
    if (n > 0 && in_headers_) header_bytes_ += static_cast<size_t>(n);
    return n;
  }
  ssize_t write(const char* ptr, size_t size) override {
    if (!is_writable()) return -1;
    ssize_t n;
    do n = ::send(sock_, ptr, size, MSG_NOSIGNAL);
    while (n < 0 && errno == EINTR);
    return n;
  }
  void get_remote_ip_and_port(std::string& ip, int& port) const override {
    sockaddr_storage a{};
    socklen_t len = sizeof a;
    if (::getpeername(sock_, reinterpret_cast<sockaddr*>(&a), &len) == 0) AddressOf(a, ip, port);
  }
  void get_local_ip_and_port(std::string& ip, int& port) const override {
    sockaddr_storage a{};
    socklen_t len = sizeof a;
    if (::getsockname(sock_, reinterpret_cast<sockaddr*>(&a), &len) == 0) AddressOf(a, ip, port);
  }
  socket_t socket() const override { return sock_; }

 private:
  static Clock::duration Seconds(double s) {
    return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(s));
  }
  socket_t sock_;
  const CollectorLimits& limits_;
  Clock::time_point start_, deadline_;
  size_t header_bytes_ = 0;
  bool in_headers_ = true, close_after_ = false, deadline_hit_ = false;
};

thread_local DeadlineStream* t_stream = nullptr;

// Half-closes, then reads and drops what the client still sends (at most
// `linger_ms`, 1 MiB) so that closing does not reset the connection before
// the client read the answer.
void LingeringClose(socket_t sock, int linger_ms) {
  ::shutdown(sock, SHUT_WR);
  auto until = Clock::now() + std::chrono::milliseconds(linger_ms);
  char buf[16384];
  for (size_t dropped = 0; dropped < (1u << 20) && PollFor(sock, POLLIN, MillisUntil(until));) {
    ssize_t n = ::recv(sock, buf, sizeof buf, 0);
    if (n <= 0) break;
    dropped += static_cast<size_t>(n);
  }
  ::close(sock);
}

}  // namespace

GuardedServer::GuardedServer(const CollectorLimits& limits) : limits_(limits) {
  const size_t workers = static_cast<size_t>(limits_.max_connections + limits_.spare_workers);
  new_task_queue = [workers] { return new httplib::ThreadPool(workers); };
}

void GuardedServer::HeadersDone() {
  if (t_stream) t_stream->HeadersDone();
}
void GuardedServer::CloseAfterAnswer(httplib::Response& res, bool close) {
  if (t_stream) t_stream->CloseAfter(close);
  if (close) res.set_header("Connection", "close");
  else res.headers.erase("Connection");
}
bool GuardedServer::DeadlinePassed() { return t_stream && t_stream->deadline_hit(); }

bool GuardedServer::process_and_close_socket(socket_t sock) {
  if (active_.fetch_add(1) >= limits_.max_connections) {
    active_.fetch_sub(1);
    RefuseBusy(sock);
    LingeringClose(sock, 200);  // short: the spare threads must stay free for the next refusals
  } else {
    Serve(sock);
    active_.fetch_sub(1);
    LingeringClose(sock, 1000);
  }
  return true;
}

// Keep-alive requests on one connection, each under its own deadlines.
void GuardedServer::Serve(socket_t sock) {
  DeadlineStream strm(sock, limits_);
  t_stream = &strm;
  for (size_t left = keep_alive_max_count_; left > 0 && WaitForRequest(sock); --left) {
    strm.StartRequest();
    bool closed = false;
    bool ok = process_request(strm, left == 1, closed, nullptr);
    if (!ok || closed || strm.close_after()) break;
  }
  t_stream = nullptr;
}

// Waits for the next request's first byte (or the client closing), checking
// in short slices whether the server stopped.
bool GuardedServer::WaitForRequest(socket_t sock) const {
  auto until = Clock::now() + std::chrono::milliseconds(static_cast<long long>(limits_.idle_timeout_s * 1000));
  while (svr_sock_ != INVALID_SOCKET) {
    int wait = std::min(100, MillisUntil(until));
    if (PollFor(sock, POLLIN, wait)) return true;
    if (wait < 100) return false;
  }
  return false;
}

void GuardedServer::RefuseBusy(socket_t sock) {
  std::string answer = "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nRetry-After: 1\r\n"
                       "Connection: close\r\nContent-Length: " +
                       std::to_string(busy_body.size()) + "\r\n\r\n" + busy_body;
  if (PollFor(sock, POLLOUT, 1000)) ::send(sock, answer.data(), answer.size(), MSG_NOSIGNAL);
  if (on_busy) on_busy();
}

}  // namespace ftconfig::telemetry
