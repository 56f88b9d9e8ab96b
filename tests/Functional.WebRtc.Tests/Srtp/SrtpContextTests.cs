using Functional.WebRtc.Core;
using Functional.WebRtc.Core.Srtp;
using static Functional.WebRtc.Tests.Srtp.SrtpTestData;

namespace Functional.WebRtc.Tests.Srtp;

public class SrtpContextTests
{
    private static (SrtpContext Sender, SrtpContext Receiver) Pair(SrtpProtectionProfile profile, int seed = 1, SrtpOptions? options = null)
    {
        var (key, salt) = MasterKey(profile, seed);
        return (SrtpContext.Create(profile, key, salt, options), SrtpContext.Create(profile, key, salt, options));
    }

    public static TheoryData<SrtpProtectionProfile> AllProfiles() => new(Profiles);

    [Theory]
    [MemberData(nameof(AllProfiles))]
    public void ProfileParametersFollowRfc5764AndRfc7714(SrtpProtectionProfile profile)
    {
        var p = profile.Parameters();
        Assert.True(SrtpProfiles.TryFromId((ushort)profile, out var back));
        Assert.Equal(profile, back);
        var expected = profile switch
        {
            SrtpProtectionProfile.AesCm128HmacSha1_80 => (1, 16, 14, 10, 10, 60),
            SrtpProtectionProfile.AesCm128HmacSha1_32 => (1 + 1, 16, 14, 4, 10, 60),
            SrtpProtectionProfile.AeadAes128Gcm => (7, 16, 12, 16, 16, 56),
            _ => (8, 32, 12, 16, 16, 88),
        };
        Assert.Equal(expected, ((int)profile, p.MasterKeyLength, p.MasterSaltLength, p.RtpTagLength, p.RtcpTagLength, p.KeyingMaterialLength));
        Assert.False(SrtpProfiles.TryFromId(0x0005, out _));
    }

    [Fact]
    public void KeyingMaterialIsSplitByDtlsRole()
    {
        var exported = Enumerable.Range(0, 60).Select(i => (byte)i).ToArray();
        var client = SrtpKeyingMaterial.FromDtlsExport(SrtpProtectionProfile.AesCm128HmacSha1_80, exported, isDtlsClient: true)
            .IfLeft(e => throw new Exception(e.ToString()));
        var server = SrtpKeyingMaterial.FromDtlsExport(SrtpProtectionProfile.AesCm128HmacSha1_80, exported, isDtlsClient: false)
            .IfLeft(e => throw new Exception(e.ToString()));
        Assert.Equal(exported[..16], client.LocalMasterKey.ToArray());
        Assert.Equal(exported[16..32], client.RemoteMasterKey.ToArray());
        Assert.Equal(exported[32..46], client.LocalMasterSalt.ToArray());
        Assert.Equal(exported[46..60], client.RemoteMasterSalt.ToArray());
        Assert.Equal(client.Mirror(), server);
    }

    [Fact]
    public void BadKeyingMaterialIsATypedError()
    {
        Assert.True(SrtpKeyingMaterial.FromDtlsExport(SrtpProtectionProfile.AeadAes128Gcm, new byte[60], true).IsLeft);
        Assert.True(SrtpSession.FromDtls(0x0007, new byte[55], true).IsLeft);
        var unsupported = SrtpSession.FromDtls(0x0005, new byte[60], true);
        Assert.True(unsupported.IsLeft);
        unsupported.IfLeft(e => Assert.IsType<RtcError.NotSupported>(e));
    }

