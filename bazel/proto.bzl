"""jit_cc_proto: C++ message, gRPC and gMock libraries from .proto files.

Uses Debian's /usr/bin/protoc and /usr/bin/grpc_cpp_plugin (gRPC 1.51, Protobuf 3.21) in a
genrule, so the build needs nothing downloaded. Proto files live under //protos and import
each other relative to that root ("jit/common/v1/types.proto"); generated headers are
included the same way ("jit/common/v1/types.pb.h").

    jit_cc_proto(
        name = "auth_proto",
        srcs = ["auth.proto"],
        deps = ["//protos/jit/common/v1:common_proto"],
    )

defines:
    auth_proto        cc_library: messages (auth.pb.h)
    auth_proto_grpc   cc_library: services, stubs (auth.grpc.pb.h)
    auth_proto_mock   cc_library (testonly): gMock stubs (auth_mock.grpc.pb.h)
    auth_proto_files  filegroup: the .proto files with everything they import
"""

_PROTO_ROOT = "protos"

def _strip(src):
    if not src.endswith(".proto"):
        fail("jit_cc_proto: %s is not a .proto file" % src)
    return src[:-len(".proto")]

def jit_cc_proto(name, srcs, deps = [], grpc = True, visibility = None):
    pkg = native.package_name()
    if not (pkg == _PROTO_ROOT or pkg.startswith(_PROTO_ROOT + "/")):
        fail("jit_cc_proto must be used under //%s" % _PROTO_ROOT)

    native.filegroup(
        name = name + "_files",
        srcs = srcs + [d + "_files" for d in deps],
        visibility = visibility,
    )

    bases = [_strip(s) for s in srcs]
    msg_hdrs = [b + ".pb.h" for b in bases]
    msg_srcs = [b + ".pb.cc" for b in bases]
    grpc_hdrs = [b + ".grpc.pb.h" for b in bases] if grpc else []
    grpc_srcs = [b + ".grpc.pb.cc" for b in bases] if grpc else []
    mock_hdrs = [b + "_mock.grpc.pb.h" for b in bases] if grpc else []

    # protoc sees the .proto files at their execroot paths ("protos/jit/..."), so
    # "-Iprotos" makes import paths and output paths start at "jit/...".
    proto_paths = " ".join(["%s/%s" % (pkg, s) for s in srcs])
    cmd = ("/usr/bin/protoc -I%s -I/usr/include --cpp_out=$(GENDIR)/%s " % (_PROTO_ROOT, _PROTO_ROOT))
    if grpc:
        cmd += ("--plugin=protoc-gen-grpc=/usr/bin/grpc_cpp_plugin " +
                "--grpc_out=generate_mock_code=true:$(GENDIR)/%s " % _PROTO_ROOT)
    cmd += proto_paths

    native.genrule(
        name = name + "_gen",
        srcs = [name + "_files"],
        outs = msg_hdrs + msg_srcs + grpc_hdrs + grpc_srcs + mock_hdrs,
        cmd = cmd,
        message = "protoc %s" % name,
    )

    native.cc_library(
        name = name,
        srcs = msg_srcs,
        hdrs = msg_hdrs,
        strip_include_prefix = "/" + _PROTO_ROOT,
        copts = ["-w"],
        deps = deps + ["//third_party:protobuf"],
        visibility = visibility,
    )

    if grpc:
        native.cc_library(
            name = name + "_grpc",
            srcs = grpc_srcs,
            hdrs = grpc_hdrs,
            strip_include_prefix = "/" + _PROTO_ROOT,
            copts = ["-w"],
            deps = [name, "//third_party:grpc"],
            visibility = visibility,
        )
        native.cc_library(
            name = name + "_mock",
            testonly = True,
            hdrs = mock_hdrs,
            strip_include_prefix = "/" + _PROTO_ROOT,
            deps = [name + "_grpc", "//third_party:gtest"],
            visibility = visibility,
        )
