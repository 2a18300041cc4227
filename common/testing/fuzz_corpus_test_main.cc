// Runs a libFuzzer entry point over every file of a corpus directory, as a normal gtest
// (built with the default compiler, no sanitizer required). Usage: the test's first
// argument is the corpus directory.
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

std::string g_corpus_dir;

TEST(FuzzCorpusTest, EveryCorpusInputRunsCleanly) {
  ASSERT_FALSE(g_corpus_dir.empty()) << "pass the corpus directory as the first argument";
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(g_corpus_dir)) {
    if (entry.is_regular_file()) files.push_back(entry.path());
  }
  ASSERT_GE(files.size(), 5u) << "corpus " << g_corpus_dir << " is nearly empty";
  for (const auto& file : files) {
    SCOPED_TRACE(file.string());
    std::ifstream in(file, std::ios::binary);
    std::stringstream buffer;
    buffer << in.rdbuf();
    const std::string data = buffer.str();
    // A violated invariant aborts inside the target and fails the test.
    EXPECT_EQ(LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(data.data()), data.size()),
              0);
  }
}

TEST(FuzzCorpusTest, EmptyInputRunsCleanly) { EXPECT_EQ(LLVMFuzzerTestOneInput(nullptr, 0), 0); }

}  // namespace

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  if (argc > 1) g_corpus_dir = argv[1];
  return RUN_ALL_TESTS();
}
