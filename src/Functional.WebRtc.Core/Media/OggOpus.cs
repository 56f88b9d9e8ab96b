using System.Buffers.Binary;
using System.Text;
using Functional.WebRtc.Core.Rtp;
using LanguageExt;
using static LanguageExt.Prelude;

namespace Functional.WebRtc.Core.Media;

/// <summary>
/// The Opus identification header (RFC 7845 section 5.1). <see cref="MappingTable"/> holds, for mapping family ≠ 0,
/// the stream count, coupled count and channel mapping bytes.
/// </summary>
public sealed record OpusHead(byte Channels, ushort PreSkip, uint InputSampleRate, short OutputGain = 0, byte MappingFamily = 0, Bytes MappingTable = default)
{
    public const byte Version = 1;
    public static readonly OpusHead Stereo48k = new(2, 312, 48000);

    public byte[] ToBytes()
    {
        var b = new byte[19 + MappingTable.Length];
        "OpusHead"u8.CopyTo(b);
        b[8] = Version;
        b[9] = Channels;
        BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(10), PreSkip);
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(12), InputSampleRate);
        BinaryPrimitives.WriteInt16LittleEndian(b.AsSpan(16), OutputGain);
        b[18] = MappingFamily;
        MappingTable.Span.CopyTo(b.AsSpan(19));
        return b;
    }

    public static Either<RtcError, OpusHead> Parse(ReadOnlySpan<byte> b)
    {
        if (b.Length < 19 || !b[..8].SequenceEqual("OpusHead"u8)) return Left<RtcError, OpusHead>(new RtcError.Syntax("not an OpusHead packet"));
        // Section 5.1: a major version other than 0 (versions 16 and up) is incompatible.
        if (b[8] >> 4 != 0) return Left<RtcError, OpusHead>(new RtcError.NotSupported($"OpusHead version {b[8]}"));
        if (b[9] == 0) return Left<RtcError, OpusHead>(new RtcError.Syntax("OpusHead channel count 0"));
        var family = b[18];
        var table = b[19..];
        if (family != 0 && (table.Length < 2 + b[9])) return Left<RtcError, OpusHead>(new RtcError.Syntax("OpusHead channel mapping table truncated"));
        return Right<RtcError, OpusHead>(new OpusHead(b[9], BinaryPrimitives.ReadUInt16LittleEndian(b[10..]), BinaryPrimitives.ReadUInt32LittleEndian(b[12..]),
            BinaryPrimitives.ReadInt16LittleEndian(b[16..]), family, family == 0 ? default : Bytes.Copy(table[..(2 + b[9])])));
    }
}

/// <summary>The Opus comment header (RFC 7845 section 5.2): a vendor string and "NAME=value" comments, UTF-8.</summary>
public sealed record OpusTags(string Vendor, Seq<string> Comments)
{
    public byte[] ToBytes()
    {
        var vendor = Encoding.UTF8.GetBytes(Vendor);
        var comments = Comments.Map(Encoding.UTF8.GetBytes).ToArray();
        var b = new byte[8 + 4 + vendor.Length + 4 + comments.Sum(c => 4 + c.Length)];
        "OpusTags"u8.CopyTo(b);
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(8), (uint)vendor.Length);
        vendor.CopyTo(b, 12);
        var o = 12 + vendor.Length;
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(o), (uint)comments.Length);
        o += 4;
        foreach (var c in comments)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(o), (uint)c.Length);
            c.CopyTo(b, o + 4);
            o += 4 + c.Length;
        }
        return b;
    }

    public static Either<RtcError, OpusTags> Parse(ReadOnlySpan<byte> b)
    {
        var bad = Left<RtcError, OpusTags>(new RtcError.Syntax("OpusTags truncated or malformed"));
        if (b.Length < 16 || !b[..8].SequenceEqual("OpusTags"u8)) return bad;
        var vendorLength = BinaryPrimitives.ReadUInt32LittleEndian(b[8..]);
        if (vendorLength > (uint)(b.Length - 16)) return bad;
        var vendor = Encoding.UTF8.GetString(b.Slice(12, (int)vendorLength));
        var o = 12 + (int)vendorLength;
        var count = BinaryPrimitives.ReadUInt32LittleEndian(b[o..]);
        o += 4;
        var comments = new List<string>();
        for (uint i = 0; i < count; i++)
        {
            if (o + 4 > b.Length) return bad;
            var n = BinaryPrimitives.ReadUInt32LittleEndian(b[o..]);
            if (n > (uint)(b.Length - o - 4)) return bad;
            comments.Add(Encoding.UTF8.GetString(b.Slice(o + 4, (int)n)));
            o += 4 + (int)n;
        }
        return Right<RtcError, OpusTags>(new OpusTags(vendor, comments.ToSeq()));
    }
}

