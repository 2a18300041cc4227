// jit-host: puts jit-access's trust anchors, revocation lists and host certificate onto a
// machine that runs plain sshd and/or PostgreSQL (README.md). Thin CLI11 layer over
// host_agent.h. Exit codes: 0 success, 1 a failed command (for a one-shot sync: any part that
// failed; the last good files stay), CLI11's own codes for a bad command line.
#include <unistd.h>

#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "common/clock.h"
#include "tools/jit-host/atomic_file.h"
#include "tools/jit-host/grpc_host_ca_client.h"
#include "tools/jit-host/host_agent.h"

namespace jit::host {
namespace {

int Fail(const absl::Status& s) {
  std::cerr << "jit-host: " << s.message() << " (" << absl::StatusCodeToString(s.code()) << ")\n";
  return 1;
}

absl::StatusOr<std::string> ReadRequired(const std::string& path, absl::string_view flag) {
  absl::StatusOr<std::optional<std::string>> text = ReadFileIfExists(path);
  if (!text.ok()) return text.status();
  if (!text->has_value()) {
    return absl::FailedPreconditionError(absl::StrCat(flag, ": no such file ", path));
  }
  return **text;
}

absl::StatusOr<absl::Duration> ParseDuration(const std::string& text, absl::string_view flag) {
  absl::Duration d;
  if (!absl::ParseDuration(text, &d) || d <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        absl::StrCat(flag, ": not a positive duration (e.g. 10s, 5m)"));
  }
  return d;
}

absl::StatusOr<std::unique_ptr<GrpcHostCaClient>> HostClient(const HostConfig& config,
                                                             absl::Duration timeout) {
  const HostFiles files(config.dirs);
  absl::StatusOr<std::string> ca = ReadRequired(files.internal_ca, "internal CA");
  if (!ca.ok()) return ca.status();
  absl::StatusOr<std::string> identity = ReadRequired(files.identity, "identity");
  if (!identity.ok()) return identity.status();
  absl::StatusOr<IdentityPems> pems = SplitIdentity(*identity);
  if (!pems.ok()) return pems.status();
  return GrpcHostCaClient::ForHost(config.ca_addr, *ca, pems->cert_pem,
                                   SecretString(std::move(pems->key_pem)), timeout);
}

int PrintReport(const SyncReport& report) {
  const std::string when = absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::Now(), absl::UTCTimeZone());
  if (report.lines.empty()) std::cout << when << " sync: nothing changed\n";
  for (const std::string& line : report.lines) std::cout << when << " " << line << "\n";
  std::cout << std::flush;
  return report.ok ? 0 : 1;
}

}  // namespace

