// Test helper: a user identity whose jwt::IdentityClaimBytes is exactly a given size, built
// within auth's per-field limits (trait values of at most 256 bytes, at most 64 values per
// trait, names of at most 64 characters), for tests at the token size boundary.
#ifndef JIT_COMMON_JWT_TESTING_IDENTITY_OF_SIZE_H_
#define JIT_COMMON_JWT_TESTING_IDENTITY_OF_SIZE_H_

#include <string>

#include "jit/common/v1/identity.pb.h"

namespace jit::jwt::testing {

// KIND_USER, the given auth_method, role "dev", traits "t0", "t1", ... of 'a's, and a name
// of 'u's tuned so that IdentityClaimBytes == `bytes`. `bytes` must be at least 400.
jit::common::v1::Identity IdentityOfClaimBytes(size_t bytes,
                                               const std::string& auth_method = "local");

}  // namespace jit::jwt::testing

#endif  // JIT_COMMON_JWT_TESTING_IDENTITY_OF_SIZE_H_
