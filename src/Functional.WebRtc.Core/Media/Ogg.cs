using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using Functional.WebRtc.Core.Rtp;
using LanguageExt;
using static LanguageExt.Prelude;

namespace Functional.WebRtc.Core.Media;

/// <summary>Ogg page header-type flags (RFC 3533 section 6).</summary>
[Flags]
public enum OggPageFlags : byte { None = 0, Continued = 1, BeginningOfStream = 2, EndOfStream = 4 }

/// <summary>
/// One Ogg page (RFC 3533 section 6): "OggS", version 0, flags, granule position, serial number, page sequence,
/// CRC, and a segment table (lacing values) describing <see cref="Data"/>.
/// </summary>
public sealed record OggPage(OggPageFlags Flags, long GranulePosition, uint Serial, uint Sequence, Seq<byte> Lacing, Bytes Data)
{
    public const int HeaderSize = 27;
    public int Size => HeaderSize + Lacing.Count + Data.Length;

    /// <summary>Writes the page with its CRC (RFC 3533 section 6: computed over the page with the CRC field zeroed).</summary>
    public byte[] ToBytes()
    {
        var b = new byte[Size];
        "OggS"u8.CopyTo(b);
        b[4] = 0;
        b[5] = (byte)Flags;
        BinaryPrimitives.WriteInt64LittleEndian(b.AsSpan(6), GranulePosition);
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(14), Serial);
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(18), Sequence);
        b[26] = (byte)Lacing.Count;
        var i = HeaderSize;
        foreach (var l in Lacing) b[i++] = l;
        Data.Span.CopyTo(b.AsSpan(i));
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(22), OggCrc.Compute(b));
        return b;
    }

    /// <summary>Parses and checks one page at the start of <paramref name="b"/>.</summary>
    public static bool TryParse(ReadOnlySpan<byte> b, out OggPage page, out int consumed, out RtcError? error)
    {
        page = null!; consumed = 0; error = null;
        if (b.Length < HeaderSize) { error = new RtcError.Syntax("Ogg page header truncated"); return false; }
        if (!b[..4].SequenceEqual("OggS"u8)) { error = new RtcError.Syntax("Ogg capture pattern is not OggS"); return false; }
        if (b[4] != 0) { error = new RtcError.NotSupported($"Ogg stream structure version {b[4]}"); return false; }
        var segments = b[26];
        if (b.Length < HeaderSize + segments) { error = new RtcError.Syntax("Ogg segment table truncated"); return false; }
        var lacing = b.Slice(HeaderSize, segments);
        var dataLength = 0;
        foreach (var l in lacing) dataLength += l;
        var size = HeaderSize + segments + dataLength;
        if (b.Length < size) { error = new RtcError.Syntax("Ogg page data truncated"); return false; }
        var stored = BinaryPrimitives.ReadUInt32LittleEndian(b[22..]);
        if (OggCrc.Compute(b[..size], skipCrcField: true) != stored) { error = new RtcError.Syntax("Ogg page CRC mismatch"); return false; }
        page = new OggPage((OggPageFlags)b[5], BinaryPrimitives.ReadInt64LittleEndian(b[6..]), BinaryPrimitives.ReadUInt32LittleEndian(b[14..]),
            BinaryPrimitives.ReadUInt32LittleEndian(b[18..]), lacing.ToArray().ToSeq(), Bytes.Copy(b.Slice(HeaderSize + segments, dataLength)));
        consumed = size;
        return true;
    }
}

/// <summary>The Ogg CRC-32: polynomial 0x04C11DB7, MSB first (not reflected), initial value 0, no final XOR.</summary>
public static class OggCrc
{
    private static readonly uint[] Table = BuildTable();

    private static uint[] BuildTable()
    {
        var t = new uint[256];
        for (uint i = 0; i < 256; i++)
        {
            var r = i << 24;
            for (var k = 0; k < 8; k++) r = (r & 0x80000000) != 0 ? (r << 1) ^ 0x04C11DB7 : r << 1;
            t[i] = r;
        }
        return t;
    }

