// The full authorization-code flow against a real OpenID provider started on 127.0.0.1:
// discovery, JWKS, authorize redirect with code, token exchange with PKCE, ID token with
// nonce, claims mapping; then what the client must refuse.
#include "services/auth/oidc/oidc_connector.h"

#include "common/clock.h"
#include "common/crypto/base64.h"
#include "common/crypto/key_encryption.h"
#include "common/http/http_client.h"
#include "common/status_matchers.h"
#include "common/testing/fake_clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/auth/oidc/testing/fake_oidc_provider.h"
#include "services/auth/oidc/testing/in_memory_oidc_used_state_store.h"

namespace jit::auth::oidc {
namespace {

using ::jit::auth::oidc::testing::FakeOidcProvider;
using ::jit::auth::oidc::testing::InMemoryOidcUsedStateStore;
using ::jit::testing::IsOk;
using ::jit::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::StartsWith;

class OidcConnectorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(kek_, crypto::KeyEncryptionKey::Generate());
    sealer_ = std::make_unique<OidcStateSealer>(kek_.get());
    StartProvider(jwt::JwsAlgorithm::kRS256);
  }

  void StartProvider(jwt::JwsAlgorithm alg) {
    provider_.reset();
    provider_ = *FakeOidcProvider::Start({.alg = alg, .clock = &clock_});
    provider_->SetClaims({{"email", "alice@example.com"},
                          {"email_verified", true},
                          {"groups", {"admins", "team-payments", "other"}},
                          {"amr", {"pwd", "otp"}}});
    http_ = *http::CurlHttpClient::Create({.allow_loopback_http = true});
    connector_ = *OidcConnector::Create(Config(), http_.get(), sealer_.get(), &used_, &clock_);
  }

  OidcConnectorConfig Config(ClientAuthMethod auth = ClientAuthMethod::kClientSecretBasic) {
    OidcConnectorConfig c;
    c.name = "test-idp";
    c.issuer_url = provider_->issuer();
    c.client_id = "jit-test-client";
    c.client_secret = SecretString(std::string("provider-s3cret"));
    c.redirect_url = "http://127.0.0.1:9/callback";
    c.client_auth = auth;
    c.claims_to_roles = {{.claim = "groups", .value = "admins", .roles = {"admin"}},
                         {.claim = "groups", .value = "team-*", .roles = {"dev"}},
                         {.claim = "groups", .value = "^team-(.*)$", .roles = {"team-$1-member"}}};
    c.claims_to_traits = {{.claim = "email", .trait = "logins", .value = "^([^@]+)@.*$"},
                          {.claim = "groups", .trait = "kubernetes_groups"}};
    c.allow_loopback_http = true;
    return c;
  }

  // Plays the browser: opens the authorization URL and follows the provider's redirect
  // back as far as reading code and state from it.
  struct Callback {
    std::string code;
    std::string state;
    std::string location;
  };
  absl::StatusOr<Callback> Authorize(const OidcLoginStart& start) {
    absl::StatusOr<http::HttpResponse> r = http_->Get(start.authorization_url);
    if (!r.ok()) return r.status();
    if (r->status != 302) {
      return absl::InternalError("authorize answered " + std::to_string(r->status) + ": " +
                                 r->body);
    }
    Callback cb{*http::QueryParameter(r->location, "code"),
                *http::QueryParameter(r->location, "state"), r->location};
    return cb;
  }

  absl::StatusOr<OidcIdentity> FullFlow(OidcConnector& connector) {
    absl::StatusOr<OidcLoginStart> start = connector.Begin("", absl::ZeroDuration());
    if (!start.ok()) return start.status();
    absl::StatusOr<Callback> cb = Authorize(*start);
    if (!cb.ok()) return cb.status();
    return connector.Complete(cb->state, cb->code);
  }

  FakeClock clock_{absl::Now()};
  std::unique_ptr<crypto::KeyEncryptionKey> kek_;
  std::unique_ptr<OidcStateSealer> sealer_;
  InMemoryOidcUsedStateStore used_;
  std::unique_ptr<FakeOidcProvider> provider_;
  std::unique_ptr<http::CurlHttpClient> http_;
  std::unique_ptr<OidcConnector> connector_;
};

