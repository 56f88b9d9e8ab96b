using System.Buffers.Binary;
using System.Text;
using LanguageExt;

namespace Functional.WebRtc.Core.Rtp;

/// <summary>RTCP packet types (RFC 3550 section 12.1, RFC 4585 section 6.1).</summary>
public static class RtcpPacketType
{
    public const byte SenderReport = 200;
    public const byte ReceiverReport = 201;
    public const byte SourceDescription = 202;
    public const byte Goodbye = 203;
    public const byte ApplicationDefined = 204;
    /// <summary>Transport-layer feedback (RFC 4585): FMT 1 generic NACK, FMT 15 transport-wide CC.</summary>
    public const byte TransportFeedback = 205;
    /// <summary>Payload-specific feedback (RFC 4585): FMT 1 PLI, FMT 4 FIR, FMT 15 application layer (REMB).</summary>
    public const byte PayloadFeedback = 206;
}

/// <summary>
/// One RTCP packet (RFC 3550 section 6.4 onwards), a closed union. Parse a compound (or reduced-size, RFC 5506)
/// datagram with <see cref="RtcpCompound.Parse"/>; write a list back with <c>RtcpCompound.ToBytes</c>.
/// </summary>
public abstract record RtcpPacket
{
    private protected RtcpPacket() { }

    public abstract byte PacketType { get; }
    /// <summary>The 5-bit count / FMT / subtype field of the common header.</summary>
    public abstract byte CountField { get; }
    /// <summary>Body size without the 4-byte common header and without RTCP padding.</summary>
    public abstract int BodyLength { get; }
    /// <summary>Writes the body; <paramref name="body"/> is exactly <see cref="BodyLength"/> bytes.</summary>
    internal abstract void WriteBody(Span<byte> body);
    /// <summary>Checks the fields fit the wire format (counts below 32, strings short enough...).</summary>
    internal virtual RtcError? Validate() => null;

    /// <summary>The whole packet size on the wire: header, body, and padding to 32 bits.</summary>
    public int Size => 4 + (BodyLength + 3) / 4 * 4;

    internal static RtcError Bad(string message, int offset = -1) => new RtcError.Syntax(message, 0, offset);
}

/// <summary>A report block of SR and RR (RFC 3550 section 6.4.1).</summary>
public sealed record ReceptionReport(
    uint Ssrc, byte FractionLost, int CumulativeLost, uint ExtendedHighestSequence, uint Jitter, uint LastSenderReport, uint DelaySinceLastSenderReport)
{
    public const int Size = 24;

    internal void Write(Span<byte> b)
    {
        BinaryPrimitives.WriteUInt32BigEndian(b, Ssrc);
        BinaryPrimitives.WriteUInt32BigEndian(b[4..], ((uint)FractionLost << 24) | ((uint)CumulativeLost & 0xFFFFFF));
        BinaryPrimitives.WriteUInt32BigEndian(b[8..], ExtendedHighestSequence);
        BinaryPrimitives.WriteUInt32BigEndian(b[12..], Jitter);
        BinaryPrimitives.WriteUInt32BigEndian(b[16..], LastSenderReport);
        BinaryPrimitives.WriteUInt32BigEndian(b[20..], DelaySinceLastSenderReport);
    }

    internal static ReceptionReport Read(ReadOnlySpan<byte> b)
    {
        var word = BinaryPrimitives.ReadUInt32BigEndian(b[4..]);
        var lost = (int)(word << 8) >> 8; // 24-bit signed (RFC 3550 6.4.1)
        return new ReceptionReport(BinaryPrimitives.ReadUInt32BigEndian(b), (byte)(word >> 24), lost,
            BinaryPrimitives.ReadUInt32BigEndian(b[8..]), BinaryPrimitives.ReadUInt32BigEndian(b[12..]),
            BinaryPrimitives.ReadUInt32BigEndian(b[16..]), BinaryPrimitives.ReadUInt32BigEndian(b[20..]));
    }

    internal static RtcError? ValidateAll(Seq<ReceptionReport> reports) =>
        reports.Count > 31 ? new RtcError.Range("at most 31 report blocks per packet")
        : reports.Exists(r => r.CumulativeLost is < -0x800000 or > 0x7FFFFF) ? new RtcError.Range("cumulative lost must fit 24 bits signed")
        : null;
}

