// Tampering with a real audit database: rows edited, deleted and inserted with psql as a
// PostgreSQL superuser, and a truncated tail. VerifyChain must find each at the exact
// sequence, and the independent verifier (tools/audit_verify.py, Debian's python3 over psql
// and over the JSON Lines export) must agree with it, on the intact chain too.
#include <fstream>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/clock.h"
#include "common/crypto/base64.h"
#include "common/status_matchers.h"
#include "common/testing/fake_clock.h"
#include "common/testing/runfiles.h"
#include "common/testing/subprocess.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "services/audit/chain_verifier.h"
#include "services/audit/checkpointer.h"
#include "services/audit/event_export.h"
#include "services/audit/event_ingestor.h"
#include "services/audit/storage/postgres_event_store.h"
#include "services/audit/testing/audit_database.h"
#include "services/audit/testing/test_events.h"

namespace jit::audit {
namespace {

using ::jit::audit::testing::TestBatch;
using ::jit::audit::v1::VerifyChainResponse;
using ::jit::testing::IsOk;
using ::testing::HasSubstr;

const SecretString kSeed(std::string(32, '\x05'));

// What tools/audit_verify.py reported (its last line).
struct PythonVerdict {
  int exit_code = -1;
  nlohmann::json summary;
  std::string output;
};

class ChainTamperTest : public testing::AuditDatabaseTest {
 protected:
  void SetUp() override {
    testing::AuditDatabaseTest::SetUp();
    if (HasFatalFailure()) return;
    store_ = std::make_unique<PostgresEventStore>(&writer_pool());
    ASSERT_OK_AND_ASSIGN(checkpointer_,
                         Checkpointer::Create(kSeed, store_.get(), store_.get(), &clock_,
                                              {.every_events = 10, .interval = absl::Hours(1)}));
    ASSERT_OK_AND_ASSIGN(verifier_, ChainVerifier::Create(store_.get(), store_.get(),
                                                          {checkpointer_->public_key()}));
    EventIngestor ingestor(store_.get(), checkpointer_.get(), &clock_);
    // 25 events in batches of 5: checkpoints at 10 and 20.
    for (int i = 0; i < 5; ++i) {
      clock_.Advance(absl::Seconds(1));
      ASSERT_THAT(ingestor.Ingest("auth", TestBatch(1 + 5 * i, 5)), IsOk());
    }
  }
  void TearDown() override {
    verifier_.reset();
    checkpointer_.reset();
    store_.reset();
    testing::AuditDatabaseTest::TearDown();
  }

  VerifyChainResponse VerifyChain() {
    auto r = verifier_->Verify(0, 0);
    EXPECT_THAT(r, IsOk());
    return r.ok() ? *r : VerifyChainResponse();
  }

  PythonVerdict RunVerifier(const std::string& source_args) {
    const std::string command = absl::StrCat(
        "/usr/bin/python3 ", jit::testing::RunfilePath("services/audit/tools/audit_verify.py"), " ",
        source_args, " --public-key ", crypto::Base64Encode(checkpointer_->public_key()), " 2>&1");
    const auto [code, output] = jit::testing::RunShell(command);
    PythonVerdict v;
    v.exit_code = code;
    v.output = output;
    std::vector<std::string> lines =
        absl::StrSplit(absl::StripSuffix(output, "\n"), '\n', absl::SkipEmpty());
    if (!lines.empty()) {
      v.summary = nlohmann::json::parse(lines.back(), nullptr, /*allow_exceptions=*/false);
    }
    return v;
  }

  PythonVerdict RunVerifierOverPsql() {
    return RunVerifier(absl::StrCat("--psql '", db().conninfo(), "'"));
  }

  // Both verifiers find the chain broken first at `sequence`.
  void ExpectBothFindAt(int64_t sequence, const std::string& problem) {
    const VerifyChainResponse r = VerifyChain();
    EXPECT_FALSE(r.ok());
    EXPECT_EQ(r.first_bad_sequence(), sequence);
    EXPECT_THAT(r.problem(), HasSubstr(problem));
    const PythonVerdict py = RunVerifierOverPsql();
    EXPECT_EQ(py.exit_code, 1) << py.output;
    ASSERT_TRUE(py.summary.is_object()) << py.output;
    EXPECT_EQ(py.summary["ok"], false);
    EXPECT_EQ(py.summary["first_bad_sequence"], sequence) << py.output;
    EXPECT_EQ(py.summary["checked"], r.checked());
  }