TEST_F(OidcConnectorTest, FullCodeFlowMapsClaimsToRolesAndTraits) {
  ASSERT_OK_AND_ASSIGN(OidcLoginStart start, connector_->Begin("", absl::ZeroDuration()));
  EXPECT_THAT(start.authorization_url, StartsWith(provider_->issuer() + "/authorize?"));
  EXPECT_THAT(start.authorization_url, HasSubstr("code_challenge_method=S256"));
  EXPECT_THAT(start.authorization_url, HasSubstr("scope=openid%20email%20profile"));
  EXPECT_THAT(start.authorization_url, HasSubstr("&nonce="));
  EXPECT_EQ(start.expire_time, clock_.Now() + absl::Minutes(10));
  ASSERT_OK_AND_ASSIGN(Callback cb, Authorize(start));
  EXPECT_THAT(cb.location, StartsWith("http://127.0.0.1:9/callback?code="));
  EXPECT_EQ(cb.state, start.state);

  ASSERT_OK_AND_ASSIGN(OidcIdentity id, connector_->Complete(cb.state, cb.code));
  EXPECT_EQ(id.username, "alice@example.com");
  EXPECT_EQ(id.subject, "user-1");
  EXPECT_THAT(id.roles, ElementsAre("admin", "dev", "team-payments-member"));
  EXPECT_THAT(id.traits.at("logins"), ElementsAre("alice"));
  EXPECT_THAT(id.traits.at("kubernetes_groups"), ElementsAre("admins", "team-payments", "other"));
  EXPECT_TRUE(id.mfa);  // amr contains "otp"
  EXPECT_EQ(provider_->last_client_auth(), "basic");
  EXPECT_EQ(provider_->jwks_fetches(), 1);

  const jit::common::v1::Identity proto = id.ToIdentity();
  EXPECT_EQ(proto.kind(), jit::common::v1::Identity::KIND_USER);
  EXPECT_EQ(proto.auth_method(), "oidc:test-idp");
  EXPECT_THAT(proto.roles(), ElementsAre("admin", "dev", "team-payments-member"));
}

TEST_F(OidcConnectorTest, ClientSecretPostWorks) {
  auto post = *OidcConnector::Create(Config(ClientAuthMethod::kClientSecretPost), http_.get(),
                                     sealer_.get(), &used_, &clock_);
  EXPECT_THAT(FullFlow(*post), IsOk());
  EXPECT_EQ(provider_->last_client_auth(), "post");
}

TEST_F(OidcConnectorTest, Es256ProviderWorks) {
  StartProvider(jwt::JwsAlgorithm::kES256);
  EXPECT_THAT(FullFlow(*connector_), IsOk());
}

TEST_F(OidcConnectorTest, WrongClientSecretIsRefusedByTheProvider) {
  OidcConnectorConfig c = Config();
  c.client_secret = SecretString(std::string("wrong"));
  auto connector =
      *OidcConnector::Create(std::move(c), http_.get(), sealer_.get(), &used_, &clock_);
  EXPECT_THAT(FullFlow(*connector),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("invalid_client")));
}

TEST_F(OidcConnectorTest, LoopbackRedirectOfTheCliIsUsed) {
  ASSERT_OK_AND_ASSIGN(OidcLoginStart start,
                       connector_->Begin("http://127.0.0.1:53123/callback", absl::Minutes(2)));
  EXPECT_EQ(start.expire_time, clock_.Now() + absl::Minutes(2));
  ASSERT_OK_AND_ASSIGN(Callback cb, Authorize(start));
  EXPECT_THAT(cb.location, StartsWith("http://127.0.0.1:53123/callback?code="));
  EXPECT_THAT(connector_->Complete(cb.state, cb.code), IsOk());
}

TEST_F(OidcConnectorTest, OtherRedirectUrlsAreRefused) {
  for (const char* bad :
       {"https://evil.example.com/cb", "http://localhost:8080/cb", "http://127.0.0.1/cb",
        "http://127.0.0.1:80x/cb", "http://127.0.0.1:8080@evil.com/"}) {
    EXPECT_THAT(connector_->Begin(bad, absl::ZeroDuration()),
                StatusIs(absl::StatusCode::kInvalidArgument))
        << bad;
  }
}

TEST_F(OidcConnectorTest, OverlongLoopbackRedirectIsRefused) {
  const std::string redirect = "http://127.0.0.1:53123/" + std::string(kMaxRedirectUrlBytes, 'p');
  EXPECT_THAT(connector_->Begin(redirect, absl::ZeroDuration()),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("redirect_url")));
}

