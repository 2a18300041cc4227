// The audit sink's figures (issue 12), each next to a reference measured in the same run:
//
//   url=$(tests/lib/pg.sh start /tmp/jit-bench-pg)     # fsync on, as deployed
//   bazel run -c opt //bench:audit_bench -- --pg_url=$url
//   tests/lib/pg.sh stop /tmp/jit-bench-pg
//
// (--pg_url may be given as JIT_TEST_PG_URL instead; a superuser URL: the bench creates and
// drops databases of its own. --smoke or JIT_BENCH_SMOKE=1: small sizes, seconds.
// --search_sizes=100000,1000000,10000000 and --verify_events=1000000 are the defaults.)
//
// The sink is served as jit-audit serves it: AuditServiceImpl over PostgresEventStore behind
// a common/server GrpcServer with TLS (test PKI) and the authentication gate checking the
// caller's service certificate on every call.
//
// 1. Ingest: --ingest_clients (4) clients, each a TLS channel with the "auth" certificate,
//    send IngestEvents batches of 500 events (synchronous commit, hash chained, one COPY
//    per batch); events/s over --ingest_batches batches in all. Reference in the same run,
//    alternating rounds: the same rows COPYed by as many connections into a bare table with
//    the same columns and indexes, one transaction of 500 rows each, synchronous commit.
//      GOAL ingest_vs_copy measured=<median of the per-round ratios>x target=0.5x
// 2. Search: SearchEvents through gRPC for one user and one day, at each size of
//    --search_sizes. The events are bulk-generated in SQL
//    at a constant rate (500 users, 10,000 events a day: 20 per user and day), so a bigger
//    log is a longer one, and the query returns about 20 events at every size. p50/p99 over
//    2,000 queries (random user, random day); the plan of one query is printed.
//      GOAL search_p99_growth measured=<p99 at the largest / p99 at the smallest>x
//      target=1.5x
// 3. VerifyChain over --verify_events events stored through the real append path (valid
//    chain, checkpoints every 1000): rows/s and MB/s of hashed bytes; reference: sha256sum
//    over exactly the bytes VerifyChain hashes (prev_hash || canonical event, per event),
//    written to a file first.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/auth/jwks_cache.h"
#include "common/auth/method_table.h"
#include "common/auth/revocation.h"
#include "common/auth/service_auth.h"
#include "common/clock.h"
#include "common/db/migrations.h"
#include "common/db/pg_pool.h"
#include "common/db/testing/test_database.h"
#include "common/server/grpc_server.h"
#include "common/server/process_settings.h"
#include "common/server/tls.h"
#include "common/server/unary_handler.h"
#include "common/testing/test_pki_files.h"
#include "grpcpp/create_channel.h"
#include "jit/audit/v1/audit.grpc.pb.h"
#include "pqxx/pqxx"
#include "prometheus/registry.h"
#include "services/audit/audit_metrics.h"
#include "services/audit/audit_queries.h"
#include "services/audit/audit_service_impl.h"
#include "services/audit/chain/canonical.h"
#include "services/audit/chain/details_json.h"
#include "services/audit/chain_verifier.h"
#include "services/audit/checkpointer.h"
#include "services/audit/event_export.h"
#include "services/audit/event_ingestor.h"
#include "services/audit/event_search.h"
#include "services/audit/migrations.h"
#include "services/audit/storage/postgres_event_store.h"
#include "services/policy/client/policy_permission_checker.h"
#include "services/policy/client/testing/fake_policy_client.h"

namespace {

using ::jit::audit::AuditEvent;
using Steady = std::chrono::steady_clock;

constexpr double kSearchGrowthTarget = 1.5;
constexpr int kUsers = 500;
constexpr int64_t kEventsPerDay = 10'000;
const absl::Time kStart = absl::FromUnixSeconds(1'704'067'200);  // 2024-01-01T00:00:00Z

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "audit_bench: %s\n", what.c_str());
  std::exit(1);
}

void Check(const absl::Status& status, const std::string& what) {
  if (!status.ok()) Die(absl::StrCat(what, ": ", status.ToString()));
}

double MillisSince(Steady::time_point start) {
  return std::chrono::duration<double, std::milli>(Steady::now() - start).count();
}