    [Theory]
    [MemberData(nameof(AllProfiles))]
    public void SessionsBuiltFromOneExportTalkToEachOther(SrtpProtectionProfile profile)
    {
        var exported = new byte[profile.Parameters().KeyingMaterialLength];
        new Random(7).NextBytes(exported);
        using var client = SrtpSession.FromDtls((ushort)profile, exported, isDtlsClient: true).IfLeft(e => throw new Exception(e.ToString()));
        using var server = SrtpSession.FromDtls((ushort)profile, exported, isDtlsClient: false).IfLeft(e => throw new Exception(e.ToString()));
        foreach (var (from, to) in new[] { (client, server), (server, client) })
        {
            var rtp = SrtpTestData.Rtp(100, 0x1234, 200);
            var buffer = WithRoom(rtp);
            Assert.Equal(SrtpResult.Ok, from.ProtectRtp(buffer, rtp.Length, out int n));
            Assert.Equal(SrtpResult.Ok, to.UnprotectRtp(buffer, n, out int m));
            Assert.Equal(rtp, buffer[..m]);
            var rtcp = Rtcp(0x1234, 6);
            buffer = WithRoom(rtcp);
            Assert.Equal(SrtpResult.Ok, from.ProtectRtcp(buffer, rtcp.Length, out n));
            Assert.Equal(SrtpResult.Ok, to.UnprotectRtcp(buffer, n, out m));
            Assert.Equal(rtcp, buffer[..m]);
        }
        // A direction's own keys do not open its own packets: the two directions use different keys.
        var own = WithRoom(SrtpTestData.Rtp(5, 1, 50));
        Assert.Equal(SrtpResult.Ok, client.ProtectRtp(own, 62, out int len));
        Assert.Equal(SrtpResult.AuthenticationFailed, client.UnprotectRtp(own, len, out _));
    }

    [Theory]
    [MemberData(nameof(AllProfiles))]
    public void HeaderWithCsrcsAndExtensionStaysInTheClearAndAuthenticated(SrtpProtectionProfile profile)
    {
        var (sender, receiver) = Pair(profile);
        using (sender) using (receiver)
        {
            var rtp = SrtpTestData.Rtp(9, 0xdeadbeef, 300, csrcs: 3, extensionWords: 2);
            int header = 12 + 12 + 4 + 8;
            var buffer = WithRoom(rtp);
            Assert.Equal(SrtpResult.Ok, sender.ProtectRtp(buffer, rtp.Length, out int n));
            Assert.Equal(rtp.Length + sender.RtpOverhead, n);
            Assert.Equal(rtp[..header], buffer[..header]);
            Assert.NotEqual(rtp[header..], buffer[header..rtp.Length]);

            var tampered = (byte[])buffer.Clone();
            tampered[header - 1] ^= 0x40; // a header-extension byte
            Assert.Equal(SrtpResult.AuthenticationFailed, receiver.UnprotectRtp(tampered, n, out _));
            Assert.Equal(SrtpResult.Ok, receiver.UnprotectRtp(buffer, n, out int m));
            Assert.Equal(rtp, buffer[..m]);
        }
    }

    [Theory]
    [MemberData(nameof(AllProfiles))]
    public void RolloverCounterFollowsTheSequenceAcrossWrapWithReordering(SrtpProtectionProfile profile)
    {
        var (sender, receiver) = Pair(profile);
        using (sender) using (receiver)
        {
            const uint ssrc = 42;
            var sent = new List<(byte[] Plain, byte[] Wire)>();
            for (int i = 0; i < 200; i++)
            {
                ushort seq = (ushort)(65_436 + i); // crosses 65535 -> 0 after 100 packets
                var rtp = SrtpTestData.Rtp(seq, ssrc, 100 + i);
                var buffer = WithRoom(rtp);
                Assert.Equal(SrtpResult.Ok, sender.ProtectRtp(buffer, rtp.Length, out int n));
                sent.Add((rtp, buffer[..n]));
            }
            Assert.Equal(1u, sender.SendRolloverCounter(ssrc));
            // Deliver in a reordered way: swap neighbours, and hold one packet from before the wrap until after it.
            var order = Enumerable.Range(0, 200).ToList();
            for (int i = 0; i + 1 < order.Count; i += 2) (order[i], order[i + 1]) = (order[i + 1], order[i]);
            order.Remove(95);
            order.Insert(110, 95);
            foreach (var i in order)
            {
                var buffer = WithRoom(sent[i].Wire);
                Assert.Equal(SrtpResult.Ok, receiver.UnprotectRtp(buffer, sent[i].Wire.Length, out int m));
                Assert.Equal(sent[i].Plain, buffer[..m]);
            }
            Assert.Equal(1u, receiver.ReceiveRolloverCounter(ssrc));
            // Every packet again is a replay.
            foreach (var (_, wire) in sent)
                Assert.Equal(SrtpResult.Replayed, receiver.UnprotectRtp(WithRoom(wire), wire.Length, out _));
        }
    }

