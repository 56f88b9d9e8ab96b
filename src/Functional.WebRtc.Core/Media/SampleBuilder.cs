using Functional.WebRtc.Core.Rtp;
using LanguageExt;

namespace Functional.WebRtc.Core.Media;

/// <summary>A frame rebuilt from RTP packets, with its RTP timestamp and the packets it came from.</summary>
public sealed record ReassembledSample(
    Bytes Data, uint RtpTimestamp, ushort FirstSequenceNumber, ushort LastSequenceNumber, int PacketsDroppedBefore);

/// <summary>
/// The reassembly buffer of one incoming stream. Sequence numbers are extended to 64 bits against the highest
/// seen. <see cref="Next"/> is the first packet not yet emitted or dropped; what is known about the packet before it
/// (<see cref="PrevKnown"/>, <see cref="PrevTimestamp"/>, <see cref="PrevEnded"/>) tells whether a frame starts at <see cref="Next"/>.
/// </summary>
public sealed record SampleBuilderState(
    IRtpDepacketizer Depacketizer,
    int MaxLate,
    Map<long, RtpPacket> Buffer,
    Option<long> Next,
    long Highest,
    bool Consumed,
    bool PrevKnown,
    uint PrevTimestamp,
    bool PrevEnded,
    int DroppedSinceLastSample,
    long DroppedPackets,
    int StartupHold)
{
    /// <summary>
    /// A new builder. <paramref name="maxLate"/> is how many packets past a gap or an incomplete frame we wait before dropping it;
    /// <paramref name="startupHold"/> is how many packets we wait, before the first frame, for earlier packets reordered behind later ones.
    /// </summary>
    public static SampleBuilderState Create(IRtpDepacketizer depacketizer, int maxLate = 50, int startupHold = 0) =>
        new(depacketizer, Math.Max(1, maxLate), Map<long, RtpPacket>.Empty, Option<long>.None, 0, false, false, 0, false, 0, 0,
            Math.Clamp(startupHold, 0, Math.Max(1, maxLate)));
}

/// <summary>
/// Pure frame reassembly despite loss and reordering: (state, packet) -> (state, samples in order).
/// A frame is a run of consecutive packets with one timestamp, from a frame start (the previous packet ended a frame,
/// or after a gap the codec says the payload starts a frame and its timestamp is new) to a frame end (the codec's end
/// flag, usually the marker, or a following packet with another timestamp). A frame with a hole is dropped once the
/// newest packet is <see cref="SampleBuilderState.MaxLate"/> packets past it.
/// </summary>
public static class SampleBuilder
{
    public static Step<SampleBuilderState, ReassembledSample> Push(SampleBuilderState state, RtpPacket packet)
    {
        var ext = state.Next.IsNone ? packet.SequenceNumber : Extend(state.Highest, packet.SequenceNumber);
        var next = state.Next.IfNone(ext);
        if (ext < next)
        {
            // Before anything was emitted or dropped, an earlier packet may still open the stream.
            if (state.Consumed || state.Highest - ext >= state.MaxLate) return Step<SampleBuilderState, ReassembledSample>.Of(state);
            next = ext;
        }
        if (state.Buffer.ContainsKey(ext)) return Step<SampleBuilderState, ReassembledSample>.Of(state);
        var s = state with
        {
            Buffer = state.Buffer.Add(ext, packet),
            Next = next,
            Highest = state.Next.IsNone ? ext : Math.Max(state.Highest, ext),
        };
        return Emit(s, flush: false);
    }

    /// <summary>At the end of a stream: emits what is complete and drops the rest, without waiting for later packets.</summary>
    public static Step<SampleBuilderState, ReassembledSample> Flush(SampleBuilderState state) => Emit(state, flush: true);

    private static long Extend(long highest, ushort seq) => highest + (short)(ushort)(seq - (ushort)highest);

    private static Step<SampleBuilderState, ReassembledSample> Emit(SampleBuilderState s, bool flush)
    {
        var outputs = new List<ReassembledSample>();
        while (s.Next.IsSome && !s.Buffer.IsEmpty)
        {
            var n = s.Next.IfNone(0);
            var late = flush || s.Highest - n >= s.MaxLate;
            if (!s.Consumed && !flush && s.Highest - n < s.StartupHold) break;
            var found = s.Buffer.Find(n);
            if (found.IsNone)
            {
                if (!late) break;
                // Give up on the missing packet: jump to the oldest one we hold.
                var oldest = s.Buffer.Min.Map(kv => kv.Item1).IfNone(n + 1);
                s = s with { Next = oldest, PrevKnown = false, DroppedSinceLastSample = s.DroppedSinceLastSample + (int)Math.Min(int.MaxValue, oldest - n), DroppedPackets = s.DroppedPackets + (oldest - n) };
                continue;
            }
            var first = (RtpPacket)found;
            var startsFrame = s.PrevKnown
                ? s.PrevEnded || s.PrevTimestamp != first.Timestamp
                : s.Depacketizer.IsFrameStart(first.Payload.Span) && (!s.Consumed || s.PrevTimestamp != first.Timestamp);
            if (!startsFrame) { s = Drop(s, n, first); continue; }

            // Find the end: consecutive packets of one timestamp up to an end flag or a timestamp change.
            var end = n;
            var complete = false;
            while (true)
            {
                var p = (RtpPacket)s.Buffer.Find(end);
                if (s.Depacketizer.IsFrameEnd(p.Payload.Span, p.Marker)) { complete = true; break; }
                var after = s.Buffer.Find(end + 1);
                if (after.IsNone) break; // the end may still come (and is dropped on flush)
                if (((RtpPacket)after).Timestamp != first.Timestamp) { complete = true; break; }
                end++;
            }
            if (!complete)
            {
                if (!late) break;
                s = Drop(s, n, first);
                continue;
            }
            var packets = new List<RtpPacket>();
            var buffer = s.Buffer;
            for (var k = n; k <= end; k++) { packets.Add((RtpPacket)buffer.Find(k)); buffer = buffer.Remove(k); }
            var last = packets[^1];
            var data = s.Depacketizer.Depacketize(packets.Select(p => p.Payload).ToSeq());
            s = s with
            {
                Buffer = buffer, Next = end + 1, Consumed = true,
                PrevKnown = true, PrevTimestamp = last.Timestamp, PrevEnded = true,
            };
            if (data.IsRight)
            {
                outputs.Add(new ReassembledSample((Bytes)data, first.Timestamp, first.SequenceNumber, last.SequenceNumber, s.DroppedSinceLastSample));
                s = s with { DroppedSinceLastSample = 0 };
            }
            else s = s with { DroppedSinceLastSample = s.DroppedSinceLastSample + packets.Count, DroppedPackets = s.DroppedPackets + packets.Count };
        }
        return new Step<SampleBuilderState, ReassembledSample>(s, outputs.ToSeq());
    }

    private static SampleBuilderState Drop(SampleBuilderState s, long n, RtpPacket p) =>
        s with
        {
            Buffer = s.Buffer.Remove(n), Next = n + 1, Consumed = true,
            PrevKnown = true, PrevTimestamp = p.Timestamp, PrevEnded = s.Depacketizer.IsFrameEnd(p.Payload.Span, p.Marker),
            DroppedSinceLastSample = s.DroppedSinceLastSample + 1, DroppedPackets = s.DroppedPackets + 1,
        };
}