/// <summary>Opus packet facts from the TOC byte (RFC 6716 section 3.1).</summary>
public static class OpusToc
{
    /// <summary>Samples per channel at 48 kHz in this packet, or 0 when the packet is malformed.</summary>
    public static int SamplesPerPacket(ReadOnlySpan<byte> packet)
    {
        if (packet.IsEmpty) return 0;
        var config = packet[0] >> 3;
        var frame = config switch
        {
            < 12 => (config & 3) switch { 0 => 480, 1 => 960, 2 => 1920, _ => 2880 },   // SILK: 10, 20, 40, 60 ms
            < 16 => (config & 1) == 0 ? 480 : 960,                                          // Hybrid: 10, 20 ms
            _ => 120 << (config & 3),                                                       // CELT: 2.5, 5, 10, 20 ms
        };
        var frames = (packet[0] & 3) switch
        {
            0 => 1,
            1 or 2 => 2,
            _ => packet.Length >= 2 ? packet[1] & 0x3F : 0,
        };
        return frame * frames;
    }
}

public sealed record OggOpusFile(uint Serial, OpusHead Head, OpusTags Tags, Seq<OggPacket> Packets);

/// <summary>
/// A streaming Ogg Opus writer (RFC 7845): the ID header alone on the first (BOS) page, the comment header on its own page(s),
/// then one audio packet per page; each page's granule position is the total 48 kHz sample count so far.
/// </summary>
public sealed record OggOpusWriter(uint Serial, uint NextSequence, long Granule)
{
    public static (OggOpusWriter Writer, byte[] Bytes) Start(uint serial, OpusHead head, OpusTags tags)
    {
        var pages = Ogg.PagesForPacket(head.ToBytes(), serial, 0, 0, OggPageFlags.BeginningOfStream, false);
        pages = pages + Ogg.PagesForPacket(tags.ToBytes(), serial, (uint)pages.Count, 0, OggPageFlags.None, false);
        return (new OggOpusWriter(serial, (uint)pages.Count, 0), Concat(pages));
    }

    /// <summary>Appends one Opus packet; <paramref name="samples"/> defaults to the count read from its TOC.</summary>
    public (OggOpusWriter Writer, byte[] Bytes) WritePacket(ReadOnlySpan<byte> packet, int? samples = null, bool endOfStream = false) =>
        WritePacketEndingAt(packet, Granule + (samples ?? OpusToc.SamplesPerPacket(packet)), endOfStream);

    /// <summary>Appends one Opus packet on a page with the given granule position (the caller keeps it from going back).</summary>
    public (OggOpusWriter Writer, byte[] Bytes) WritePacketEndingAt(ReadOnlySpan<byte> packet, long granule, bool endOfStream = false)
    {
        var pages = Ogg.PagesForPacket(packet, Serial, NextSequence, granule, OggPageFlags.None, endOfStream);
        return (this with { NextSequence = NextSequence + (uint)pages.Count, Granule = granule }, Concat(pages));
    }

    private static byte[] Concat(Seq<OggPage> pages)
    {
        var output = new byte[pages.Sum(p => p.Size)];
        var o = 0;
        foreach (var p in pages) { p.ToBytes().CopyTo(output, o); o += p.Size; }
        return output;
    }
}

public static class OggOpus
{
    /// <summary>A whole file in one call: headers, then the packets, the last page flagged end-of-stream.</summary>
    public static byte[] Write(uint serial, OpusHead head, OpusTags tags, Seq<Bytes> packets)
    {
        var (w, bytes) = OggOpusWriter.Start(serial, head, tags);
        var output = new List<byte>(bytes);
        for (var i = 0; i < packets.Count; i++)
        {
            (w, bytes) = w.WritePacket(packets[i].Span, endOfStream: i == packets.Count - 1);
            output.AddRange(bytes);
        }
        return output.ToArray();
    }

    public static Either<RtcError, OggOpusFile> Read(ReadOnlySpan<byte> file) =>
        from pages in Ogg.ReadPages(file)
        from _ in pages.IsEmpty || !pages[0].Flags.HasFlag(OggPageFlags.BeginningOfStream)
            ? Left<RtcError, Unit>(new RtcError.Syntax("Ogg stream does not begin with a BOS page"))
            : Right<RtcError, Unit>(unit)
        from packets in Ogg.ReadPackets(pages.Filter(p => p.Serial == pages[0].Serial))
        from __ in packets.Count < 2 ? Left<RtcError, Unit>(new RtcError.Syntax("Ogg Opus stream without its two headers")) : Right<RtcError, Unit>(unit)
        from head in OpusHead.Parse(packets[0].Data.Span)
        from tags in OpusTags.Parse(packets[1].Data.Span)
        select new OggOpusFile(pages[0].Serial, head, tags, packets.Skip(2));
}
