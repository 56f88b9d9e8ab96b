using System.Buffers.Binary;
using LanguageExt;
using static LanguageExt.Prelude;

namespace Functional.WebRtc.Core.Rtp;

/// <summary>The common header of one RTCP packet inside a compound datagram, and its body (padding removed).</summary>
public readonly ref struct RtcpHeaderView
{
    public RtcpHeaderView(byte packetType, byte count, bool padding, ReadOnlySpan<byte> body, int size)
    {
        PacketType = packetType;
        Count = count;
        Padding = padding;
        Body = body;
        Size = size;
    }
    public byte PacketType { get; }
    public byte Count { get; }
    public bool Padding { get; }
    public ReadOnlySpan<byte> Body { get; }
    /// <summary>The whole packet size on the wire ((length + 1) × 4).</summary>
    public int Size { get; }
}

/// <summary>
/// Walks the packets of a compound RTCP datagram without allocating (RFC 3550 section 6.1). Stops with
/// <see cref="Error"/> set at the first framing error.
/// </summary>
public ref struct RtcpReader
{
    private readonly ReadOnlySpan<byte> _data;
    private int _pos;

    public RtcpReader(ReadOnlySpan<byte> data) { _data = data; _pos = 0; Current = default; Error = null; }

    public RtcpHeaderView Current { get; private set; }
    public RtcError? Error { get; private set; }
    public readonly RtcpReader GetEnumerator() => this;

    public bool MoveNext()
    {
        if (_pos >= _data.Length || Error is not null) return false;
        var rest = _data[_pos..];
        if (rest.Length < 4) { Error = new RtcError.Syntax("RTCP header truncated", 0, _pos); return false; }
        if (rest[0] >> 6 != 2) { Error = new RtcError.Syntax("RTCP version is not 2", 0, _pos); return false; }
        var size = 4 * (BinaryPrimitives.ReadUInt16BigEndian(rest[2..]) + 1);
        if (size > rest.Length) { Error = new RtcError.Syntax("RTCP length exceeds the datagram", 0, _pos); return false; }
        var padding = (rest[0] & 0x20) != 0;
        var padCount = padding ? rest[size - 1] : 0;
        if (padding && (padCount == 0 || padCount > size - 4)) { Error = new RtcError.Syntax("RTCP padding count invalid", 0, _pos + size - 1); return false; }
        Current = new RtcpHeaderView(rest[1], (byte)(rest[0] & 0x1F), padding, rest[4..(size - padCount)], size);
        _pos += size;
        return true;
    }
}

/// <summary>Compound and reduced-size (RFC 5506) RTCP: a datagram is a list of packets.</summary>
public static class RtcpCompound
{
    /// <summary>Parses every packet; unknown types and feedback formats are kept as <see cref="UnknownRtcp"/>.</summary>
    public static Either<RtcError, Seq<RtcpPacket>> Parse(ReadOnlySpan<byte> datagram)
    {
        var packets = new List<RtcpPacket>(4);
        if (datagram.IsEmpty) return Left<RtcError, Seq<RtcpPacket>>(new RtcError.Syntax("empty RTCP datagram"));
        var reader = new RtcpReader(datagram);
        while (reader.MoveNext())
        {
            var parsed = ParseOne(reader.Current);
            if (parsed.IsLeft) return parsed.Map(_ => Seq<RtcpPacket>());
            packets.Add(parsed.IfLeft(_ => null!));
        }
        if (reader.Error is { } e) return Left<RtcError, Seq<RtcpPacket>>(e);
        return Right<RtcError, Seq<RtcpPacket>>(packets.ToSeq());
    }