double Percentile(std::vector<double> values, double p) {
  std::sort(values.begin(), values.end());
  const size_t index = std::min(
      values.size() - 1, static_cast<size_t>(p / 100.0 * static_cast<double>(values.size())));
  return values[index];
}

// A database of its own with the audit schema, dropped at the end.
struct BenchDatabase {
  std::unique_ptr<jit::db::testing::TestDatabase> db;
  std::unique_ptr<jit::db::PgPool> pool;  // superuser: the bench is not about roles

  static BenchDatabase Create() {
    BenchDatabase b;
    auto db = jit::db::testing::TestDatabase::Create();
    Check(db.status(), "database (give --pg_url=postgresql://postgres@127.0.0.1:PORT/postgres)");
    b.db = *std::move(db);
    auto pool = jit::db::PgPool::Create(b.db->PoolOptions(4));
    Check(pool.status(), "pool");
    b.pool = *std::move(pool);
    Check(jit::db::ApplyMigrations(*b.pool, "audit", jit::audit::Migrations()), "migrations");
    return b;
  }

  void Exec(const std::string& sql) {
    pqxx::connection c(db->conninfo());
    pqxx::nontransaction txn(c);
    txn.exec(sql);
  }
};

// No session is revoked (the bench calls with service certificates only).
class NoRevocations final : public jit::auth::RevocationFeed {
 public:
  absl::StatusOr<jit::auth::RevocationUpdate> FetchRevocations(int64_t) override {
    return jit::auth::RevocationUpdate{.cursor = 1, .complete = true};
  }
};

// jit-audit's objects over one database, served on a free port.
class AuditServer {
 public:
  explicit AuditServer(const std::string& conninfo) {
    jit::db::PgPoolOptions options;
    options.conninfo = jit::SecretString(conninfo);
    options.size = 8;
    auto pool = jit::db::PgPool::Create(options);
    Check(pool.status(), "pool");
    pool_ = *std::move(pool);
    store_ = std::make_unique<jit::audit::PostgresEventStore>(pool_.get());
    auto checkpointer = jit::audit::Checkpointer::Create(
        jit::SecretString(std::string(32, '\x07')), store_.get(), store_.get(), &clock_,
        {.every_events = 1000, .interval = absl::Minutes(1)});
    Check(checkpointer.status(), "checkpointer");
    checkpointer_ = *std::move(checkpointer);
    auto verifier = jit::audit::ChainVerifier::Create(store_.get(), store_.get(),
                                                      {checkpointer_->public_key()});
    Check(verifier.status(), "verifier");
    verifier_ = *std::move(verifier);
    ingestor_ =
        std::make_unique<jit::audit::EventIngestor>(store_.get(), checkpointer_.get(), &clock_);
    search_ = std::make_unique<jit::audit::EventSearch>(store_.get());
    watcher_ =
        std::make_unique<jit::audit::PostgresHeadWatcher>(store_.get(), absl::Milliseconds(250));
    export_ = std::make_unique<jit::audit::EventExport>(store_.get(), watcher_.get());
    queries_ = std::make_unique<jit::audit::AuditQueries>(
        jit::audit::AuditQueries::Parts{.search = search_.get(),
                                        .verifier = verifier_.get(),
                                        .exporter = export_.get(),
                                        .checkpoints = store_.get(),
                                        .permissions = &permissions_,
                                        .keys = {}});
    metrics_ = std::make_unique<jit::audit::AuditMetrics>(registry_);

    auto tls = jit::server::LoadTlsMaterial(jit::testing::TestTlsFiles("audit"));
    Check(tls.status(), "TLS");
    // The project's rule for IngestEvents; search and verify for any service here (the
    // bench calls with service certificates; people would pass the policy check).
    auto table = jit::auth::MethodAuthorizationTable::Create(
        {{"/jit.audit.v1.AuditService/IngestEvents", jit::auth::AnyService()},
         {"/jit.audit.v1.AuditService/SearchEvents", jit::auth::AnyService()},
         {"/jit.audit.v1.AuditService/VerifyChain", jit::auth::AnyService()}});
    Check(table.status(), "method table");
    table_ = std::make_unique<jit::auth::MethodAuthorizationTable>(*std::move(table));
    auto service_auth =
        jit::auth::ServiceAuth::Create({.token_issuer = "jit-access",
                                        .token_audience = "jit-access",
                                        .ca_bundle_pem = tls->ca_pem,
                                        .table = table_.get()},
                                       {.jwks = std::make_unique<jit::auth::StaticJwksSource>(),
                                        .revocations = std::make_unique<NoRevocations>()},
                                       &clock_);
    Check(service_auth.status(), "service auth");
    service_auth_ = *std::move(service_auth);
    service_ = std::make_unique<jit::audit::AuditServiceImpl>(
        ingestor_.get(), queries_.get(), metrics_.get(),
        jit::server::AuthorizedCaller(service_auth_->authorizer()));
    grpc_metrics_ = std::make_unique<jit::server::GrpcServerMetrics>("audit", registry_, clock_);
    auto server = jit::server::GrpcServer::Start(
        {.service_name = "audit",
         .listen_address = "127.0.0.1:0",
         .tls = *tls,
         .max_threads = 64,
         .auth_processor = service_auth_->MetadataProcessor()},
        {jit::server::RegisteredService::Of<jit::audit::v1::AuditService>(service_.get())},
        grpc_metrics_.get());
    Check(server.status(), "gRPC server");
    server_ = *std::move(server);
  }
  ~AuditServer() { server_->Shutdown(absl::Seconds(5)); }