    [Fact]
    public void PacketsOlderThanTheWindowAreRejectedAndTheWindowSizeIsConfigurable()
    {
        foreach (int window in new[] { 64, 200 })
        {
            var (sender, receiver) = Pair(SrtpProtectionProfile.AeadAes128Gcm, options: new SrtpOptions(window));
            using (sender) using (receiver)
            {
                var wires = new List<byte[]>();
                for (ushort seq = 0; seq < 400; seq++)
                {
                    var buffer = WithRoom(SrtpTestData.Rtp(seq, 1, 20));
                    sender.ProtectRtp(buffer, 32, out int n);
                    wires.Add(buffer[..n]);
                }
                Assert.Equal(SrtpResult.Ok, receiver.UnprotectRtp(WithRoom(wires[399]), wires[399].Length, out _));
                // Index 399 - window + 1 is the oldest still inside; 399 - window is outside.
                Assert.Equal(SrtpResult.Ok, receiver.UnprotectRtp(WithRoom(wires[399 - window + 1]), wires[0].Length, out _));
                Assert.Equal(SrtpResult.Replayed, receiver.UnprotectRtp(WithRoom(wires[399 - window]), wires[0].Length, out _));
            }
        }
        Assert.Throws<ArgumentOutOfRangeException>(() => Pair(SrtpProtectionProfile.AeadAes128Gcm, options: new SrtpOptions(32)));
    }

    [Theory]
    [MemberData(nameof(AllProfiles))]
    public void RtcpIndexCountsUpAndReplaysAreRejected(SrtpProtectionProfile profile)
    {
        var (sender, receiver) = Pair(profile);
        using (sender) using (receiver)
        {
            var wires = new List<byte[]>();
            for (int i = 0; i < 5; i++)
            {
                var rtcp = Rtcp(77, 6, seed: i);
                var buffer = WithRoom(rtcp);
                Assert.Equal(SrtpResult.Ok, sender.ProtectRtcp(buffer, rtcp.Length, out int n));
                Assert.Equal(rtcp.Length + sender.RtcpOverhead, n);
                int wordAt = profile.Parameters().IsAead ? n - 4 : rtcp.Length;
                Assert.Equal(0x8000_0000u | (uint)i, System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(buffer.AsSpan(wordAt)));
                wires.Add(buffer[..n]);
            }
            foreach (var i in new[] { 1, 0, 4, 2, 3 })
                Assert.Equal(SrtpResult.Ok, receiver.UnprotectRtcp(WithRoom(wires[i]), wires[i].Length, out _));
            Assert.Equal(SrtpResult.Replayed, receiver.UnprotectRtcp(WithRoom(wires[2]), wires[2].Length, out _));
        }
    }

    [Theory]
    [MemberData(nameof(AllProfiles))]
    public void ForgedPacketsCreateNoState(SrtpProtectionProfile profile)
    {
        var (sender, receiver) = Pair(profile);
        using (sender) using (receiver)
        {
            // A forged packet with a far-ahead sequence must not move the receiver's state.
            var good = WithRoom(SrtpTestData.Rtp(10, 5, 40));
            sender.ProtectRtp(good, 52, out int n);
            var forged = (byte[])good.Clone();
            forged[n - 1] ^= 1;
            Assert.Equal(SrtpResult.AuthenticationFailed, receiver.UnprotectRtp(forged, n, out _));
            Assert.Null(receiver.ReceiveRolloverCounter(5));
            Assert.Equal(SrtpResult.Ok, receiver.UnprotectRtp(good, n, out _));
            Assert.Equal(0u, receiver.ReceiveRolloverCounter(5));
        }
    }

