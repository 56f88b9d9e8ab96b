using System.Security.Cryptography.X509Certificates;
using Functional.WebRtc.Transport.Dtls;

namespace Functional.WebRtc;

/// <summary>
/// A connection's DTLS certificate (W3C RTCCertificate): ECDSA P-256, self-signed, with a fresh random serial.
/// Its SHA-256 fingerprint goes into the SDP; the peer checks it against what DTLS presents.
/// </summary>
public sealed class Certificate : IEquatable<Certificate>
{
    private Certificate(DtlsCertificate dtls) => Dtls = dtls;

    internal DtlsCertificate Dtls { get; }

    /// <summary>The SDP fingerprint value, e.g. "sha-256 AB:CD:...".</summary>
    public string Fingerprint => Dtls.Fingerprint.ToString();
    public DateTimeOffset Expires => Dtls.Expires;
    /// <summary>The DER encoding of the certificate.</summary>
    public ReadOnlyMemory<byte> Der => Dtls.Der;
    /// <summary>The certificate (without its key) as a .NET object.</summary>
    public X509Certificate2 ToX509() => Dtls.ToX509();

    /// <summary>Makes a new ECDSA P-256 self-signed certificate valid for 30 days (as browsers do).</summary>
    public static Certificate Generate(TimeSpan? validity = null) => new(DtlsCertificate.Generate(validity));

    /// <summary>Uses an existing certificate with an ECDSA private key.</summary>
    public static Certificate FromX509(X509Certificate2 certificate) => new(DtlsCertificate.FromX509(certificate));

    public bool Equals(Certificate? other) => other is not null && Dtls.Equals(other.Dtls);
    public override bool Equals(object? obj) => Equals(obj as Certificate);
    public override int GetHashCode() => Dtls.GetHashCode();
    public override string ToString() => $"Certificate({Fingerprint})";
}