  // A client channel with the test PKI certificate of `service`.
  std::unique_ptr<jit::audit::v1::AuditService::Stub> Stub(const std::string& service) const {
    auto tls = jit::server::LoadTlsMaterial(jit::testing::TestTlsFiles(service));
    Check(tls.status(), "client TLS");
    grpc::ChannelArguments args;
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);  // one connection per client
    return jit::audit::v1::AuditService::NewStub(
        grpc::CreateCustomChannel(absl::StrCat("localhost:", server_->port()),
                                  jit::server::MakeChannelCredentials(*tls), args));
  }

  jit::audit::PostgresEventStore& store() { return *store_; }
  jit::audit::ChainVerifier& verifier() { return *verifier_; }

 private:
  jit::RealClock clock_;
  prometheus::Registry registry_;
  std::unique_ptr<jit::db::PgPool> pool_;
  std::unique_ptr<jit::audit::PostgresEventStore> store_;
  std::unique_ptr<jit::audit::Checkpointer> checkpointer_;
  std::unique_ptr<jit::audit::ChainVerifier> verifier_;
  std::unique_ptr<jit::audit::EventIngestor> ingestor_;
  std::unique_ptr<jit::audit::EventSearch> search_;
  std::unique_ptr<jit::audit::PostgresHeadWatcher> watcher_;
  std::unique_ptr<jit::audit::EventExport> export_;
  jit::policy::testing::FakePolicyClient policy_;  // no answer: people are refused
  jit::policy::PolicyPermissionChecker permissions_{&policy_};
  std::unique_ptr<jit::audit::AuditQueries> queries_;
  std::unique_ptr<jit::audit::AuditMetrics> metrics_;
  std::unique_ptr<jit::auth::MethodAuthorizationTable> table_;
  std::unique_ptr<jit::auth::ServiceAuth> service_auth_;
  std::unique_ptr<jit::audit::AuditServiceImpl> service_;
  std::unique_ptr<jit::server::GrpcServerMetrics> grpc_metrics_;
  std::unique_ptr<jit::server::GrpcServer> server_;
};

// --- 1. Ingest --------------------------------------------------------------------------

AuditEvent BenchEvent(int64_t n);

// The reference table: audit.events' columns and indexes, nothing else.
constexpr char kCopyTable[] = R"sql(
CREATE TABLE bench_copy (
  sequence bigint PRIMARY KEY, id uuid NOT NULL UNIQUE, code text NOT NULL,
  type text COLLATE "C" NOT NULL, time timestamptz NOT NULL, service text NOT NULL,
  replica text NOT NULL, actor text NOT NULL, target text NOT NULL, outcome smallint NOT NULL,
  message text NOT NULL, details jsonb NOT NULL, request_id text NOT NULL,
  session_id text NOT NULL, remote_addr text NOT NULL, ingest_time timestamptz NOT NULL,
  prev_hash bytea NOT NULL, hash bytea NOT NULL);
