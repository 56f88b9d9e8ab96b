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

    /// <summary>A fresh ephemeral key pair with its encoded point: libcrypto's when <see cref="NativeEc.Available"/>, else .NET's.</summary>
    public static EphemeralKey NewEphemeralKey(int namedCurve, bool? native = null)
    {
        if (!TryGetCurve(namedCurve, out _, out var fieldSize)) throw new TlsFatalAlert(AlertDescription.internal_error);
        if (native ?? NativeEc.Available)
        {
            var pair = NativeEc.Generate(NativeEc.Nid(namedCurve), fieldSize, out var point);
            return new EphemeralKey(null, pair, point);
        }
        var key = NewEphemeral(namedCurve);
        return new EphemeralKey(key, null, EncodePoint(key, fieldSize));
    }

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
    /// point (only if we listed that format, RFC 8422 section 5.1.2) is decompressed by BouncyCastle. The point must be
    /// on the curve (no invalid-curve attack): OpenSSL checks it at import, on either path (libcrypto's point decoding,
    /// or .NET's import with its full validation); a bad encoding or point is a fatal illegal_parameter alert.
    /// </summary>
    public static PeerKey ImportPeerPoint(int namedCurve, byte[] point, byte[]? ourPointFormats, bool? native = null)
    {
        if (!TryGetCurve(namedCurve, out var curve, out var n)) throw new TlsFatalAlert(AlertDescription.internal_error);
        byte[] x, y;
        if (point.Length == 1 + 2 * n && point[0] == UncompressedPoint)
        {
            if (native ?? NativeEc.Available)
                return NativeEc.ImportPoint(NativeEc.Nid(namedCurve), point, n) is { } key
                    ? new PeerKey(namedCurve, point, key, null)
                    : throw new TlsFatalAlert(AlertDescription.illegal_parameter); // not on the curve
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
        var uncompressed = new byte[1 + 2 * n];
        uncompressed[0] = UncompressedPoint;
        x.CopyTo(uncompressed.AsSpan(1 + n - x.Length));
        y.CopyTo(uncompressed.AsSpan(1 + 2 * n - y.Length));
        try
        {
            var net = ECDiffieHellman.Create(new ECParameters { Curve = curve, Q = new ECPoint { X = x, Y = y } });
            return new PeerKey(namedCurve, uncompressed, null, net);
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

    /// <summary>The ECDH shared secret of our ephemeral pair and the peer's key, on whichever path each was made.</summary>
    public static byte[] Agree(EphemeralKey ours, PeerKey peer)
    {
        TryGetCurve(peer.NamedCurve, out var curve, out var n);
        if (ours.Native is { } mine)
        {
            if (peer.Native is { } theirs) return NativeEc.Agree(mine, theirs, n);
            using var imported = NativeEc.ImportPoint(NativeEc.Nid(peer.NamedCurve), peer.Point, n)
                ?? throw new TlsFatalAlert(AlertDescription.illegal_parameter);
            return NativeEc.Agree(mine, imported, n);
        }
        if (peer.Net is { } net) return Agree(ours.Key!, net);
        try
        {
            using var key = ECDiffieHellman.Create(new ECParameters
            {
                Curve = curve,
                Q = new ECPoint { X = peer.Point.AsSpan(1, n).ToArray(), Y = peer.Point.AsSpan(1 + n, n).ToArray() },
            });
            return Agree(ours.Key!, key);
        }
        catch (CryptographicException e) { throw new TlsFatalAlert(AlertDescription.illegal_parameter, e); }
    }

    /// <summary>
    /// The ECDSA verification key of a certificate, when it is an EC key on a curve OpenSSL knows; null otherwise
    /// (an RSA certificate, another curve): the caller then lets BouncyCastle verify.
    /// </summary>
    public static VerifyingKey? VerifyKey(X509CertificateStructure certificate, bool? native = null)
    {
        var spki = certificate.SubjectPublicKeyInfo;
        if (!spki.AlgorithmID.Algorithm.Equals(Org.BouncyCastle.Asn1.X9.X9ObjectIdentifiers.IdECPublicKey)) return null;
        if ((native ?? NativeEc.Available) && spki.AlgorithmID.Parameters is Org.BouncyCastle.Asn1.DerObjectIdentifier oid
            && NamedCurveOf(oid) is var named and > 0 && TryGetCurve(named, out _, out var n))
        {
            // A point off the curve is refused here as by .NET's import: BouncyCastle then refuses the certificate.
            return NativeEc.ImportPoint(NativeEc.Nid(named), spki.PublicKeyData.GetBytes(), n) is { } key
                ? new VerifyingKey(key, null)
                : null;
        }
        var net = ECDsa.Create();
        try
        {
            net.ImportSubjectPublicKeyInfo(spki.GetDerEncoded(), out _);
            return new VerifyingKey(null, net);
        }
        catch (CryptographicException)
        {
            net.Dispose();
            return null; // explicit or unknown curve parameters: BouncyCastle decides
        }
    }

    /// <summary>The TLS NamedCurve of a named-curve OID (RFC 5480 section 2.1.1.1), or -1.</summary>
    private static int NamedCurveOf(Org.BouncyCastle.Asn1.DerObjectIdentifier oid) =>
        oid.Equals(Org.BouncyCastle.Asn1.X9.X9ObjectIdentifiers.Prime256v1) ? NamedCurve.secp256r1
        : oid.Equals(Org.BouncyCastle.Asn1.Sec.SecObjectIdentifiers.SecP384r1) ? NamedCurve.secp384r1
        : oid.Equals(Org.BouncyCastle.Asn1.Sec.SecObjectIdentifiers.SecP521r1) ? NamedCurve.secp521r1
        : -1;

    /// <summary>Verifies a DER-encoded ECDSA signature (RFC 8422 section 5.4) over a hash; a malformed signature is false.</summary>
    public static bool VerifyHash(VerifyingKey key, byte[] hash, byte[] derSignature)
    {
        if (key.Native is { } native) return NativeEc.VerifyHash(native, hash, derSignature);
        try { return key.Net!.VerifyHash(hash, derSignature, DSASignatureFormat.Rfc3279DerSequence); }
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

/// <summary>The peer's ephemeral ECDH public key (on the curve): libcrypto's or .NET's, with its uncompressed point.</summary>
internal sealed class PeerKey(int namedCurve, byte[] point, NativeEc.Key? native, ECDiffieHellman? net) : IDisposable
{
    public int NamedCurve { get; } = namedCurve;
    /// <summary>0x04 || X || Y, each coordinate field-size long.</summary>
    public byte[] Point { get; } = point;
    public NativeEc.Key? Native { get; } = native;
    public ECDiffieHellman? Net { get; } = net;
    public void Dispose() { Native?.Dispose(); Net?.Dispose(); }
}

/// <summary>A certificate's ECDSA public key: libcrypto's or .NET's.</summary>
internal sealed class VerifyingKey(NativeEc.Key? native, ECDsa? net) : IDisposable
{
    public NativeEc.Key? Native { get; } = native;
    public ECDsa? Net { get; } = net;
    public void Dispose() { Native?.Dispose(); Net?.Dispose(); }
}