    /// <summary>CRC of <paramref name="data"/>; with <paramref name="skipCrcField"/> bytes 22..25 (a page's CRC field) count as zero.</summary>
    public static uint Compute(ReadOnlySpan<byte> data, bool skipCrcField = false)
    {
        uint crc = 0;
        for (var i = 0; i < data.Length; i++)
        {
            var b = skipCrcField && i is >= 22 and < 26 ? (byte)0 : data[i];
            crc = (crc << 8) ^ Table[(byte)((crc >> 24) ^ b)];
        }
        return crc;
    }
}

/// <summary>A packet read from an Ogg stream, with the granule position of the page on which it ends.</summary>
public sealed record OggPacket(Bytes Data, long GranulePosition);

/// <summary>Ogg packet framing over pages (RFC 3533 section 5): lacing values of 255 continue a packet, fewer end it.</summary>
public static class Ogg
{
    public static Either<RtcError, Seq<OggPage>> ReadPages(ReadOnlySpan<byte> stream)
    {
        var pages = new List<OggPage>();
        var o = 0;
        while (o < stream.Length)
        {
            if (!OggPage.TryParse(stream[o..], out var page, out var n, out var error)) return Left<RtcError, Seq<OggPage>>(error!);
            pages.Add(page);
            o += n;
        }
        return Right<RtcError, Seq<OggPage>>(pages.ToSeq());
    }

    /// <summary>Reassembles packets (of one logical stream) across pages. An unfinished packet at the end is dropped.</summary>
    public static Either<RtcError, Seq<OggPacket>> ReadPackets(Seq<OggPage> pages)
    {
        var packets = new List<OggPacket>();
        var current = new System.Buffers.ArrayBufferWriter<byte>();
        var open = false;
        foreach (var page in pages)
        {
            if (page.Flags.HasFlag(OggPageFlags.Continued) != open)
                return Left<RtcError, Seq<OggPacket>>(new RtcError.Syntax($"Ogg page {page.Sequence}: continuation flag does not match the previous page"));
            var o = 0;
            foreach (var l in page.Lacing)
            {
                current.Write(page.Data.Span.Slice(o, l));
                o += l;
                if (l < 255)
                {
                    packets.Add(new OggPacket(current.WrittenSpan.ToArray(), page.GranulePosition));
                    current.ResetWrittenCount();
                }
            }
            open = page.Lacing.Count > 0 && page.Lacing.Last == 255;
        }
        return Right<RtcError, Seq<OggPacket>>(packets.ToSeq());
    }

    /// <summary>
    /// The pages carrying one packet: lacing values of 255 and a final one below 255; at most 255 per page. Pages other than
    /// the last complete no packet and carry granule position -1 (RFC 3533 section 6).
    /// </summary>
    public static Seq<OggPage> PagesForPacket(ReadOnlySpan<byte> packet, uint serial, uint firstSequence, long granule, OggPageFlags firstFlags, bool endOfStream)
    {
        var lacingCount = packet.Length / 255 + 1;
        var pages = new List<OggPage>();
        var offset = 0;
        var sequence = firstSequence;
        for (var start = 0; start < lacingCount; start += 255)
        {
            var count = Math.Min(255, lacingCount - start);
            var last = start + count == lacingCount;
            var lacing = new byte[count];
            var bytes = 0;
            for (var k = 0; k < count; k++)
            {
                var l = start + k == lacingCount - 1 ? packet.Length % 255 : 255;
                lacing[k] = (byte)l;
                bytes += l;
            }
            var flags = start == 0 ? firstFlags : OggPageFlags.Continued;
            if (last && endOfStream) flags |= OggPageFlags.EndOfStream;
            pages.Add(new OggPage(flags, last ? granule : -1, serial, sequence++, lacing.ToSeq(), Bytes.Copy(packet.Slice(offset, bytes))));
            offset += bytes;
        }
        return pages.ToSeq();
    }
}
