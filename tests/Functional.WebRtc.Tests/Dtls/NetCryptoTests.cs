using System.Collections.Concurrent;
using System.Security.Cryptography;
using Functional.WebRtc.Core.Dtls;
using Functional.WebRtc.Transport.Dtls;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Crypto.Tls;
using Org.BouncyCastle.Security;
using BcCertificate = Org.BouncyCastle.Crypto.Tls.Certificate;

namespace Functional.WebRtc.Tests.Dtls;

/// <summary>
/// The handshake's elliptic-curve math in .NET (NetEcdheKeyExchange, NetEcdsaSignerCredentials, NetDtlsServerProtocol)
/// against BouncyCastle's own: every mix of the two interoperates (so the wire forms are right: named_curve parameters,
/// uncompressed points, DER signatures, the x-coordinate premaster secret), and a bad signature or point is a fatal alert.
/// </summary>
public class NetCryptoTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);

    public static TheoryData<bool, bool> Mixes => new() { { true, true }, { true, false }, { false, true }, { false, false } };

    [Theory]
    [MemberData(nameof(Mixes))]
    public void Handshake_between_net_and_bouncycastle_math_completes_both_ways(bool netClient, bool netServer)
    {
        using var run = Handshake.Run(DtlsCertificate.Generate(), DtlsCertificate.Generate(), netClient, netServer);
        Assert.True(run.Succeeded, run.Describe());
        Assert.Equal(CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, run.ClientSession.CipherSuite);
        Assert.Equal(run.ClientSession.Exported, run.ServerSession.Exported);
        Assert.Contains(run.ClientSession.Exported!, b => b != 0);

        // The fast path really ran where asked, and only there.
        Assert.Equal(netClient, run.Client.KeyExchange is NetEcdheKeyExchange { UsedNetMath: true, VerifiedWithNet: true });
        Assert.Equal(netServer, run.Server.KeyExchange is NetEcdheKeyExchange { UsedNetMath: true });
        Assert.Equal(netServer ? 1 : 0, (run.Protocol as NetDtlsServerProtocol)?.NetVerifications ?? 0);
    }

    /// <summary>The overlapped mode (key import and ECDH on two threads) gives the same handshake and still refuses a bad signature.</summary>
    [Fact]
    public void Overlapped_crypto_steps_complete_and_still_refuse_a_bad_signature()
    {
        var before = NetEc.Overlap;
        NetEc.Overlap = true; // both modes are correct, so other tests running meanwhile are unaffected
        try
        {
            using (var run = Handshake.Run(DtlsCertificate.Generate(), DtlsCertificate.Generate(), true, true))
            {
                Assert.True(run.Succeeded, run.Describe());
                Assert.Equal(run.ClientSession.Exported, run.ServerSession.Exported);
                Assert.True(run.Client.KeyExchange is NetEcdheKeyExchange { UsedNetMath: true, VerifiedWithNet: true });
            }
            var server = DtlsCertificate.Generate();
            using (var run = Handshake.Run(DtlsCertificate.Generate(), server.WithSigningKey(ECDsa.Create(ECCurve.NamedCurves.nistP256)), true, true))
                Assert.Contains((AlertLevel.fatal, AlertDescription.decrypt_error), run.ClientSession.Raised);
        }
        finally { NetEc.Overlap = before; }
    }

    [Theory]
    [MemberData(nameof(Mixes))]
    public void A_server_key_exchange_signed_with_the_wrong_key_is_refused_with_decrypt_error(bool netClient, bool netServer)
    {
        var server = DtlsCertificate.Generate();
        var impostor = server.WithSigningKey(ECDsa.Create(ECCurve.NamedCurves.nistP256));
        using var run = Handshake.Run(DtlsCertificate.Generate(), impostor, netClient, netServer);
        Assert.False(run.ClientTask.IsCompletedSuccessfully, run.Describe());
        Assert.False(run.ServerTask.IsCompletedSuccessfully, run.Describe());
        Assert.Contains((AlertLevel.fatal, AlertDescription.decrypt_error), run.ClientSession.Raised);
        Assert.Contains((AlertLevel.fatal, AlertDescription.decrypt_error), run.ServerSession.Received);
        Assert.Null(run.ClientSession.Exported);
    }

    [Theory]
    [MemberData(nameof(Mixes))]
    public void A_certificate_verify_signed_with_the_wrong_key_is_refused_with_decrypt_error(bool netClient, bool netServer)
    {
        var client = DtlsCertificate.Generate();
        var impostor = client.WithSigningKey(ECDsa.Create(ECCurve.NamedCurves.nistP256));
        using var run = Handshake.Run(impostor, DtlsCertificate.Generate(), netClient, netServer);
        Assert.False(run.ServerTask.IsCompletedSuccessfully, run.Describe());
        Assert.False(run.ClientTask.IsCompletedSuccessfully, run.Describe());
        Assert.Contains((AlertLevel.fatal, AlertDescription.decrypt_error), run.ServerSession.Raised);
        Assert.Contains((AlertLevel.fatal, AlertDescription.decrypt_error), run.ClientSession.Received);
        Assert.Null(run.ServerSession.Exported);
    }

    [Fact]
    public void A_malformed_der_signature_is_refused_by_both_net_checks()
    {
        // Server side signs junk: our client's ServerKeyExchange check refuses it.
        using (var run = Handshake.Run(DtlsCertificate.Generate(), DtlsCertificate.Generate().WithSigningKey(new JunkSigner()), true, true))
        {
            Assert.False(run.ClientTask.IsCompletedSuccessfully, run.Describe());
            Assert.Contains((AlertLevel.fatal, AlertDescription.decrypt_error), run.ClientSession.Raised);
        }
        // Client side signs junk: our server's CertificateVerify check refuses it.
        using (var run = Handshake.Run(DtlsCertificate.Generate().WithSigningKey(new JunkSigner()), DtlsCertificate.Generate(), true, true))
        {
            Assert.False(run.ServerTask.IsCompletedSuccessfully, run.Describe());
            Assert.Contains((AlertLevel.fatal, AlertDescription.decrypt_error), run.ServerSession.Raised);
        }
    }

    [Fact]
    public void Endpoints_fail_when_the_client_signs_with_a_key_that_does_not_match_its_certificate()
    {
        var client = DtlsCertificate.Generate();
        using var link = new LossyLink(clientCertificate: client.WithSigningKey(ECDsa.Create(ECCurve.NamedCurves.nistP256)),
            serverExpects: client.Fingerprint);
        link.Start();
        Assert.False(link.WaitConnected(Wait));
        Assert.True(SpinWait.SpinUntil(() => link.Server.State == DtlsTransportState.Failed, Wait), $"server {link.Server.State}");
        Assert.Contains("decrypt_error", link.Server.FailureReason);
    }

    public static TheoryData<int> Curves => new() { NamedCurve.secp256r1, NamedCurve.secp384r1, NamedCurve.secp521r1 };

    /// <summary>Each curve with each mix of libcrypto's direct path (true) and .NET's (false) for our key and the peer's.</summary>
    public static TheoryData<int, bool, bool> CurvesAndPaths
    {
        get
        {
            var data = new TheoryData<int, bool, bool>();
            foreach (var c in new[] { NamedCurve.secp256r1, NamedCurve.secp384r1, NamedCurve.secp521r1 })
                foreach (var (a, b) in new[] { (true, true), (true, false), (false, true), (false, false) })
                    data.Add(c, a, b);
            return data;
        }
    }

    public static TheoryData<int, bool> CurvesAndPath => new()
    {
        { NamedCurve.secp256r1, true }, { NamedCurve.secp384r1, true }, { NamedCurve.secp521r1, true },
        { NamedCurve.secp256r1, false }, { NamedCurve.secp384r1, false }, { NamedCurve.secp521r1, false },
    };

    public static TheoryData<bool> Paths => new() { true, false };

    /// <summary>
    /// RFC 8422 sections 5.4 and 5.10: .NET's ECDH and BouncyCastle's agree on the shared secret (the x-coordinate at the
    /// field's full length, leading zeros kept) through the encoded points, for each curve; P-521's 66-octet
    /// field always has leading zero bits, and repetitions catch a secret with a leading zero octet.
    /// </summary>
    [Theory]
    [MemberData(nameof(CurvesAndPaths))]
    public void Net_and_bouncycastle_ecdh_agree_through_the_wire_points(int curve, bool ourNative, bool peerNative)
    {
        if ((ourNative || peerNative) && !NativeEc.Loaded) return; // no libcrypto 3 here: the .NET rows cover it
        var domain = TlsEccUtilities.GetParametersForNamedCurve(curve);
        var random = new SecureRandom();
        Assert.True(NetEc.TryGetCurve(curve, out _, out var fieldSize));
        for (var i = 0; i < 40; i++)
        {
            using var ours = NetEc.NewEphemeralKey(curve, ourNative);
            Assert.Equal(ourNative, ours.Native is not null);
            var ourPoint = ours.Point;
            Assert.Equal(1 + 2 * fieldSize, ourPoint.Length);
            Assert.Equal(4, ourPoint[0]);

            var bc = TlsEccUtilities.GenerateECKeyPair(random, domain);
            var bcPoint = TlsEccUtilities.SerializeECPublicKey([ECPointFormat.uncompressed], (ECPublicKeyParameters)bc.Public);
            using var theirs = NetEc.ImportPeerPoint(curve, bcPoint, [ECPointFormat.uncompressed], peerNative);
            Assert.Equal(peerNative, theirs.Native is not null);

            var netSecret = NetEc.Agree(ours, theirs);
            var bcSecret = TlsEccUtilities.CalculateECDHBasicAgreement(
                TlsEccUtilities.DeserializeECPublicKey([ECPointFormat.uncompressed], domain, ourPoint), (ECPrivateKeyParameters)bc.Private);
            Assert.Equal(fieldSize, netSecret.Length);
            Assert.Equal(bcSecret, netSecret);
        }
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public void A_compressed_point_is_accepted_only_when_we_listed_that_format(bool native)
    {
        if (native && !NativeEc.Loaded) return;
        var domain = TlsEccUtilities.GetParametersForNamedCurve(NamedCurve.secp256r1);
        var bc = TlsEccUtilities.GenerateECKeyPair(new SecureRandom(), domain);
        var q = ((ECPublicKeyParameters)bc.Public).Q;
        var compressed = q.GetEncoded(true);
        byte[] both = [ECPointFormat.uncompressed, ECPointFormat.ansiX962_compressed_prime];
        using (var key = NetEc.ImportPeerPoint(NamedCurve.secp256r1, compressed, both, native))
            Assert.Equal(q.Normalize().AffineXCoord.GetEncoded(), key.Point.AsSpan(1, 32).ToArray());
        var alert = Assert.Throws<TlsFatalAlert>(() => NetEc.ImportPeerPoint(NamedCurve.secp256r1, compressed, [ECPointFormat.uncompressed], native));
        Assert.Equal(AlertDescription.illegal_parameter, alert.AlertDescription);
    }

    [Theory]
    [MemberData(nameof(CurvesAndPath))]
    public void A_point_off_the_curve_or_badly_encoded_is_illegal_parameter(int curve, bool native)
    {
        if (native && !NativeEc.Loaded) return;
        Assert.True(NetEc.TryGetCurve(curve, out _, out var n));
        using var key = NetEc.NewEphemeralKey(curve, native);
        var point = key.Point;
        var offCurve = (byte[])point.Clone();
        offCurve[^1] ^= 1;
        var wrongForm = (byte[])point.Clone();
        wrongForm[0] = 5;
        var xOnly = (byte[])point.Clone();
        xOnly.AsSpan(1 + n).Clear(); // (x, 0): off the curve
        var zero = new byte[1 + 2 * n];
        zero[0] = 4; // (0, 0): off the NIST curves (b != 0), also the usual stand-in for infinity
        var pPlus = (byte[])point.Clone();
        pPlus.AsSpan(1, n).Fill(0xFF); // x >= p (a coordinate out of the field)
        foreach (var bad in new[] { offCurve, wrongForm, point[..^1], [0], new byte[1 + 2 * n], zero, xOnly, pPlus })
        {
            var alert = Assert.Throws<TlsFatalAlert>(() => NetEc.ImportPeerPoint(curve, bad, [ECPointFormat.uncompressed], native));
            Assert.Equal(AlertDescription.illegal_parameter, alert.AlertDescription);
        }
        // The good point itself still imports on this path.
        using var good = NetEc.ImportPeerPoint(curve, point, [ECPointFormat.uncompressed], native);
        Assert.Equal(native, good.Native is not null);
    }

    /// <summary>On Linux with OpenSSL 3 (this project's CI) the direct libcrypto path is there and on by default.</summary>
    [Fact]
    public void The_direct_libcrypto_path_loads_where_net_uses_openssl_3()
    {
        if (!OperatingSystem.IsLinux() || SafeEvpPKeyHandle.OpenSslVersion < 0x30000000L) return;
        Assert.True(NativeEc.Loaded);
        Assert.True(NativeEc.Available);
        using var key = EphemeralKeys.Take(NamedCurve.secp256r1);
        Assert.NotNull(key.Native);
    }

    /// <summary>
    /// The direct path validates a peer point only by decoding it (on the curve): for the prime-order NIST curves that
    /// is the whole check, and the secret then matches .NET's fully validated path on the same pair of keys.
    /// </summary>
    [Fact]
    public void Direct_and_net_ecdh_give_the_same_secret_for_the_same_keys()
    {
        if (!NativeEc.Loaded) return;
        using var a = NetEc.NewEphemeralKey(NamedCurve.secp256r1, native: false);
        using var b = NetEc.NewEphemeralKey(NamedCurve.secp256r1, native: true);
        using var bForA = NetEc.ImportPeerPoint(NamedCurve.secp256r1, b.Point, null, native: false);
        using var aForB = NetEc.ImportPeerPoint(NamedCurve.secp256r1, a.Point, null, native: true);
        using var bForAn = NetEc.ImportPeerPoint(NamedCurve.secp256r1, b.Point, null, native: true);
        var s1 = NetEc.Agree(a, bForA);
        Assert.Equal(s1, NetEc.Agree(b, aForB));
        Assert.Equal(s1, NetEc.Agree(a, bForAn)); // mixed: .NET pair, libcrypto peer key
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public void Our_der_signatures_verify_in_bouncycastle_and_bouncycastles_verify_in_net(bool native)
    {
        if (native && !NativeEc.Loaded) return;
        var certificate = DtlsCertificate.Generate();
        var publicKey = PublicKeyFactory.CreateKey(certificate.Chain.GetCertificateAt(0).SubjectPublicKeyInfo);
        var hash = SHA256.HashData("the handshake so far"u8);
        var algorithm = new SignatureAndHashAlgorithm(Org.BouncyCastle.Crypto.Tls.HashAlgorithm.sha256, SignatureAlgorithm.ecdsa);

        var ours = new NetEcdsaSignerCredentials(certificate.Chain, certificate.SigningKey, algorithm).GenerateCertificateSignature(hash);
        Assert.Equal(0x30, ours[0]); // DER SEQUENCE { r INTEGER, s INTEGER }
        // BouncyCastle's ECDSA over a precomputed hash with DER encoding (what its TLS signer does).
        var verifier = SignerUtilities.GetSigner("NONEwithECDSA");
        verifier.Init(false, publicKey);
        verifier.BlockUpdate(hash, 0, hash.Length);
        Assert.True(verifier.VerifySignature(ours));

        var signer = SignerUtilities.GetSigner("NONEwithECDSA");
        signer.Init(true, certificate.PrivateKey);
        signer.BlockUpdate(hash, 0, hash.Length);
        var bcSignature = signer.GenerateSignature();
        using var verifyKey = NetEc.VerifyKey(certificate.Chain.GetCertificateAt(0), native)!;
        Assert.Equal(native, verifyKey.Native is not null);
        Assert.True(NetEc.VerifyHash(verifyKey, hash, bcSignature));
        Assert.True(NetEc.VerifyHash(verifyKey, hash, ours));
        var tampered = (byte[])bcSignature.Clone();
        tampered[^1] ^= 1;
        Assert.False(NetEc.VerifyHash(verifyKey, hash, tampered));
        // Non-strict DER (a trailing octet) is refused too.
        Assert.False(NetEc.VerifyHash(verifyKey, hash, [.. bcSignature, 0]));
        hash[0] ^= 1;
        Assert.False(NetEc.VerifyHash(verifyKey, hash, bcSignature));
        Assert.False(NetEc.VerifyHash(verifyKey, hash, [0x30, 0x02, 0x01]));
        Assert.False(NetEc.VerifyHash(verifyKey, hash, []));
    }

    [Fact]
    public void Ephemeral_keys_are_never_handed_out_twice_and_the_pool_refills()
    {
        var points = new HashSet<string>();
        var keys = new List<EphemeralKey>();
        for (var i = 0; i < 3 * EphemeralKeys.Target; i++)
        {
            var key = EphemeralKeys.Take(NamedCurve.secp256r1);
            keys.Add(key);
            if (key.Key is { } net) Assert.Equal(key.Point, NetEc.EncodePoint(net, 32));
            Assert.Equal(65, key.Point.Length);
            Assert.True(points.Add(Convert.ToHexString(key.Point)), "an ephemeral key was handed out twice");
        }
        Assert.True(SpinWait.SpinUntil(() => EphemeralKeys.Ready >= EphemeralKeys.Target, Wait), $"pool at {EphemeralKeys.Ready}");
        var p384 = EphemeralKeys.Take(NamedCurve.secp384r1);
        Assert.Equal(97, p384.Point.Length);
        foreach (var k in keys) k.Dispose();
        p384.Dispose();
    }

    /// <summary>One certificate serves many connections: its key signs for several handshakes at once.</summary>
    [Fact]
    public void One_certificate_key_signs_correctly_from_many_threads_at_once()
    {
        var certificate = DtlsCertificate.Generate();
        var credentials = new NetEcdsaSignerCredentials(certificate.Chain, certificate.SigningKey,
            new SignatureAndHashAlgorithm(Org.BouncyCastle.Crypto.Tls.HashAlgorithm.sha256, SignatureAlgorithm.ecdsa));
        using var verifyKey = NetEc.VerifyKey(certificate.Chain.GetCertificateAt(0))!;
        var bad = 0;
        Parallel.For(0, 200, new ParallelOptions { MaxDegreeOfParallelism = 4 }, i =>
        {
            var hash = SHA256.HashData(BitConverter.GetBytes(i));
            var signature = credentials.GenerateCertificateSignature(hash);
            lock (verifyKey) { if (!NetEc.VerifyHash(verifyKey, hash, signature)) Interlocked.Increment(ref bad); }
        });
        Assert.Equal(0, bad);
    }

    [Fact]
    public void The_server_takes_the_first_client_curve_that_net_handles()
    {
        Assert.Equal(NamedCurve.secp256r1, NetEcdheKeyExchange.ChooseCurve(null));
        Assert.Equal(NamedCurve.secp256r1, NetEcdheKeyExchange.ChooseCurve([29 /* x25519 */, NamedCurve.secp256r1, NamedCurve.secp384r1]));
        Assert.Equal(NamedCurve.secp384r1, NetEcdheKeyExchange.ChooseCurve([NamedCurve.secp384r1, NamedCurve.secp256r1]));
        Assert.Equal(-1, NetEcdheKeyExchange.ChooseCurve([29, NamedCurve.brainpoolP256r1]));
    }

    [Fact]
    public void A_client_offering_only_a_curve_net_lacks_still_connects_through_bouncycastle()
    {
        using var run = Handshake.Run(DtlsCertificate.Generate(), DtlsCertificate.Generate(), true, true,
            clientCurves: [NamedCurve.brainpoolP256r1]);
        Assert.True(run.Succeeded, run.Describe());
        Assert.Equal(run.ClientSession.Exported, run.ServerSession.Exported);
        Assert.True(run.Client.KeyExchange is NetEcdheKeyExchange { UsedNetMath: false }, "the client should have left the brainpool curve to BouncyCastle");
        Assert.True(run.Server.KeyExchange is NetEcdheKeyExchange { UsedNetMath: false });
    }

    /// <summary>An ECDSA "key" whose signatures are not even DER.</summary>
    private sealed class JunkSigner : ECDsa
    {
        public JunkSigner() => KeySizeValue = 256;
        public override byte[] SignHash(byte[] hash) => new byte[64];
        public override bool VerifyHash(byte[] hash, byte[] signature) => false;
        protected override byte[] SignHashCore(ReadOnlySpan<byte> hash, DSASignatureFormat signatureFormat) => [0x30, 0x03, 0x02, 0x01, 0x00, 0xFF];
    }

    /// <summary>A test session: accepts any non-empty peer chain, records alerts and the exported keying material.</summary>
    private sealed class Session(DtlsCertificate certificate) : IDtlsSession
    {
        public DtlsCertificate Certificate => certificate;
        public DtlsOptions Options { get; } = DtlsOptions.Default with { HandshakeTimeout = TimeSpan.FromSeconds(15) };
        public byte[]? Exported;
        public int CipherSuite;
        public readonly ConcurrentBag<(byte, byte)> Raised = [], Received = [];

        public void VerifyPeer(BcCertificate? chain)
        {
            if (chain is null || chain.IsEmpty) throw new TlsFatalAlert(AlertDescription.handshake_failure);
        }

        public void HandshakeComplete(TlsContext context, DtlsSrtpProfile profile)
        {
            Exported = context.ExportKeyingMaterial(ExporterLabel.dtls_srtp, null, 56);
            CipherSuite = context.SecurityParameters.CipherSuite;
        }

        public void AlertReceived(byte level, byte description) => Received.Add((level, description));
        public void AlertRaised(byte level, byte description, string? message, Exception? cause) => Raised.Add((level, description));
    }

    /// <summary>One end of an in-memory datagram pipe for BouncyCastle's protocols.</summary>
    private sealed class Pipe : DatagramTransport
    {
        private readonly BlockingCollection<byte[]> inbox = new();
        private Pipe? peer;

        public static (Pipe, Pipe) Pair()
        {
            var a = new Pipe();
            var b = new Pipe();
            a.peer = b;
            b.peer = a;
            return (a, b);
        }

        public int GetReceiveLimit() => 1500;
        public int GetSendLimit() => 1200;

        public int Receive(byte[] buf, int off, int len, int waitMillis)
        {
            try
            {
                if (!inbox.TryTake(out var d, waitMillis)) return -1;
                var n = Math.Min(len, d.Length);
                Array.Copy(d, 0, buf, off, n);
                return n;
            }
            catch (ObjectDisposedException) { return -1; }
            catch (InvalidOperationException) { return -1; }
        }

        public void Send(byte[] buf, int off, int len)
        {
            try { peer!.inbox.Add(buf.AsSpan(off, len).ToArray()); }
            catch (InvalidOperationException) { } // the peer closed
        }

        public void Close() => inbox.CompleteAdding();
    }

    private sealed class Handshake : IDisposable
    {
        public required Session ClientSession, ServerSession;
        public required WebRtcDtlsClient Client;
        public required WebRtcDtlsServer Server;
        public required DtlsServerProtocol Protocol;
        public required Task<DtlsTransport> ClientTask, ServerTask;

        public bool Succeeded => ClientTask.IsCompletedSuccessfully && ServerTask.IsCompletedSuccessfully;

        public static Handshake Run(DtlsCertificate clientCertificate, DtlsCertificate serverCertificate, bool netClient, bool netServer,
            int[]? clientCurves = null)
        {
            var (clientEnd, serverEnd) = Pipe.Pair();
            var cs = new Session(clientCertificate);
            var ss = new Session(serverCertificate);
            var client = new WebRtcDtlsClient(cs, netClient) { NamedCurves = clientCurves };
            var server = new WebRtcDtlsServer(ss, netServer);
            DtlsServerProtocol protocol = netServer ? new NetDtlsServerProtocol(new SecureRandom()) : new DtlsServerProtocol(new SecureRandom());
            protocol.VerifyRequests = false;
            var serverTask = Task.Factory.StartNew(() => protocol.Accept(server, serverEnd), TaskCreationOptions.LongRunning);
            var clientTask = Task.Factory.StartNew(() => new DtlsClientProtocol(new SecureRandom()).Connect(client, clientEnd), TaskCreationOptions.LongRunning);
            DtlsTestHelpers.WaitAll(Wait, clientTask, serverTask);
            // Whichever side failed first, the other one learns of it from the alert (or ends with the pipe closing).
            if (!clientTask.IsCompleted || !serverTask.IsCompleted)
            {
                clientEnd.Close();
                serverEnd.Close();
                DtlsTestHelpers.WaitAll(Wait, clientTask, serverTask);
            }
            return new Handshake
            {
                ClientSession = cs, ServerSession = ss, Client = client, Server = server, Protocol = protocol,
                ClientTask = clientTask, ServerTask = serverTask,
            };
        }

        public string Describe() =>
            $"client: {ClientTask.Status} {ClientTask.Exception?.GetBaseException().Message} raised [{string.Join(",", ClientSession.Raised)}] " +
            $"received [{string.Join(",", ClientSession.Received)}]; server: {ServerTask.Status} {ServerTask.Exception?.GetBaseException().Message} " +
            $"raised [{string.Join(",", ServerSession.Raised)}] received [{string.Join(",", ServerSession.Received)}]";

        public void Dispose()
        {
            foreach (var t in new[] { ClientTask, ServerTask })
                if (t.IsCompletedSuccessfully) { try { t.Result.Close(); } catch (Exception) { } }
        }
    }
}
