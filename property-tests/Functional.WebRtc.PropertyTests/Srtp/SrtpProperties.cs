using System.Buffers.Binary;
using FsCheck;
using FsCheck.Fluent;
using Functional.WebRtc.Core.Srtp;
using Functional.WebRtc.Testing;

namespace Functional.WebRtc.PropertyTests.Srtp;

/// <summary>A random RTP packet (header with CSRCs and an optional extension, payload 0-1400) under random keys.</summary>
public sealed record SrtpCase(SrtpProtectionProfile Profile, int Seed, ushort Seq, int Csrcs, int ExtensionWords, int PayloadLength, int Bit)
{
    public (byte[] Key, byte[] Salt) Keys()
    {
        var p = Profile.Parameters();
        var rng = new Random(Seed);
        var key = new byte[p.MasterKeyLength];
        var salt = new byte[p.MasterSaltLength];
        rng.NextBytes(key);
        rng.NextBytes(salt);
        return (key, salt);
    }

    public byte[] Packet()
    {
        var rng = new Random(Seed * 31 + 7);
        int header = 12 + 4 * Csrcs + (ExtensionWords >= 0 ? 4 + 4 * ExtensionWords : 0);
        var packet = new byte[header + PayloadLength];
        rng.NextBytes(packet);
        packet[0] = (byte)(0x80 | (packet[0] & 0x20) | (ExtensionWords >= 0 ? 0x10 : 0) | Csrcs); // keep P random: padding is payload
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(2), Seq);
        if (ExtensionWords >= 0) BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(12 + 4 * Csrcs + 2), (ushort)ExtensionWords);
        return packet;
    }

    public byte[] RtcpPacket()
    {
        var rng = new Random(Seed * 17 + 3);
        var packet = new byte[8 + 4 * (PayloadLength / 4 % 200)];
        rng.NextBytes(packet);
        packet[0] = (byte)(0x80 | (packet[0] & 0x3F));
        return packet;
    }

    public SrtpContext Context() { var (k, s) = Keys(); return SrtpContext.Create(Profile, k, s); }
}

public static class SrtpArbitraries
{
    public static Arbitrary<SrtpCase> Cases() =>
        (from profile in Gen.Elements(SrtpProtectionProfile.AesCm128HmacSha1_80, SrtpProtectionProfile.AesCm128HmacSha1_32,
                                      SrtpProtectionProfile.AeadAes128Gcm, SrtpProtectionProfile.AeadAes256Gcm)
         from seed in ArbMap.Default.GeneratorFor<int>()
         from seq in ArbMap.Default.GeneratorFor<ushort>()
         from csrcs in Gen.Choose(0, 15)
         from ext in Gen.Choose(-1, 12)
         from length in Gen.OneOf(Gen.Choose(0, 32), Gen.Choose(0, 1400))
         from bit in Gen.Choose(0, int.MaxValue)
         select new SrtpCase(profile, seed, seq, csrcs, ext, length, bit)).ToArbitrary();
}

public class SrtpProperties
{
    [Property(MaxTest = 200, Arbitrary = new[] { typeof(SrtpArbitraries) })]
    public bool RtpRoundTripsAndReplaysAreRejected(SrtpCase c)
    {
        using var sender = c.Context();
        using var receiver = c.Context();
        var packet = c.Packet();
        var buffer = new byte[packet.Length + 16];
        packet.CopyTo(buffer, 0);
        if (sender.ProtectRtp(buffer, packet.Length, out int n) != SrtpResult.Ok) return false;
        if (n != packet.Length + sender.RtpOverhead) return false;
        var wire = buffer[..n];
        if (receiver.UnprotectRtp(buffer, n, out int m) != SrtpResult.Ok) return false;
        if (!buffer.AsSpan(0, m).SequenceEqual(packet)) return false;
        return receiver.UnprotectRtp(wire, wire.Length, out _) == SrtpResult.Replayed;
    }

    [Property(MaxTest = 200, Arbitrary = new[] { typeof(SrtpArbitraries) })]
    public bool RtcpRoundTripsAndReplaysAreRejected(SrtpCase c)
    {
        using var sender = c.Context();
        using var receiver = c.Context();
        var packet = c.RtcpPacket();
        var buffer = new byte[packet.Length + 20];
        packet.CopyTo(buffer, 0);
        if (sender.ProtectRtcp(buffer, packet.Length, out int n) != SrtpResult.Ok) return false;
        var wire = buffer[..n];
        if (receiver.UnprotectRtcp(buffer, n, out int m) != SrtpResult.Ok) return false;
        if (!buffer.AsSpan(0, m).SequenceEqual(packet)) return false;
        return receiver.UnprotectRtcp(wire, wire.Length, out _) == SrtpResult.Replayed;
    }

