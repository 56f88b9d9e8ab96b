using System.Buffers;
using System.Buffers.Binary;
using Functional.WebRtc.Core.Rtp;
using LanguageExt;

namespace Functional.WebRtc.Core.Media;

/// <summary>
/// H.264 payloader, packetization-mode 1 (RFC 6184 section 6.3): input is an Annex B access unit.
/// SPS and PPS are aggregated into one STAP-A (section 5.7.1); other NAL units go as single NAL unit packets
/// (section 5.6) or, when too large, as FU-A fragments (section 5.8). AUD and filler data are dropped.
/// </summary>
public sealed record H264Payloader : IRtpPayloader
{
    public static readonly H264Payloader Instance = new();
    public uint ClockRate => 90000;
    public bool MarksFrameEnd => true;
    public int TimestampUnitsPerByte => 0;

    public (Seq<Bytes> Payloads, IRtpPayloader Next) Payload(ReadOnlySpan<byte> frame, int maxPayloadSize)
    {
        var output = new List<Bytes>();
        if (maxPayloadSize < 3) return (Seq<Bytes>.Empty, this);
        // Pending parameter sets for a STAP-A: offsets into the frame.
        var pending = new List<(int Start, int Length)>();
        var pendingSize = 1;
        var e = new AnnexBNalEnumerator(frame);
        while (e.MoveNext())
        {
            var nal = e.Current;
            var type = nal[0] & 0x1F;
            if (type is H264NalType.AccessUnitDelimiter or H264NalType.Filler) continue;
            if (type is H264NalType.Sps or H264NalType.Pps && 2 + nal.Length + 1 <= maxPayloadSize)
            {
                if (pendingSize + 2 + nal.Length > maxPayloadSize) { FlushStapA(frame, pending, output); pendingSize = 1; }
                pending.Add((Offset(frame, nal), nal.Length));
                pendingSize += 2 + nal.Length;
                continue;
            }
            FlushStapA(frame, pending, output);
            pendingSize = 1;
            if (nal.Length <= maxPayloadSize) output.Add(Bytes.Copy(nal));
            else FragmentFuA(nal, maxPayloadSize, output);
        }
        FlushStapA(frame, pending, output);
        return (output.ToSeq(), this);
    }

    private static int Offset(ReadOnlySpan<byte> frame, ReadOnlySpan<byte> nal) =>
        (int)System.Runtime.CompilerServices.Unsafe.ByteOffset(
            ref System.Runtime.InteropServices.MemoryMarshal.GetReference(frame),
            ref System.Runtime.InteropServices.MemoryMarshal.GetReference(nal));

    private static void FlushStapA(ReadOnlySpan<byte> frame, List<(int Start, int Length)> pending, List<Bytes> output)
    {
        if (pending.Count == 0) return;
        if (pending.Count == 1)
        {
            output.Add(Bytes.Copy(frame.Slice(pending[0].Start, pending[0].Length)));
            pending.Clear();
            return;
        }
        var size = 1 + pending.Sum(p => 2 + p.Length);
        var b = new byte[size];
        var nri = 0;
        var f = 0;
        var o = 1;
        foreach (var (start, length) in pending)
        {
            var nal = frame.Slice(start, length);
            nri = Math.Max(nri, nal[0] & 0x60);   // the STAP-A NRI is the maximum of its units' (5.7.1)
            f |= nal[0] & 0x80;
            BinaryPrimitives.WriteUInt16BigEndian(b.AsSpan(o), (ushort)length);
            nal.CopyTo(b.AsSpan(o + 2));
            o += 2 + length;
        }
        b[0] = (byte)(f | nri | H264NalType.StapA);
        output.Add(b);
        pending.Clear();
    }

