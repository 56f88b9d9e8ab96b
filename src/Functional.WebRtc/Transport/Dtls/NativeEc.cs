using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace Functional.WebRtc.Transport.Dtls;

/// <summary>
/// The few libcrypto (OpenSSL 3) calls the handshake's elliptic-curve steps need, called directly instead of through
/// .NET's wrappers. Why: .NET on OpenSSL 3 runs a full public-key validation (a scalar multiplication by the group
/// order) when it imports a public key and again when it derives an ECDH secret with it, which costs as much as the
/// ECDH itself. For the prime-order NIST curves (cofactor 1) the point-on-curve check is the whole validation that
/// matters (SP 800-56A section 5.6.2.3.4, partial public-key validation; RFC 8422 section 5.11): a point on the curve
/// that is not the point at infinity is in the prime-order group. OpenSSL's point decoding (EC_POINT_oct2point, via
/// EC_KEY_oct2key) always checks the point is on the curve; the point at infinity has no uncompressed encoding, which
/// is the only form taken here. ECDH_compute_key and ECDSA_verify then use the key without validating it again.
/// <para>Only on Linux, only when the libcrypto we load is the very one .NET uses (same version number), and only
/// for secp256r1/384r1/521r1; otherwise <see cref="Available"/> is false and the callers use .NET's path.</para>
/// </summary>
internal static unsafe class NativeEc
{
    /// <summary>Whether the direct path may be used (false: .NET's). Tests and benchmarks may turn it off.</summary>
    internal static volatile bool Enabled = true;

    /// <summary>Whether libcrypto was found with every function needed.</summary>
    public static bool Available => Enabled && loaded;

    /// <summary>Whether libcrypto was found with every function needed (whatever <see cref="Enabled"/> says).</summary>
    public static bool Loaded => loaded;

    private static readonly bool loaded;
    private static readonly delegate* unmanaged<int, nint> EC_KEY_new_by_curve_name;
    private static readonly delegate* unmanaged<nint, void> EC_KEY_free;
    private static readonly delegate* unmanaged<nint, int> EC_KEY_generate_key;
    private static readonly delegate* unmanaged<nint, nint> EC_KEY_get0_group;
    private static readonly delegate* unmanaged<nint, nint> EC_KEY_get0_public_key;
    private static readonly delegate* unmanaged<nint, byte*, nuint, nint, int> EC_KEY_oct2key;
    private static readonly delegate* unmanaged<nint, nint, int, byte*, nuint, nint, nuint> EC_POINT_point2oct;
    private static readonly delegate* unmanaged<byte*, nuint, nint, nint, nint, int> ECDH_compute_key;
    private static readonly delegate* unmanaged<int, byte*, int, byte*, int, nint, int> ECDSA_verify;
    private static readonly delegate* unmanaged<void> ERR_clear_error;

    static NativeEc()
    {
        try
        {
            // Same library as .NET's (its handles never cross, but the versions must match to trust the behaviour).
            if (!LibCrypto.TryOpen(out var lib)) return;
            nint F(string name) => LibCrypto.Export(lib, name);
            EC_KEY_new_by_curve_name = (delegate* unmanaged<int, nint>)F("EC_KEY_new_by_curve_name");
            EC_KEY_free = (delegate* unmanaged<nint, void>)F("EC_KEY_free");
            EC_KEY_generate_key = (delegate* unmanaged<nint, int>)F("EC_KEY_generate_key");
            EC_KEY_get0_group = (delegate* unmanaged<nint, nint>)F("EC_KEY_get0_group");
            EC_KEY_get0_public_key = (delegate* unmanaged<nint, nint>)F("EC_KEY_get0_public_key");
            EC_KEY_oct2key = (delegate* unmanaged<nint, byte*, nuint, nint, int>)F("EC_KEY_oct2key");
            EC_POINT_point2oct = (delegate* unmanaged<nint, nint, int, byte*, nuint, nint, nuint>)F("EC_POINT_point2oct");
            ECDH_compute_key = (delegate* unmanaged<byte*, nuint, nint, nint, nint, int>)F("ECDH_compute_key");
            ECDSA_verify = (delegate* unmanaged<int, byte*, int, byte*, int, nint, int>)F("ECDSA_verify");
            ERR_clear_error = (delegate* unmanaged<void>)F("ERR_clear_error");
            loaded = true;
        }
        catch (Exception) { loaded = false; }
    }

