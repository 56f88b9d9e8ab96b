using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Functional.WebRtc.Core.Srtp;
using Functional.WebRtc.Transport;
using static Functional.WebRtc.Tests.Srtp.SrtpTestData;

namespace Functional.WebRtc.Tests.Srtp;

/// <summary>
/// The shell's direct-libcrypto HMAC-SHA1 (<see cref="LibCryptoSrtp"/>) against RFC 2202, .NET's HMACSHA1, the
/// RFC 3711 / libsrtp vectors, and the context's rejection rules, next to the core's default provider.
/// </summary>
public class LibCryptoSrtpTests
{
    public static TheoryData<string> Providers() => new("Bcl", "LibCrypto");

    private static ISrtpCryptoProvider Provider(string name) => name switch
    {
        "Bcl" => BclSrtpCrypto.Instance,
        // On Linux with OpenSSL 3 (this machine and CI) the direct path must load; elsewhere it falls back.
        _ => LibCryptoSrtp.Loaded ? LibCryptoSrtp.Instance : BclSrtpCrypto.Instance,
    };

    private static SrtpOptions Options(string name, bool aesNi = true) => new() { Crypto = Provider(name), AllowAesNi = aesNi };

    [Fact]
    public void LoadsWhereDotNetUsesOpenSsl3()
    {
        if (!OperatingSystem.IsLinux() || SafeEvpPKeyHandle.OpenSslVersion < 0x30000000L) return;
        Assert.True(LibCryptoSrtp.Loaded, "libcrypto's SHA-1 functions did not load or failed the self-test");
        Assert.True(LibCryptoSrtp.Available);
        Assert.Same(LibCryptoSrtp.Instance, LibCryptoSrtp.Best);
        Assert.Same(LibCryptoSrtp.Instance, LibCryptoSrtp.Options(new SrtpOptions(128)).Crypto);
        Assert.Equal(128, LibCryptoSrtp.Options(new SrtpOptions(128)).ReplayWindowSize);
    }

