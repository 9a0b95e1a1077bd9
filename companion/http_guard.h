// An httplib::Server that survives slow and hostile clients: a cap on open
// connections (a 503 beyond it, answered by spare workers), a deadline for the
// request line and headers (and a cap on their bytes), a deadline for the
// whole request, and connections closed (lingering, so the answer arrives)
// after a handler refused a body without reading it. Used by `ftconfig
// collect`; the limits are documented in docs/telemetry.md.
#ifndef FTCONFIG_COMPANION_HTTP_GUARD_H_
#define FTCONFIG_COMPANION_HTTP_GUARD_H_

#include <httplib.h>

#include <atomic>
#include <functional>
#include <string>

#include "telemetry_collector.h"

namespace ftconfig::telemetry {


class GuardedServer : public httplib::Server {
 public:
  explicit GuardedServer(const CollectorLimits& limits);
  // Called for each connection refused with 503 (for metrics).
  std::function<void()> on_busy;
  // The body of the 503 answer.
  std::string busy_body = "{}";

  // From a handler of the current request: the headers are read, the body
  // may take until the request deadline.
  static void HeadersDone();
  // From a handler: close the connection after this answer (the body was
  // left unread) and say so (Connection: close); false: keep it open again.
  static void CloseAfterAnswer(httplib::Response& res, bool close = true);
  // From a handler: true when a read failed because a deadline passed.
  static bool DeadlinePassed();

 private:
  bool process_and_close_socket(socket_t sock) override;
  void Serve(socket_t sock);
  void RefuseBusy(socket_t sock);
  bool WaitForRequest(socket_t sock) const;

  CollectorLimits limits_;
  std::atomic<int> active_{0};
};

}  // namespace ftconfig::telemetry

#endif  // FTCONFIG_COMPANION_HTTP_GUARD_H_
