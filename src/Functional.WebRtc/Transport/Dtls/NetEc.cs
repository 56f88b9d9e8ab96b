using System.Security.Cryptography;
using Org.BouncyCastle.Asn1.X509;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Crypto.Tls;
using BcHash = Org.BouncyCastle.Crypto.Tls.HashAlgorithm;

namespace Functional.WebRtc.Transport.Dtls;

/// <summary>
/// The elliptic-curve operations of the DTLS handshake done by .NET's crypto (OpenSSL on Linux) instead of
/// BouncyCastle's managed arithmetic: the NIST curves of RFC 8422 (secp256r1, secp384r1, secp521r1) and the
/// TLS wire forms (named_curve parameters, uncompressed points, DER-encoded ECDSA signatures).
/// </summary>
internal static class NetEc
{
    /// <summary>
    /// Whether new handshakes use .NET's math (true) or BouncyCastle's (false). Only benchmarks change it, to compare
    /// the two; tests choose per peer instead.
    /// </summary>
    internal static volatile bool Enabled = true;

    /// <summary>
    /// Whether independent steps (a certificate-key import, an ECDH) run on the thread pool while the handshake thread
    /// does the other chain (true), or one after the other on the handshake thread (false, the default: on this
    /// 2-core machine the overlap gained nothing measurable, the thread-pool hops eat it). Benchmarks compare the two.
    /// </summary>
    internal static volatile bool Overlap;

    /// <summary>Starts <paramref name="work"/> in the background when <see cref="Overlap"/> is on; else runs it now.</summary>
    public static Task<T> Start<T>(Func<T> work)
    {
        if (Overlap) return Task.Run(work);
        try { return Task.FromResult(work()); }
        catch (Exception e) { return Task.FromException<T>(e); }
    }

    /// <summary>RFC 8422 section 5.4: ECCurveType.named_curve.</summary>
    public const byte NamedCurveType = 3;
    /// <summary>RFC 8422 section 5.4.1: the form 0x04 || X || Y.</summary>
    public const byte UncompressedPoint = 4;

    /// <summary>The .NET curve for a TLS NamedCurve (RFC 8422 section 5.1.1), if .NET does its math.</summary>
    public static bool TryGetCurve(int namedCurve, out ECCurve curve, out int fieldSize)
    {
        switch (namedCurve)
        {
            case NamedCurve.secp256r1: curve = ECCurve.NamedCurves.nistP256; fieldSize = 32; return true;
            case NamedCurve.secp384r1: curve = ECCurve.NamedCurves.nistP384; fieldSize = 48; return true;
            case NamedCurve.secp521r1: curve = ECCurve.NamedCurves.nistP521; fieldSize = 66; return true;
            default: curve = default; fieldSize = 0; return false;
        }
    }

    /// <summary>The .NET hash for a TLS HashAlgorithm (RFC 5246 section 7.4.1.4.1), when .NET has it.</summary>
    public static HashAlgorithmName? HashName(byte hash) => hash switch
    {
        BcHash.sha1 => HashAlgorithmName.SHA1,
        BcHash.sha256 => HashAlgorithmName.SHA256,
        BcHash.sha384 => HashAlgorithmName.SHA384,
        BcHash.sha512 => HashAlgorithmName.SHA512,
        _ => null,
    };

    /// <summary>A fresh ephemeral key on the curve (RFC 8422 section 5.4: new for every handshake).</summary>
    public static ECDiffieHellman NewEphemeral(int namedCurve) =>
        TryGetCurve(namedCurve, out var curve, out _) ? ECDiffieHellman.Create(curve) : throw new TlsFatalAlert(AlertDescription.internal_error);

    /// <summary>Our public point in its uncompressed form (RFC 8422 section 5.4.1), both coordinates field-size long.</summary>
    public static byte[] EncodePoint(ECDiffieHellman key, int fieldSize)
    {
        var q = key.ExportParameters(false).Q;
        var point = new byte[1 + 2 * fieldSize];
        point[0] = UncompressedPoint;
        q.X!.CopyTo(point.AsSpan(1 + fieldSize - q.X!.Length));
        q.Y!.CopyTo(point.AsSpan(1 + 2 * fieldSize - q.Y!.Length));
        return point;
    }