    /// <summary>RFC 2202 section 3, HMAC-SHA-1 test cases 1-7 (cases 6 and 7 have an 80-octet key, hashed first).</summary>
    public static TheoryData<string, string, string, int> Rfc2202() => new()
    {
        { "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", "Hi There", "b617318655057264e28bc0b6fb378c8ef146be00", 0 },
        { "4a656665", "what do ya want for nothing?", "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79", 0 },
        { "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "\xdd", "125d7342b9ac11cd91a39af48aa17b4f63f175d3", 50 },
        { "0102030405060708090a0b0c0d0e0f10111213141516171819", "\xcd", "4c9007f4026250c6bc8414f9bf50c86c2d7235da", 50 },
        { "0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c", "Test With Truncation", "4c1a03424b55e07fe7f27be1d58bb9324a9a5a04", 0 },
        { new string('a', 160), "Test Using Larger Than Block-Size Key - Hash Key First", "aa4ae5e15272d00e95705637ce8a3b55ed402112", 0 },
        { new string('a', 160), "Test Using Larger Than Block-Size Key and Larger Than One Block-Size Data", "e8e99d0f45237d786d6bbaa7965c7808bbff1a91", 0 },
    };

    [Theory]
    [MemberData(nameof(Rfc2202))]
    public void HmacMatchesRfc2202(string key, string data, string expected, int repeat)
    {
        // Cases 3 and 4 are one octet repeated 50 times.
        var message = repeat > 0 ? Enumerable.Repeat((byte)data[0], repeat).ToArray() : Encoding.ASCII.GetBytes(data);
        foreach (var name in new[] { "Bcl", "LibCrypto" })
        {
            using var mac = Provider(name).CreateHmacSha1(Hex(key));
            var output = new byte[20];
            mac.Compute(message, output);
            Assert.Equal(expected, Convert.ToHexString(output).ToLowerInvariant());
            mac.Compute(message, output); // reused: the midstates are not consumed
            Assert.Equal(expected, Convert.ToHexString(output).ToLowerInvariant());
        }
    }

    [Fact]
    public void HmacEqualsDotNetAtEveryLengthAroundBlockBoundaries()
    {
        var rng = new Random(5);
        var message = new byte[1500];
        rng.NextBytes(message);
        foreach (var keyLength in new[] { 0, 1, 20, 63, 64, 65, 100 })
        {
            var key = new byte[keyLength];
            rng.NextBytes(key);
            using var mac = Provider("LibCrypto").CreateHmacSha1(key);
            var output = new byte[20];
            for (int length = 0; length <= 200; length++)
            {
                mac.Compute(message.AsSpan(0, length), output);
                Assert.Equal(HMACSHA1.HashData(key, message.AsSpan(0, length)), output);
            }
            foreach (var length in new[] { 1024, 1204, 1499, 1500 })
            {
                mac.Compute(message.AsSpan(0, length), output);
                Assert.Equal(HMACSHA1.HashData(key, message.AsSpan(0, length)), output);
            }
        }
    }

    [Fact]
    public void DisposedMacThrowsInsteadOfReadingFreedMemory()
    {
        var mac = Provider("LibCrypto").CreateHmacSha1(new byte[20]);
        mac.Dispose();
        mac.Dispose(); // twice is harmless
        Assert.Throws<ObjectDisposedException>(() => mac.Compute(new byte[10], new byte[20]));
    }

    private static readonly byte[] B3MasterKey = Hex("E1F97A0D3E018BE0D64FA32C06DE4139");
    private static readonly byte[] B3MasterSalt = Hex("0EC675AD498AFEEBB6960B3AABE6");
    private static readonly byte[] DriverRtp = Hex("800f1234decafbad cafebabe abababababababababababababababab");
    private static readonly byte[] DriverSrtp = Hex("800f1234decafbad cafebabe 4e55dc4ce79978d88ca4d215949d2402 b78d6acc99ea179b8dbb");
    private static readonly byte[] DriverRtcp = Hex("81c8000bcafebabe abababababababababababababababab");
    private static readonly byte[] DriverSrtcp = Hex("81c8000bcafebabe 7128035be487b9bdbef89041f977a5a8 80000001 993e08cd54d6c1230798");

    /// <summary>libsrtp's srtp_driver self-test under the RFC 3711 B.3 master key (AES_CM_128_HMAC_SHA1_80), both ways.</summary>
    [Theory]
    [MemberData(nameof(Providers))]
    public void AesCmMatchesLibSrtpSelfTest(string provider)
    {
        foreach (var aesNi in new[] { true, false })
        {
            using var sender = SrtpContext.Create(SrtpProtectionProfile.AesCm128HmacSha1_80, B3MasterKey, B3MasterSalt, Options(provider, aesNi));
            var buffer = WithRoom(DriverRtp);
            Assert.Equal(SrtpResult.Ok, sender.ProtectRtp(buffer, DriverRtp.Length, out int n));
            Assert.Equal(DriverSrtp, buffer[..n]);
            sender.SetNextSrtcpIndex(0xcafebabe, 1);
            buffer = WithRoom(DriverRtcp);
            Assert.Equal(SrtpResult.Ok, sender.ProtectRtcp(buffer, DriverRtcp.Length, out n));
            Assert.Equal(DriverSrtcp, buffer[..n]);

            using var receiver = SrtpContext.Create(SrtpProtectionProfile.AesCm128HmacSha1_80, B3MasterKey, B3MasterSalt, Options(provider, aesNi));
            buffer = WithRoom(DriverSrtp);
            Assert.Equal(SrtpResult.Ok, receiver.UnprotectRtp(buffer, DriverSrtp.Length, out n));
            Assert.Equal(DriverRtp, buffer[..n]);
            buffer = WithRoom(DriverSrtcp);
            Assert.Equal(SrtpResult.Ok, receiver.UnprotectRtcp(buffer, DriverSrtcp.Length, out n));
            Assert.Equal(DriverRtcp, buffer[..n]);
        }
    }

    /// <summary>Bad tags (a flipped bit anywhere, in RTP and SRTCP, for both tag lengths) and replays are refused.</summary>
    [Theory]
    [MemberData(nameof(Providers))]
    public void BadTagsAndReplaysAreRejected(string provider)
    {
        foreach (var profile in new[] { SrtpProtectionProfile.AesCm128HmacSha1_80, SrtpProtectionProfile.AesCm128HmacSha1_32 })
        {
            var (key, salt) = MasterKey(profile, 9);
            using var sender = SrtpContext.Create(profile, key, salt, Options(provider));
            using var receiver = SrtpContext.Create(profile, key, salt, Options(provider));
            var rtp = SrtpTestData.Rtp(7, 77, 100, csrcs: 1, extensionWords: 2);
            var wire = WithRoom(rtp);
            Assert.Equal(SrtpResult.Ok, sender.ProtectRtp(wire, rtp.Length, out int n));
            for (int bit = 0; bit < n * 8; bit += 7)
            {
                var forged = (byte[])wire.Clone();
                forged[bit / 8] ^= (byte)(1 << (bit % 8));
                Assert.NotEqual(SrtpResult.Ok, receiver.UnprotectRtp(forged, n, out _));
            }
            Assert.Null(receiver.ReceiveRolloverCounter(77)); // nothing forged created state
            var copy = (byte[])wire.Clone();
            Assert.Equal(SrtpResult.Ok, receiver.UnprotectRtp(copy, n, out int m));
            Assert.Equal(rtp, copy[..m]);
            Assert.Equal(SrtpResult.Replayed, receiver.UnprotectRtp((byte[])wire.Clone(), n, out _));

            var rtcp = SrtpTestData.Rtcp(77, 6);
            var rtcpWire = WithRoom(rtcp);
            Assert.Equal(SrtpResult.Ok, sender.ProtectRtcp(rtcpWire, rtcp.Length, out n));
            for (int bit = 0; bit < n * 8; bit += 5)
            {
                var forged = (byte[])rtcpWire.Clone();
                forged[bit / 8] ^= (byte)(1 << (bit % 8));
                Assert.NotEqual(SrtpResult.Ok, receiver.UnprotectRtcp(forged, n, out _));
            }
            Assert.Equal(SrtpResult.Ok, receiver.UnprotectRtcp((byte[])rtcpWire.Clone(), n, out _));
            Assert.Equal(SrtpResult.Replayed, receiver.UnprotectRtcp((byte[])rtcpWire.Clone(), n, out _));
        }
    }

    /// <summary>A context on one provider and a context on the other produce the same SRTP and read each other's.</summary>
    [Fact]
    public void ProvidersProduceIdenticalPacketsAndInteroperate()
    {
        var (key, salt) = MasterKey(SrtpProtectionProfile.AesCm128HmacSha1_80, 3);
        using var bcl = SrtpContext.Create(SrtpProtectionProfile.AesCm128HmacSha1_80, key, salt, Options("Bcl"));
        using var native = SrtpContext.Create(SrtpProtectionProfile.AesCm128HmacSha1_80, key, salt, Options("LibCrypto"));
        using var bclIn = SrtpContext.Create(SrtpProtectionProfile.AesCm128HmacSha1_80, key, salt, Options("Bcl"));
        using var nativeIn = SrtpContext.Create(SrtpProtectionProfile.AesCm128HmacSha1_80, key, salt, Options("LibCrypto"));
        for (ushort seq = 0; seq < 40; seq++)
        {
            var rtp = SrtpTestData.Rtp(seq, 4, seq * 31 % 1300, seed: seq);
            var a = WithRoom(rtp);
            var b = WithRoom(rtp);
            Assert.Equal(SrtpResult.Ok, bcl.ProtectRtp(a, rtp.Length, out int na));
            Assert.Equal(SrtpResult.Ok, native.ProtectRtp(b, rtp.Length, out int nb));
            Assert.Equal(a[..na], b[..nb]);
            Assert.Equal(SrtpResult.Ok, nativeIn.UnprotectRtp(a, na, out int ma));
            Assert.Equal(SrtpResult.Ok, bclIn.UnprotectRtp(b, nb, out int mb));
            Assert.Equal(rtp, a[..ma]);
            Assert.Equal(rtp, b[..mb]);
        }
    }

    /// <summary>libsrtp (the reference implementation) and our contexts on libcrypto's SHA-1, both directions, both tag lengths.</summary>
    [LibSrtpFact]
    public void InteroperatesWithLibSrtp()
    {
        foreach (var profile in new[] { SrtpProtectionProfile.AesCm128HmacSha1_80, SrtpProtectionProfile.AesCm128HmacSha1_32 })
        {
            var (key, salt) = MasterKey(profile, 21);
            using var ours = SrtpContext.Create(profile, key, salt, Options("LibCrypto"));
            using var oursIn = SrtpContext.Create(profile, key, salt, Options("LibCrypto"));
            using var theirSender = new LibSrtpSession(profile, key, salt, outbound: true);
            using var theirs = new LibSrtpSession(profile, key, salt, outbound: false);
            for (ushort seq = 100; seq < 160; seq++)
            {
                var rtp = SrtpTestData.Rtp(seq, 0x1111, seq * 41 % 1300, csrcs: seq % 3, extensionWords: seq % 4 - 1, seed: seq);
                var a = WithRoom(rtp);
                var b = WithRoom(rtp);
                Assert.Equal(SrtpResult.Ok, ours.ProtectRtp(a, rtp.Length, out int n));
                var (status, m) = theirSender.Protect(b, rtp.Length);
                Assert.Equal(0, status);
                Assert.Equal(b[..m], a[..n]);
                Assert.Equal(0, theirs.Unprotect(a, n).Status);
                Assert.Equal(SrtpResult.Ok, oursIn.UnprotectRtp(b, m, out int k));
                Assert.Equal(rtp, b[..k]);
            }
        }
    }

    [Fact]
    public void NoAllocationPerPacket()
    {
        var (key, salt) = MasterKey(SrtpProtectionProfile.AesCm128HmacSha1_80, 2);
        using var sender = SrtpContext.Create(SrtpProtectionProfile.AesCm128HmacSha1_80, key, salt, Options("LibCrypto"));
        using var receiver = SrtpContext.Create(SrtpProtectionProfile.AesCm128HmacSha1_80, key, salt, Options("LibCrypto"));
        var rtp = SrtpTestData.Rtp(0, 9, 1188);
        var buffer = new byte[1300];
        int failures = 0;
        void Cycle(ushort seq)
        {
            rtp.CopyTo(buffer, 0);
            BinaryPrimitives.WriteUInt16BigEndian(buffer.AsSpan(2), seq);
            if (sender.ProtectRtp(buffer, rtp.Length, out int n) != SrtpResult.Ok) failures++;
            if (receiver.UnprotectRtp(buffer, n, out _) != SrtpResult.Ok) failures++;
        }
        for (ushort seq = 0; seq < 50; seq++) Cycle(seq);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (ushort seq = 50; seq < 1050; seq++) Cycle(seq);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(0, failures);
        Assert.Equal(0, allocated);
    }
}
