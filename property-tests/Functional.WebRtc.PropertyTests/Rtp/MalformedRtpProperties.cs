using FsCheck;
using FsCheck.Fluent;
using Functional.WebRtc.Core.Rtp;
using Functional.WebRtc.Testing;

namespace Functional.WebRtc.PropertyTests.Rtp;

/// <summary>
/// "Malformed RTP and RTCP never throw" for the span readers the packet path uses (the record parsers have their own
/// properties in RtpPacketProperties and RtcpProperties): the RTP view with every extension reader, the RTCP header
/// walk with each packet parsed, and the SFU header rewrite. Inputs are random bytes and single-byte mutations and
/// truncations of valid packets with one- and two-byte header extensions.
/// </summary>
public class MalformedRtpProperties
{
    /// <summary>Everything a receiver may read from an RTP packet; true when the view agrees with its own error.</summary>
    private static bool ReadEverything(ReadOnlySpan<byte> bytes)
    {
        var ok = RtpPacketView.TryParse(bytes, out var v, out var error);
        if (!ok) return error is not null;
        var sum = v.Version + v.CsrcCount + v.PayloadType + v.SequenceNumber + (long)v.Timestamp + v.Ssrc + v.Payload.Length + v.PaddingSize;
        for (var i = 0; i < v.CsrcCount; i++) sum += v.GetCsrc(i);
        foreach (var e in v.Extensions) sum += e.Id + e.Data.Length;
        for (var id = 0; id <= 255; id += id < 16 ? 1 : 17)
        {
            var b = (byte)id;
            if (v.TryGetExtension(b, out var data)) sum += data.Length;
            if (v.TryGetAbsSendTime(b, out var abs)) sum += abs;
            if (v.TryGetTransportSequenceNumber(b, out var tcc)) sum += tcc;
            if (v.TryGetAudioLevel(b, out var level)) sum += level.Level;
            if (v.TryGetPlayoutDelay(b, out var delay)) sum += delay.GetHashCode();
            if (v.TryGetString(b, out var text)) sum += text.Length;
        }
        return error is null && sum != long.MinValue && v.HeaderSize + v.PaddingSize <= bytes.Length;
    }

    /// <summary>Valid RTP packets with one- or two-byte extensions, CSRCs and padding.</summary>
    private static Gen<byte[]> ValidPackets =>
        from twoByte in RtpGens.Bool
        from csrcs in Gen.Choose(0, 3)
        from extensions in Gen.Choose(0, 4)
        from payload in RtpGens.BytesOf(0, 300)
        from padding in Gen.Choose(0, 8)
        from seed in RtpGens.UInt
        select Write(twoByte, csrcs, extensions, payload, (byte)padding, seed);

    private static byte[] Write(bool twoByte, int csrcs, int extensions, byte[] payload, byte padding, uint seed)
    {
        var buffer = new byte[2000];
        var w = new RtpWriter(buffer);
        var list = Enumerable.Range(1, csrcs).Select(i => seed + (uint)i).ToArray();
        w.WriteHeader(new RtpHeader((seed & 1) != 0, (byte)(seed % 128), (ushort)seed, seed, seed ^ 0x5555), list,
            twoByte ? RtpExtensionFormat.TwoByte : RtpExtensionFormat.OneByte);
        for (var i = 0; i < extensions; i++)
        {
            switch ((seed + (uint)i) % 4)
            {
                case 0: w.AddAbsSendTime((byte)(1 + i), seed & 0xFFFFFF); break;
                case 1: w.AddTransportSequenceNumber((byte)(1 + i), (ushort)i); break;
                case 2: w.AddString((byte)(1 + i), "mid" + i); break;
                default: w.AddExtension((byte)(1 + i), new byte[1 + i]); break;
            }
        }
        w.WritePayload(payload, padding);
        if (w.Failed) throw new InvalidOperationException("could not write the test packet");
        return buffer[..w.Length];
    }

    [Property(MaxTest = 500)]
    public bool RandomBytesNeverThrowAnyReader(byte[] bytes) => ReadEverything(bytes);

