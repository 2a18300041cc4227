// CaRotator over the in-memory store: the phase sequence, the key states at each phase (and
// what GetCaPublicKeys lists), rollback, refusals that change nothing, admins only, audit.
#include "services/ca/ca_rotator.h"

#include <map>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "common/clock.h"
#include "common/status_matchers.h"
#include "common/testing/fake_clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/ca/cert_issuer.h"
#include "services/ca/testing/in_memory_ca_key_store.h"

namespace jit::ca {
namespace {

using ::jit::common::v1::Identity;
using ::jit::testing::StatusIs;
using ::testing::HasSubstr;

const absl::Time kT0 = absl::FromUnixSeconds(1'800'000'000);

class FakePermissions final : public policy::PermissionChecker {
 public:
  absl::Status Check(const Identity& caller, std::string_view resource,
                     std::string_view verb) override {
    asked = absl::StrCat(caller.name(), " ", std::string(resource), " ", std::string(verb));
    return allow ? absl::OkStatus() : absl::PermissionDeniedError("no role allows it");
  }
  bool allow = true;
  std::string asked;
};

class CaRotatorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(keyring_, CaKeyring::Open(store_, clock_));
    rotator_ = std::make_unique<CaRotator>(&store_, keyring_.get(), &permissions_, &clock_);
    issuer_ = std::make_unique<CertIssuer>(keyring_.get(), nullptr, nullptr, nullptr, &permissions_,
                                           &clock_, nullptr);
    admin_.set_kind(Identity::KIND_USER);
    admin_.set_name("root");
  }

  absl::StatusOr<v1::RotateCaResponse> Rotate(v1::CaType type, const std::string& phase) {
    v1::RotateCaRequest request;
    request.set_type(type);
    request.set_phase(phase);
    return rotator_->RotateCa(admin_, {.actor = "user:root"}, request);
  }
  absl::StatusOr<v1::RotateCaResponse> Rotate(const std::string& phase) {
    return Rotate(v1::CA_TYPE_SSH_USER, phase);
  }

  // key id -> status of the ssh-user keys GetCaPublicKeys lists.
  std::map<std::string, std::string> Listed() {
    std::map<std::string, std::string> out;
    absl::StatusOr<v1::GetCaPublicKeysResponse> r = issuer_->GetCaPublicKeys({});
    EXPECT_TRUE(r.ok()) << r.status();
    for (const auto& k : r->keys()) {
      if (k.type() == v1::CA_TYPE_SSH_USER) out[k.key_id()] = k.status();
    }
    return out;
  }
  std::string TrustedLines() { return issuer_->GetCaPublicKeys({})->trusted_user_ca_keys(); }