TEST_F(OidcConnectorTest, WrongNonceIsRefused) {
  provider_->SetMisbehaviour({.wrong_nonce = true});
  EXPECT_THAT(FullFlow(*connector_),
              StatusIs(absl::StatusCode::kUnauthenticated, "ID token nonce mismatch"));
}

TEST_F(OidcConnectorTest, WrongAudienceIsRefused) {
  provider_->SetMisbehaviour({.audiences = {"someone-else"}});
  EXPECT_THAT(FullFlow(*connector_),
              StatusIs(absl::StatusCode::kUnauthenticated, "ID token audience mismatch"));
}

TEST_F(OidcConnectorTest, SeveralAudiencesNeedAzp) {
  provider_->SetMisbehaviour({.audiences = {"jit-test-client", "other"}});
  EXPECT_THAT(FullFlow(*connector_),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("no azp")));
  provider_->SetMisbehaviour({.audiences = {"jit-test-client", "other"}, .azp = "other"});
  EXPECT_THAT(FullFlow(*connector_),
              StatusIs(absl::StatusCode::kUnauthenticated, "ID token azp mismatch"));
  provider_->SetMisbehaviour({.audiences = {"jit-test-client", "other"}, .azp = "jit-test-client"});
  EXPECT_THAT(FullFlow(*connector_), IsOk());
}

TEST_F(OidcConnectorTest, ExpiredIdTokenIsRefused) {
  provider_->SetMisbehaviour({.lifetime = absl::Minutes(5), .issued_offset = -absl::Minutes(7)});
  EXPECT_THAT(FullFlow(*connector_),
              StatusIs(absl::StatusCode::kUnauthenticated, "ID token expired"));
}

TEST_F(OidcConnectorTest, IdTokenFromTheFutureIsRefused) {
  provider_->SetMisbehaviour({.issued_offset = absl::Minutes(5)});
  EXPECT_THAT(FullFlow(*connector_),
              StatusIs(absl::StatusCode::kUnauthenticated, "ID token issued in the future"));
}

TEST_F(OidcConnectorTest, TamperedSignatureIsRefused) {
  provider_->SetMisbehaviour({.tamper_signature = true});
  EXPECT_THAT(FullFlow(*connector_),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("signature check failed")));
}

TEST_F(OidcConnectorTest, AlgNoneIsRefused) {
  provider_->SetMisbehaviour({.alg_none = true});
  EXPECT_THAT(FullFlow(*connector_),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("ID token is malformed")));
}

TEST_F(OidcConnectorTest, Hs256WithThePublicKeyIsRefused) {
  provider_->SetMisbehaviour({.hs256_with_public_key = true});
  EXPECT_THAT(FullFlow(*connector_),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("alg is not accepted")));
}

TEST_F(OidcConnectorTest, PkceMismatchIsRefusedByTheProvider) {
  provider_->SetMisbehaviour({.pkce_mismatch = true});
  EXPECT_THAT(FullFlow(*connector_), StatusIs(absl::StatusCode::kUnauthenticated,
                                              "OIDC provider refused the code: invalid_grant"));
}

TEST_F(OidcConnectorTest, IssuerMismatchInIdTokenIsRefused) {
  provider_->SetMisbehaviour({.id_token_issuer = "https://evil.example.com"});
  EXPECT_THAT(FullFlow(*connector_),
              StatusIs(absl::StatusCode::kUnauthenticated, "ID token issuer mismatch"));
}

TEST_F(OidcConnectorTest, IssuerMismatchInDiscoveryIsRefused) {
  provider_->SetMisbehaviour({.discovery_issuer = "https://evil.example.com"});
  EXPECT_THAT(connector_->Begin("", absl::ZeroDuration()),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("issuer")));
}

TEST_F(OidcConnectorTest, StateIsSingleUse) {
  ASSERT_OK_AND_ASSIGN(OidcLoginStart start, connector_->Begin("", absl::ZeroDuration()));
  ASSERT_OK_AND_ASSIGN(Callback cb, Authorize(start));
  ASSERT_THAT(connector_->Complete(cb.state, cb.code), IsOk());
  EXPECT_THAT(connector_->Complete(cb.state, cb.code),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("state unknown")));
}