    private static void FragmentFuA(ReadOnlySpan<byte> nal, int maxPayloadSize, List<Bytes> output)
    {
        var header = nal[0];
        var data = nal[1..];
        var room = maxPayloadSize - 2;
        for (var o = 0; o < data.Length; o += room)
        {
            var n = Math.Min(room, data.Length - o);
            var b = new byte[2 + n];
            b[0] = (byte)((header & 0xE0) | H264NalType.FuA);            // FU indicator: F, NRI of the NAL
            b[1] = (byte)((o == 0 ? 0x80 : 0) | (o + n == data.Length ? 0x40 : 0) | (header & 0x1F)); // S, E, type
            data.Slice(o, n).CopyTo(b.AsSpan(2));
            output.Add(b);
        }
    }
}

/// <summary>H.264 depacketizer (RFC 6184): single NAL, STAP-A and FU-A to an Annex B access unit.</summary>
public sealed record H264Depacketizer : IRtpDepacketizer
{
    public static readonly H264Depacketizer Instance = new();

    public bool IsFrameStart(ReadOnlySpan<byte> payload) =>
        payload.Length >= 1 && ((payload[0] & 0x1F) is not (H264NalType.FuA or H264NalType.FuB) || payload.Length >= 2 && (payload[1] & 0x80) != 0);

    /// <summary>Appends the Annex B bytes of one payload; FU-A fragments are appended in order (the S fragment adds the start code and header).</summary>
    public static bool TryDepacketize(ReadOnlySpan<byte> p, IBufferWriter<byte> output, out RtcError? error)
    {
        error = null;
        if (p.IsEmpty) { error = PayloadHelpers.Bad("empty H.264 payload"); return false; }
        var type = p[0] & 0x1F;
        switch (type)
        {
            case >= 1 and <= 23:
                output.Write(H264AnnexB.StartCode);
                output.Write(p);
                return true;
            case H264NalType.StapA:
            {
                // Validate the whole aggregation before writing anything.
                var o = 1;
                var units = 0;
                while (o < p.Length)
                {
                    if (o + 2 > p.Length) { error = PayloadHelpers.Bad("STAP-A size truncated"); return false; }
                    var n = BinaryPrimitives.ReadUInt16BigEndian(p[o..]);
                    if (n == 0 || o + 2 + n > p.Length) { error = PayloadHelpers.Bad("STAP-A unit truncated"); return false; }
                    o += 2 + n;
                    units++;
                }
                if (units == 0) { error = PayloadHelpers.Bad("empty STAP-A"); return false; }
                for (o = 1; o < p.Length;)
                {
                    var n = BinaryPrimitives.ReadUInt16BigEndian(p[o..]);
                    output.Write(H264AnnexB.StartCode);
                    output.Write(p.Slice(o + 2, n));
                    o += 2 + n;
                }
                return true;
            }
            case H264NalType.FuA:
            {
                if (p.Length < 3) { error = PayloadHelpers.Bad("FU-A shorter than 3 bytes"); return false; }
                var fuHeader = p[1];
                if ((fuHeader & 0xC0) == 0xC0) { error = PayloadHelpers.Bad("FU-A with both S and E"); return false; }
                if ((fuHeader & 0x80) != 0)
                {
                    output.Write(H264AnnexB.StartCode);
                    output.Write([(byte)((p[0] & 0xE0) | (fuHeader & 0x1F))]);
                }
                output.Write(p[2..]);
                return true;
            }
            default:
                error = new RtcError.NotSupported($"H.264 NAL unit type {type} (packetization-mode 1 supports single NAL, STAP-A and FU-A)");
                return false;
        }
    }

    public Either<RtcError, Bytes> Depacketize(Seq<Bytes> payloads)
    {
        // FU-A fragments must run S, middles, E without interruption (RFC 6184 5.8).
        var inFu = false;
        foreach (var p in payloads)
        {
            var fu = p.Length >= 2 && (p[0] & 0x1F) == H264NalType.FuA;
            var start = fu && (p[1] & 0x80) != 0;
            var end = fu && (p[1] & 0x40) != 0;
            if (fu && start == inFu || !fu && inFu) return PayloadHelpers.Bad("FU-A fragments out of order or incomplete");
            inFu = fu && !end;
        }
        if (inFu) return PayloadHelpers.Bad("FU-A fragment without its end");
        return PayloadHelpers.Concat(payloads, TryDepacketize);
    }
}
