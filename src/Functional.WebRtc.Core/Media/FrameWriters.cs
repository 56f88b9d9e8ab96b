using System.Buffers;
using LanguageExt;

namespace Functional.WebRtc.Core.Media;

/// <summary>VP8 frame facts from its uncompressed data chunk (RFC 6386 section 9.1).</summary>
public static class Vp8Frame
{
    /// <summary>A key frame: bit 0 of the frame tag is 0, and the start code 9D 01 2A follows the 3-byte tag.</summary>
    public static bool IsKeyFrame(ReadOnlySpan<byte> frame) =>
        frame.Length >= 10 && (frame[0] & 0x01) == 0 && frame[3] == 0x9D && frame[4] == 0x01 && frame[5] == 0x2A;

    /// <summary>The size a key frame declares (14 bits each, the top 2 bits are the scaling), or (0, 0) for other frames.</summary>
    public static (ushort Width, ushort Height) Size(ReadOnlySpan<byte> frame) =>
        IsKeyFrame(frame)
            ? ((ushort)(System.Buffers.Binary.BinaryPrimitives.ReadUInt16LittleEndian(frame[6..]) & 0x3FFF),
               (ushort)(System.Buffers.Binary.BinaryPrimitives.ReadUInt16LittleEndian(frame[8..]) & 0x3FFF))
            : ((ushort)0, (ushort)0);
}

/// <summary>
/// A streaming IVF writer for frames rebuilt from RTP (Pion's ivfwriter): pure, it returns the bytes to append.
/// Nothing is written before the first VP8 key frame, since a decoder cannot start elsewhere; the 32-byte header goes out
/// with it, carrying that key frame's size. Timestamps count RTP clock ticks (time base 1/<see cref="ClockRate"/>) since the
/// first frame written, the 32-bit RTP timestamp unwrapped, and always increase strictly (see <see cref="WriteFrame"/>).
/// The header's frame count is only known at the end: <see cref="Header"/> gives the final header to write over the first 32 bytes.
/// </summary>
/// <remarks>LastTimestamp: the newest RTP timestamp taken, unwrapped (the reference for unwrapping the next one); LastPts:
/// the timestamp written with the last frame; Shift: added to every later timestamp since the sender's clock went back;
/// LastStep: the last interval under a second between two frames whose timestamps advanced (0: none yet).</remarks>
public sealed record IvfWriter(string FourCc, uint ClockRate, bool Started, ushort Width, ushort Height, long FirstTimestamp, long LastTimestamp, uint FrameCount,
    long LastPts = 0, long Shift = 0, long LastStep = 0)
{
    public static IvfWriter Vp8(uint clockRate = 90000) => new(IvfHeader.Vp8, clockRate, false, 0, 0, 0, 0, 0);

    /// <summary>
    /// Appends one frame with its RTP timestamp: the header first if this is the first key frame; nothing before it.
    /// A frame whose timestamp does not advance past the last one written (a repeated timestamp, a step back, or a sender's
    /// clock restarted) is still written, as later frames refer to it, but never with a timestamp that repeats or goes back
    /// (demuxers and muxers reject that): within a second of the last one it goes 1 tick after it; further back (the clock
    /// restarted) it goes one frame interval after it, and the frames after it keep that shift.
    /// </summary>
    public (IvfWriter Writer, byte[] Bytes) WriteFrame(ReadOnlySpan<byte> frame, uint rtpTimestamp)
    {
        if (frame.IsEmpty) return (this, []);
        var s = this;
        var prefix = 0;
        if (!Started)
        {
            if (FourCc == IvfHeader.Vp8 && !Vp8Frame.IsKeyFrame(frame)) return (this, []);
            var (w, h) = FourCc == IvfHeader.Vp8 ? Vp8Frame.Size(frame) : ((ushort)0, (ushort)0);
            s = this with { Started = true, Width = w, Height = h, FirstTimestamp = rtpTimestamp, LastTimestamp = rtpTimestamp };
            prefix = Ivf.HeaderSize;
        }
        // Unwrap against the last timestamp (RFC 3550 5.1: the difference is read modulo 2^32, as a signed step).
        var extended = s.LastTimestamp + (int)(rtpTimestamp - (uint)s.LastTimestamp);
        var pts = extended - s.FirstTimestamp + s.Shift;
        if (prefix > 0) pts = 0;
        else if (pts > s.LastPts) { if (pts - s.LastPts < ClockRate) s = s with { LastStep = pts - s.LastPts }; }
        else if (s.LastPts - pts < ClockRate) pts = s.LastPts + 1;
        else
        {
            var placed = s.LastPts + Math.Max(1, s.LastStep);
            s = s with { Shift = s.Shift + placed - pts };
            pts = placed;
        }
        var output = new byte[prefix + Ivf.FrameHeaderSize + frame.Length];
        s = s with { LastTimestamp = extended, LastPts = pts, FrameCount = s.FrameCount + 1 };
        if (prefix > 0) Ivf.WriteHeader(output, s.HeaderRecord);
        Ivf.WriteFrame(output.AsSpan(prefix), (ulong)pts, frame);
        return (s, output);
    }

    private IvfHeader HeaderRecord => new(FourCc, Width, Height, ClockRate, 1, FrameCount);

    /// <summary>The 32-byte header with the frame count so far (write it over the file's first bytes when closing).</summary>
    public byte[] Header()
    {
        var b = new byte[Ivf.HeaderSize];
        Ivf.WriteHeader(b, HeaderRecord);
        return b;
    }
}

