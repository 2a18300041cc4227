#include "services/ca/testing/client_keys.h"

#include <openssl/pem.h>
#include <openssl/x509.h>

#include <cstdlib>
#include <iostream>

#include "common/ssh/public_key.h"

namespace jit::ca::testing {
namespace {

[[noreturn]] void Die(const std::string& what) {
  std::cerr << "client_keys: " << what << "\n";
  std::abort();
}

}  // namespace

crypto::EvpPkeyPtr NewClientKey(const std::string& kind) {
  EVP_PKEY* key = nullptr;
  if (kind == "ED25519") {
    key = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
  } else if (kind == "P-256" || kind == "P-384") {
    key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", kind.c_str());
  } else if (kind == "RSA-2048") {
    key = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t{2048});
  } else if (kind == "RSA-1024") {
    key = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t{1024});
  }
  if (key == nullptr) Die("cannot generate " + kind);
  return crypto::EvpPkeyPtr(key);
}

std::string SshPublicKeyLine(EVP_PKEY* key, const std::string& comment) {
  absl::StatusOr<ssh::SshPublicKey> k = ssh::SshPublicKey::FromEvpPkey(key, {.min_rsa_bits = 512});
  if (!k.ok()) Die(std::string(k.status().message()));
  return k->ToLine(comment);
}

std::string CsrPem(EVP_PKEY* key, const std::string& cn) {
  X509_REQ* req = X509_REQ_new();
  X509_NAME* name = X509_REQ_get_subject_name(req);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  X509_REQ_set_pubkey(req, key);
  if (X509_REQ_sign(req, key, EVP_PKEY_is_a(key, "ED25519") ? nullptr : EVP_sha256()) <= 0) {
    Die("cannot sign the CSR");
  }
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_X509_REQ(bio, req);
  std::string out = crypto::BioContents(bio);
  BIO_free(bio);
  X509_REQ_free(req);
  return out;
}

std::string PublicKeyPem(EVP_PKEY* key) {
  absl::StatusOr<std::string> pem = crypto::PublicKeyToPem(key);
  if (!pem.ok()) Die("cannot write the public key");
  return *pem;
}

std::string PrivateKeyPem(EVP_PKEY* key) {
  absl::StatusOr<SecretString> pem = crypto::PrivateKeyToPem(key);
  if (!pem.ok()) Die("cannot write the private key");
  return std::string(pem->Reveal());
}

}  // namespace jit::ca::testing
