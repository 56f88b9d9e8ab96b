using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Functional.WebRtc.Core.Dtls;
using Org.BouncyCastle.Asn1;
using Org.BouncyCastle.Asn1.X509;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Security;
using BcCertificate = Org.BouncyCastle.Crypto.Tls.Certificate;

namespace Functional.WebRtc.Transport.Dtls;

/// <summary>
/// A DTLS certificate with its private key (the RTCCertificate of the W3C API): an ECDSA P-256 self-signed
/// certificate, in the forms both .NET and BouncyCastle need. Two certificates are equal when their
/// SHA-256 fingerprints are (SetConfiguration compares the certificates it was given).
/// </summary>
public sealed class DtlsCertificate : IEquatable<DtlsCertificate>
{
    private readonly byte[] der;

    /// <summary>The certificate in DER form (what the fingerprint hashes).</summary>
    public ReadOnlyMemory<byte> Der => der;
    /// <summary>The SHA-256 fingerprint, as advertised in SDP.</summary>
    public Fingerprint Fingerprint { get; }
    /// <summary>The end of the validity window (RTCCertificate.expires).</summary>
    public DateTimeOffset Expires { get; }
    /// <summary>The start of the validity window.</summary>
    public DateTimeOffset NotBefore { get; }

    /// <summary>The BouncyCastle chain (one self-signed certificate) for the TLS handshake.</summary>
    public BcCertificate Chain { get; }
    /// <summary>The private key in BouncyCastle's form (made on first use: the handshake signs with <see cref="SigningKey"/>).</summary>
    public AsymmetricKeyParameter PrivateKey => privateKey.Value;
    /// <summary>The private key for .NET's ECDSA, which signs in the handshake (ServerKeyExchange, CertificateVerify).</summary>
    internal ECDsa SigningKey { get; }

    private readonly Lazy<AsymmetricKeyParameter> privateKey;

    /// <summary>Takes ownership of <paramref name="key"/> (kept for the certificate's lifetime).</summary>
    private DtlsCertificate(byte[] der, ECDsa key, DateTimeOffset notBefore, DateTimeOffset expires)
    {
        this.der = der;
        SigningKey = key;
        privateKey = new Lazy<AsymmetricKeyParameter>(() => PrivateKeyFactory.CreateKey(key.ExportPkcs8PrivateKey()));
        // Handshakes will follow: have their ephemeral keys and threads ready (made in the background).
        EphemeralKeys.Refill();
        DtlsWorkers.EnsureSpare();
        NotBefore = notBefore;
        Expires = expires;
        Fingerprint = Fingerprint.Sha256(der);
        Chain = new BcCertificate([X509CertificateStructure.GetInstance(Asn1Object.FromByteArray(der))]);
    }

    /// <summary>The fingerprint with another hash function ("sha-1", "sha-384", "sha-512").</summary>
    public Fingerprint FingerprintWith(string algorithm) =>
        Fingerprint.Of(algorithm, der).Match(Right: f => f, Left: e => throw new ArgumentException(e.Message, nameof(algorithm)));

    /// <summary>
    /// Makes a fresh ECDSA P-256 self-signed certificate with a random 128-bit serial, valid from one day ago
    /// (tolerating clock skew) for <paramref name="validity"/> (default 30 days, like browsers).
    /// </summary>
    public static DtlsCertificate Generate(TimeSpan? validity = null, string commonName = "WebRTC")
    {
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(new X500DistinguishedName("CN=" + commonName), key, HashAlgorithmName.SHA256);
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7F; // a positive INTEGER (RFC 5280 section 4.1.2.2)
        serial[0] |= 0x01; // and no leading zero byte, so it stays 16 bytes
        var now = DateTimeOffset.UtcNow;
        var notBefore = now.AddDays(-1);
        var notAfter = now + (validity ?? TimeSpan.FromDays(30));
        using var cert = request.Create(request.SubjectName, X509SignatureGenerator.CreateForECDsa(key), notBefore, notAfter, serial);
        return new DtlsCertificate(cert.RawData, key,
            new DateTimeOffset(cert.NotBefore.ToUniversalTime()), new DateTimeOffset(cert.NotAfter.ToUniversalTime()));
    }

    /// <summary>Wraps an existing certificate that has an ECDSA private key (e.g. loaded from PEM or a store).</summary>
    public static DtlsCertificate FromX509(X509Certificate2 certificate)
    {
        using var original = certificate.GetECDsaPrivateKey()
            ?? throw new ArgumentException("the certificate has no ECDSA private key", nameof(certificate));
        // Our own copy (the caller may dispose the certificate); the key must be exportable, as before.
        var key = ECDsa.Create(original.ExportParameters(includePrivateParameters: true));
        return new DtlsCertificate(certificate.RawData, key,
            new DateTimeOffset(certificate.NotBefore.ToUniversalTime()), new DateTimeOffset(certificate.NotAfter.ToUniversalTime()));
    }

    /// <summary>
    /// This certificate with another signing key (tests: a key that does not match the certificate makes every
    /// handshake signature invalid, which the peer must refuse).
    /// </summary>
    internal DtlsCertificate WithSigningKey(ECDsa key) => new(der, key, NotBefore, Expires);

    /// <summary>The certificate (without key) as a .NET object.</summary>
    public X509Certificate2 ToX509() => X509CertificateLoader.LoadCertificate(der);

    public bool Equals(DtlsCertificate? other) => other is not null && Fingerprint.Matches(other.Fingerprint);
    public override bool Equals(object? obj) => obj is DtlsCertificate c && Equals(c);
    public override int GetHashCode() => Fingerprint.GetHashCode();
    public static bool operator ==(DtlsCertificate? a, DtlsCertificate? b) => a is null ? b is null : a.Equals(b);
    public static bool operator !=(DtlsCertificate? a, DtlsCertificate? b) => !(a == b);
    public override string ToString() => $"DtlsCertificate({Fingerprint}, expires {Expires:u})";
}

/// <summary>The W3C RTCPeerConnection.generateCertificate equivalent.</summary>
public static class Certificates
{
    /// <summary>A fresh ECDSA P-256 certificate (the only kind WebRTC endpoints need).</summary>
    public static DtlsCertificate GenerateCertificate(TimeSpan? validity = null) => DtlsCertificate.Generate(validity);
}