    /// <summary>OpenSSL's NID for a TLS NamedCurve (RFC 8422 section 5.1.1); 0 when not handled here.</summary>
    public static int Nid(int namedCurve) => namedCurve switch
    {
        Org.BouncyCastle.Crypto.Tls.NamedCurve.secp256r1 => 415, // NID_X9_62_prime256v1
        Org.BouncyCastle.Crypto.Tls.NamedCurve.secp384r1 => 715, // NID_secp384r1
        Org.BouncyCastle.Crypto.Tls.NamedCurve.secp521r1 => 716, // NID_secp521r1
        _ => 0,
    };

    /// <summary>An OpenSSL EC_KEY (public only, or a key pair), freed on dispose.</summary>
    internal sealed class Key : SafeHandle
    {
        public Key(nint handle) : base(0, true) => SetHandle(handle);
        public override bool IsInvalid => handle == 0;
        protected override bool ReleaseHandle()
        {
            EC_KEY_free(handle);
            return true;
        }
    }

    /// <summary>A fresh key pair on the curve and its public point, uncompressed (RFC 8422 section 5.4.1).</summary>
    public static Key Generate(int nid, int fieldSize, out byte[] point)
    {
        var k = EC_KEY_new_by_curve_name(nid);
        if (k == 0) throw Fail("EC_KEY_new_by_curve_name");
        var key = new Key(k);
        if (EC_KEY_generate_key(k) != 1) { key.Dispose(); throw Fail("EC_KEY_generate_key"); }
        point = new byte[1 + 2 * fieldSize];
        nuint n;
        fixed (byte* p = point) n = EC_POINT_point2oct(EC_KEY_get0_group(k), EC_KEY_get0_public_key(k), NetEc.UncompressedPoint, p, (nuint)point.Length, 0);
        if (n != (nuint)point.Length) { key.Dispose(); throw Fail("EC_POINT_point2oct"); }
        return key;
    }

    /// <summary>
    /// A public key from its uncompressed point: null when the encoding is wrong or the point is not on the curve
    /// (OpenSSL's decoding checks it). Nothing more is validated, see the class remarks.
    /// </summary>
    public static Key? ImportPoint(int nid, ReadOnlySpan<byte> point, int fieldSize)
    {
        if (point.Length != 1 + 2 * fieldSize || point[0] != NetEc.UncompressedPoint) return null;
        var k = EC_KEY_new_by_curve_name(nid);
        if (k == 0) throw Fail("EC_KEY_new_by_curve_name");
        var key = new Key(k);
        int ok;
        fixed (byte* p = point) ok = EC_KEY_oct2key(k, p, (nuint)point.Length, 0);
        if (ok == 1 && EC_KEY_get0_public_key(k) != 0) return key;
        ERR_clear_error();
        key.Dispose();
        return null;
    }

    /// <summary>The ECDH shared secret: the x-coordinate of our private scalar times the peer's point, field-size long.</summary>
    public static byte[] Agree(Key ours, Key peer, int fieldSize)
    {
        var secret = new byte[fieldSize];
        var added = false;
        var addedPeer = false;
        try
        {
            ours.DangerousAddRef(ref added);
            peer.DangerousAddRef(ref addedPeer);
            int n;
            fixed (byte* s = secret) n = ECDH_compute_key(s, (nuint)secret.Length, EC_KEY_get0_public_key(peer.DangerousGetHandle()), ours.DangerousGetHandle(), 0);
            if (n != fieldSize) throw Fail("ECDH_compute_key");
            return secret;
        }
        finally
        {
            if (addedPeer) peer.DangerousRelease();
            if (added) ours.DangerousRelease();
        }
    }

    /// <summary>Checks a DER ECDSA signature (strict DER, as OpenSSL re-encodes and compares) over a hash.</summary>
    public static bool VerifyHash(Key key, ReadOnlySpan<byte> hash, ReadOnlySpan<byte> derSignature)
    {
        var added = false;
        try
        {
            key.DangerousAddRef(ref added);
            int r;
            fixed (byte* h = hash)
            fixed (byte* s = derSignature)
                r = ECDSA_verify(0, h, hash.Length, s, derSignature.Length, key.DangerousGetHandle());
            if (r != 1) ERR_clear_error();
            return r == 1;
        }
        finally
        {
            if (added) key.DangerousRelease();
        }
    }

    private static CryptographicException Fail(string what)
    {
        ERR_clear_error();
        return new CryptographicException($"libcrypto {what} failed");
    }
}