  testing::InMemoryCaKeyStore store_;
  FakeClock clock_{kT0};
  FakePermissions permissions_;
  std::unique_ptr<CaKeyring> keyring_;
  std::unique_ptr<CaRotator> rotator_;
  std::unique_ptr<CertIssuer> issuer_;
  Identity admin_;
};

TEST_F(CaRotatorTest, FullRotationMovesTrustBeforeWithdrawingIt) {
  const std::string old_id = keyring_->Active(CaKind::kSshUser).key_id;
  const std::string old_line = keyring_->Active(CaKind::kSshUser).public_key;
  EXPECT_THAT(Listed(), ::testing::ElementsAre(::testing::Pair(old_id, "active")));

  ASSERT_OK_AND_ASSIGN(v1::RotateCaResponse init, Rotate("init"));
  EXPECT_EQ(init.phase(), "init");
  ASSERT_EQ(init.keys_size(), 2);
  std::string new_id;
  for (const auto& k : init.keys()) {
    if (k.key_id() != old_id) new_id = k.key_id();
  }
  ASSERT_FALSE(new_id.empty());
  EXPECT_EQ(keyring_->Active(CaKind::kSshUser).key_id, old_id);  // the old key still signs
  EXPECT_EQ(Listed(), (std::map<std::string, std::string>{{old_id, "active"}, {new_id, "next"}}));
  const std::string both = TrustedLines();
  EXPECT_THAT(both, HasSubstr(old_line));

  ASSERT_OK(Rotate("update_clients").status());
  EXPECT_EQ(keyring_->Active(CaKind::kSshUser).key_id, new_id);  // the new key signs
  EXPECT_EQ(Listed(),
            (std::map<std::string, std::string>{{old_id, "previous"}, {new_id, "active"}}));
  EXPECT_THAT(TrustedLines(), HasSubstr(old_line));

  ASSERT_OK(Rotate("update_servers").status());
  EXPECT_EQ(Listed(),
            (std::map<std::string, std::string>{{old_id, "previous"}, {new_id, "active"}}));

  ASSERT_OK_AND_ASSIGN(v1::RotateCaResponse standby, Rotate("standby"));
  EXPECT_EQ(standby.phase(), "standby");
  EXPECT_EQ(Listed(), (std::map<std::string, std::string>{{new_id, "active"}}));
  EXPECT_THAT(TrustedLines(), ::testing::Not(HasSubstr(old_line)));

  // Other kinds untouched; every change audited (3 key creations, then 4 rotations).
  const std::vector<jit::common::v1::AuditEvent> events = store_.events();
  ASSERT_EQ(events.size(), 7u);
  const auto& last = events.back();
  EXPECT_EQ(last.type(), "ca.rotate");
  EXPECT_EQ(last.actor(), "user:root");
  EXPECT_EQ(last.details().fields().at("phase").string_value(), "standby");
  EXPECT_EQ(last.details().fields().at("from_phase").string_value(), "update_servers");
  EXPECT_EQ(last.details().fields().at("old_key_id").string_value(), old_id);
  EXPECT_EQ(last.details().fields().at("new_key_id").string_value(), new_id);
  EXPECT_EQ(permissions_.asked, "root cert_authority rotate");

  // A second rotation may start from standby.
  ASSERT_OK(Rotate("init").status());
}

TEST_F(CaRotatorTest, RollbackFromEachPhaseBeforeStandbyRestoresTheOldKey) {
  const std::string old_id = keyring_->Active(CaKind::kSshUser).key_id;
  for (const std::vector<std::string>& phases : {std::vector<std::string>{"init"},
                                                 {"init", "update_clients"},
                                                 {"init", "update_clients", "update_servers"}}) {
    for (const std::string& p : phases) ASSERT_OK(Rotate(p).status()) << p;
    ASSERT_OK_AND_ASSIGN(v1::RotateCaResponse back, Rotate("rollback"));
    EXPECT_EQ(back.phase(), "rollback");
    EXPECT_EQ(keyring_->Active(CaKind::kSshUser).key_id, old_id) << phases.back();
    EXPECT_EQ(Listed(), (std::map<std::string, std::string>{{old_id, "active"}})) << phases.back();
    EXPECT_THAT(Rotate("rollback"), StatusIs(absl::StatusCode::kFailedPrecondition));
  }
}

TEST_F(CaRotatorTest, OutOfOrderPhasesAreFailedPreconditionAndChangeNothing) {
  const size_t events = store_.events().size();
  EXPECT_THAT(Rotate("update_clients"),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("is in phase standby; update_clients cannot follow it (next: "
                                 "init)")));
  EXPECT_THAT(Rotate("standby"), StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(Rotate("rollback"), StatusIs(absl::StatusCode::kFailedPrecondition));
  ASSERT_OK(Rotate("init").status());
  EXPECT_THAT(Rotate("init"), StatusIs(absl::StatusCode::kFailedPrecondition,
                                       HasSubstr("next: update_clients or rollback")));
  EXPECT_THAT(Rotate("update_servers"), StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(Rotate("standby"), StatusIs(absl::StatusCode::kFailedPrecondition));
  ASSERT_OK(Rotate("update_clients").status());
  const std::map<std::string, std::string> before = Listed();
  EXPECT_THAT(Rotate("standby"), StatusIs(absl::StatusCode::kFailedPrecondition,
                                          HasSubstr("next: update_servers or rollback")));
  EXPECT_EQ(Listed(), before);
  EXPECT_EQ(store_.events().size(), events + 2);  // init and update_clients only
}

TEST_F(CaRotatorTest, UnknownKindOrPhaseIsInvalidArgument) {
  EXPECT_THAT(Rotate(v1::CA_TYPE_UNSPECIFIED, "init"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("type")));
  EXPECT_THAT(Rotate(static_cast<v1::CaType>(99), "init"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(Rotate("finish"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("init, update_clients, update_servers, standby or rollback")));
  EXPECT_THAT(Rotate(""), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(store_.events().size(), 3u);
}

TEST_F(CaRotatorTest, OnlyAdminsRotate) {
  permissions_.allow = false;
  EXPECT_THAT(Rotate("init"),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("cert_authority rotate")));
  EXPECT_EQ(store_.events().size(), 3u);
  EXPECT_EQ(keyring_->keys().size(), 3u);
}

TEST_F(CaRotatorTest, KindsRotateIndependently) {
  const std::string host = keyring_->Active(CaKind::kSshHost).key_id;
  ASSERT_OK(Rotate(v1::CA_TYPE_X509_USER, "init").status());
  ASSERT_OK(Rotate(v1::CA_TYPE_X509_USER, "update_clients").status());
  EXPECT_THAT(Rotate(v1::CA_TYPE_SSH_HOST, "update_clients"),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_EQ(keyring_->Active(CaKind::kSshHost).key_id, host);
  EXPECT_THAT(keyring_->Active(CaKind::kX509User).public_key,
              HasSubstr("-----BEGIN CERTIFICATE-----"));
}

}  // namespace
}  // namespace jit::ca