int Main(int argc, char** argv) {
  CLI::App app{
      "jit-host: jit-access trust anchors, revocation lists and host certificates "
      "for sshd and PostgreSQL"};
  app.require_subcommand(1);
  std::string state_dir = "/var/lib/jit-host";
  std::string timeout_text = "10s";
  app.add_option("--state-dir", state_dir, "Where jit-host keeps its identity and settings")
      ->capture_default_str();
  app.add_option("--timeout", timeout_text, "Deadline of each call to the ca service")
      ->capture_default_str();

  CLI::App* enroll = app.add_subcommand("enroll", "Redeem a join token and write the files");
  std::string ca_addr, ca_file, token, token_file, names, sshd_dir, postgres_dir;
  enroll->add_option("--ca-addr", ca_addr, "The ca service, HOST:PORT")->required();
  enroll
      ->add_option("--ca-file", ca_file,
                   "PEM of the internal CA that signed the ca's TLS "
                   "certificate (given with the token)")
      ->required();
  enroll->add_option("--token", token, "The one-time join token (or --token-file)");
  enroll->add_option("--token-file", token_file, "A file holding the join token");
  enroll
      ->add_option("--names", names,
                   "Host names and addresses, comma-separated (the first "
                   "names the host)")
      ->required();
  enroll->add_option("--sshd-dir", sshd_dir, "Directory for sshd's files");
  enroll->add_option("--postgres-dir", postgres_dir, "Directory for PostgreSQL's files");

  CLI::App* sync = app.add_subcommand("sync", "Fetch CA keys and revocation lists, renew");
  std::string every_text, reload_command, postgres_url, renew_before_text = "240h";
  sync->add_option("--every", every_text, "Run forever, once per interval (e.g. 10s)");
  sync->add_option("--postgres-reload-command", reload_command,
                   "Run when the CRL changed (e.g. 'pg_ctlcluster 15 main reload')");
  sync->add_option("--postgres-url", postgres_url,
                   "Or: connect here and SELECT pg_reload_conf() when the CRL changed");
  sync->add_option("--renew-before", renew_before_text,
                   "Renew the host certificate when less than this is left")
      ->capture_default_str();

  CLI11_PARSE(app, argc, argv);
  absl::StatusOr<absl::Duration> timeout = ParseDuration(timeout_text, "--timeout");
  if (!timeout.ok()) return Fail(timeout.status());

  if (*enroll) {
    if (token.empty() == token_file.empty()) {
      return Fail(absl::InvalidArgumentError("give exactly one of --token and --token-file"));
    }
    if (!token_file.empty()) {
      absl::StatusOr<std::string> t = ReadRequired(token_file, "--token-file");
      if (!t.ok()) return Fail(t.status());
      token = std::string(absl::StripAsciiWhitespace(*t));
    }
    absl::StatusOr<std::string> ca_pem = ReadRequired(ca_file, "--ca-file");
    if (!ca_pem.ok()) return Fail(ca_pem.status());
    EnrollOptions options;
    options.token = token;
    options.names = absl::StrSplit(names, ',', absl::SkipEmpty());
    options.config = {
        .ca_addr = ca_addr,
        .dirs = {.state_dir = state_dir, .sshd_dir = sshd_dir, .postgres_dir = postgres_dir}};
    auto client = GrpcHostCaClient::ForEnrollment(ca_addr, *ca_pem, *timeout);
    absl::StatusOr<EnrollResult> result = Enroll(options, *client);
    if (!result.ok()) return Fail(result.status());
    std::cout << "enrolled as " << options.names.front() << "\n";
    // The first sync, as the host, fetches the trust anchors and revocation lists.
    absl::StatusOr<std::unique_ptr<GrpcHostCaClient>> host = HostClient(options.config, *timeout);
    if (!host.ok()) return Fail(host.status());
    SyncReport report = Sync(options.config, **host, nullptr, RealClock::Get());
    PrintReport(report);
    const HostFiles files(options.config.dirs);
    if (!sshd_dir.empty()) {
      absl::StatusOr<std::optional<std::string>> krl = ReadFileIfExists(files.revoked_keys);
      if (krl.ok() && !krl->has_value()) {
        // No list from the ca yet: an empty KRL revokes nothing, as nothing can be revoked
        // before the ca serves lists; sync replaces it with the first list it gets.
        absl::Status s = AtomicWriteFile(files.revoked_keys, "");
        if (!s.ok()) return Fail(s);
        std::cout << "warning: no revocation list from the ca yet; wrote an empty "
                  << files.revoked_keys << " (revokes nothing) until jit-host sync gets one\n";
      }
      std::cout << "\nAdd to sshd_config (sshd re-reads RevokedKeys on every login):\n";
      for (const std::string& line : result->sshd_config) std::cout << "  " << line << "\n";
    }
    if (!postgres_dir.empty()) {
      std::cout << "\nAdd to postgresql.conf (ssl_crl_file once " << files.user_crl
                << " exists: PostgreSQL does not start without it):\n";
      for (const std::string& line : result->postgresql_conf) std::cout << "  " << line << "\n";
    }
    std::cout << "\nThen run jit-host sync from a timer (deploy/host/).\n";
    return 0;
  }

  // sync
  absl::StatusOr<absl::Duration> renew_before = ParseDuration(renew_before_text, "--renew-before");
  if (!renew_before.ok()) return Fail(renew_before.status());
  if (!reload_command.empty() && !postgres_url.empty()) {
    return Fail(absl::InvalidArgumentError(
        "give at most one of --postgres-reload-command and --postgres-url"));
  }
  std::unique_ptr<PostgresReloader> reloader;
  if (!reload_command.empty()) reloader = std::make_unique<CommandReloader>(reload_command);
  if (!postgres_url.empty()) reloader = std::make_unique<SqlReloader>(postgres_url);
  std::optional<absl::Duration> every;
  if (!every_text.empty()) {
    absl::StatusOr<absl::Duration> d = ParseDuration(every_text, "--every");
    if (!d.ok()) return Fail(d.status());
    every = *d;
  }
  for (;;) {
    // Reloaded each round: a renewal replaces the identity.
    absl::StatusOr<HostConfig> config = LoadHostConfig(state_dir);
    if (!config.ok()) return Fail(config.status());
    absl::StatusOr<std::unique_ptr<GrpcHostCaClient>> client = HostClient(*config, *timeout);
    if (!client.ok()) return Fail(client.status());
    const int rc = PrintReport(
        Sync(*config, **client, reloader.get(), RealClock::Get(), {.renew_before = *renew_before}));
    if (!every.has_value()) return rc;
    std::this_thread::sleep_for(std::chrono::milliseconds(absl::ToInt64Milliseconds(*every)));
  }
}

}  // namespace jit::host

int main(int argc, char** argv) { return jit::host::Main(argc, argv); }
