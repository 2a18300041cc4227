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
// 1. Search: SearchEvents (EventSearch over PostgresEventStore, as the RPC runs it) for one
//    user and one day, at each size of --search_sizes. The events are bulk-generated in SQL
//    at a constant rate (500 users, 10,000 events a day: 20 per user and day), so a bigger
//    log is a longer one, and the query returns about 20 events at every size. p50/p99 over
//    2,000 queries (random user, random day); the plan of one query is printed.
//      GOAL search_p99_growth measured=<p99 at the largest / p99 at the smallest>x
//      target=1.5x
// 2. VerifyChain over --verify_events events stored through the real append path (valid
//    chain, checkpoints every 1000): rows/s and MB/s of hashed bytes; reference: sha256sum
//    over exactly the bytes VerifyChain hashes (prev_hash || canonical event, per event),
//    written to a file first.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "common/db/migrations.h"
#include "common/db/pg_pool.h"
#include "common/db/testing/test_database.h"
#include "pqxx/pqxx"
#include "services/audit/chain/canonical.h"
#include "services/audit/chain_verifier.h"
#include "services/audit/checkpointer.h"
#include "services/audit/event_ingestor.h"
#include "services/audit/event_search.h"
#include "services/audit/migrations.h"
#include "services/audit/storage/postgres_event_store.h"

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

// --- 1. Search ---------------------------------------------------------------------------

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
  jit::audit::PostgresEventStore store(b.pool.get());
  jit::audit::EventSearch search(&store);
  const int64_t days = std::max<int64_t>(1, size / kEventsPerDay);
  std::mt19937_64 rng(42);
  // Warm the cache as a running sink's would be: one pass of queries not timed.
  for (int i = 0; i < std::min(queries, 200); ++i) {
    Check(search.Search(OneUserOneDay(rng() % kUsers, rng() % days)).status(), "search");
  }
  std::vector<double> ms;
  int64_t rows = 0;
  for (int i = 0; i < queries; ++i) {
    const auto request = OneUserOneDay(rng() % kUsers, rng() % days);
    const auto start = Steady::now();
    auto page = search.Search(request);
    ms.push_back(MillisSince(start));
    Check(page.status(), "search");
    rows += page->events_size();
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
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--smoke") == 0) {
      smoke = true;
    } else if (std::strncmp(argv[i], "--pg_url=", 9) == 0) {
      setenv(jit::db::testing::kTestPgUrlEnv, argv[i] + 9, 1);
    } else if (std::strncmp(argv[i], "--search_sizes=", 15) == 0) {
      sizes_flag = argv[i] + 15;
    } else if (std::strncmp(argv[i], "--verify_events=", 16) == 0) {
      if (!absl::SimpleAtoi(argv[i] + 16, &verify_events) || verify_events < 1) {
        Die("bad --verify_events");
      }
    } else {
      Die(absl::StrCat("unknown argument ", argv[i],
                       " (--pg_url=URL, --smoke, --search_sizes=N,N,..., --verify_events=N)"));
    }
  }
  const std::vector<int64_t> sizes = ParseSizes(
      !sizes_flag.empty() ? sizes_flag : (smoke ? "2000,20000" : "100000,1000000,10000000"));
  if (verify_events == 0) verify_events = smoke ? 5000 : 1'000'000;
  const int queries = smoke ? 100 : 2000;

  std::printf("audit_bench%s\n", smoke ? " (SMOKE run: figures are indicative only)" : "");
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

  const double growth = search.back().p99_ms / search.front().p99_ms;
  std::printf("GOAL search_p99_growth measured=%.2fx target=%.1fx %s\n", growth,
              kSearchGrowthTarget, growth <= kSearchGrowthTarget ? "PASS" : "MISS");
  return 0;
}
