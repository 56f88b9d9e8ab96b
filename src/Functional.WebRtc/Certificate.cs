using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Functional.WebRtc;

/// <summary>
/// A connection's DTLS certificate: ECDSA P-256, self-signed, with a fresh random serial (W3C RTCCertificate).
/// Its SHA-256 fingerprint goes into the SDP; the peer checks it against what DTLS presents.
/// </summary>
public sealed class Certificate : IEquatable<Certificate>
{
    private Certificate(X509Certificate2 x509, ECDsa key)
    {
        X509 = x509;
        PrivateKey = key;
        Der = x509.RawData;
        Sha256 = SHA256.HashData(Der);
        Fingerprint = "sha-256 " + Convert.ToHexString(Sha256).Chunk(2).Select(c => new string(c)).Aggregate((a, b) => a + ":" + b);
    }

    public X509Certificate2 X509 { get; }
    public ECDsa PrivateKey { get; }
    /// <summary>The DER encoding of the certificate.</summary>
    public byte[] Der { get; }
    internal byte[] Sha256 { get; }
    /// <summary>The SDP fingerprint value, e.g. "sha-256 AB:CD:...".</summary>
    public string Fingerprint { get; }
    public DateTimeOffset Expires => X509.NotAfter;

    /// <summary>Makes a new ECDSA P-256 self-signed certificate valid for 30 days (as browsers do).</summary>
    public static Certificate Generate(TimeSpan? validity = null)
    {
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=WebRTC", key, HashAlgorithmName.SHA256);
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7F; // positive
        var now = DateTimeOffset.UtcNow;
        var cert = request.Create(new X500DistinguishedName("CN=WebRTC"), X509SignatureGenerator.CreateForECDsa(key),
            now.AddDays(-1), now + (validity ?? TimeSpan.FromDays(30)), serial);
        return new Certificate(cert, key);
    }

    public bool Equals(Certificate? other) => other is not null && Sha256.AsSpan().SequenceEqual(other.Sha256);
    public override bool Equals(object? obj) => Equals(obj as Certificate);
    public override int GetHashCode() => BitConverter.ToInt32(Sha256, 0);
}