TEST_F(OidcConnectorTest, UsedStateIsRefusedEvenWithAFreshCode) {
  ASSERT_OK_AND_ASSIGN(OidcLoginStart start, connector_->Begin("", absl::ZeroDuration()));
  ASSERT_OK_AND_ASSIGN(Callback first, Authorize(start));
  ASSERT_THAT(connector_->Complete(first.state, first.code), IsOk());
  // The same authorization request again: the provider issues a new, valid code for it.
  ASSERT_OK_AND_ASSIGN(Callback again, Authorize(start));
  ASSERT_EQ(again.state, first.state);
  ASSERT_NE(again.code, first.code);
  EXPECT_THAT(connector_->Complete(again.state, again.code),
              StatusIs(absl::StatusCode::kUnauthenticated, kUnusableOidcState));
  EXPECT_EQ(provider_->token_requests(), 1);  // the replay never reached the provider
}

// A used-state store whose reads never see a completion: what a completion racing another
// one on another replica sees before that one records the state.
class NotYetRecorded final : public OidcUsedStateStore {
 public:
  explicit NotYetRecorded(OidcUsedStateStore* inner) : inner_(inner) {}
  absl::Status MarkUsed(std::string_view id, absl::Time expire) override {
    return inner_->MarkUsed(id, expire);
  }
  absl::StatusOr<bool> IsUsed(std::string_view) override { return false; }
  absl::StatusOr<int64_t> DeleteExpired(absl::Time before) override {
    return inner_->DeleteExpired(before);
  }

 private:
  OidcUsedStateStore* const inner_;
};

TEST_F(OidcConnectorTest, RacingCompletionOfAUsedStateIsRefusedWhenRecording) {
  NotYetRecorded racing(&used_);
  auto connector = *OidcConnector::Create(Config(), http_.get(), sealer_.get(), &racing, &clock_);
  ASSERT_OK_AND_ASSIGN(OidcLoginStart start, connector->Begin("", absl::ZeroDuration()));
  ASSERT_OK_AND_ASSIGN(Callback first, Authorize(start));
  ASSERT_OK_AND_ASSIGN(Callback second, Authorize(start));
  ASSERT_THAT(connector->Complete(first.state, first.code), IsOk());
  EXPECT_THAT(connector->Complete(second.state, second.code),
              StatusIs(absl::StatusCode::kUnauthenticated, kUnusableOidcState));
  EXPECT_EQ(provider_->token_requests(), 2);
  EXPECT_EQ(used_.size(), 1u);
}

TEST_F(OidcConnectorTest, StateIsRecordedAsUsedOnlyAfterTheProviderAcceptedTheLogin) {
  ASSERT_OK_AND_ASSIGN(OidcLoginStart start, connector_->Begin("", absl::ZeroDuration()));
  ASSERT_OK_AND_ASSIGN(Callback cb, Authorize(start));
  EXPECT_THAT(connector_->Complete(cb.state, "bogus-code"),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("invalid_grant")));
  EXPECT_EQ(used_.size(), 0u);
  // The real code still completes the login, once.
  ASSERT_THAT(connector_->Complete(cb.state, cb.code), IsOk());
  EXPECT_EQ(used_.size(), 1u);
}

