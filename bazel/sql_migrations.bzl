"""jit_sql_migrations: SQL migration files embedded into a C++ library.

    load("//bazel:sql_migrations.bzl", "jit_sql_migrations")

    jit_sql_migrations(
        name = "migrations",
        srcs = glob(["migrations/*.sql"]),   # 0001_init.sql, 0002_add_roles.sql, ...
        cc_namespace = "jit::auth",
    )

defines the cc_library `migrations` with header "<package>/migrations.h":

    namespace jit::auth {
    std::vector<jit::db::Migration> Migrations();   // in version order
    }

to pass to jit::db::ApplyMigrations (//common/db:migrations). Version and name come from the
file name NNNN_name.sql; a malformed name or a duplicated version fails the build. The tool
is a small C++ binary (//bazel:embed_sql_migrations), so no python or xxd is needed.

A service that writes audit events sets `audit_outbox_version = N`: the shared outbox table
(//common/audit:audit_outbox.sql, the same columns in every schema) becomes its migration
N, named NNNN_audit_outbox.sql. Pick the next free version when adding it, and never change
N afterwards (applied migrations are checked by version and checksum).
"""

def jit_sql_migrations(name, srcs, cc_namespace, function = "Migrations", testonly = False,
                       visibility = None, audit_outbox_version = None):
    hdr = name + ".h"
    src = name + ".cc"
    pkg = native.package_name()
    include = (pkg + "/" + hdr) if pkg else hdr
    if audit_outbox_version != None:
        if audit_outbox_version < 1:
            fail("audit_outbox_version must be at least 1")
        version = str(audit_outbox_version)
        version = "0" * (4 - len(version)) + version
        outbox = "%s_shared/%s_audit_outbox.sql" % (name, version)
        native.genrule(
            name = name + "_audit_outbox",
            srcs = ["//common/audit:audit_outbox.sql"],
            outs = [outbox],
            cmd = "cp $< $@",
            testonly = testonly,
            visibility = ["//visibility:private"],
        )
        srcs = srcs + [":" + outbox]
    native.genrule(
        name = name + "_embed",
        srcs = srcs,
        outs = [hdr, src],
        tools = ["//bazel:embed_sql_migrations"],
        cmd = ("$(location //bazel:embed_sql_migrations) " +
               "--header=$(location :%s) --source=$(location :%s) " % (hdr, src) +
               "--include=%s --namespace=%s --function=%s $(SRCS)" % (include, cc_namespace, function)),
        testonly = testonly,
        visibility = ["//visibility:private"],
    )
    native.cc_library(
        name = name,
        srcs = [src],
        hdrs = [hdr],
        deps = ["//common/db:migrations"],
        testonly = testonly,
        visibility = visibility,
    )