    /// <summary>
    /// The peer's ephemeral public key from its encoded point. Uncompressed points are split directly; a compressed
    /// point (only if we listed that format, RFC 8422 section 5.1.2) is decompressed by BouncyCastle. OpenSSL checks the
    /// point is on the curve (no invalid-curve attack); a bad encoding or point is a fatal illegal_parameter alert.
    /// </summary>
    public static ECDiffieHellman ImportPeerPoint(int namedCurve, byte[] point, byte[]? ourPointFormats)
    {
        if (!TryGetCurve(namedCurve, out var curve, out var n)) throw new TlsFatalAlert(AlertDescription.internal_error);
        byte[] x, y;
        if (point.Length == 1 + 2 * n && point[0] == UncompressedPoint)
        {
            x = point.AsSpan(1, n).ToArray();
            y = point.AsSpan(1 + n, n).ToArray();
        }
        else if (point.Length == 1 + n && point[0] is 2 or 3)
        {
            // TlsEccUtilities refuses a compressed point unless ansiX962_compressed_prime is among our formats.
            var key = TlsEccUtilities.ValidateECPublicKey(
                TlsEccUtilities.DeserializeECPublicKey(ourPointFormats, TlsEccUtilities.GetParametersForNamedCurve(namedCurve), point));
            var q = key.Q.Normalize();
            x = q.AffineXCoord.GetEncoded();
            y = q.AffineYCoord.GetEncoded();
        }
        else throw new TlsFatalAlert(AlertDescription.illegal_parameter);
        try
        {
            return ECDiffieHellman.Create(new ECParameters { Curve = curve, Q = new ECPoint { X = x, Y = y } });
        }
        catch (CryptographicException e)
        {
            throw new TlsFatalAlert(AlertDescription.illegal_parameter, e); // not on the curve
        }
    }

    /// <summary>
    /// The ECDH shared secret: the x-coordinate, field-size long with its leading zeros (RFC 8422 section 5.10).
    /// </summary>
    public static byte[] Agree(ECDiffieHellman ours, ECDiffieHellman peer)
    {
        using var peerPublic = peer.PublicKey;
        return ours.DeriveRawSecretAgreement(peerPublic);
    }

    /// <summary>
    /// The ECDSA verification key of a certificate, when it is an EC key on a curve OpenSSL knows; null otherwise
    /// (an RSA certificate, another curve): the caller then lets BouncyCastle verify.
    /// </summary>
    public static ECDsa? VerifyKey(X509CertificateStructure certificate)
    {
        var spki = certificate.SubjectPublicKeyInfo;
        if (!spki.AlgorithmID.Algorithm.Equals(Org.BouncyCastle.Asn1.X9.X9ObjectIdentifiers.IdECPublicKey)) return null;
        var key = ECDsa.Create();
        try
        {
            key.ImportSubjectPublicKeyInfo(spki.GetDerEncoded(), out _);
            return key;
        }
        catch (CryptographicException)
        {
            key.Dispose();
            return null; // explicit or unknown curve parameters: BouncyCastle decides
        }
    }

    /// <summary>Verifies a DER-encoded ECDSA signature (RFC 8422 section 5.4) over a hash; a malformed signature is false.</summary>
    public static bool VerifyHash(ECDsa key, byte[] hash, byte[] derSignature)
    {
        try { return key.VerifyHash(hash, derSignature, DSASignatureFormat.Rfc3279DerSequence); }
        catch (CryptographicException) { return false; }
    }

    /// <summary>Reads the rest of a handshake message body.</summary>
    public static byte[] ReadRest(Stream input)
    {
        if (input is MemoryStream m && m.TryGetBuffer(out var segment))
        {
            var rest = segment.AsSpan((int)m.Position, (int)(m.Length - m.Position)).ToArray();
            m.Position = m.Length;
            return rest;
        }
        using var copy = new MemoryStream();
        input.CopyTo(copy);
        return copy.ToArray();
    }
}