TEST_F(OidcConnectorTest, RefusedIdTokenRecordsNothing) {
  provider_->SetMisbehaviour({.wrong_nonce = true});
  EXPECT_THAT(FullFlow(*connector_), StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_EQ(used_.size(), 0u);
}

TEST_F(OidcConnectorTest, AlteredStateIsRefusedWithoutCallingTheProvider) {
  ASSERT_OK_AND_ASSIGN(OidcLoginStart start, connector_->Begin("", absl::ZeroDuration()));
  ASSERT_OK_AND_ASSIGN(Callback cb, Authorize(start));
  ASSERT_OK_AND_ASSIGN(std::string raw, crypto::Base64UrlDecode(cb.state));
  raw[raw.size() / 2] ^= 0x01;
  EXPECT_THAT(connector_->Complete(crypto::Base64UrlEncode(raw), cb.code),
              StatusIs(absl::StatusCode::kUnauthenticated, kUnusableOidcState));
  EXPECT_EQ(provider_->token_requests(), 0);
}

TEST_F(OidcConnectorTest, StateOfAnotherKeyEncryptionKeyIsRefused) {
  ASSERT_OK_AND_ASSIGN(auto other_kek, crypto::KeyEncryptionKey::Generate());
  OidcStateSealer other_sealer(other_kek.get());
  auto other_deployment =
      *OidcConnector::Create(Config(), http_.get(), &other_sealer, &used_, &clock_);
  ASSERT_OK_AND_ASSIGN(OidcLoginStart start, other_deployment->Begin("", absl::ZeroDuration()));
  ASSERT_OK_AND_ASSIGN(Callback cb, Authorize(start));
  EXPECT_THAT(connector_->Complete(cb.state, cb.code),
              StatusIs(absl::StatusCode::kUnauthenticated, kUnusableOidcState));
  EXPECT_EQ(provider_->token_requests(), 0);
}

TEST_F(OidcConnectorTest, StateOfAnotherConnectorIsRefused) {
  OidcConnectorConfig c = Config();
  c.name = "other-idp";
  auto other = *OidcConnector::Create(std::move(c), http_.get(), sealer_.get(), &used_, &clock_);
  ASSERT_OK_AND_ASSIGN(OidcLoginStart start, other->Begin("", absl::ZeroDuration()));
  ASSERT_OK_AND_ASSIGN(Callback cb, Authorize(start));
  EXPECT_THAT(connector_->Complete(cb.state, cb.code),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("another connector")));
}

TEST_F(OidcConnectorTest, StateCarriesTheConnectorNameAndRedirectUrl) {
  ASSERT_OK_AND_ASSIGN(OidcLoginStart start,
                       connector_->Begin("http://127.0.0.1:53123/callback", absl::Minutes(2)));
  ASSERT_OK_AND_ASSIGN(OidcLoginState login, sealer_->Open(start.state));
  EXPECT_EQ(login.connector, "test-idp");
  EXPECT_EQ(login.redirect_url, "http://127.0.0.1:53123/callback");
  EXPECT_EQ(login.expire_time, absl::FromUnixMicros(absl::ToUnixMicros(start.expire_time)));
  EXPECT_EQ(login.login_id.size(), kOidcLoginIdBytes);
  EXPECT_THAT(start.authorization_url, HasSubstr("&state=" + start.state + "&"));
}

TEST_F(OidcConnectorTest, BeginWritesNothing) {
  for (int i = 0; i < 100; ++i) {
    ASSERT_THAT(connector_->Begin("", absl::ZeroDuration()), IsOk());
  }
  EXPECT_EQ(used_.size(), 0u);
}

TEST_F(OidcConnectorTest, ExpiredStateIsRefused) {
  ASSERT_OK_AND_ASSIGN(OidcLoginStart start, connector_->Begin("", absl::Minutes(1)));
  ASSERT_OK_AND_ASSIGN(Callback cb, Authorize(start));
  clock_.Advance(absl::Minutes(1));
  EXPECT_THAT(connector_->Complete(cb.state, cb.code),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("expired")));
  EXPECT_EQ(provider_->token_requests(), 0);
}

TEST_F(OidcConnectorTest, StateIsAcceptedUntilJustBeforeItsExpiry) {
  ASSERT_OK_AND_ASSIGN(OidcLoginStart start, connector_->Begin("", absl::Minutes(1)));
  ASSERT_OK_AND_ASSIGN(Callback cb, Authorize(start));
  clock_.Advance(absl::Minutes(1) - absl::Microseconds(1));
  EXPECT_THAT(connector_->Complete(cb.state, cb.code), IsOk());
}