/// <summary>SR (RFC 3550 section 6.4.1). <see cref="NtpTimestamp"/> is the 64-bit NTP time (32.32 fixed point).</summary>
public sealed record SenderReport(
    uint Ssrc, ulong NtpTimestamp, uint RtpTimestamp, uint PacketCount, uint OctetCount,
    Seq<ReceptionReport> Reports, Bytes ProfileExtensions = default) : RtcpPacket
{
    public override byte PacketType => RtcpPacketType.SenderReport;
    public override byte CountField => (byte)Reports.Count;
    public override int BodyLength => 24 + ReceptionReport.Size * Reports.Count + ProfileExtensions.Length;
    internal override RtcError? Validate() => ReceptionReport.ValidateAll(Reports)
        ?? (ProfileExtensions.Length % 4 != 0 ? new RtcError.Range("SR profile extensions must be 32-bit aligned") : null);

    internal override void WriteBody(Span<byte> b)
    {
        BinaryPrimitives.WriteUInt32BigEndian(b, Ssrc);
        BinaryPrimitives.WriteUInt64BigEndian(b[4..], NtpTimestamp);
        BinaryPrimitives.WriteUInt32BigEndian(b[12..], RtpTimestamp);
        BinaryPrimitives.WriteUInt32BigEndian(b[16..], PacketCount);
        BinaryPrimitives.WriteUInt32BigEndian(b[20..], OctetCount);
        var o = 24;
        foreach (var r in Reports) { r.Write(b[o..]); o += ReceptionReport.Size; }
        ProfileExtensions.Span.CopyTo(b[o..]);
    }

    internal static Either<RtcError, RtcpPacket> Parse(ReadOnlySpan<byte> b, int count)
    {
        if (b.Length < 24 + ReceptionReport.Size * count) return Bad("SR shorter than its report count");
        var reports = new ReceptionReport[count];
        for (var i = 0; i < count; i++) reports[i] = ReceptionReport.Read(b[(24 + ReceptionReport.Size * i)..]);
        return new SenderReport(BinaryPrimitives.ReadUInt32BigEndian(b), BinaryPrimitives.ReadUInt64BigEndian(b[4..]),
            BinaryPrimitives.ReadUInt32BigEndian(b[12..]), BinaryPrimitives.ReadUInt32BigEndian(b[16..]),
            BinaryPrimitives.ReadUInt32BigEndian(b[20..]), reports.ToSeq(), Bytes.Copy(b[(24 + ReceptionReport.Size * count)..]));
    }
}

/// <summary>RR (RFC 3550 section 6.4.2).</summary>
public sealed record ReceiverReport(uint Ssrc, Seq<ReceptionReport> Reports, Bytes ProfileExtensions = default) : RtcpPacket
{
    public override byte PacketType => RtcpPacketType.ReceiverReport;
    public override byte CountField => (byte)Reports.Count;
    public override int BodyLength => 4 + ReceptionReport.Size * Reports.Count + ProfileExtensions.Length;
    internal override RtcError? Validate() => ReceptionReport.ValidateAll(Reports)
        ?? (ProfileExtensions.Length % 4 != 0 ? new RtcError.Range("RR profile extensions must be 32-bit aligned") : null);

    internal override void WriteBody(Span<byte> b)
    {
        BinaryPrimitives.WriteUInt32BigEndian(b, Ssrc);
        var o = 4;
        foreach (var r in Reports) { r.Write(b[o..]); o += ReceptionReport.Size; }
        ProfileExtensions.Span.CopyTo(b[o..]);
    }

    internal static Either<RtcError, RtcpPacket> Parse(ReadOnlySpan<byte> b, int count)
    {
        if (b.Length < 4 + ReceptionReport.Size * count) return Bad("RR shorter than its report count");
        var reports = new ReceptionReport[count];
        for (var i = 0; i < count; i++) reports[i] = ReceptionReport.Read(b[(4 + ReceptionReport.Size * i)..]);
        return new ReceiverReport(BinaryPrimitives.ReadUInt32BigEndian(b), reports.ToSeq(), Bytes.Copy(b[(4 + ReceptionReport.Size * count)..]));
    }
}

