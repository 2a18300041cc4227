// Reference for bench/ca_bench: the same certificates built, signed and encoded with Go's
// golang.org/x/crypto/ssh (SignCert + MarshalAuthorizedKey) and crypto/x509
// (CreateCertificate + PEM), on one core. ca_bench builds this file with Debian's golang-go
// and golang-golang-x-crypto-dev (GOPATH mode, offline) and runs it in the same run.
//
//	ca_ref -case ssh-ed25519|ssh-p256|x509-p256 -ops N -reps R
//
// Prints one line per repetition: "ns_per_op <float>", measured as the process's CPU time
// (user + system, so Go's garbage collector counts) over N operations, with GOMAXPROCS=1.
package main

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha1"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/binary"
	"encoding/pem"
	"flag"
	"fmt"
	"math/big"
	"os"
	"runtime"
	"syscall"
	"time"

	"golang.org/x/crypto/ssh"
)

func cpuNanos() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		panic(err)
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}

func must(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// One SSH user certificate as jit-access issues it: Ed25519 user key, key id, two
// principals, one hour, source-address, the usual permit-* flags and jit-access extensions.
func sshCert(ca ssh.Signer, user ssh.PublicKey) []byte {
	var serial [8]byte
	_, err := rand.Read(serial[:])
	must(err)
	now := uint64(time.Now().Unix())
	cert := &ssh.Certificate{
		Key:             user,
		Serial:          binary.BigEndian.Uint64(serial[:]) | 1,
		CertType:        ssh.UserCert,
		KeyId:           "alice/req-7,req-9/18000000000000000123",
		ValidPrincipals: []string{"alice", "deploy"},
		ValidAfter:      now - 60,
		ValidBefore:     now + 3600,
		Permissions: ssh.Permissions{
			CriticalOptions: map[string]string{"source-address": "10.0.0.0/8"},
			Extensions: map[string]string{
				"permit-pty":              "",
				"permit-port-forwarding":  "",
				"permit-agent-forwarding": "",
				"jit-roles@jit-access":    "dev,ops",
				"jit-requests@jit-access": "req-7,req-9",
			},
		},
	}
	must(cert.SignCert(rand.Reader, ca))
	return ssh.MarshalAuthorizedKey(cert)
}

type jitAccess struct {
	Roles    []asn1.RawValue
	GrantIds []asn1.RawValue
}

func utf8Strings(values ...string) []asn1.RawValue {
	out := make([]asn1.RawValue, len(values))
	for i, v := range values {
		out[i] = asn1.RawValue{Tag: asn1.TagUTF8String, Bytes: []byte(v)}
	}
	return out
}

var jitAccessOid = func() asn1.ObjectIdentifier {
	// 2.25.147301519068242432030457526801913626952 does not fit asn1.ObjectIdentifier's int
	// arcs; Go cannot express the same OID, so the reference uses a same-length private OID
	// under 1.3.6.1.4.1 (the DER work is the same).
	return asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 99999, 1, 1}
}()

// One X.509 client certificate as jit-access issues it for PostgreSQL/Kubernetes.
func x509Cert(caCert *x509.Certificate, caKey crypto.Signer, pub crypto.PublicKey) []byte {
	serialBytes := make([]byte, 16)
	_, err := rand.Read(serialBytes)
	must(err)
	serialBytes[0] = (serialBytes[0] & 0x7f) | 1
	ext, err := asn1.Marshal(jitAccess{Roles: utf8Strings("kube-admin"), GrantIds: utf8Strings("req-9")})
	must(err)
	spki, err := x509.MarshalPKIXPublicKey(pub)
	must(err)
	var info struct {
		Algorithm pkix.AlgorithmIdentifier
		PublicKey asn1.BitString
	}
	_, err = asn1.Unmarshal(spki, &info)
	must(err)
	ski := sha1.Sum(info.PublicKey.Bytes)
	now := time.Now()
	template := &x509.Certificate{
		SerialNumber:          new(big.Int).SetBytes(serialBytes),
		Subject:               pkix.Name{CommonName: "alice", Organization: []string{"system:masters", "dev"}},
		NotBefore:             now.Add(-time.Minute),
		NotAfter:              now.Add(time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
		BasicConstraintsValid: true,
		IsCA:                  false,
		SubjectKeyId:          ski[:],
		ExtraExtensions:       []pkix.Extension{{Id: jitAccessOid, Value: ext}},
	}
	der, err := x509.CreateCertificate(rand.Reader, template, caCert, pub, caKey)
	must(err)
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

func main() {
	which := flag.String("case", "ssh-ed25519", "ssh-ed25519, ssh-p256 or x509-p256")
	ops := flag.Int("ops", 2000, "operations per repetition")
	reps := flag.Int("reps", 1, "repetitions")
	flag.Parse()
	runtime.GOMAXPROCS(1)
	runtime.LockOSThread()

	var op func() []byte
	switch *which {
	case "ssh-ed25519", "ssh-p256":
		var caKey interface{}
		if *which == "ssh-ed25519" {
			_, k, err := ed25519.GenerateKey(rand.Reader)
			must(err)
			caKey = k
		} else {
			k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
			must(err)
			caKey = k
		}
		ca, err := ssh.NewSignerFromKey(caKey)
		must(err)
		userPub, _, err := ed25519.GenerateKey(rand.Reader)
		must(err)
		user, err := ssh.NewPublicKey(userPub)
		must(err)
		op = func() []byte { return sshCert(ca, user) }
	case "x509-p256":
		caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		must(err)
		now := time.Now()
		caTemplate := &x509.Certificate{
			SerialNumber:          big.NewInt(1),
			Subject:               pkix.Name{CommonName: "jit-access x509-user CA", Organization: []string{"jit-access"}},
			NotBefore:             now.Add(-time.Hour),
			NotAfter:              now.Add(24 * time.Hour),
			KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
			BasicConstraintsValid: true,
			IsCA:                  true,
			MaxPathLenZero:        true,
		}
		caDer, err := x509.CreateCertificate(rand.Reader, caTemplate, caTemplate, &caKey.PublicKey, caKey)
		must(err)
		caCert, err := x509.ParseCertificate(caDer)
		must(err)
		client, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		must(err)
		op = func() []byte { return x509Cert(caCert, caKey, &client.PublicKey) }
	default:
		must(fmt.Errorf("unknown case %q", *which))
	}
	sink := 0
	for i := 0; i < *ops/10+1; i++ { // warm-up
		sink += len(op())
	}
	for r := 0; r < *reps; r++ {
		start := cpuNanos()
		for i := 0; i < *ops; i++ {
			sink += len(op())
		}
		fmt.Printf("ns_per_op %.1f\n", float64(cpuNanos()-start)/float64(*ops))
	}
	if sink == 0 {
		fmt.Println("unreachable")
	}
}