    [Property(MaxTest = 300, Arbitrary = new[] { typeof(SrtpArbitraries) })]
    public bool AnySingleBitFlipIsRejected(SrtpCase c)
    {
        using var sender = c.Context();
        var packet = c.Packet();
        var buffer = new byte[packet.Length + 16];
        packet.CopyTo(buffer, 0);
        sender.ProtectRtp(buffer, packet.Length, out int n);
        int bit = c.Bit % (n * 8);
        buffer[bit / 8] ^= (byte)(1 << (bit % 8));
        using var receiver = c.Context();
        var rtp = receiver.UnprotectRtp(buffer, n, out _);

        var rtcpPacket = c.RtcpPacket();
        var rtcp = new byte[rtcpPacket.Length + 20];
        rtcpPacket.CopyTo(rtcp, 0);
        sender.ProtectRtcp(rtcp, rtcpPacket.Length, out int r);
        int rbit = c.Bit % (r * 8);
        rtcp[rbit / 8] ^= (byte)(1 << (rbit % 8));
        var rtcpResult = receiver.UnprotectRtcp(rtcp, r, out _);
        return rtp != SrtpResult.Ok && rtcpResult != SrtpResult.Ok;
    }

    [Property(MaxTest = 300, Arbitrary = new[] { typeof(SrtpArbitraries) })]
    public bool GarbageAndMutatedInputNeverThrows(SrtpCase c, byte[] garbage, int cut)
    {
        using var context = c.Context();
        var results = new List<SrtpResult>();
        // Raw garbage, both as given and with a plausible version-2 first byte.
        foreach (var variant in new[] { garbage, garbage.Length > 0 ? [(byte)(0x80 | (garbage[0] & 0x3F)), .. garbage[1..]] : garbage })
        {
            results.Add(context.UnprotectRtp((byte[])variant.Clone(), variant.Length, out _));
            results.Add(context.UnprotectRtcp((byte[])variant.Clone(), variant.Length, out _));
            results.Add(context.ProtectRtp((byte[])variant.Clone(), Math.Max(0, variant.Length - 16), out _));
            results.Add(context.ProtectRtcp((byte[])variant.Clone(), Math.Max(0, variant.Length - 20), out _));
        }
        // A valid packet cut short anywhere, and lengths outside the buffer.
        var packet = c.Packet();
        var buffer = new byte[packet.Length + 16];
        packet.CopyTo(buffer, 0);
        context.ProtectRtp(buffer, packet.Length, out int n);
        int length = n == 0 ? 0 : (int)((uint)cut % (uint)n);
        results.Add(context.UnprotectRtp(buffer, length, out _));
        results.Add(context.UnprotectRtp(buffer, buffer.Length + 1, out _));
        results.Add(context.UnprotectRtp(buffer, -1, out _));
        results.Add(context.ProtectRtcp(buffer, -5, out _));
        return results.All(Enum.IsDefined);
    }

    /// <summary>Model of the replay list: accepted iff never seen and not more than 63 below the highest.</summary>
    [Property(MaxTest = 60)]
    public bool ReplayWindowMatchesModel(int seed)
    {
        var (key, salt) = new SrtpCase(SrtpProtectionProfile.AeadAes128Gcm, seed, 0, 0, -1, 0, 0).Keys();
        using var sender = SrtpContext.Create(SrtpProtectionProfile.AeadAes128Gcm, key, salt);
        using var receiver = SrtpContext.Create(SrtpProtectionProfile.AeadAes128Gcm, key, salt);
        var wires = new List<byte[]>();
        for (int seq = 0; seq < 400; seq++)
        {
            var buffer = new byte[12 + 10 + 16];
            buffer[0] = 0x80;
            BinaryPrimitives.WriteUInt16BigEndian(buffer.AsSpan(2), (ushort)seq);
            sender.ProtectRtp(buffer, 22, out _);
            wires.Add(buffer);
        }
        var rng = new Random(seed);
        var seen = new System.Collections.Generic.HashSet<int>();
        int highest = -1;
        int cursor = 0;
        for (int step = 0; step < 500; step++)
        {
            // Mostly forward with jitter, sometimes far back, sometimes a duplicate.
            cursor = Math.Clamp(cursor + rng.Next(-3, 6), 0, 399);
            int pick = rng.Next(10) == 0 ? rng.Next(0, 400) : cursor;
            bool expected = !seen.Contains(pick) && (highest < 0 || pick > highest || highest - pick < 64);
            var wire = (byte[])wires[pick].Clone();
            bool accepted = receiver.UnprotectRtp(wire, wire.Length, out _) == SrtpResult.Ok;
            if (accepted != expected) return false;
            if (accepted) { seen.Add(pick); highest = Math.Max(highest, pick); }
        }
        return true;
    }
}