/// <summary>SDES item types (RFC 3550 section 6.5).</summary>
public enum SdesItemType : byte { End = 0, Cname = 1, Name = 2, Email = 3, Phone = 4, Location = 5, Tool = 6, Note = 7, Priv = 8 }

/// <summary>One SDES item; <see cref="Value"/> holds the raw octets (UTF-8 text for all but PRIV).</summary>
public sealed record SdesItem(SdesItemType Type, Bytes Value)
{
    public static SdesItem Text(SdesItemType type, string text) => new(type, Encoding.UTF8.GetBytes(text));
    public string AsText => Encoding.UTF8.GetString(Value.Span);
}

public sealed record SdesChunk(uint Source, Seq<SdesItem> Items)
{
    /// <summary>SSRC, items, then one to four null octets to the next 32-bit boundary (RFC 3550 6.5).</summary>
    public int Size => (4 + Items.Sum(i => 2 + i.Value.Length) + 4) / 4 * 4;
}

/// <summary>SDES (RFC 3550 section 6.5).</summary>
public sealed record SourceDescription(Seq<SdesChunk> Chunks) : RtcpPacket
{
    public static SourceDescription Cname(uint ssrc, string cname) =>
        new(Seq1(new SdesChunk(ssrc, Seq1(SdesItem.Text(SdesItemType.Cname, cname)))));
    private static Seq<T> Seq1<T>(T x) => LanguageExt.Prelude.Seq1(x);

    public override byte PacketType => RtcpPacketType.SourceDescription;
    public override byte CountField => (byte)Chunks.Count;
    public override int BodyLength => Chunks.Sum(c => c.Size);
    internal override RtcError? Validate() =>
        Chunks.Count > 31 ? new RtcError.Range("at most 31 SDES chunks")
        : Chunks.Exists(c => c.Items.Exists(i => i.Value.Length > 255 || i.Type == SdesItemType.End)) ? new RtcError.Range("SDES item longer than 255 octets or of type END")
        : null;

    internal override void WriteBody(Span<byte> b)
    {
        b.Clear();
        var o = 0;
        foreach (var c in Chunks)
        {
            BinaryPrimitives.WriteUInt32BigEndian(b[o..], c.Source);
            var p = o + 4;
            foreach (var i in c.Items)
            {
                b[p] = (byte)i.Type;
                b[p + 1] = (byte)i.Value.Length;
                i.Value.Span.CopyTo(b[(p + 2)..]);
                p += 2 + i.Value.Length;
            }
            o += c.Size; // the null terminator and padding are already zero
        }
    }

    internal static Either<RtcError, RtcpPacket> Parse(ReadOnlySpan<byte> b, int count)
    {
        var chunks = new List<SdesChunk>(count);
        var o = 0;
        for (var n = 0; n < count; n++)
        {
            if (b.Length < o + 4) return Bad("SDES chunk truncated");
            var ssrc = BinaryPrimitives.ReadUInt32BigEndian(b[o..]);
            var p = o + 4;
            var items = new List<SdesItem>();
            while (true)
            {
                if (p >= b.Length) return Bad("SDES chunk not terminated");
                var type = b[p];
                if (type == 0) break;
                if (p + 2 > b.Length || p + 2 + b[p + 1] > b.Length) return Bad("SDES item truncated");
                items.Add(new SdesItem((SdesItemType)type, Bytes.Copy(b.Slice(p + 2, b[p + 1]))));
                p += 2 + b[p + 1];
            }
            // Skip the terminating null and pad to the next 32-bit boundary.
            o = (p + 4) / 4 * 4;
            if (o > b.Length) return Bad("SDES chunk padding truncated");
            chunks.Add(new SdesChunk(ssrc, items.ToSeq()));
        }
        return new SourceDescription(chunks.ToSeq());
    }
}

