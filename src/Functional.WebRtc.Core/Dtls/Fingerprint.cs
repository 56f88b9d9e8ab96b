using System.Security.Cryptography;
using LanguageExt;
using static LanguageExt.Prelude;

namespace Functional.WebRtc.Core.Dtls;

/// <summary>
/// A certificate fingerprint as carried in SDP (RFC 8122 section 5: <c>a=fingerprint:hash-func fingerprint</c>),
/// e.g. <c>sha-256 AB:CD:...</c>. WebRTC checks the peer's DTLS certificate against it (RFC 8827 section 6.5).
/// </summary>
public sealed record Fingerprint
{
    /// <summary>The lower-case hash function name as SDP writes it: "sha-1", "sha-256", "sha-384" or "sha-512".</summary>
    public string Algorithm { get; }
    private readonly byte[] digest;

    /// <summary>The digest bytes (read-only view).</summary>
    public ReadOnlyMemory<byte> Digest => digest;

    private Fingerprint(string algorithm, byte[] digest) => (Algorithm, this.digest) = (algorithm, digest);

    /// <summary>The hash functions we can compute and check, with their digest lengths.</summary>
    public static readonly Seq<(string Name, int Length)> Algorithms = Seq(("sha-1", 20), ("sha-256", 32), ("sha-384", 48), ("sha-512", 64));

    /// <summary>Builds a fingerprint from an algorithm name (case-insensitive) and the digest bytes; checks the length.</summary>
    public static Either<RtcError, Fingerprint> Create(string algorithm, ReadOnlySpan<byte> digest)
    {
        var name = algorithm.ToLowerInvariant();
        var known = Algorithms.Find(a => a.Name == name);
        if (known.IsNone) return new RtcError.NotSupported($"unsupported fingerprint hash function '{algorithm}'");
        var length = known.Map(a => a.Length).IfNone(0);
        if (digest.Length != length) return new RtcError.Syntax($"{name} fingerprint must be {length} bytes, got {digest.Length}");
        return new Fingerprint(name, digest.ToArray());
    }

    /// <summary>The fingerprint of a DER-encoded certificate (RFC 8122 section 5: the hash of the DER form).</summary>
    public static Either<RtcError, Fingerprint> Of(string algorithm, ReadOnlySpan<byte> derCertificate)
    {
        byte[]? digest = algorithm.ToLowerInvariant() switch
        {
            "sha-1" => SHA1.HashData(derCertificate),
            "sha-256" => SHA256.HashData(derCertificate),
            "sha-384" => SHA384.HashData(derCertificate),
            "sha-512" => SHA512.HashData(derCertificate),
            _ => null,
        };
        return digest is null
            ? new RtcError.NotSupported($"unsupported fingerprint hash function '{algorithm}'")
            : Create(algorithm, digest);
    }

    /// <summary>The SHA-256 fingerprint of a DER certificate (what WebRTC endpoints advertise).</summary>
    public static Fingerprint Sha256(ReadOnlySpan<byte> derCertificate) =>
        new("sha-256", SHA256.HashData(derCertificate));

    /// <summary>
    /// Parses the value of an SDP fingerprint attribute: <c>hash-func SP 2UHEX *(":" 2UHEX)</c> (RFC 8122 section 5).
    /// Hex digits are accepted in either case (RFC 8122 says upper case; browsers are lenient). Never throws.
    /// </summary>
    public static Either<RtcError, Fingerprint> Parse(string? text)
    {
        if (text is null) return new RtcError.Syntax("fingerprint is null");
        var s = text.AsSpan().Trim();
        var space = s.IndexOfAny(' ', '\t');
        if (space <= 0) return new RtcError.Syntax("fingerprint needs 'hash-func SP hex'", 0, 0);
        var algorithm = s[..space].ToString();
        var hex = s[(space + 1)..].TrimStart();
        if (hex.IsEmpty) return new RtcError.Syntax("fingerprint has no digest", 0, space + 1);
        // Each byte is two hex digits; bytes are separated by single colons: n bytes take 3n - 1 characters.
        if ((hex.Length + 1) % 3 != 0) return new RtcError.Syntax("fingerprint digest must be colon-separated hex byte pairs", 0, space + 1);
        var bytes = new byte[(hex.Length + 1) / 3];
        for (var i = 0; i < bytes.Length; i++)
        {
            var at = i * 3;
            var hi = HexValue(hex[at]);
            var lo = HexValue(hex[at + 1]);
            if (hi < 0 || lo < 0) return new RtcError.Syntax($"invalid hex digit in fingerprint byte {i}", 0, space + 1 + at);
            if (i < bytes.Length - 1 && hex[at + 2] != ':') return new RtcError.Syntax($"expected ':' after fingerprint byte {i}", 0, space + 1 + at + 2);
            bytes[i] = (byte)(hi << 4 | lo);
        }
        return Create(algorithm, bytes);
    }

    private static int HexValue(char c) => c switch
    {
        >= '0' and <= '9' => c - '0',
        >= 'A' and <= 'F' => c - 'A' + 10,
        >= 'a' and <= 'f' => c - 'a' + 10,
        _ => -1,
    };

    /// <summary>The digest in SDP form: upper-case hex bytes joined by colons.</summary>
    public string DigestText => Convert.ToHexString(digest) is var hex && hex.Length > 0
        ? string.Join(':', Enumerable.Range(0, hex.Length / 2).Select(i => hex.Substring(i * 2, 2)))
        : "";

    /// <summary>The SDP attribute value, e.g. <c>sha-256 AB:CD:...</c>.</summary>
    public override string ToString() => $"{Algorithm} {DigestText}";

    /// <summary>True when both name the same hash function (case-insensitive) and the same digest.</summary>
    public bool Matches(Fingerprint other) =>
        string.Equals(Algorithm, other.Algorithm, StringComparison.OrdinalIgnoreCase) && digest.AsSpan().SequenceEqual(other.digest);

    /// <summary>True when the DER certificate hashes to this fingerprint with this fingerprint's hash function.</summary>
    public bool Matches(ReadOnlySpan<byte> derCertificate) =>
        Of(Algorithm, derCertificate).Match(Right: Matches, Left: _ => false);

    /// <summary>RFC 8122 section 5 / JSEP: a certificate is accepted when it matches any of the remote fingerprints.</summary>
    public static bool MatchesAny(IEnumerable<Fingerprint> expected, ReadOnlySpan<byte> derCertificate)
    {
        foreach (var f in expected)
            if (f.Matches(derCertificate)) return true;
        return false;
    }

    public bool Equals(Fingerprint? other) => other is not null && Matches(other);
    public override int GetHashCode() => HashCode.Combine(Algorithm.ToLowerInvariant(), digest.Length > 0 ? digest[0] : 0, digest.Length);
}
