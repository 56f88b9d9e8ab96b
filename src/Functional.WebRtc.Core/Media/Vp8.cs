using System.Buffers;
using Functional.WebRtc.Core.Rtp;
using LanguageExt;

namespace Functional.WebRtc.Core.Media;

/// <summary>
/// The VP8 payload descriptor (RFC 7741 section 4.2). Optional fields are -1 when absent.
/// </summary>
public readonly record struct Vp8Descriptor(
    bool NonReference, bool StartOfPartition, byte PartitionIndex,
    int PictureId, bool PictureId16Bit, int Tl0PicIdx, int TemporalLayer, bool LayerSync, int KeyIndex, int Size)
{
    /// <summary>Parses the descriptor at the start of a payload; <see cref="Size"/> is its length in bytes.</summary>
    public static bool TryParse(ReadOnlySpan<byte> p, out Vp8Descriptor d)
    {
        d = default;
        if (p.Length < 1) return false;
        var b0 = p[0];
        int i = 1, pictureId = -1, tl0 = -1, tid = -1, keyIdx = -1;
        bool m = false, y = false;
        if ((b0 & 0x80) != 0)
        {
            if (p.Length < 2) return false;
            var x = p[1];
            i = 2;
            if ((x & 0x80) != 0) // I: PictureID, 7 or 15 bits (M)
            {
                if (p.Length < i + 1) return false;
                m = (p[i] & 0x80) != 0;
                if (m)
                {
                    if (p.Length < i + 2) return false;
                    pictureId = ((p[i] & 0x7F) << 8) | p[i + 1];
                    i += 2;
                }
                else pictureId = p[i++] & 0x7F;
            }
            if ((x & 0x40) != 0) // L: TL0PICIDX
            {
                if (p.Length < i + 1) return false;
                tl0 = p[i++];
            }
            if ((x & 0x30) != 0) // T or K: TID/Y/KEYIDX
            {
                if (p.Length < i + 1) return false;
                if ((x & 0x20) != 0) { tid = p[i] >> 6; y = (p[i] & 0x20) != 0; }
                if ((x & 0x10) != 0) keyIdx = p[i] & 0x1F;
                i++;
            }
        }
        d = new Vp8Descriptor((b0 & 0x20) != 0, (b0 & 0x10) != 0, (byte)(b0 & 0x07), pictureId, m, tl0, tid, y, keyIdx, i);
        return true;
    }

    /// <summary>Writes a descriptor with an optional PictureID (15-bit form when <paramref name="pictureId"/> ≥ 0).</summary>
    public static int Write(Span<byte> dst, bool start, int pictureId)
    {
        if (pictureId < 0) { dst[0] = (byte)(start ? 0x10 : 0); return 1; }
        dst[0] = (byte)(0x80 | (start ? 0x10 : 0));
        dst[1] = 0x80;
        dst[2] = (byte)(0x80 | ((pictureId >> 8) & 0x7F));
        dst[3] = (byte)pictureId;
        return 4;
    }
}

/// <summary>VP8 payloader (RFC 7741 section 4): the first packet has S=1, PID=0; PictureID increments each frame.</summary>
public sealed record Vp8Payloader(bool EnablePictureId = true, ushort PictureId = 0) : IRtpPayloader
{
    public uint ClockRate => 90000;
    public bool MarksFrameEnd => true;
    public int TimestampUnitsPerByte => 0;

    public (Seq<Bytes> Payloads, IRtpPayloader Next) Payload(ReadOnlySpan<byte> frame, int maxPayloadSize)
    {
        var header = EnablePictureId ? 4 : 1;
        var room = maxPayloadSize - header;
        if (frame.IsEmpty || room <= 0) return (Seq<Bytes>(), this);
        var payloads = new Bytes[(frame.Length + room - 1) / room];
        for (var k = 0; k < payloads.Length; k++)
        {
            var chunk = frame.Slice(k * room, Math.Min(room, frame.Length - k * room));
            var buffer = new byte[header + chunk.Length];
            Vp8Descriptor.Write(buffer, k == 0, EnablePictureId ? PictureId : -1);
            chunk.CopyTo(buffer.AsSpan(header));
            payloads[k] = buffer;
        }
        return (payloads.ToSeq(), this with { PictureId = (ushort)((PictureId + 1) & 0x7FFF) });
    }

    private static Seq<T> Seq<T>() => LanguageExt.Seq<T>.Empty;
}

/// <summary>VP8 depacketizer: strips descriptors and joins the partitions of a frame.</summary>
public sealed record Vp8Depacketizer : IRtpDepacketizer
{
    public static readonly Vp8Depacketizer Instance = new();

    public bool IsFrameStart(ReadOnlySpan<byte> payload) =>
        Vp8Descriptor.TryParse(payload, out var d) && d.StartOfPartition && d.PartitionIndex == 0;

    /// <summary>The VP8 bitstream bytes of one packet (a zero-copy slice).</summary>
    public static bool TryGetPartition(ReadOnlySpan<byte> payload, out Vp8Descriptor descriptor, out ReadOnlySpan<byte> data)
    {
        data = default;
        if (!Vp8Descriptor.TryParse(payload, out descriptor) || descriptor.Size >= payload.Length) return false;
        data = payload[descriptor.Size..];
        return true;
    }

    /// <summary>RFC 7741 section 4.3: in the first partition's first byte, P (bit 0) is 0 for a key frame.</summary>
    public static bool IsKeyFrame(ReadOnlySpan<byte> payload) =>
        TryGetPartition(payload, out var d, out var data) && d.StartOfPartition && d.PartitionIndex == 0 && (data[0] & 0x01) == 0;

    public Either<RtcError, Bytes> Depacketize(Seq<Bytes> payloads)
    {
        // Two passes: validate and size, then copy once into the exact array.
        var total = 0;
        foreach (var p in payloads)
        {
            if (!TryGetPartition(p.Span, out _, out var data)) return PayloadHelpers.Bad("VP8 payload descriptor truncated or payload empty");
            total += data.Length;
        }
        var frame = new byte[total];
        var o = 0;
        foreach (var p in payloads)
        {
            TryGetPartition(p.Span, out _, out var data);
            data.CopyTo(frame.AsSpan(o));
            o += data.Length;
        }
        return new Bytes(frame);
    }
}
