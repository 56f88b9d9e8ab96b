using System.Buffers;
using Functional.WebRtc.Core.Rtp;
using LanguageExt;

namespace Functional.WebRtc.Core.Media;

/// <summary>
/// The VP9 payload descriptor (RFC 9628 section 4.2), flexible (F=1) and non-flexible (F=0) modes.
/// Optional fields are -1 when absent; P_DIFFs (flexible mode) are counted in <see cref="ReferenceCount"/>,
/// the first in <see cref="FirstPDiff"/>. A scalability structure (V=1) is validated and skipped.
/// </summary>
public readonly record struct Vp9Descriptor(
    bool InterPicturePredicted, bool FlexibleMode, bool BeginningOfFrame, bool EndOfFrame, bool HasScalabilityStructure,
    bool NotReferenceForUpperSpatial, int PictureId, int TemporalId, bool SwitchingUp, int SpatialId, bool InterLayerDependency,
    int Tl0PicIdx, int ReferenceCount, int FirstPDiff, int Size)
{
    public static bool TryParse(ReadOnlySpan<byte> p, out Vp9Descriptor d)
    {
        d = default;
        if (p.Length < 1) return false;
        var b0 = p[0];
        bool I = (b0 & 0x80) != 0, P = (b0 & 0x40) != 0, L = (b0 & 0x20) != 0, F = (b0 & 0x10) != 0,
             B = (b0 & 0x08) != 0, E = (b0 & 0x04) != 0, V = (b0 & 0x02) != 0, Z = (b0 & 0x01) != 0;
        var i = 1;
        int pictureId = -1, tid = -1, sid = -1, tl0 = -1, refs = 0, firstPDiff = -1;
        bool u = false, dBit = false;
        if (I)
        {
            if (p.Length < i + 1) return false;
            if ((p[i] & 0x80) != 0)
            {
                if (p.Length < i + 2) return false;
                pictureId = ((p[i] & 0x7F) << 8) | p[i + 1];
                i += 2;
            }
            else pictureId = p[i++] & 0x7F;
        }
        if (L)
        {
            if (p.Length < i + 1) return false;
            tid = p[i] >> 5; u = (p[i] & 0x10) != 0; sid = (p[i] >> 1) & 0x07; dBit = (p[i] & 0x01) != 0;
            i++;
            if (!F)
            {
                if (p.Length < i + 1) return false;
                tl0 = p[i++];
            }
        }
        if (F && P)
        {
            // Up to 3 P_DIFFs, each with N set when another follows (section 4.2).
            while (true)
            {
                if (p.Length < i + 1 || refs == 3) return false;
                if (refs == 0) firstPDiff = p[i] >> 1;
                refs++;
                if ((p[i++] & 0x01) == 0) break;
            }
        }
        if (V)
        {
            if (p.Length < i + 1) return false;
            var ss = p[i++];
            var ns = (ss >> 5) + 1;
            if ((ss & 0x10) != 0) i += 4 * ns;          // Y: WIDTH and HEIGHT per spatial layer
            if ((ss & 0x08) != 0)                        // G: picture group description
            {
                if (p.Length < i + 1) return false;
                var ng = p[i++];
                for (var g = 0; g < ng; g++)
                {
                    if (p.Length < i + 1) return false;
                    var r = (p[i] >> 2) & 0x03;
                    i += 1 + r;
                }
            }
            if (p.Length < i) return false;
        }
        d = new Vp9Descriptor(P, F, B, E, V, Z, pictureId, tid, u, sid, dBit, tl0, refs, firstPDiff, i);
        return true;
    }
}

/// <summary>
/// VP9 payloader in flexible mode (RFC 9628 section 4.2): 15-bit PictureID, B on the first and E on the last packet;
/// a non-key frame (read from the uncompressed header) is marked inter-predicted with P_DIFF 1.
/// </summary>
public sealed record Vp9Payloader(ushort PictureId = 0) : IRtpPayloader
{
    public uint ClockRate => 90000;
    public bool MarksFrameEnd => true;
    public int TimestampUnitsPerByte => 0;

    /// <summary>VP9 uncompressed header (VP9 bitstream spec 6.2): frame_marker, profile, show_existing_frame, frame_type (0 = key).</summary>
    public static bool IsKeyFrame(ReadOnlySpan<byte> frame)
    {
        if (frame.IsEmpty || frame[0] >> 6 != 2) return false;
        var profile = ((frame[0] >> 5) & 1) | (((frame[0] >> 4) & 1) << 1);
        var bit = profile == 3 ? 5 : 4; // bit index from the MSB; profile 3 has a reserved zero bit
        var showExisting = (frame[0] >> (7 - bit)) & 1;
        if (showExisting == 1) return false;
        bit++;
        var frameType = bit < 8 ? (frame[0] >> (7 - bit)) & 1 : frame.Length > 1 ? frame[1] >> 7 : 1;
        return frameType == 0;
    }

    public (Seq<Bytes> Payloads, IRtpPayloader Next) Payload(ReadOnlySpan<byte> frame, int maxPayloadSize)
    {
        var inter = !IsKeyFrame(frame);
        var header = inter ? 4 : 3;
        var room = maxPayloadSize - header;
        if (frame.IsEmpty || room <= 0) return (Seq<Bytes>.Empty, this);
        var count = (frame.Length + room - 1) / room;
        var payloads = new Bytes[count];
        for (var k = 0; k < count; k++)
        {
            var chunk = frame.Slice(k * room, Math.Min(room, frame.Length - k * room));
            var b = new byte[header + chunk.Length];
            b[0] = (byte)(0x80 | (inter ? 0x40 : 0) | 0x10 | (k == 0 ? 0x08 : 0) | (k == count - 1 ? 0x04 : 0));
            b[1] = (byte)(0x80 | (PictureId >> 8));
            b[2] = (byte)PictureId;
            if (inter) b[3] = 1 << 1; // P_DIFF = 1, N = 0
            chunk.CopyTo(b.AsSpan(header));
            payloads[k] = b;
        }
        return (payloads.ToSeq(), this with { PictureId = (ushort)((PictureId + 1) & 0x7FFF) });
    }
}

public sealed record Vp9Depacketizer : IRtpDepacketizer
{
    public static readonly Vp9Depacketizer Instance = new();

    public bool IsFrameStart(ReadOnlySpan<byte> payload) => Vp9Descriptor.TryParse(payload, out var d) && d.BeginningOfFrame;
    public bool IsFrameEnd(ReadOnlySpan<byte> payload, bool marker) => marker || Vp9Descriptor.TryParse(payload, out var d) && d.EndOfFrame;

    public static bool TryGetData(ReadOnlySpan<byte> payload, out Vp9Descriptor descriptor, out ReadOnlySpan<byte> data)
    {
        data = default;
        if (!Vp9Descriptor.TryParse(payload, out descriptor) || descriptor.Size >= payload.Length) return false;
        data = payload[descriptor.Size..];
        return true;
    }

    public Either<RtcError, Bytes> Depacketize(Seq<Bytes> payloads)
    {
        var total = 0;
        foreach (var p in payloads)
        {
            if (!TryGetData(p.Span, out _, out var data)) return PayloadHelpers.Bad("VP9 payload descriptor truncated or payload empty");
            total += data.Length;
        }
        var frame = new byte[total];
        var o = 0;
        foreach (var p in payloads)
        {
            TryGetData(p.Span, out _, out var data);
            data.CopyTo(frame.AsSpan(o));
            o += data.Length;
        }
        return new Bytes(frame);
    }
}
