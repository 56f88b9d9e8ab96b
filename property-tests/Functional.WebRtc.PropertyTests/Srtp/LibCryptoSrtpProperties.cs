using System.Security.Cryptography;
using FsCheck;
using FsCheck.Fluent;
using Functional.WebRtc.Core.Srtp;
using Functional.WebRtc.Testing;
using Functional.WebRtc.Transport;

namespace Functional.WebRtc.PropertyTests.Srtp;

/// <summary>A random HMAC key (0-100 octets: shorter, equal to and longer than a SHA-1 block) and message (0-2000).</summary>
public sealed record HmacCase(byte[] Key, byte[] Message);

public static class LibCryptoArbitraries
{
    public static Arbitrary<HmacCase> Hmacs() =>
        (from keyLength in Gen.OneOf(Gen.Constant(20), Gen.Choose(0, 100))
         from messageLength in Gen.OneOf(Gen.Choose(0, 130), Gen.Choose(0, 2000))
         from seed in ArbMap.Default.GeneratorFor<int>()
         select Make(keyLength, messageLength, seed)).ToArbitrary();

    private static HmacCase Make(int keyLength, int messageLength, int seed)
    {
        var rng = new Random(seed);
        var key = new byte[keyLength];
        var message = new byte[messageLength];
        rng.NextBytes(key);
        rng.NextBytes(message);
        return new HmacCase(key, message);
    }

    /// <summary>SrtpArbitraries' cases restricted to the AES-CM profiles (the ones that use HMAC-SHA1).</summary>
    public static Arbitrary<SrtpCase> AesCmCases() =>
        SrtpArbitraries.Cases().Generator
            .Select(c => c with { Profile = c.Seed % 2 == 0 ? SrtpProtectionProfile.AesCm128HmacSha1_80 : SrtpProtectionProfile.AesCm128HmacSha1_32 })
            .ToArbitrary();
}

/// <summary>The shell's direct-libcrypto HMAC-SHA1 computes exactly what .NET's does, alone and inside SRTP contexts.</summary>
public class LibCryptoSrtpProperties
{
    private static ISrtpCryptoProvider Native => LibCryptoSrtp.Loaded ? LibCryptoSrtp.Instance : BclSrtpCrypto.Instance;

    private static SrtpContext Context(SrtpCase c, ISrtpCryptoProvider crypto)
    {
        var (key, salt) = c.Keys();
        return SrtpContext.Create(c.Profile, key, salt, new SrtpOptions { Crypto = crypto });
    }

    [Property(MaxTest = 300, Arbitrary = new[] { typeof(LibCryptoArbitraries) })]
    public bool HmacEqualsDotNet(HmacCase c)
    {
        using var mac = Native.CreateHmacSha1(c.Key);
        var output = new byte[20];
        mac.Compute(c.Message, output);
        var first = output.SequenceEqual(HMACSHA1.HashData(c.Key, c.Message));
        mac.Compute(c.Message.AsSpan(0, c.Message.Length / 2), output); // reuse with another length
        return first && output.SequenceEqual(HMACSHA1.HashData(c.Key, c.Message.AsSpan(0, c.Message.Length / 2)));
    }

    /// <summary>
    /// Protect on each provider gives the same SRTP and SRTCP; each provider's receiver accepts the other's packet,
    /// refuses its replay, and refuses it with one bit flipped.
    /// </summary>
    [Property(MaxTest = 200, Arbitrary = new[] { typeof(LibCryptoArbitraries) })]
    public bool NativeAndManagedContextsAgree(SrtpCase c)
    {
        using var bcl = Context(c, BclSrtpCrypto.Instance);
        using var native = Context(c, Native);
        using var bclIn = Context(c, BclSrtpCrypto.Instance);
        using var nativeIn = Context(c, Native);
        var packet = c.Packet();
        var a = new byte[packet.Length + 16];
        var b = new byte[packet.Length + 16];
        packet.CopyTo(a, 0);
        packet.CopyTo(b, 0);
        if (bcl.ProtectRtp(a, packet.Length, out int na) != SrtpResult.Ok || native.ProtectRtp(b, packet.Length, out int nb) != SrtpResult.Ok) return false;
        if (!a.AsSpan(0, na).SequenceEqual(b.AsSpan(0, nb))) return false;

        int bit = c.Bit % (na * 8);
        var forged = (byte[])a.Clone();
        forged[bit / 8] ^= (byte)(1 << (bit % 8));
        if (nativeIn.UnprotectRtp(forged, na, out _) == SrtpResult.Ok) return false;
        var replay = (byte[])a.Clone();
        if (nativeIn.UnprotectRtp(a, na, out int ma) != SrtpResult.Ok || !a.AsSpan(0, ma).SequenceEqual(packet)) return false;
        if (nativeIn.UnprotectRtp(replay, na, out _) != SrtpResult.Replayed) return false;
        if (bclIn.UnprotectRtp(b, nb, out int mb) != SrtpResult.Ok || !b.AsSpan(0, mb).SequenceEqual(packet)) return false;

        var rtcp = c.RtcpPacket();
        var ra = new byte[rtcp.Length + 20];
        var rb = new byte[rtcp.Length + 20];
        rtcp.CopyTo(ra, 0);
        rtcp.CopyTo(rb, 0);
        if (bcl.ProtectRtcp(ra, rtcp.Length, out int rna) != SrtpResult.Ok || native.ProtectRtcp(rb, rtcp.Length, out int rnb) != SrtpResult.Ok) return false;
        if (!ra.AsSpan(0, rna).SequenceEqual(rb.AsSpan(0, rnb))) return false;
        int rbit = c.Bit % (rna * 8);
        var rforged = (byte[])ra.Clone();
        rforged[rbit / 8] ^= (byte)(1 << (rbit % 8));
        if (nativeIn.UnprotectRtcp(rforged, rna, out _) == SrtpResult.Ok) return false;
        var rreplay = (byte[])ra.Clone();
        if (nativeIn.UnprotectRtcp(ra, rna, out int rma) != SrtpResult.Ok || !ra.AsSpan(0, rma).SequenceEqual(rtcp)) return false;
        return nativeIn.UnprotectRtcp(rreplay, rna, out _) == SrtpResult.Replayed;
    }
}