    [Property(MaxTest = 500)]
    public Property MutatedAndTruncatedPacketsNeverThrowAnyReader() =>
        Prop.ForAll(ValidPackets.ToArbitrary(), Gen.Choose(0, 100_000).ToArbitrary(), Gen.Choose(0, 255).ToArbitrary(), (packet, pos, value) =>
        {
            var valid = ReadEverything(packet) && RtpPacketView.TryParse(packet, out _, out _);
            var mutated = (byte[])packet.Clone();
            mutated[pos % mutated.Length] = (byte)value;
            _ = ReadEverything(mutated) | ReadEverything(packet.AsSpan(0, pos % (packet.Length + 1)));
            return valid;
        });

    /// <summary>Walks a compound with the span reader and parses each packet; returns how many parsed.</summary>
    private static int WalkRtcp(ReadOnlySpan<byte> bytes)
    {
        var r = new RtcpReader(bytes);
        var n = 0;
        while (r.MoveNext())
        {
            var h = r.Current;
            _ = h.Body.Length;
            if (RtcpCompound.ParseOne(h).IsRight) n++;
        }
        return n;
    }

    [Property(MaxTest = 500)]
    public bool RandomBytesNeverThrowTheRtcpWalk(byte[] bytes) => WalkRtcp(bytes) >= 0;

    [Property(MaxTest = 300, Arbitrary = new[] { typeof(RtcpArbs) })]
    public Property MutatedRtcpNeverThrowsTheWalk(LanguageExt.Seq<RtcpPacket> ps) =>
        Prop.ForAll(Gen.Choose(0, 100_000).ToArbitrary(), Gen.Choose(0, 255).ToArbitrary(), (pos, value) =>
        {
            var bytes = RtcpCompound.ToBytes(ps).IfLeft(e => throw new InvalidOperationException(e.ToString()));
            var intact = WalkRtcp(bytes) == ps.Count;
            var mutated = (byte[])bytes.Clone();
            mutated[pos % mutated.Length] = (byte)value;
            _ = WalkRtcp(mutated) + WalkRtcp(bytes.AsSpan(0, pos % (bytes.Length + 1)));
            return intact;
        });

    [Property(MaxTest = 300)]
    public Property RewriteChangesOnlyTheFixedHeaderFields() =>
        Prop.ForAll(ValidPackets.ToArbitrary(), RtpGens.UInt.ToArbitrary(), RtpGens.UShort.ToArbitrary(), (packet, ssrc, offset) =>
        {
            RtpPacketView.TryParse(packet, out var before, out _);
            var (seq, ts, marker, payload) = (before.SequenceNumber, before.Timestamp, before.Marker, before.Payload.ToArray());
            var rewrite = new RtpRewrite(ssrc, (byte)(offset % 128), offset, ssrc ^ 7);
            var copy = (byte[])packet.Clone();
            if (!rewrite.Apply(copy) || !RtpPacketView.TryParse(copy, out var after, out _)) return false;
            return after.Ssrc == ssrc && after.PayloadType == offset % 128 && after.Marker == marker &&
                   after.SequenceNumber == (ushort)(seq + offset) && after.Timestamp == unchecked(ts + (ssrc ^ 7)) &&
                   after.Payload.SequenceEqual(payload) && copy.AsSpan(12).SequenceEqual(packet.AsSpan(12));
        });

    [Property(MaxTest = 300)]
    public bool RewriteOfGarbageIsRefusedOrStaysInBounds(byte[] bytes)
    {
        var copy = (byte[])bytes.Clone();
        var applied = new RtpRewrite(1, 96, 5, 5).Apply(copy);
        return applied == (bytes.Length >= 12 && bytes[0] >> 6 == 2) && (applied || copy.AsSpan().SequenceEqual(bytes));
    }

    [Property(MaxTest = 100)]
    public bool ContinueFromMakesTheNextPacketFollowTheLastOneSent(ushort lastSeq, uint lastTs, ushort nextSeq, uint nextTs)
    {
        var r = new RtpRewrite(9, 96).ContinueFrom(lastSeq, lastTs, nextSeq, nextTs, 3000);
        return (ushort)(nextSeq + r.SequenceOffset) == (ushort)(lastSeq + 1) && unchecked(nextTs + r.TimestampOffset) == unchecked(lastTs + 3000);
    }
}