    [Fact]
    public void BadInputGivesTypedResults()
    {
        var (sender, receiver) = Pair(SrtpProtectionProfile.AesCm128HmacSha1_80);
        using (sender) using (receiver)
        {
            var rtp = SrtpTestData.Rtp(1, 1, 10);
            Assert.Equal(SrtpResult.BufferTooSmall, sender.ProtectRtp(rtp, rtp.Length, out _)); // no room for the tag
            Assert.Equal(SrtpResult.BufferTooSmall, sender.ProtectRtp(rtp, rtp.Length + 1, out _));
            Assert.Equal(SrtpResult.TooShort, sender.ProtectRtp(new byte[64], 11, out _));
            var v1 = WithRoom(rtp);
            v1[0] = 0x40;
            Assert.Equal(SrtpResult.InvalidHeader, sender.ProtectRtp(v1, rtp.Length, out _));
            var ext = WithRoom(SrtpTestData.Rtp(1, 1, 0, extensionWords: 0));
            System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(ext.AsSpan(14), 100); // extension longer than the packet
            Assert.Equal(SrtpResult.InvalidHeader, sender.ProtectRtp(ext, 16, out _));
            Assert.Equal(SrtpResult.TooShort, receiver.UnprotectRtp(new byte[21], 21, out _));
            Assert.Equal(SrtpResult.TooShort, receiver.UnprotectRtcp(new byte[21], 21, out _));
            Assert.Equal(SrtpResult.AuthenticationFailed, receiver.UnprotectRtp(WithRoom(SrtpTestData.Rtp(3, 3, 30)), 42, out _));
        }
    }

    [Theory]
    [MemberData(nameof(AllProfiles))]
    public void NoAllocationPerPacket(SrtpProtectionProfile profile)
    {
        foreach (var aesNi in new[] { true, false })
        {
            var (sender, receiver) = Pair(profile, options: new SrtpOptions { AllowAesNi = aesNi });
            using (sender) using (receiver)
            {
                var rtp = SrtpTestData.Rtp(0, 9, 1188);
                var rtcp = Rtcp(9, 20);
                var buffer = new byte[1300];
                var forged = new byte[1300];
                int failures = 0;
                void Cycle(ushort seq)
                {
                    // No Assert in here: xunit's comparers allocate.
                    rtp.CopyTo(buffer, 0);
                    System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(buffer.AsSpan(2), seq);
                    if (sender.ProtectRtp(buffer, rtp.Length, out int n) != SrtpResult.Ok) failures++;
                    if (receiver.UnprotectRtp(buffer, n, out _) != SrtpResult.Ok) failures++;
                    rtcp.CopyTo(buffer, 0);
                    if (sender.ProtectRtcp(buffer, rtcp.Length, out n) != SrtpResult.Ok) failures++;
                    buffer.AsSpan(0, n).CopyTo(forged);
                    forged[20] ^= 1; // a forged copy first: rejected, state untouched
                    if (receiver.UnprotectRtcp(forged, n, out _) != SrtpResult.AuthenticationFailed) failures++;
                    if (receiver.UnprotectRtcp(buffer, n, out _) != SrtpResult.Ok) failures++;
                }
                for (ushort seq = 0; seq < 50; seq++) Cycle(seq); // warm up: per-SSRC state is created once
                long before = GC.GetAllocatedBytesForCurrentThread();
                for (ushort seq = 50; seq < 1050; seq++) Cycle(seq);
                long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
                Assert.Equal(0, failures);
                // The BCL AesGcm fallback throws (and allocates) on a forged tag; every other path allocates nothing.
                if (aesNi || !profile.Parameters().IsAead) Assert.Equal(0, allocated);
            }
        }
    }
}
