using Functional.WebRtc.Core.Srtp;
using static Functional.WebRtc.Tests.Srtp.SrtpTestData;

namespace Functional.WebRtc.Tests.Srtp;

/// <summary>
/// Our SRTP against libsrtp2 (the reference implementation), both directions, all four profiles, RTP and RTCP,
/// with the sequence number crossing 65535 and packets delivered out of order.
/// </summary>
public class LibSrtpInteropTests
{
    public static TheoryData<SrtpProtectionProfile> AllProfiles() => new(Profiles);

    public static TheoryData<SrtpProtectionProfile, bool> AllProfilesBothEngines()
    {
        var data = new TheoryData<SrtpProtectionProfile, bool>();
        foreach (var p in Profiles) { data.Add(p, true); data.Add(p, false); }
        return data;
    }

    private const uint Ssrc = 0x11223344;
    private const int Count = 160;

    /// <summary>Packets with seq from 65_500 across the wrap; every third one has CSRCs and a header extension.</summary>
    private static List<byte[]> RtpStream(int seed) =>
        Enumerable.Range(0, Count).Select(i =>
        {
            ushort seq = (ushort)(65_500 + i);
            return i % 3 == 0
                ? SrtpTestData.Rtp(seq, Ssrc, (i * 37) % 1300, csrcs: i % 4, extensionWords: i % 5, seed: seed)
                : SrtpTestData.Rtp(seq, Ssrc, (i * 53) % 1300, seed: seed);
        }).ToList();

    /// <summary>A delivery order with neighbours swapped and a few packets held back by up to 20 places.</summary>
    private static List<int> Reordered(int count)
    {
        var order = Enumerable.Range(0, count).ToList();
        for (int i = 0; i + 1 < count; i += 2) (order[i], order[i + 1]) = (order[i + 1], order[i]);
        foreach (var held in new[] { 30, 33, 70 }.Where(h => h < count)) { order.Remove(held); order.Insert(Math.Min(count - 1, held + 20), held); }
        return order;
    }

    [LibSrtpTheory]
    [MemberData(nameof(AllProfilesBothEngines))]
    public void LibSrtpUnprotectsWhatWeProtect(SrtpProtectionProfile profile, bool aesNi)
    {
        var (key, salt) = MasterKey(profile, 11);
        using var ours = SrtpContext.Create(profile, key, salt, new SrtpOptions { AllowAesNi = aesNi });
        using var theirs = new LibSrtpSession(profile, key, salt, outbound: false);
        using var theirSender = new LibSrtpSession(profile, key, salt, outbound: true);

        var plain = RtpStream(1);
        var wire = new List<byte[]>();
        foreach (var p in plain)
        {
            var buffer = WithRoom(p);
            Assert.Equal(SrtpResult.Ok, ours.ProtectRtp(buffer, p.Length, out int n));
            wire.Add(buffer[..n]);
            // Deterministic transform: libsrtp, fed the same packets in the same order, produces the same bytes.
            var reference = WithRoom(p);
            var (status, m) = theirSender.Protect(reference, p.Length);
            Assert.Equal(0, status);
            Assert.Equal(reference[..m], buffer[..n]);
        }
        foreach (var i in Reordered(Count))
        {
            var buffer = WithRoom(wire[i]);
            var (status, m) = theirs.Unprotect(buffer, wire[i].Length);
            Assert.True(status == 0, $"libsrtp srtp_unprotect of packet {i} failed with {status}");
            Assert.Equal(plain[i], buffer[..m]);
        }
        // libsrtp sees our retransmitted (replayed) packet as a replay too.
        Assert.NotEqual(0, theirs.Unprotect(WithRoom(wire[5]), wire[5].Length).Status);
    }

    [LibSrtpTheory]
    [MemberData(nameof(AllProfilesBothEngines))]
    public void WeUnprotectWhatLibSrtpProtects(SrtpProtectionProfile profile, bool aesNi)
    {
        var (key, salt) = MasterKey(profile, 12);
        using var theirs = new LibSrtpSession(profile, key, salt, outbound: true);
        using var ours = SrtpContext.Create(profile, key, salt, new SrtpOptions(128) { AllowAesNi = aesNi });

        var plain = RtpStream(2);
        var wire = new List<byte[]>();
        foreach (var p in plain)
        {
            var buffer = WithRoom(p);
            var (status, n) = theirs.Protect(buffer, p.Length);
            Assert.Equal(0, status);
            wire.Add(buffer[..n]);
        }
        foreach (var i in Reordered(Count))
        {
            var buffer = WithRoom(wire[i]);
            Assert.Equal(SrtpResult.Ok, ours.UnprotectRtp(buffer, wire[i].Length, out int m));
            Assert.Equal(plain[i], buffer[..m]);
        }
        Assert.Equal(1u, ours.ReceiveRolloverCounter(Ssrc));
        Assert.Equal(SrtpResult.Replayed, ours.UnprotectRtp(WithRoom(wire[7]), wire[7].Length, out _));
        var forged = WithRoom(wire[^1]);
        forged[20] ^= 0x01;
        using var fresh = SrtpContext.Create(profile, key, salt);
        Assert.Equal(SrtpResult.AuthenticationFailed, fresh.UnprotectRtp(forged, wire[^1].Length, out _));
    }

    [LibSrtpTheory]
    [MemberData(nameof(AllProfiles))]
    public void RtcpInteroperatesBothWays(SrtpProtectionProfile profile)
    {
        var (key, salt) = MasterKey(profile, 13);
        using var oursOut = SrtpContext.Create(profile, key, salt);
        using var oursIn = SrtpContext.Create(profile, key, salt, new SrtpOptions { AllowAesNi = false }); // the fallback engines
        using var theirsOut = new LibSrtpSession(profile, key, salt, outbound: true);
        using var theirsIn = new LibSrtpSession(profile, key, salt, outbound: false);

        var plain = Enumerable.Range(0, 40).Select(i => Rtcp(Ssrc, 1 + i % 30, seed: i)).ToList();
        var ourWire = new List<byte[]>();
        var theirWire = new List<byte[]>();
        foreach (var p in plain)
        {
            var buffer = WithRoom(p);
            Assert.Equal(SrtpResult.Ok, oursOut.ProtectRtcp(buffer, p.Length, out int n));
            ourWire.Add(buffer[..n]);
            buffer = WithRoom(p);
            var (status, m) = theirsOut.ProtectRtcp(buffer, p.Length);
            Assert.Equal(0, status);
            Assert.Equal(n, m);
            theirWire.Add(buffer[..m]);
        }
        foreach (var i in Reordered(plain.Count))
        {
            var buffer = WithRoom(ourWire[i]);
            var (status, m) = theirsIn.UnprotectRtcp(buffer, ourWire[i].Length);
            Assert.True(status == 0, $"libsrtp srtp_unprotect_rtcp of packet {i} failed with {status}");
            Assert.Equal(plain[i], buffer[..m]);

            buffer = WithRoom(theirWire[i]);
            Assert.Equal(SrtpResult.Ok, oursIn.UnprotectRtcp(buffer, theirWire[i].Length, out int k));
            Assert.Equal(plain[i], buffer[..k]);
        }
        Assert.Equal(SrtpResult.Replayed, oursIn.UnprotectRtcp(WithRoom(theirWire[3]), theirWire[3].Length, out _));
    }

    [Fact]
    public void PolicyStructMatchesTheNativeLayout() =>
        Assert.Equal(128, System.Runtime.InteropServices.Marshal.SizeOf<LibSrtp.Policy>());
}