    /// <summary>Parses one packet from its header view.</summary>
    public static Either<RtcError, RtcpPacket> ParseOne(RtcpHeaderView h)
    {
        var b = h.Body;
        return h.PacketType switch
        {
            RtcpPacketType.SenderReport => SenderReport.Parse(b, h.Count),
            RtcpPacketType.ReceiverReport => ReceiverReport.Parse(b, h.Count),
            RtcpPacketType.SourceDescription => SourceDescription.Parse(b, h.Count),
            RtcpPacketType.Goodbye => Goodbye.Parse(b, h.Count),
            RtcpPacketType.ApplicationDefined => ApplicationDefined.Parse(b, h.Count),
            RtcpPacketType.TransportFeedback when h.Count == 1 => GenericNack.Parse(b),
            RtcpPacketType.TransportFeedback when h.Count == 15 => TransportCcFeedback.Parse(b),
            RtcpPacketType.PayloadFeedback when h.Count == 1 => PictureLossIndication.Parse(b),
            RtcpPacketType.PayloadFeedback when h.Count == 4 => FullIntraRequest.Parse(b),
            RtcpPacketType.PayloadFeedback when h.Count == 15 && ReceiverEstimatedMaxBitrate.IsRemb(b) => ReceiverEstimatedMaxBitrate.Parse(b),
            _ => Raw(h),
        };
    }

    // Kept without its RTCP padding; the writer pads again when the body is not 32-bit aligned.
    private static Either<RtcError, RtcpPacket> Raw(RtcpHeaderView h) => new UnknownRtcp(h.PacketType, h.Count, Bytes.Copy(h.Body));

    public static int SizeOf(Seq<RtcpPacket> packets) => packets.Sum(p => p.Size);

    /// <summary>Writes one packet (header, body, RTCP padding with the P bit when the body is not 32-bit aligned).</summary>
    public static bool TryWrite(RtcpPacket packet, Span<byte> destination, out int written, out RtcError? error)
    {
        written = 0;
        error = packet.Validate();
        if (error is not null) return false;
        var body = packet.BodyLength;
        var size = packet.Size;
        if (destination.Length < size) { error = new RtcError.Range("destination too small"); return false; }
        if (size / 4 - 1 > ushort.MaxValue) { error = new RtcError.Range("RTCP packet longer than 2^18 octets"); return false; }
        var pad = size - 4 - body;
        destination[0] = (byte)(0x80 | (pad > 0 ? 0x20 : 0) | (packet.CountField & 0x1F));
        destination[1] = packet.PacketType;
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], (ushort)(size / 4 - 1));
        packet.WriteBody(destination.Slice(4, body));
        if (pad > 0)
        {
            // RFC 3550 6.4.1 / section 5.1: the last padding octet counts the padding octets.
            destination.Slice(4 + body, pad).Clear();
            destination[size - 1] = (byte)pad;
        }
        written = size;
        return true;
    }

    /// <summary>Writes the packets back to back into <paramref name="destination"/>.</summary>
    public static bool TryWrite(Seq<RtcpPacket> packets, Span<byte> destination, out int written, out RtcError? error)
    {
        written = 0;
        error = null;
        foreach (var p in packets)
        {
            if (!TryWrite(p, destination[written..], out var n, out error)) return false;
            written += n;
        }
        return true;
    }

    public static Either<RtcError, byte[]> ToBytes(Seq<RtcpPacket> packets)
    {
        var buffer = new byte[SizeOf(packets)];
        return TryWrite(packets, buffer, out _, out var error) ? Right<RtcError, byte[]>(buffer) : Left<RtcError, byte[]>(error!);
    }

    public static Either<RtcError, byte[]> ToBytes(params RtcpPacket[] packets) => ToBytes(packets.ToSeq());

    /// <summary>
    /// RFC 3550 6.1 compound rules: starts with SR or RR and holds an SDES with a CNAME. Reduced-size RTCP (RFC 5506)
    /// relaxes this; receivers should accept either, so parsing does not enforce it.
    /// </summary>
    public static bool IsFullCompound(Seq<RtcpPacket> packets) =>
        packets.HeadOrNone().Map(p => p is SenderReport or ReceiverReport).IfNone(false)
        && packets.Exists(p => p is SourceDescription s && s.Chunks.Exists(c => c.Items.Exists(i => i.Type == SdesItemType.Cname)));
}