/// <summary>
/// A streaming H.264 Annex B writer for access units rebuilt from RTP: pure, it returns the bytes to append. Nothing is
/// written before the first IDR picture (ITU-T H.264 7.4.1.2.4: decoding starts at one) with its parameter sets: when the
/// access unit of the IDR lacks its SPS or PPS, the last ones seen (sent earlier, e.g. in their own STAP-A) go first.
/// </summary>
public sealed record H264AnnexBWriter(bool Started, Bytes Sps, Bytes Pps, long AccessUnits)
{
    public static readonly H264AnnexBWriter Initial = new(false, default, default, 0);

    /// <summary>Appends one access unit in Annex B form (what <see cref="H264Depacketizer"/> gives).</summary>
    public (H264AnnexBWriter Writer, byte[] Bytes) WriteAccessUnit(ReadOnlySpan<byte> accessUnit)
    {
        var sps = Sps;
        var pps = Pps;
        bool hasIdr = false, hasSps = false, hasPps = false, hasAny = false;
        foreach (var nal in new AnnexBNalEnumerator(accessUnit))
        {
            hasAny = true;
            switch (nal[0] & 0x1F)
            {
                case H264NalType.Sps: sps = Bytes.Copy(nal); hasSps = true; break;
                case H264NalType.Pps: pps = Bytes.Copy(nal); hasPps = true; break;
                case H264NalType.Idr: hasIdr = true; break;
            }
        }
        var s = this with { Sps = sps, Pps = pps };
        if (!hasAny) return (s, []);
        if (Started) return (s with { AccessUnits = AccessUnits + 1 }, accessUnit.ToArray());
        if (!hasIdr || sps.IsEmpty || pps.IsEmpty) return (s, []);
        var output = new ArrayBufferWriter<byte>(accessUnit.Length + sps.Length + pps.Length + 8);
        if (!hasSps || !hasPps)
        {
            output.Write(H264AnnexB.StartCode);
            output.Write(sps.Span);
            output.Write(H264AnnexB.StartCode);
            output.Write(pps.Span);
        }
        output.Write(accessUnit);
        return (s with { Started = true, AccessUnits = 1 }, output.WrittenSpan.ToArray());
    }
}