  FakeClock clock_;
  std::unique_ptr<PostgresEventStore> store_;
  std::unique_ptr<Checkpointer> checkpointer_;
  std::unique_ptr<ChainVerifier> verifier_;
};

TEST_F(ChainTamperTest, BothVerifiersAgreeOnTheIntactChain) {
  const VerifyChainResponse r = VerifyChain();
  ASSERT_TRUE(r.ok()) << r.problem();
  EXPECT_EQ(r.checked(), 25);
  EXPECT_EQ(r.checkpoints_checked(), 2);
  const PythonVerdict py = RunVerifierOverPsql();
  EXPECT_EQ(py.exit_code, 0) << py.output;
  ASSERT_TRUE(py.summary.is_object()) << py.output;
  EXPECT_EQ(py.summary["ok"], true);
  EXPECT_EQ(py.summary["checked"], 25);
  EXPECT_EQ(py.summary["checkpoints_checked"], 2);
  EXPECT_EQ(py.summary["head_sequence"], 25);
  EXPECT_EQ(py.summary["head_hash"], r.head_hash());
}

TEST_F(ChainTamperTest, BothVerifiersAgreeOnTheJsonLinesExport) {
  PostgresHeadWatcher watcher(store_.get(), absl::Milliseconds(100));
  EventExport exporter(store_.get(), &watcher);
  const std::string path = jit::testing::TestTempPath("export.jsonl");
  std::ofstream out(path);
  ASSERT_THAT(exporter.Export(
                  {},
                  [&](const jit::audit::v1::ExportEventsResponse& batch) {
                    for (const std::string& line : batch.lines()) out << line << "\n";
                    return true;
                  },
                  [] { return false; }),
              IsOk());
  out.close();
  // The checkpoints as psql prints them (what an auditor would copy out).
  ASSERT_OK_AND_ASSIGN(
      std::string checkpoints,
      PsqlAsSuperuser("SELECT json_build_object('sequence', sequence, 'hash', encode(hash, "
                      "'hex'), 'signed_at_us', (extract(epoch FROM signed_at) * 1000000)::bigint, "
                      "'key_id', key_id, 'public_key', encode(public_key, 'hex'), 'signature', "
                      "encode(signature, 'hex')) FROM audit.checkpoints ORDER BY sequence"));
  const std::string checkpoints_path = jit::testing::TestTempPath("checkpoints.jsonl");
  std::ofstream(checkpoints_path) << checkpoints;
  const VerifyChainResponse r = VerifyChain();
  PythonVerdict py =
      RunVerifier(absl::StrCat("--jsonl ", path, " --checkpoints ", checkpoints_path));
  EXPECT_EQ(py.exit_code, 0) << py.output;
  EXPECT_EQ(py.summary["checked"], 25) << py.output;
  EXPECT_EQ(py.summary["checkpoints_checked"], 2) << py.output;
  EXPECT_EQ(py.summary["head_hash"], r.head_hash());

  // An edited line in the exported file is found too.
  const auto [code, ignored] =
      jit::testing::RunShell(absl::StrCat("sed -i '4s/user:alice/user:mallory/' ", path));
  ASSERT_EQ(code, 0);
  py = RunVerifier(absl::StrCat("--jsonl ", path, " --checkpoints ", checkpoints_path));
  EXPECT_EQ(py.exit_code, 1) << py.output;
  EXPECT_EQ(py.summary["first_bad_sequence"], 4) << py.output;
}

TEST_F(ChainTamperTest, AnEditedFieldIsFoundAtItsSequence) {
  ASSERT_THAT(PsqlAsSuperuser("UPDATE audit.events SET actor = 'user:mallory' WHERE sequence = 13"),
              IsOk());
  ExpectBothFindAt(13, "hash does not match its contents");
}

TEST_F(ChainTamperTest, EditedDetailsAreFoundAtTheirSequence) {
  ASSERT_THAT(PsqlAsSuperuser(
                  "UPDATE audit.events SET details = details || '{\"n\": 99}' WHERE sequence = 5"),
              IsOk());
  ExpectBothFindAt(5, "hash does not match its contents");
}

TEST_F(ChainTamperTest, AnEditedTimeIsFoundAtItsSequence) {
  ASSERT_THAT(PsqlAsSuperuser("UPDATE audit.events SET time = time + interval '1 microsecond' "
                              "WHERE sequence = 21"),
              IsOk());
  ExpectBothFindAt(21, "hash does not match its contents");
}

TEST_F(ChainTamperTest, ADeletedEventIsFoundAtItsSequence) {
  ASSERT_THAT(PsqlAsSuperuser("DELETE FROM audit.events WHERE sequence = 7"), IsOk());
  ExpectBothFindAt(7, "event 7 is missing");
}

TEST_F(ChainTamperTest, AnEventInsertedInTheMiddleIsFoundAtItsSequence) {
  // Make room at 9 (later events renumbered), then insert a copy of 8 with another message.
  ASSERT_THAT(PsqlAsSuperuser(
                  "UPDATE audit.events SET sequence = sequence + 1000000 WHERE sequence >= 9; "
                  "UPDATE audit.events SET sequence = sequence - 999999 WHERE sequence > 1000000; "
                  "INSERT INTO audit.events SELECT 9, gen_random_uuid(), code, type, time, "
                  "service, replica, actor, target, outcome, 'inserted', details, request_id, "
                  "session_id, remote_addr, ingest_time, hash, sha256(hash) "
                  "FROM audit.events WHERE sequence = 8"),
              IsOk());
  ExpectBothFindAt(9, "hash does not match its contents");
}

TEST_F(ChainTamperTest, AnEventAppendedBehindTheSinksBackIsFound) {
  ASSERT_THAT(
      PsqlAsSuperuser("INSERT INTO audit.events SELECT 26, gen_random_uuid(), code, type, time, "
                      "service, replica, actor, target, outcome, 'appended', details, request_id, "
                      "session_id, remote_addr, ingest_time, hash, sha256(hash) "
                      "FROM audit.events WHERE sequence = 25"),
      IsOk());
  ExpectBothFindAt(26, "hash does not match its contents");
}

TEST_F(ChainTamperTest, ATruncatedTailIsFoundThroughTheCheckpoint) {
  ASSERT_THAT(PsqlAsSuperuser("DELETE FROM audit.events WHERE sequence > 17; "
                              "UPDATE audit.chain_head SET sequence = 17, hash = (SELECT hash "
                              "FROM audit.events WHERE sequence = 17)"),
              IsOk());
  ExpectBothFindAt(18, "events 18 to 20 are missing");
}

TEST_F(ChainTamperTest, AForgedCheckpointIsFound) {
  ASSERT_THAT(
      PsqlAsSuperuser("INSERT INTO audit.checkpoints SELECT 25, hash, now(), key_id, public_key, "
                      "signature FROM audit.checkpoints WHERE sequence = 20"),
      IsOk());
  ExpectBothFindAt(25, "signature does not verify");
}

}  // namespace
}  // namespace jit::audit