/// <summary>BYE (RFC 3550 section 6.6).</summary>
public sealed record Goodbye(Seq<uint> Sources, Option<string> Reason) : RtcpPacket
{
    public override byte PacketType => RtcpPacketType.Goodbye;
    public override byte CountField => (byte)Sources.Count;
    private int ReasonLength => Reason.Map(r => Encoding.UTF8.GetByteCount(r)).IfNone(-1);
    public override int BodyLength => 4 * Sources.Count + (ReasonLength < 0 ? 0 : (1 + ReasonLength + 3) / 4 * 4);
    internal override RtcError? Validate() =>
        Sources.Count > 31 ? new RtcError.Range("at most 31 BYE sources")
        : ReasonLength > 255 ? new RtcError.Range("BYE reason longer than 255 octets") : null;

    internal override void WriteBody(Span<byte> b)
    {
        b.Clear();
        var o = 0;
        foreach (var s in Sources) { BinaryPrimitives.WriteUInt32BigEndian(b[o..], s); o += 4; }
        foreach (var r in Reason)
        {
            b[o] = (byte)Encoding.UTF8.GetBytes(r, b[(o + 1)..]);
        }
    }

    internal static Either<RtcError, RtcpPacket> Parse(ReadOnlySpan<byte> b, int count)
    {
        if (b.Length < 4 * count) return Bad("BYE shorter than its source count");
        var sources = new uint[count];
        for (var i = 0; i < count; i++) sources[i] = BinaryPrimitives.ReadUInt32BigEndian(b[(4 * i)..]);
        var rest = b[(4 * count)..];
        Option<string> reason = LanguageExt.Prelude.None;
        if (rest.Length > 0)
        {
            if (1 + rest[0] > rest.Length) return Bad("BYE reason truncated");
            reason = Encoding.UTF8.GetString(rest.Slice(1, rest[0]));
        }
        return new Goodbye(sources.ToSeq(), reason);
    }
}

/// <summary>APP (RFC 3550 section 6.7): subtype in the count field, a 4-character ASCII name, 32-bit aligned data.</summary>
public sealed record ApplicationDefined(byte Subtype, uint Ssrc, string Name, Bytes Data) : RtcpPacket
{
    public override byte PacketType => RtcpPacketType.ApplicationDefined;
    public override byte CountField => Subtype;
    public override int BodyLength => 8 + Data.Length;
    internal override RtcError? Validate() =>
        Subtype > 31 ? new RtcError.Range("APP subtype is 5 bits")
        : Name.Length != 4 || Name.Any(c => c > 0x7F) ? new RtcError.Range("APP name is 4 ASCII characters")
        : Data.Length % 4 != 0 ? new RtcError.Range("APP data must be 32-bit aligned") : null;

    internal override void WriteBody(Span<byte> b)
    {
        BinaryPrimitives.WriteUInt32BigEndian(b, Ssrc);
        for (var i = 0; i < 4; i++) b[4 + i] = (byte)Name[i];
        Data.Span.CopyTo(b[8..]);
    }

    internal static Either<RtcError, RtcpPacket> Parse(ReadOnlySpan<byte> b, int subtype) =>
        b.Length < 8 ? Bad("APP shorter than 8 octets")
        : new ApplicationDefined((byte)subtype, BinaryPrimitives.ReadUInt32BigEndian(b), Encoding.Latin1.GetString(b.Slice(4, 4)), Bytes.Copy(b[8..]));
}

/// <summary>One NACK FCI entry (RFC 4585 section 6.2.1): a lost packet id and a bitmask of the 16 that follow.</summary>
public readonly record struct NackPair(ushort PacketId, ushort LostBitmask)
{
    public IEnumerable<ushort> LostSequenceNumbers()
    {
        yield return PacketId;
        for (var i = 0; i < 16; i++)
            if ((LostBitmask & (1 << i)) != 0) yield return (ushort)(PacketId + i + 1);
    }
}

/// <summary>Generic NACK (RFC 4585 section 6.2.1), RTPFB FMT 1.</summary>
public sealed record GenericNack(uint SenderSsrc, uint MediaSsrc, Seq<NackPair> Pairs) : RtcpPacket
{
    public override byte PacketType => RtcpPacketType.TransportFeedback;
    public override byte CountField => 1;
    public override int BodyLength => 8 + 4 * Pairs.Count;

    /// <summary>All lost sequence numbers, PID then the BLP bits, in order.</summary>
    public Seq<ushort> LostSequenceNumbers => Pairs.Bind(p => p.LostSequenceNumbers().ToSeq());

