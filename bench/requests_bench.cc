// The requests service's figures (issue 9), each next to a reference measured in the same run:
//
//   url=$(tests/lib/pg.sh start /tmp/jit-bench-pg)     # fsync on, as deployed
//   bazel run -c opt //bench:requests_bench -- --pg_url=$url
//   tests/lib/pg.sh stop /tmp/jit-bench-pg
//
// (--pg_url may be given as JIT_TEST_PG_URL instead; a superuser URL: the bench creates and
// drops a database of its own. --smoke or JIT_BENCH_SMOKE=1: small sizes, seconds.
// --list_sizes=10000,100000,1000000 is the default.)
//
// The service is served as jit-requests serves it: RequestsServiceImpl over RequestLifecycle
// and PostgresRequestStore (synchronous commit; the request, its first transition, its
// change-feed row and its audit outbox event in one transaction) behind a common/server
// GrpcServer with TLS (test PKI) and the authentication gate verifying the caller's session
// token on every call (bench/grpc_bench_kit.h). Policy is an in-process stand-in answering at
// once (a deployment adds one policy round trip per create).
//
// 1. Create: 16 clients (each its own TLS channel and thread, closed loop, one call at a
//    time) call CreateRequest for --round_seconds; creates/s and p50/p99 latency. Reference,
//    alternating rounds on the same database: pgbench -n -c 16 -j 2 (at least 3 s; its
//    connection set-up is not timed) with a script of one
//    single-row INSERT (uuid, user, state, time, a 300-byte body) into a bare table with a
//    primary key and one index, synchronous commit.
//      GOAL create_vs_pgbench_insert measured=<median of per-round ratios>x target=0.7x
// 2. ListRequests, pending for a reviewer, page of 50 (reviewable_by_me): p50/p99 of 500
//    calls at each size of --list_sizes. Requests are bulk-loaded in SQL (INSERT ... SELECT
//    generate_series): 1,000 requesters, 5% pending, the rest approved or expired, one a
//    second; each body is a real serialized AccessRequest (the row's id spliced into a
//    template), so the service decodes and checks what it would in production.
//      GOAL list_pending_p99_growth measured=<p99 at the largest / p99 at the smallest>x
//      target=1.5x
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "bench/grpc_bench_kit.h"
#include "common/clock.h"
#include "common/db/migrations.h"
#include "common/db/pg_pool.h"
#include "common/db/testing/test_database.h"
#include "common/proto_time.h"
#include "common/server/grpc_server.h"
#include "common/server/metrics.h"
#include "common/server/process_settings.h"
#include "common/server/unary_handler.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "jit/requests/v1/requests.grpc.pb.h"
#include "pqxx/pqxx"
#include "prometheus/registry.h"
#include "services/policy/client/permission_checker.h"
#include "services/policy/client/policy_client.h"
#include "services/requests/migrations.h"
#include "services/requests/postgres_request_store.h"
#include "services/requests/request_lifecycle.h"
#include "services/requests/requests_service_impl.h"

namespace {

namespace pb = ::jit::requests::v1;
using ::jit::common::v1::AccessRequest;
using ::jit::common::v1::Identity;

constexpr int kClients = 16;
constexpr double kCreateTarget = 0.7;
constexpr double kListGrowthTarget = 1.5;
constexpr int kListCalls = 500;
constexpr int kRequesters = 1000;

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "requests_bench: %s\n", what.c_str());
  std::exit(1);
}

template <typename T>
T Check(absl::StatusOr<T> v, const std::string& what) {
  if (!v.ok()) Die(absl::StrCat(what, ": ", v.status().ToString()));
  return *std::move(v);
}
void Check(const absl::Status& s, const std::string& what) {
  if (!s.ok()) Die(absl::StrCat(what, ": ", s.ToString()));
}

Identity User(const std::string& name, const std::string& role) {
  Identity id;
  id.set_kind(Identity::KIND_USER);
  id.set_name(name);
  id.set_session_id(absl::StrCat("session-", name));
  id.add_roles(role);
  return id;
}