/// <summary>
/// Ogg Opus from RTP (RFC 7587 over RFC 7845): each packet's granule position comes from its RTP timestamp (48 kHz,
/// unwrapped, counted from the first packet) plus its own duration, so silence suppressed by DTX keeps its place in time.
/// Granule positions always advance by at least the duration of the packet on the page (RFC 7845 section 4: a page's
/// granule position minus the previous one is never less than the samples its packet holds), whatever the timestamps do.
/// One packet is held back so the last can be flagged end-of-stream (RFC 3533 section 6) when the stream is finished.
/// </summary>
/// <remarks>LastTimestamp: the newest RTP timestamp taken, unwrapped (the reference for unwrapping the next one); Shift:
/// added to every later position since the sender's clock went back; LastGranule: the granule position of the last
/// packet taken (the one held back), 0 before any.</remarks>
public sealed record OggOpusRtpWriter(OggOpusWriter Writer, bool Started, long FirstTimestamp, long LastTimestamp, Option<(Bytes Packet, long Granule)> Pending,
    long Shift = 0, long LastGranule = 0)
{
    /// <summary>How far back (48 kHz samples, 1 s) a packet wholly inside the time already written counts as late and is dropped.</summary>
    public const long LateWindow = 48000;

    /// <summary>The writer and the file's header pages (OpusHead, OpusTags).</summary>
    public static (OggOpusRtpWriter Writer, byte[] Bytes) Start(uint serial, OpusHead head, OpusTags tags)
    {
        var (w, bytes) = OggOpusWriter.Start(serial, head, tags);
        return (new OggOpusRtpWriter(w, false, 0, 0, Option<(Bytes, long)>.None), bytes);
    }

    /// <summary>
    /// Takes one Opus packet with its RTP timestamp; returns the bytes of the packet held back before it. A packet whose
    /// samples all lie in time already written (a late or repeated one, up to <see cref="LateWindow"/> back) is dropped: its
    /// place has passed. One that overlaps the last packet, or comes from a sender's clock that went further back, is
    /// placed right after the last packet (for a clock that went back, later packets keep that shift). A gap (loss, DTX)
    /// stays a gap: the granule position jumps.
    /// </summary>
    public (OggOpusRtpWriter Writer, byte[] Bytes) WritePacket(ReadOnlySpan<byte> packet, uint rtpTimestamp)
    {
        var samples = OpusToc.SamplesPerPacket(packet);
        if (samples == 0) return (this, []);
        var s = Started ? this : this with { Started = true, FirstTimestamp = rtpTimestamp, LastTimestamp = rtpTimestamp };
        var extended = s.LastTimestamp + (int)(rtpTimestamp - (uint)s.LastTimestamp);
        var granule = extended - s.FirstTimestamp + s.Shift + samples;
        var earliest = s.LastGranule + samples;
        if (granule < earliest)
        {
            var late = s.LastGranule - granule;
            if (late >= 0 && late < LateWindow) return (this, []);
            if (late >= 0) s = s with { Shift = s.Shift + earliest - granule };
            granule = earliest;
        }
        var (flushed, bytes) = s.FlushPending(endOfStream: false);
        return (flushed with { LastTimestamp = extended, LastGranule = granule, Pending = (Bytes.Copy(packet), granule) }, bytes);
    }

    /// <summary>Writes the packet held back, flagged end-of-stream (nothing when there is none).</summary>
    public (OggOpusRtpWriter Writer, byte[] Bytes) Finish() => FlushPending(endOfStream: true);

    private (OggOpusRtpWriter Writer, byte[] Bytes) FlushPending(bool endOfStream)
    {
        if (Pending.IsNone) return (this, []);
        var (packet, granule) = ((Bytes, long))Pending;
        var (w, bytes) = Writer.WritePacketEndingAt(packet.Span, granule, endOfStream);
        return (this with { Writer = w, Pending = Option<(Bytes, long)>.None }, bytes);
    }
}