TEST_F(OidcConnectorTest, UnknownStateIsRefused) {
  EXPECT_THAT(connector_->Complete("made-up", "code"),
              StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_THAT(connector_->Complete("", "code"), StatusIs(absl::StatusCode::kUnauthenticated));
}

TEST_F(OidcConnectorTest, AnyReplicaCanComplete) {
  // Another replica: its own KEK object (the same key file) and HTTP client, the same
  // used-state table.
  ASSERT_OK_AND_ASSIGN(auto replica_kek, crypto::KeyEncryptionKey::FromBytes(kek_->key()));
  OidcStateSealer replica_sealer(replica_kek.get());
  auto other_http = *http::CurlHttpClient::Create({.allow_loopback_http = true});
  auto replica =
      *OidcConnector::Create(Config(), other_http.get(), &replica_sealer, &used_, &clock_);
  ASSERT_OK_AND_ASSIGN(OidcLoginStart start, connector_->Begin("", absl::ZeroDuration()));
  ASSERT_OK_AND_ASSIGN(Callback cb, Authorize(start));
  EXPECT_THAT(replica->Complete(cb.state, cb.code), IsOk());
}

TEST_F(OidcConnectorTest, KeyRotationIsPickedUpThroughAnUnknownKid) {
  ASSERT_THAT(FullFlow(*connector_), IsOk());
  EXPECT_EQ(provider_->jwks_fetches(), 1);
  ASSERT_THAT(provider_->RotateKey(), IsOk());
  clock_.Advance(absl::Seconds(6));  // past the refresh rate limit
  EXPECT_THAT(FullFlow(*connector_), IsOk());
  EXPECT_EQ(provider_->jwks_fetches(), 2);
}

TEST_F(OidcConnectorTest, UnverifiedEmailIsRefused) {
  provider_->SetClaims({{"email", "alice@example.com"}, {"email_verified", false}});
  EXPECT_THAT(FullFlow(*connector_),
              StatusIs(absl::StatusCode::kUnauthenticated, "ID token email is not verified"));
}

TEST_F(OidcConnectorTest, MissingUsernameClaimIsRefused) {
  provider_->SetClaims({{"name", "Alice"}});
  EXPECT_THAT(FullFlow(*connector_),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("email is missing")));
}

TEST_F(OidcConnectorTest, NoMfaWithoutAmr) {
  provider_->SetClaims({{"email", "bob@example.com"}, {"amr", {"pwd"}}});
  ASSERT_OK_AND_ASSIGN(OidcIdentity id, FullFlow(*connector_));
  EXPECT_FALSE(id.mfa);
  EXPECT_TRUE(id.roles.empty());
}

TEST_F(OidcConnectorTest, UnreachableProviderIsUnavailable) {
  OidcConnectorConfig c = Config();
  c.issuer_url = "http://127.0.0.1:1";  // nothing listens on port 1
  auto connector =
      *OidcConnector::Create(std::move(c), http_.get(), sealer_.get(), &used_, &clock_);
  EXPECT_THAT(connector->Begin("", absl::ZeroDuration()), StatusIs(absl::StatusCode::kUnavailable));
}

TEST(OidcConnectorConfigTest, RejectsBadConfigurationNamingTheField) {
  FakeClock clock;
  auto kek = *crypto::KeyEncryptionKey::Generate();
  OidcStateSealer sealer(kek.get());
  InMemoryOidcUsedStateStore used;
  auto http = *http::CurlHttpClient::Create({});
  auto base = [] {
    OidcConnectorConfig c;
    c.name = "idp";
    c.issuer_url = "https://idp.example.com";
    c.client_id = "id";
    c.client_secret = SecretString(std::string("secret"));
    c.redirect_url = "https://jit.example.com/callback";
    return c;
  };
  EXPECT_THAT(OidcConnector::Create(base(), http.get(), &sealer, &used, &clock), IsOk());
  struct Case {
    const char* field;
    std::function<void(OidcConnectorConfig&)> mutate;
  };
  const Case cases[] = {
      {"issuer_url", [](auto& c) { c.issuer_url = "http://idp.example.com"; }},
      {"client_id", [](auto& c) { c.client_id = ""; }},
      {"client_secret", [](auto& c) { c.client_secret = SecretString(); }},
      {"redirect_url", [](auto& c) { c.redirect_url = "http://jit.example.com/cb"; }},
      {"redirect_url",
       [](auto& c) { c.redirect_url = "https://jit.example.com/" + std::string(600, 'p'); }},
      {"scopes", [](auto& c) { c.scopes = {"email"}; }},
      {"claims_to_roles[0]",
       [](auto& c) { c.claims_to_roles = {{.claim = "g", .value = "^(x$", .roles = {"r"}}}; }},
      {"id_token_algorithms", [](auto& c) { c.id_token_algorithms = {jwt::JwsAlgorithm::kEdDSA}; }},
      {"name", [](auto& c) { c.name = "Bad Name"; }},
  };
  for (const Case& tc : cases) {
    OidcConnectorConfig c = base();
    tc.mutate(c);
    EXPECT_THAT(OidcConnector::Create(std::move(c), http.get(), &sealer, &used, &clock),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(tc.field)))
        << tc.field;
  }
}

}  // namespace
}  // namespace jit::auth::oidc