    /// <summary>Packs lost sequence numbers (in the order given, wrapping at 2^16) into PID/BLP pairs.</summary>
    public static GenericNack FromLost(uint senderSsrc, uint mediaSsrc, IEnumerable<ushort> lost)
    {
        var pairs = new List<NackPair>();
        ushort pid = 0;
        ushort blp = 0;
        var open = false;
        foreach (var s in lost)
        {
            var diff = (ushort)(s - pid);
            if (open && diff == 0) continue;
            if (open && diff is >= 1 and <= 16) { blp |= (ushort)(1 << (diff - 1)); continue; }
            if (open) pairs.Add(new NackPair(pid, blp));
            pid = s; blp = 0; open = true;
        }
        if (open) pairs.Add(new NackPair(pid, blp));
        return new GenericNack(senderSsrc, mediaSsrc, pairs.ToSeq());
    }

    internal override void WriteBody(Span<byte> b)
    {
        BinaryPrimitives.WriteUInt32BigEndian(b, SenderSsrc);
        BinaryPrimitives.WriteUInt32BigEndian(b[4..], MediaSsrc);
        var o = 8;
        foreach (var p in Pairs)
        {
            BinaryPrimitives.WriteUInt16BigEndian(b[o..], p.PacketId);
            BinaryPrimitives.WriteUInt16BigEndian(b[(o + 2)..], p.LostBitmask);
            o += 4;
        }
    }

    internal static Either<RtcError, RtcpPacket> Parse(ReadOnlySpan<byte> b)
    {
        if (b.Length < 8 || b.Length % 4 != 0) return Bad("NACK length invalid");
        var pairs = new NackPair[(b.Length - 8) / 4];
        for (var i = 0; i < pairs.Length; i++)
            pairs[i] = new NackPair(BinaryPrimitives.ReadUInt16BigEndian(b[(8 + 4 * i)..]), BinaryPrimitives.ReadUInt16BigEndian(b[(10 + 4 * i)..]));
        return new GenericNack(BinaryPrimitives.ReadUInt32BigEndian(b), BinaryPrimitives.ReadUInt32BigEndian(b[4..]), pairs.ToSeq());
    }
}

/// <summary>Picture Loss Indication (RFC 4585 section 6.3.1), PSFB FMT 1, no FCI.</summary>
public sealed record PictureLossIndication(uint SenderSsrc, uint MediaSsrc) : RtcpPacket
{
    public override byte PacketType => RtcpPacketType.PayloadFeedback;
    public override byte CountField => 1;
    public override int BodyLength => 8;
    internal override void WriteBody(Span<byte> b)
    {
        BinaryPrimitives.WriteUInt32BigEndian(b, SenderSsrc);
        BinaryPrimitives.WriteUInt32BigEndian(b[4..], MediaSsrc);
    }
    internal static Either<RtcError, RtcpPacket> Parse(ReadOnlySpan<byte> b) =>
        b.Length < 8 ? Bad("PLI shorter than 8 octets")
        : new PictureLossIndication(BinaryPrimitives.ReadUInt32BigEndian(b), BinaryPrimitives.ReadUInt32BigEndian(b[4..]));
}

public readonly record struct FirEntry(uint Ssrc, byte SequenceNumber);

/// <summary>Full Intra Request (RFC 5104 section 4.3.1), PSFB FMT 4; the media SSRC field is 0 (the targets are in the FCI).</summary>
public sealed record FullIntraRequest(uint SenderSsrc, uint MediaSsrc, Seq<FirEntry> Entries) : RtcpPacket
{
    public override byte PacketType => RtcpPacketType.PayloadFeedback;
    public override byte CountField => 4;
    public override int BodyLength => 8 + 8 * Entries.Count;
    internal override void WriteBody(Span<byte> b)
    {
        b.Clear();
        BinaryPrimitives.WriteUInt32BigEndian(b, SenderSsrc);
        BinaryPrimitives.WriteUInt32BigEndian(b[4..], MediaSsrc);
        var o = 8;
        foreach (var e in Entries)
        {
            BinaryPrimitives.WriteUInt32BigEndian(b[o..], e.Ssrc);
            b[o + 4] = e.SequenceNumber;
            o += 8;
        }
    }
    internal static Either<RtcError, RtcpPacket> Parse(ReadOnlySpan<byte> b)
    {
        if (b.Length < 8 || (b.Length - 8) % 8 != 0) return Bad("FIR length invalid");
        var entries = new FirEntry[(b.Length - 8) / 8];
        for (var i = 0; i < entries.Length; i++) entries[i] = new FirEntry(BinaryPrimitives.ReadUInt32BigEndian(b[(8 + 8 * i)..]), b[12 + 8 * i]);
        return new FullIntraRequest(BinaryPrimitives.ReadUInt32BigEndian(b), BinaryPrimitives.ReadUInt32BigEndian(b[4..]), entries.ToSeq());
    }
}