// Policy at once: anyone may request (4h, one approval); "reviewer" reviews everything.
class ImmediatePolicy final : public jit::policy::PolicyClient {
 public:
  absl::StatusOr<jit::policy::v1::CheckRequestResponse> CheckRequest(
      const jit::policy::v1::CheckRequestRequest& request) override {
    jit::policy::v1::CheckRequestResponse r;
    r.set_allowed(true);
    r.mutable_max_duration()->set_seconds(4 * 3600);
    r.mutable_request_ttl()->set_seconds(24 * 3600);
    for (const std::string& role : request.requested_roles()) {
      auto* rt = r.add_thresholds();
      rt->set_role(role);
      auto* t = rt->add_thresholds();
      t->set_name("default");
      t->set_approve(1);
      t->set_deny(1);
    }
    r.mutable_explanation()->set_summary("allowed: bench");
    return r;
  }
  absl::StatusOr<jit::policy::v1::CheckReviewResponse> CheckReview(
      const jit::policy::v1::CheckReviewRequest& request) override {
    jit::policy::v1::CheckReviewResponse r;
    const auto& roles = request.reviewer().roles();
    r.set_allowed(std::find(roles.begin(), roles.end(), "reviewer") != roles.end());
    if (r.allowed()) *r.mutable_matching_thresholds() = request.request().thresholds();
    return r;
  }
  absl::StatusOr<jit::policy::v1::ComputeCertParamsResponse> ComputeCertParams(
      const jit::policy::v1::ComputeCertParamsRequest&) override {
    return absl::UnimplementedError("not in this bench");
  }
  absl::StatusOr<jit::policy::v1::CheckAccessResponse> CheckAccess(
      const jit::policy::v1::CheckAccessRequest&) override {
    return absl::UnimplementedError("not in this bench");
  }
  absl::StatusOr<jit::policy::v1::CheckPermissionResponse> CheckPermission(
      const jit::policy::v1::CheckPermissionRequest&) override {
    jit::policy::v1::CheckPermissionResponse r;
    r.mutable_explanation()->set_summary("denied: bench");
    return r;
  }
};

class PolicyPermissions final : public jit::policy::PermissionChecker {
 public:
  absl::Status Check(const Identity&, std::string_view, std::string_view) override {
    return absl::PermissionDeniedError("no permissions in this bench");
  }
};

struct CreateRound {
  double per_second = 0;
  double p50_ms = 0;
  double p99_ms = 0;
  int64_t failed = 0;
};

