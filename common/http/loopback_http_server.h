// Test helper: runs a cpp-httplib server (plain or TLS) on 127.0.0.1 with an ephemeral port
// until destroyed. Register handlers on the server before constructing the runner.
#ifndef JIT_COMMON_HTTP_LOOPBACK_HTTP_SERVER_H_
#define JIT_COMMON_HTTP_LOOPBACK_HTTP_SERVER_H_

#include <thread>

#include "httplib.h"  // //third_party:httplib carries Debian's feature defines

namespace jit::http::testing {

class LoopbackHttpServer {
 public:
  explicit LoopbackHttpServer(httplib::Server* server) : server_(server) {
    // Replies go out at once: without it, a reply written in two parts on a kept-alive
    // connection waits for the client's delayed ACK (~40 ms per request).
    server_->set_tcp_nodelay(true);
    port_ = server_->bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_->listen_after_bind(); });
    // stop() is a no-op until the accept loop runs; wait for it (a handshake, not a timer).
    while (port_ > 0 && !server_->is_running()) std::this_thread::yield();
  }
  ~LoopbackHttpServer() {
    server_->stop();
    thread_.join();
  }
  LoopbackHttpServer(const LoopbackHttpServer&) = delete;
  LoopbackHttpServer& operator=(const LoopbackHttpServer&) = delete;

  // > 0 once bound.
  int port() const { return port_; }

 private:
  httplib::Server* server_;
  int port_;
  std::thread thread_;
};

}  // namespace jit::http::testing

#endif  // JIT_COMMON_HTTP_LOOPBACK_HTTP_SERVER_H_