/// <summary>
/// REMB (draft-alvestrand-rmcat-remb section 2.2), PSFB FMT 15 with the "REMB" identifier. The bitrate is sent as
/// an 18-bit mantissa and 6-bit exponent: a value that does not fit is rounded down when written.
/// </summary>
public sealed record ReceiverEstimatedMaxBitrate(uint SenderSsrc, ulong Bitrate, Seq<uint> Ssrcs) : RtcpPacket
{
    public override byte PacketType => RtcpPacketType.PayloadFeedback;
    public override byte CountField => 15;
    public override int BodyLength => 16 + 4 * Ssrcs.Count;
    internal override RtcError? Validate() => Ssrcs.Count > 255 ? new RtcError.Range("REMB carries at most 255 SSRCs") : null;

    /// <summary>(exponent, mantissa) with mantissa &lt; 2^18, rounding down.</summary>
    public static (int Exponent, uint Mantissa) Encode(ulong bitrate)
    {
        var exp = 0;
        while (bitrate >> exp > 0x3FFFF) exp++;
        return exp > 63 ? (63, 0x3FFFF) : (exp, (uint)(bitrate >> exp));
    }

    internal override void WriteBody(Span<byte> b)
    {
        BinaryPrimitives.WriteUInt32BigEndian(b, SenderSsrc);
        BinaryPrimitives.WriteUInt32BigEndian(b[4..], 0); // media source is 0 (draft section 2.2)
        "REMB"u8.CopyTo(b[8..]);
        var (exp, mantissa) = Encode(Bitrate);
        BinaryPrimitives.WriteUInt32BigEndian(b[12..], ((uint)Ssrcs.Count << 24) | ((uint)exp << 18) | mantissa);
        var o = 16;
        foreach (var s in Ssrcs) { BinaryPrimitives.WriteUInt32BigEndian(b[o..], s); o += 4; }
    }

    internal static bool IsRemb(ReadOnlySpan<byte> b) => b.Length >= 16 && b.Slice(8, 4).SequenceEqual("REMB"u8);

    internal static Either<RtcError, RtcpPacket> Parse(ReadOnlySpan<byte> b)
    {
        var word = BinaryPrimitives.ReadUInt32BigEndian(b[12..]);
        var n = (int)(word >> 24);
        if (b.Length < 16 + 4 * n) return Bad("REMB shorter than its SSRC count");
        var exp = (int)((word >> 18) & 0x3F);
        var mantissa = (ulong)(word & 0x3FFFF);
        var bitrate = exp > 46 && mantissa != 0 ? ulong.MaxValue : mantissa << exp;
        var ssrcs = new uint[n];
        for (var i = 0; i < n; i++) ssrcs[i] = BinaryPrimitives.ReadUInt32BigEndian(b[(16 + 4 * i)..]);
        return new ReceiverEstimatedMaxBitrate(BinaryPrimitives.ReadUInt32BigEndian(b), bitrate, ssrcs.ToSeq());
    }
}

/// <summary>Any RTCP packet (or feedback format) we do not model, kept as raw bytes so it survives a round trip.</summary>
public sealed record UnknownRtcp(byte Type, byte Count, Bytes Body) : RtcpPacket
{
    public override byte PacketType => Type;
    public override byte CountField => Count;
    public override int BodyLength => Body.Length;
    internal override RtcError? Validate() =>
        Count > 31 ? new RtcError.Range("count field is 5 bits") : null;
    internal override void WriteBody(Span<byte> b) => Body.Span.CopyTo(b);
}