// kClients threads, each with its own channel, creating for `duration`.
CreateRound RunCreates(const std::string& target, const std::string& ca_pem,
                       const std::vector<std::string>& bearers, absl::Duration duration) {
  std::vector<std::vector<double>> latencies(kClients);
  std::atomic<int64_t> failed{0};
  std::vector<std::thread> threads;
  const auto end = std::chrono::steady_clock::now() + absl::ToChronoNanoseconds(duration);
  for (int c = 0; c < kClients; ++c) {
    threads.emplace_back([&, c] {
      grpc::SslCredentialsOptions tls;
      tls.pem_root_certs = ca_pem;
      grpc::ChannelArguments args;
      args.SetInt("grpc.use_local_subchannel_pool", 1);  // a connection per client
      auto stub = pb::RequestsService::NewStub(
          grpc::CreateCustomChannel(target, grpc::SslCredentials(tls), args));
      pb::CreateRequestRequest rq;
      rq.add_roles("dba");
      rq.set_reason("INC-4711: the nightly job is stuck, look at its locks");
      rq.mutable_requested_duration()->set_seconds(3600);
      while (std::chrono::steady_clock::now() < end) {
        grpc::ClientContext context;
        context.AddMetadata("authorization", bearers[c]);
        context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
        AccessRequest out;
        const auto t0 = std::chrono::steady_clock::now();
        grpc::Status s = stub->CreateRequest(&context, rq, &out);
        const auto t1 = std::chrono::steady_clock::now();
        if (!s.ok()) {
          if (failed.fetch_add(1) == 0) {
            std::fprintf(stderr, "create failed: %s\n", s.error_message().c_str());
          }
          continue;
        }
        if (t1 <= end) {
          latencies[c].push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  std::vector<double> all;
  for (auto& l : latencies) all.insert(all.end(), l.begin(), l.end());
  CreateRound r;
  r.per_second = all.size() / absl::ToDoubleSeconds(duration);
  r.p50_ms = jit::bench::Percentile(all, 0.5);
  r.p99_ms = jit::bench::Percentile(all, 0.99);
  r.failed = failed.load();
  return r;
}

struct PgbenchRound {
  double tps = 0;
  double latency_ms = 0;
};

PgbenchRound RunPgbench(const std::string& conninfo, const std::string& script,
                        absl::Duration duration) {
  const std::string out_file = absl::StrCat(script, ".out");
  const std::string command = absl::StrCat(
      "pgbench -n -c ", kClients, " -j 2 -T ", std::max<int64_t>(3, absl::ToInt64Seconds(duration)),
      " -f '", script, "' '", conninfo, "' > '", out_file, "' 2>&1");
  if (std::system(command.c_str()) != 0) {
    std::ifstream in(out_file);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    Die(absl::StrCat("pgbench failed: ", text));
  }
  std::ifstream in(out_file);
  std::string line;
  PgbenchRound r;
  while (std::getline(in, line)) {
    double v = 0;
    if (line.rfind("tps = ", 0) == 0) {
      std::vector<std::string> parts = absl::StrSplit(line, ' ');
      if (parts.size() > 2 && absl::SimpleAtod(parts[2], &v)) r.tps = v;
    } else if (line.rfind("latency average = ", 0) == 0) {
      std::vector<std::string> parts = absl::StrSplit(line, ' ');
      if (parts.size() > 3 && absl::SimpleAtod(parts[3], &v)) r.latency_ms = v;
    }
  }
  if (r.tps <= 0) Die("pgbench printed no tps line");
  return r;
}

// Adds `count` requests (ids after `first`) in SQL: 1,000 requesters, 5% pending, one a second
// going back from `newest`; bodies from a serialized template with the row's id spliced in.
void BulkLoad(const std::string& conninfo, int64_t first, int64_t count, absl::Time newest) {
  AccessRequest t;  // field 1 (id) left out: the SQL prepends it
  t.set_user("requester");
  t.add_roles("dba");
  t.set_reason("INC-4711: the nightly job is stuck, look at its locks");
  t.mutable_requested_duration()->set_seconds(3600);
  t.set_state(jit::common::v1::ACCESS_REQUEST_STATE_PENDING);
  jit::SetProtoTimestamp(newest, t.mutable_create_time());
  auto* rt = t.add_thresholds();
  rt->set_role("dba");
  auto* th = rt->add_thresholds();
  th->set_name("default");
  th->set_approve(1);
  th->set_deny(1);
  const std::string tail = absl::StrCat("\\x", absl::BytesToHexString(t.SerializeAsString()));
  pqxx::connection c(conninfo);
  pqxx::work txn(c);
  txn.exec_params(
      "INSERT INTO requests.requests (id, user_name, state, create_time, due_time, revision, "
      "body) "
      "SELECT id, 'u' || (n % $3), CASE WHEN n % 20 = 0 THEN 1 WHEN n % 2 = 0 THEN 2 ELSE 5 END, "
      "to_timestamp($4) - make_interval(secs => n), "
      "CASE WHEN n % 20 = 0 THEN to_timestamp($4) + interval '1 day' END, n, "
      "'\\x0a24'::bytea || convert_to(id::text, 'UTF8') || $5::bytea "
      "FROM (SELECT n, gen_random_uuid() AS id FROM generate_series($1::bigint, $2::bigint) n) s",
      first + 1, first + count, kRequesters, absl::ToUnixSeconds(newest), tail);
  txn.exec("SELECT setval('requests.revision_seq', (SELECT max(revision) FROM requests.requests))");
  txn.commit();
  pqxx::nontransaction(c).exec("ANALYZE requests.requests");
}

struct ListFigures {
  int64_t size = 0;
  double p50_ms = 0;
  double p99_ms = 0;
  double mean_rows = 0;
};

ListFigures MeasureList(pb::RequestsService::Stub& stub, const std::string& bearer, int64_t size,
                        int calls) {
  std::vector<double> ms;
  int64_t rows = 0;
  pb::ListRequestsRequest rq;
  rq.set_reviewable_by_me(true);
  rq.set_page_size(50);
  for (int i = 0; i < calls + 20; ++i) {
    grpc::ClientContext context;
    context.AddMetadata("authorization", bearer);
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    pb::ListRequestsResponse out;
    const auto t0 = std::chrono::steady_clock::now();
    grpc::Status s = stub.ListRequests(&context, rq, &out);
    const auto t1 = std::chrono::steady_clock::now();
    if (!s.ok()) Die(absl::StrCat("ListRequests: ", s.error_message()));
    if (i < 20) continue;  // warm-up
    ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
    rows += out.requests_size();
  }
  return {.size = size,
          .p50_ms = jit::bench::Percentile(ms, 0.5),
          .p99_ms = jit::bench::Percentile(ms, 0.99),
          .mean_rows = static_cast<double>(rows) / calls};
}

std::vector<int64_t> ParseSizes(const std::string& text) {
  std::vector<int64_t> out;
  for (absl::string_view part : absl::StrSplit(text, ',')) {
    int64_t n = 0;
    if (!absl::SimpleAtoi(part, &n) || n < 100) Die(absl::StrCat("bad size '", part, "'"));
    if (!out.empty() && n <= out.back()) Die("--list_sizes must grow");
    out.push_back(n);
  }
  if (out.size() < 2) Die("--list_sizes needs at least two sizes");
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  jit::server::ApplyServiceProcessSettings();  // as every service binary does
  const bool smoke = jit::bench::SmokeMode(argc, argv);
  std::string sizes_flag;
  int round_seconds = 0;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--smoke") == 0) continue;
    if (std::strncmp(argv[i], "--pg_url=", 9) == 0) {
      setenv(jit::db::testing::kTestPgUrlEnv, argv[i] + 9, 1);
    } else if (std::strncmp(argv[i], "--list_sizes=", 13) == 0) {
      sizes_flag = argv[i] + 13;
    } else if (std::strncmp(argv[i], "--round_seconds=", 16) == 0) {
      if (!absl::SimpleAtoi(argv[i] + 16, &round_seconds) || round_seconds < 1) {
        Die("bad --round_seconds");
      }
    } else {
      Die(absl::StrCat("unknown argument ", argv[i],
                       " (--pg_url=URL, --smoke, --list_sizes=N,N,..., --round_seconds=N)"));
    }
  }
  const std::vector<int64_t> sizes =
      ParseSizes(!sizes_flag.empty() ? sizes_flag : (smoke ? "1000,5000" : "10000,100000,1000000"));
  const absl::Duration round = absl::Seconds(round_seconds > 0 ? round_seconds : (smoke ? 1 : 10));
  const int rounds = smoke ? 1 : 3;
  const int list_calls = smoke ? 50 : kListCalls;
  std::printf("requests_bench%s\n", smoke ? " (SMOKE run: figures are indicative only)" : "");

  const jit::Clock& clock = jit::RealClock::Get();
  auto db = Check(jit::db::testing::TestDatabase::Create(), "test database");
  auto pool = Check(jit::db::PgPool::Create(db->PoolOptions(kClients + 4)), "pool");
  Check(jit::db::ApplyMigrations(*pool, "requests", jit::requests::Migrations()), "migrations");

  jit::requests::PostgresRequestStore store(pool.get());
  ImmediatePolicy policy;
  PolicyPermissions permissions;
  jit::requests::RequestLifecycle lifecycle(&store, &policy, &permissions, &clock);
  auto gate = Check(jit::bench::BenchGate::Create(
                        "requests",
                        {{"/jit.requests.v1.RequestsService/CreateRequest", jit::auth::Users()},
                         {"/jit.requests.v1.RequestsService/ListRequests", jit::auth::Users()}},
                        &clock),
                    "gate");
  jit::requests::RequestsServiceImpl service(
      &lifecycle, jit::server::AuthorizedCaller(gate->service_auth().authorizer()));
  prometheus::Registry registry;
  jit::server::GrpcServerMetrics metrics("requests", registry, clock);
  auto server =
      Check(jit::server::GrpcServer::Start(
                {.service_name = "requests",
                 .listen_address = "127.0.0.1:0",
                 .tls = gate->tls(),
                 .auth_processor = gate->service_auth().MetadataProcessor()},
                {jit::server::RegisteredService::Of<pb::RequestsService>(&service)}, &metrics),
            "server");
  const std::string target = absl::StrCat("localhost:", server->port());
  std::vector<std::string> bearers;
  for (int c = 0; c < kClients; ++c) {
    bearers.push_back(Check(gate->Bearer(User(absl::StrCat("dev", c), "dev")), "token"));
  }

  // 1. Create vs pgbench, alternating rounds.
  {
    pqxx::connection c(db->conninfo());
    pqxx::nontransaction(c).exec(
        "CREATE TABLE bench_insert (id uuid PRIMARY KEY, user_name text NOT NULL, state smallint "
        "NOT NULL, create_time timestamptz NOT NULL, body bytea NOT NULL); "
        "CREATE INDEX bench_insert_by_time ON bench_insert (create_time DESC, id DESC)");
  }
  char dir_template[] = "/tmp/requests_bench.XXXXXX";
  if (mkdtemp(dir_template) == nullptr) Die("mkdtemp");
  const std::string script = absl::StrCat(dir_template, "/insert.sql");
  {
    std::ofstream out(script);
    out << "INSERT INTO bench_insert VALUES (gen_random_uuid(), 'dev' || (random() * 16)::int, "
           "1, now(), convert_to(repeat('x', 300), 'UTF8'));\n";
  }
  std::printf("Create, %d clients, %s rounds:\n", kClients, absl::FormatDuration(round).c_str());
  RunCreates(target, gate->tls().ca_pem, bearers, absl::Seconds(1));  // warm-up
  std::vector<double> ratios, creates, tps, p50s, p99s;
  int64_t failures = 0;
  for (int i = 0; i < rounds; ++i) {
    const CreateRound cr = RunCreates(target, gate->tls().ca_pem, bearers, round);
    const PgbenchRound pr = RunPgbench(db->conninfo(), script, round);
    failures += cr.failed;
    creates.push_back(cr.per_second);
    tps.push_back(pr.tps);
    p50s.push_back(cr.p50_ms);
    p99s.push_back(cr.p99_ms);
    ratios.push_back(cr.per_second / pr.tps);
    std::printf(
        "  round %d: CreateRequest %.0f/s (p50 %.2f ms, p99 %.2f ms), pgbench insert %.0f tps "
        "(latency avg %.2f ms), ratio %.2f\n",
        i + 1, cr.per_second, cr.p50_ms, cr.p99_ms, pr.tps, pr.latency_ms, ratios.back());
  }
  if (failures > 0) Die(absl::StrCat(failures, " creates failed"));

  // 2. ListRequests pending for a reviewer at growing sizes (the creates above come on top).
  grpc::SslCredentialsOptions tls;
  tls.pem_root_certs = gate->tls().ca_pem;
  auto stub = pb::RequestsService::NewStub(grpc::CreateChannel(target, grpc::SslCredentials(tls)));
  const std::string reviewer = Check(gate->Bearer(User("rita", "reviewer")), "token");
  std::printf("ListRequests(reviewable_by_me, page of 50), %d calls per size:\n", list_calls);
  std::vector<ListFigures> lists;
  int64_t loaded = 0;
  const absl::Time newest = clock.Now() - absl::Hours(1);
  for (int64_t size : sizes) {
    const absl::Time t0 = absl::Now();
    BulkLoad(db->conninfo(), loaded, size - loaded, newest - absl::Seconds(loaded));
    loaded = size;
    std::printf("  loaded %ld requests in %.1f s\n", static_cast<long>(size),
                absl::ToDoubleSeconds(absl::Now() - t0));
    lists.push_back(MeasureList(*stub, reviewer, size, list_calls));
    const ListFigures& f = lists.back();
    std::printf("  %10ld requests: p50 %.3f ms, p99 %.3f ms, %.1f requests per page\n",
                static_cast<long>(f.size), f.p50_ms, f.p99_ms, f.mean_rows);
  }
  server->Shutdown(absl::Seconds(5));
  std::remove(script.c_str());
  std::remove(absl::StrCat(script, ".out").c_str());
  rmdir(dir_template);

  const double ratio = jit::bench::Median(ratios);
  std::printf("REF pgbench_insert measured=%.0ftps (one-row INSERT, %d clients, same database)\n",
              jit::bench::Median(tps), kClients);
  std::printf("INFO create measured=%.0f/s p50=%.2fms p99=%.2fms\n", jit::bench::Median(creates),
              jit::bench::Median(p50s), jit::bench::Median(p99s));
  std::printf("GOAL create_vs_pgbench_insert measured=%.2fx target=%.1fx %s\n", ratio,
              kCreateTarget, ratio >= kCreateTarget ? "PASS" : "MISS");
  const double growth = lists.back().p99_ms / lists.front().p99_ms;
  std::printf("GOAL list_pending_p99_growth measured=%.2fx target=%.1fx %s\n", growth,
              kListGrowthTarget, growth <= kListGrowthTarget ? "PASS" : "MISS");
  return 0;
}