CREATE INDEX ON bench_copy (time, sequence);
CREATE INDEX ON bench_copy (actor, time, sequence);
CREATE INDEX ON bench_copy (target, time, sequence);
CREATE INDEX ON bench_copy (request_id, time, sequence) WHERE request_id <> '';
CREATE INDEX ON bench_copy (type, time, sequence);
)sql";

constexpr int kBatch = 500;

// `batches` batches of 500 events numbered from `first`, sent by `clients` threads; events/s.
double IngestRound(const std::vector<std::unique_ptr<jit::audit::v1::AuditService::Stub>>& stubs,
                   int64_t first, int batches) {
  // Requests built before the clock starts: the clients' work is not the sink's.
  std::vector<jit::audit::v1::IngestEventsRequest> requests(batches);
  for (int b = 0; b < batches; ++b) {
    for (int i = 0; i < kBatch; ++i) *requests[b].add_events() = BenchEvent(first + b * kBatch + i);
  }
  std::atomic<int> next{0};
  std::atomic<int> failures{0};
  const auto start = Steady::now();
  std::vector<std::thread> threads;
  for (const auto& stub : stubs) {
    threads.emplace_back([&, stub = stub.get()] {
      for (int b = next++; b < batches; b = next++) {
        grpc::ClientContext context;
        context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
        jit::audit::v1::IngestEventsResponse response;
        const grpc::Status st = stub->IngestEvents(&context, requests[b], &response);
        if (!st.ok() || response.accepted() != kBatch) {
          if (failures++ == 0)
            std::fprintf(stderr, "ingest failed: %s\n", st.error_message().c_str());
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  if (failures > 0) Die("ingest calls failed");
  return static_cast<double>(batches) * kBatch / (MillisSince(start) / 1000);
}

// The same rows COPYed into bench_copy, one transaction of 500 rows per batch.
double CopyRound(const std::string& conninfo, int clients, int64_t first, int batches) {
  struct Row {
    int64_t sequence;
    std::string id, code, type, time, service, replica, actor, target;
    int outcome;
    std::string message, details, request_id, session_id, remote_addr, ingest_time, prev, hash;
  };
  std::vector<std::vector<Row>> rows(batches);
  const std::string ingest_time = "2024-06-01T00:00:00.000000+00:00";
  for (int b = 0; b < batches; ++b) {
    for (int i = 0; i < kBatch; ++i) {
      const int64_t n = first + b * kBatch + i;
      const AuditEvent e = BenchEvent(n);
      rows[b].push_back({n, e.id(), "J1000I", e.type(),
                         absl::FormatTime("%Y-%m-%dT%H:%M:%E6S+00:00",
                                          absl::FromUnixSeconds(e.time().seconds()) +
                                              absl::Nanoseconds(e.time().nanos()),
                                          absl::UTCTimeZone()),
                         e.service(), e.replica(), e.actor(), e.target(), 1, e.message(),
                         jit::audit::chain::DetailsToJson(e.details()), e.request_id(),
                         e.session_id(), e.remote_addr(), ingest_time, "\\x" + std::string(64, 'a'),
                         "\\x" + std::string(64, 'b')});
    }
  }
  std::vector<std::unique_ptr<pqxx::connection>> connections;
  for (int c = 0; c < clients; ++c)
    connections.push_back(std::make_unique<pqxx::connection>(conninfo));
  std::atomic<int> next{0};
  const auto start = Steady::now();
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&, conn = connections[c].get()] {
      for (int b = next++; b < batches; b = next++) {
        pqxx::work txn(*conn);
        txn.exec("SET LOCAL synchronous_commit = on");
        pqxx::stream_to copy(txn, "bench_copy",
                             std::vector<std::string>{
                                 "sequence", "id", "code", "type", "time", "service", "replica",
                                 "actor", "target", "outcome", "message", "details", "request_id",
                                 "session_id", "remote_addr", "ingest_time", "prev_hash", "hash"});
        for (const Row& r : rows[b]) {
          copy << std::make_tuple(r.sequence, r.id, r.code, r.type, r.time, r.service, r.replica,
                                  r.actor, r.target, r.outcome, r.message, r.details, r.request_id,
                                  r.session_id, r.remote_addr, r.ingest_time, r.prev, r.hash);
        }
        copy.complete();
        txn.commit();
      }
    });
  }
  for (auto& t : threads) t.join();
  return static_cast<double>(batches) * kBatch / (MillisSince(start) / 1000);
}

struct IngestFigures {
  double ingest_eps = 0;
  double copy_eps = 0;
  double ratio = 0;
};

IngestFigures MeasureIngest(int clients, int batches_per_round, int rounds) {
  BenchDatabase b = BenchDatabase::Create();
  b.Exec(kCopyTable);
  AuditServer server(b.db->conninfo());
  std::vector<std::unique_ptr<jit::audit::v1::AuditService::Stub>> stubs;
  for (int c = 0; c < clients; ++c) stubs.push_back(server.Stub("auth"));
  // Warm-up: connections, plans, caches.
  IngestRound(stubs, 1'000'000'000, 4);
  CopyRound(b.db->conninfo(), clients, 1'000'000'000, 4);
  std::vector<double> ingest, copy, ratios;
  int64_t first = 1;
  for (int r = 0; r < rounds; ++r) {
    const double i = IngestRound(stubs, first, batches_per_round);
    const double c = CopyRound(b.db->conninfo(), clients, first, batches_per_round);
    first += static_cast<int64_t>(batches_per_round) * kBatch;
    ingest.push_back(i);
    copy.push_back(c);
    ratios.push_back(i / c);
    std::printf("  round %d: IngestEvents %.0f events/s, COPY %.0f rows/s, ratio %.2f\n", r + 1, i,
                c, i / c);
  }
  auto verify = server.verifier().Verify(0, 0);
  Check(verify.status(), "VerifyChain after ingest");
  if (!verify->ok()) Die("the ingested chain does not verify: " + verify->problem());
  return {Percentile(ingest, 50), Percentile(copy, 50), Percentile(ratios, 50)};
}

// --- 2. Search ---------------------------------------------------------------------------

// `n` events at 10,000 a day for 500 users, straight into audit.events (the search does not
// read the hashes: they are filler of the right size). The secondary indexes are dropped
// for the load and built again, as a bulk load is done.
void GenerateEvents(BenchDatabase& b, int64_t n) {
  const auto start = Steady::now();
  b.Exec(
      "DROP INDEX audit.events_time, audit.events_actor, audit.events_target, "
      "audit.events_request, audit.events_type");
  const int64_t step_us = 86'400'000'000 / kEventsPerDay;
  constexpr int64_t kChunk = 1'000'000;
  for (int64_t first = 1; first <= n; first += kChunk) {
    const int64_t last = std::min(n, first + kChunk - 1);
    b.Exec(absl::StrCat(
        "INSERT INTO audit.events SELECT s, "
        "('00000000-0000-7000-8000-' || lpad(to_hex(s), 12, '0'))::uuid, 'J1000I', "
        "(ARRAY['auth.login','auth.logout','access_request.create','access_request.review',"
        "'cert.issue','role.upsert'])[1 + s % 6], "
        "timestamptz '2024-01-01 00:00:00+00' + (s * ",
        step_us,
        "::bigint) * interval '1 microsecond', 'auth', 'auth-0', "
        "'user:u' || ((s * 7919) % ",
        kUsers,
        "), 'user:t' || (s % 977), (1 + s % 3)::smallint, 'event ' || s, "
        "jsonb_build_object('n', s, 'method', 'password', 'roles', jsonb_build_array('dev')), "
        "CASE WHEN s % 3 = 0 THEN 'req-' || (s / 3) ELSE '' END, 'session-' || (s % 10000), "
        "'ipv4:10.0.0.1:5000', timestamptz '2024-01-01 00:00:00+00' + s * interval '8640 "
        "microsecond', sha256(int8send(s - 1)), sha256(int8send(s)) "
        "FROM generate_series(",
        first, "::bigint, ", last, "::bigint) s"));
  }
  b.Exec(
      "CREATE INDEX events_time ON audit.events (time, sequence); "
      "CREATE INDEX events_actor ON audit.events (actor, time, sequence); "
      "CREATE INDEX events_target ON audit.events (target, time, sequence); "
      "CREATE INDEX events_request ON audit.events (request_id, time, sequence) "
      "WHERE request_id <> ''; "
      "CREATE INDEX events_type ON audit.events (type, time, sequence); "
      "ANALYZE audit.events");
  std::printf("  generated %ld events in %.1f s\n", static_cast<long>(n),
              MillisSince(start) / 1000);
}

jit::audit::v1::SearchEventsRequest OneUserOneDay(int user, int64_t day) {
  jit::audit::v1::SearchEventsRequest r;
  r.set_actor(absl::StrCat("user:u", user));
  const absl::Time from = kStart + absl::Hours(24 * day);
  r.mutable_start_time()->set_seconds(absl::ToUnixSeconds(from));
  r.mutable_end_time()->set_seconds(absl::ToUnixSeconds(from + absl::Hours(24)));
  r.set_page_size(100);
  return r;
}

struct SearchFigures {
  int64_t size = 0;
  double p50_ms = 0;
  double p99_ms = 0;
  double mean_rows = 0;
};

SearchFigures MeasureSearch(int64_t size, int queries) {
  BenchDatabase b = BenchDatabase::Create();
  GenerateEvents(b, size);
  AuditServer server(b.db->conninfo());
  auto stub = server.Stub("ca");  // any service certificate
  auto search = [&](const jit::audit::v1::SearchEventsRequest& request) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    jit::audit::v1::SearchEventsResponse page;
    const grpc::Status st = stub->SearchEvents(&context, request, &page);
    if (!st.ok()) Die("SearchEvents: " + st.error_message());
    return page;
  };
  const int64_t days = std::max<int64_t>(1, size / kEventsPerDay);
  std::mt19937_64 rng(42);
  // Warm the cache as a running sink's would be: one pass of queries not timed.
  for (int i = 0; i < std::min(queries, 200); ++i)
    search(OneUserOneDay(rng() % kUsers, rng() % days));
  std::vector<double> ms;
  int64_t rows = 0;
  for (int i = 0; i < queries; ++i) {
    const auto request = OneUserOneDay(rng() % kUsers, rng() % days);
    const auto start = Steady::now();
    const auto page = search(request);
    ms.push_back(MillisSince(start));
    rows += page.events_size();
  }
  {
    pqxx::connection c(b.db->conninfo());
    pqxx::nontransaction txn(c);
    const auto plan = txn.exec(absl::StrCat(
        "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) SELECT * FROM audit.events WHERE "
        "time >= '2024-01-02 00:00:00+00'::timestamptz AND time < '2024-01-03 "
        "00:00:00+00'::timestamptz AND actor = 'user:u7' ORDER BY time DESC, sequence DESC "
        "LIMIT 101"));
    std::printf("  plan at %ld events:\n", static_cast<long>(size));
    for (const auto& row : plan) std::printf("    %s\n", row[0].c_str());
  }
  return {size, Percentile(ms, 50), Percentile(ms, 99),
          static_cast<double>(rows) / static_cast<double>(queries)};
}

// --- 2. VerifyChain ----------------------------------------------------------------------

AuditEvent BenchEvent(int64_t n) {
  AuditEvent e;
  e.set_id(absl::StrFormat("00000000-0000-7000-8000-%012x", n));
  e.set_type(n % 2 == 0 ? "auth.login" : "access_request.create");
  const absl::Time t = kStart + absl::Microseconds(n * 8640);
  e.mutable_time()->set_seconds(absl::ToUnixSeconds(t));
  e.mutable_time()->set_nanos(static_cast<int32_t>((absl::ToUnixMicros(t) % 1'000'000) * 1000));
  e.set_service("auth");
  e.set_replica("auth-0");
  e.set_actor(absl::StrCat("user:u", n % kUsers));
  e.set_target(absl::StrCat("user:t", n % 977));
  e.set_outcome(AuditEvent::OUTCOME_SUCCESS);
  e.set_message(absl::StrCat("event ", n));
  auto& f = *e.mutable_details()->mutable_fields();
  f["method"].set_string_value("password");
  f["n"].set_number_value(static_cast<double>(n));
  f["roles"].mutable_list_value()->add_values()->set_string_value("dev");
  e.set_session_id(absl::StrCat("session-", n % 10000));
  e.set_remote_addr("ipv4:10.0.0.1:5000");
  return e;
}

struct VerifyFigures {
  int64_t events = 0;
  double verify_rows_per_s = 0;
  double verify_mb_per_s = 0;
  double sha_rows_per_s = 0;
  double sha_mb_per_s = 0;
};

VerifyFigures MeasureVerify(int64_t events) {
  BenchDatabase b = BenchDatabase::Create();
  jit::audit::PostgresEventStore store(b.pool.get());
  jit::RealClock clock;
  auto checkpointer =
      jit::audit::Checkpointer::Create(jit::SecretString(std::string(32, '\x07')), &store, &store,
                                       &clock, {.every_events = 1000, .interval = absl::Hours(1)});
  Check(checkpointer.status(), "checkpointer");
  jit::audit::EventIngestor ingestor(&store, checkpointer->get(), &clock);
  const auto load = Steady::now();
  for (int64_t first = 1; first <= events; first += 1000) {
    jit::audit::v1::IngestEventsRequest request;
    for (int64_t n = first; n < first + 1000 && n <= events; ++n) {
      *request.add_events() = BenchEvent(n);
    }
    Check(ingestor.Ingest("auth", request).status(), "loading the chain");
  }
  std::printf("  stored %ld chained events in %.1f s\n", static_cast<long>(events),
              MillisSince(load) / 1000);
  b.Exec("VACUUM ANALYZE audit.events");

  auto verifier =
      jit::audit::ChainVerifier::Create(&store, &store, {(*checkpointer)->public_key()});
  Check(verifier.status(), "verifier");
  // The bytes VerifyChain hashes, and the time it takes over them.
  const auto start = Steady::now();
  auto result = (*verifier)->Verify(0, 0);
  const double verify_ms = MillisSince(start);
  Check(result.status(), "VerifyChain");
  if (!result->ok() || result->checked() != events) Die("VerifyChain: " + result->problem());

  const std::string path = absl::StrCat(std::getenv("TMPDIR") ? std::getenv("TMPDIR") : "/tmp",
                                        "/audit_bench_hashed_bytes");
  int64_t bytes = 0;
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    int64_t after = 0;
    std::string buffer;
    while (true) {
      auto batch = store.ReadAfter(after, 5000);
      Check(batch.status(), "reading");
      if (batch->empty()) break;
      for (const AuditEvent& e : *batch) {
        buffer.assign(absl::HexStringToBytes(e.prev_hash()));
        jit::audit::chain::AppendCanonicalEvent(e, &buffer);
        out.write(buffer.data(), static_cast<std::streamsize>(buffer.size()));
        bytes += static_cast<int64_t>(buffer.size());
      }
      after = batch->back().sequence();
    }
  }
  // Warm the page cache, then time sha256sum over the file.
  if (std::system(absl::StrCat("cat ", path, " > /dev/null").c_str()) != 0) Die("cat");
  const auto sha_start = Steady::now();
  if (std::system(absl::StrCat("sha256sum ", path, " > /dev/null").c_str()) != 0) {
    Die("sha256sum");
  }
  const double sha_ms = MillisSince(sha_start);
  std::remove(path.c_str());
  const double mb = static_cast<double>(bytes) / 1e6;
  return {events, static_cast<double>(events) / (verify_ms / 1000), mb / (verify_ms / 1000),
          static_cast<double>(events) / (sha_ms / 1000), mb / (sha_ms / 1000)};
}

std::vector<int64_t> ParseSizes(const std::string& text) {
  std::vector<int64_t> out;
  for (absl::string_view part : absl::StrSplit(text, ',')) {
    int64_t n;
    if (!absl::SimpleAtoi(part, &n) || n < 1) Die(absl::StrCat("bad size ", part));
    out.push_back(n);
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  bool smoke = std::getenv("JIT_BENCH_SMOKE") != nullptr &&
               std::strcmp(std::getenv("JIT_BENCH_SMOKE"), "0") != 0;
  std::string sizes_flag;
  int64_t verify_events = 0;
  int ingest_clients = 4;
  int ingest_batches = 0;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--smoke") == 0) {
      smoke = true;
    } else if (std::strncmp(argv[i], "--pg_url=", 9) == 0) {
      setenv(jit::db::testing::kTestPgUrlEnv, argv[i] + 9, 1);
    } else if (std::strncmp(argv[i], "--search_sizes=", 15) == 0) {
      sizes_flag = argv[i] + 15;
    } else if (std::strncmp(argv[i], "--ingest_clients=", 17) == 0) {
      if (!absl::SimpleAtoi(argv[i] + 17, &ingest_clients) || ingest_clients < 1) {
        Die("bad --ingest_clients");
      }
    } else if (std::strncmp(argv[i], "--ingest_batches=", 17) == 0) {
      if (!absl::SimpleAtoi(argv[i] + 17, &ingest_batches) || ingest_batches < 1) {
        Die("bad --ingest_batches");
      }
    } else if (std::strncmp(argv[i], "--verify_events=", 16) == 0) {
      if (!absl::SimpleAtoi(argv[i] + 16, &verify_events) || verify_events < 1) {
        Die("bad --verify_events");
      }
    } else {
      Die(absl::StrCat("unknown argument ", argv[i],
                       " (--pg_url=URL, --smoke, --ingest_clients=N, --ingest_batches=N, "
                       "--search_sizes=N,N,..., --verify_events=N)"));
    }
  }
  const std::vector<int64_t> sizes = ParseSizes(
      !sizes_flag.empty() ? sizes_flag : (smoke ? "2000,20000" : "100000,1000000,10000000"));
  if (verify_events == 0) verify_events = smoke ? 5000 : 1'000'000;
  const int queries = smoke ? 100 : 2000;
  if (ingest_batches == 0) ingest_batches = smoke ? 8 : 100;
  const int ingest_rounds = smoke ? 1 : 3;

  jit::server::ApplyServiceProcessSettings();  // as every service binary does
  std::printf("audit_bench%s\n", smoke ? " (SMOKE run: figures are indicative only)" : "");
  std::printf("Ingest, batches of %d, %d clients, %d batches per round:\n", kBatch, ingest_clients,
              ingest_batches);
  const IngestFigures in = MeasureIngest(ingest_clients, ingest_batches, ingest_rounds);
  std::printf("Search, one user and one day (page of up to 100), %d queries per size:\n", queries);
  std::vector<SearchFigures> search;
  for (int64_t size : sizes) {
    search.push_back(MeasureSearch(size, queries));
    const SearchFigures& f = search.back();
    std::printf("  %10ld events: p50 %.3f ms, p99 %.3f ms, %.1f events per page\n",
                static_cast<long>(f.size), f.p50_ms, f.p99_ms, f.mean_rows);
  }
  std::printf("VerifyChain over %ld events:\n", static_cast<long>(verify_events));
  const VerifyFigures v = MeasureVerify(verify_events);
  std::printf("  VerifyChain: %.0f events/s, %.1f MB/s hashed\n", v.verify_rows_per_s,
              v.verify_mb_per_s);
  std::printf("REF sha256sum measured=%.1fMB/s (%.0f events/s over the same bytes)\n",
              v.sha_mb_per_s, v.sha_rows_per_s);

  std::printf("REF copy measured=%.0frows/s (COPY, same rows, %d connections, 500 per commit)\n",
              in.copy_eps, ingest_clients);
  std::printf("INFO ingest measured=%.0fevents/s\n", in.ingest_eps);
  std::printf("GOAL ingest_vs_copy measured=%.2fx target=0.5x %s\n", in.ratio,
              in.ratio >= 0.5 ? "PASS" : "MISS");
  const double growth = search.back().p99_ms / search.front().p99_ms;
  std::printf("GOAL search_p99_growth measured=%.2fx target=%.1fx %s\n", growth,
              kSearchGrowthTarget, growth <= kSearchGrowthTarget ? "PASS" : "MISS");
  return 0;
}
