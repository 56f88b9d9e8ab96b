using System.Collections;
using System.Security.Cryptography;
using Org.BouncyCastle.Crypto.Tls;
using BcCertificate = Org.BouncyCastle.Crypto.Tls.Certificate;

namespace Functional.WebRtc.Transport.Dtls;

/// <summary>
/// ECDHE key exchange (RFC 8422) with BouncyCastle's handshake logic but .NET's elliptic-curve math: the ephemeral key
/// pair, the shared secret and the ECDSA check of ServerKeyExchange run in OpenSSL (tens of microseconds) instead of
/// BouncyCastle's managed arithmetic (about a millisecond each). Signing goes through the server's
/// <see cref="TlsSignerCredentials"/> (see <see cref="NetEcdsaSignerCredentials"/>).
/// <para>Only the NIST curves with named_curve parameters take the fast path; anything else (another curve, explicit
/// parameters, SHA-224 signatures, RSA keys for ECDHE_RSA verification) is handed to BouncyCastle's implementation,
/// so behaviour never narrows.</para>
/// </summary>
internal sealed class NetEcdheKeyExchange(int keyExchange, IList supportedSignatureAlgorithms, int[] namedCurves,
    byte[] clientECPointFormats, byte[] serverECPointFormats)
    : TlsECDheKeyExchange(keyExchange, supportedSignatureAlgorithms, namedCurves, clientECPointFormats, serverECPointFormats)
{
    private int curve = -1;            // the named curve of the fast path (-1: BouncyCastle's path)
    private EphemeralKey? ours;        // our ephemeral key pair
    private byte[]? ourPoint;          // its encoded public point
    private PeerKey? theirs;           // the peer's ephemeral public key
    private Task<VerifyingKey?>? serverKey;   // client: the server certificate's key, imported in the background
    private Task<byte[]>? secret;      // client: the shared secret, computed while the signature is checked

    /// <summary>True when this exchange ran its ECDH in .NET (for tests).</summary>
    public bool UsedNetMath { get; private set; }
    /// <summary>True when the ServerKeyExchange signature was checked by .NET (client, for tests).</summary>
    public bool VerifiedWithNet { get; private set; }

    // ---- client ----

    public override void ProcessServerCertificate(BcCertificate serverCertificate)
    {
        base.ProcessServerCertificate(serverCertificate); // key usage and key type checks, mServerPublicKey
        // The server itself also passes here (with its own certificate): it never verifies with that key.
        // Importing the key (OpenSSL checks the point) may overlap with reading ServerKeyExchange (NetEc.Overlap).
        if (!mContext.IsServer && mKeyExchange == KeyExchangeAlgorithm.ECDHE_ECDSA)
        {
            var certificate = serverCertificate.GetCertificateAt(0);
            serverKey = NetEc.Start(() => NetEc.VerifyKey(certificate));
        }
    }

    /// <summary>
    /// RFC 8422 section 5.4: ServerECDHParams (curve_type named_curve, the curve, the point) then the signature over
    /// client_random + server_random + ServerECDHParams.
    /// </summary>
    public override void ProcessServerKeyExchange(Stream input)
    {
        var body = NetEc.ReadRest(input);
        if (!TryParseNamedParams(body, out var named, out var point, out var paramsLength)
            || !NetEc.TryGetCurve(named, out _, out _) || !TlsUtilities.IsTlsV12(mContext))
        {
            var fallback = new MemoryStream(body, false);
            base.ProcessServerKeyExchange(fallback);
            AssertEmpty(fallback);
            return;
        }
        // RFC 8422 section 5.4: a curve we did not offer is illegal_parameter.
        if (mNamedCurves is not null && Array.IndexOf(mNamedCurves, named) < 0) throw new TlsFatalAlert(AlertDescription.illegal_parameter);

        var rest = new MemoryStream(body, paramsLength, body.Length - paramsLength, false);
        var signed = ParseSignature(rest); // checks the algorithm is one we offered
        AssertEmpty(rest);

        // Two independent chains (on two threads with NetEc.Overlap): the peer's point and the shared secret, and the
        // certificate key and the signature check. Nothing is sent before the check passes (it throws first).
        theirs = NetEc.ImportPeerPoint(named, point, mClientECPointFormats);
        curve = named;
        if (mAgreementCredentials is null)
        {
            var pair = EphemeralKeys.Take(named);
            (ours, ourPoint) = (pair, pair.Point);
            var (mine, peer) = (ours, theirs);
            secret = NetEc.Start(() => NetEc.Agree(mine, peer));
        }

        var algorithm = signed.Algorithm;
        var sp = mContext.SecurityParameters;
        var key = serverKey?.GetAwaiter().GetResult();
        if (key is not null && algorithm.Signature == SignatureAlgorithm.ecdsa && NetEc.HashName(algorithm.Hash) is { } hashName)
        {
            using var hash = IncrementalHash.CreateHash(hashName);
            hash.AppendData(sp.ClientRandom);
            hash.AppendData(sp.ServerRandom);
            hash.AppendData(body, 0, paramsLength);
            if (!NetEc.VerifyHash(key, hash.GetHashAndReset(), signed.Signature)) throw new TlsFatalAlert(AlertDescription.decrypt_error);
            VerifiedWithNet = true;
        }
        else
        {
            var verifier = InitVerifyer(mTlsSigner, algorithm, sp); // absorbs both randoms
            verifier.BlockUpdate(body, 0, paramsLength);
            if (!verifier.VerifySignature(signed.Signature)) throw new TlsFatalAlert(AlertDescription.decrypt_error);
        }
    }

    public override void GenerateClientKeyExchange(Stream output)
    {
        if (curve < 0 || mAgreementCredentials is not null || ourPoint is null) { base.GenerateClientKeyExchange(output); return; }
        TlsUtilities.WriteOpaque8(ourPoint, output);
    }

    // ---- server ----

    /// <summary>RFC 8422 section 5.4: our ephemeral point on a curve the client listed, signed with our certificate key.</summary>
    public override byte[] GenerateServerKeyExchange()
    {
        var named = ChooseCurve(mNamedCurves);
        if (named < 0 || !TlsUtilities.IsTlsV12(mContext) || mServerCredentials is null) return base.GenerateServerKeyExchange();

        var pair = EphemeralKeys.Take(named);
        (ours, ourPoint) = (pair, pair.Point);
        curve = named;
        var point = pair.Point;
        var buffer = new MemoryStream(4 + point.Length + 8 + 72);
        buffer.WriteByte(NetEc.NamedCurveType);
        TlsUtilities.WriteUint16(named, buffer);
        TlsUtilities.WriteOpaque8(point, buffer);
        var paramsLength = (int)buffer.Length;

        var algorithm = TlsUtilities.GetSignatureAndHashAlgorithm(mContext, mServerCredentials);
        var digest = TlsUtilities.CreateHash(algorithm);
        var sp = mContext.SecurityParameters;
        digest.BlockUpdate(sp.ClientRandom, 0, sp.ClientRandom.Length);
        digest.BlockUpdate(sp.ServerRandom, 0, sp.ServerRandom.Length);
        digest.BlockUpdate(buffer.GetBuffer(), 0, paramsLength);
        var hash = new byte[digest.GetDigestSize()];
        digest.DoFinal(hash, 0);
        new DigitallySigned(algorithm, mServerCredentials.GenerateCertificateSignature(hash)).Encode(buffer);
        return buffer.ToArray();
    }

    public override void ProcessClientKeyExchange(Stream input)
    {
        if (curve < 0) { base.ProcessClientKeyExchange(input); return; }
        theirs = NetEc.ImportPeerPoint(curve, TlsUtilities.ReadOpaque8(input), mServerECPointFormats);
    }

    // ---- both ----

    public override byte[] GeneratePremasterSecret()
    {
        if (curve < 0 || ours is null || theirs is null) return base.GeneratePremasterSecret();
        try
        {
            UsedNetMath = true;
            return secret is { } running ? running.GetAwaiter().GetResult() : NetEc.Agree(ours, theirs);
        }
        finally
        {
            ours.Dispose();
            theirs.Dispose();
            if (serverKey is { IsCompletedSuccessfully: true }) serverKey.Result?.Dispose();
            ours = null;
            theirs = null;
            serverKey = null;
            secret = null;
        }
    }

    /// <summary>
    /// The first curve of the client's supported_groups that .NET handles (secp256r1 when the client sent none,
    /// RFC 8422 section 4); -1 when none is, so BouncyCastle picks among the rest.
    /// </summary>
    internal static int ChooseCurve(int[]? clientCurves)
    {
        if (clientCurves is null) return NamedCurve.secp256r1;
        foreach (var c in clientCurves)
            if (NetEc.TryGetCurve(c, out _, out _)) return c;
        return -1;
    }

    /// <summary>ServerECDHParams with named_curve: 1 + 2 + 1 + point octets. False for anything else (left to BouncyCastle).</summary>
    private static bool TryParseNamedParams(byte[] body, out int named, out byte[] point, out int length)
    {
        named = -1;
        point = [];
        length = 0;
        if (body.Length < 4 || body[0] != NetEc.NamedCurveType) return false;
        named = (body[1] << 8) | body[2];
        var n = body[3];
        if (n == 0 || body.Length < 4 + n) return false;
        point = body.AsSpan(4, n).ToArray();
        length = 4 + n;
        return true;
    }

    private static void AssertEmpty(MemoryStream s)
    {
        if (s.Position < s.Length) throw new TlsFatalAlert(AlertDescription.decode_error);
    }
}
