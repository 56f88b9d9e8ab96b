using LanguageExt;
using static LanguageExt.Prelude;

using Functional.WebRtc.Core;
using Functional.WebRtc.Core.Rtp;

namespace Functional.WebRtc.PropertyTests.Rtp;

// The persistent (allocating) recorder as it was before the ring buffer, kept verbatim as a reference model:
// TwccReferenceRecorderEquivalence checks the ring-buffer recorder gives the same feedback for the same inputs.

/// <summary>
/// The receiving side of transport-wide congestion control (draft-holmer-rmcat-transport-wide-cc-extensions-01 section 3):
/// records the arrival time of each transport-wide sequence number and turns what is unreported into feedback packets.
/// Sequence numbers are unwrapped to 64 bits against the highest seen, so wrap-around and reordering are plain order;
/// a packet older than what was already reported is dropped (it was reported lost); duplicates keep their first arrival.
/// </summary>
/// <param name="SenderSsrc">Our SSRC in the feedback's sender field.</param>
/// <param name="MediaSsrc">The media SSRC field (informative: the feedback is transport-wide).</param>
/// <param name="Config">Interval, packet count and size limits.</param>
/// <param name="Started">Whether any packet has arrived.</param>
/// <param name="ReportedEnd">The extended sequence number after the last one reported (None before the first feedback).</param>
/// <param name="Highest">The highest extended sequence number seen (meaningful once <see cref="Started"/>).</param>
/// <param name="Lowest">The lowest extended sequence number among <paramref name="Arrivals"/>.</param>
/// <param name="Arrivals">Received and not yet reported, in arrival order: extended sequence number and arrival time
/// (a duplicate is kept here and dropped when the feedback is built; the first arrival wins).</param>
/// <param name="FeedbackPacketCount">The fb pkt count of the next feedback (8 bits, wraps).</param>
/// <param name="LastFeedbackAt">When feedback last went out.</param>
public sealed record TwccReferenceRecorder(
    uint SenderSsrc,
    uint MediaSsrc,
    TwccRecorderConfig Config,
    bool Started,
    Option<long> ReportedEnd,
    long Highest,
    long Lowest,
    Seq<(long Seq, TimeSpan At)> Arrivals,
    byte FeedbackPacketCount,
    TimeSpan LastFeedbackAt)
{
    public static TwccReferenceRecorder Create(uint senderSsrc, uint mediaSsrc, TwccRecorderConfig? config = null) =>
        new(senderSsrc, mediaSsrc, config ?? TwccRecorderConfig.Default, false, None, 0, 0, LanguageExt.Seq<(long, TimeSpan)>.Empty, 0, TimeSpan.Zero);

    private static readonly Seq<TransportCcFeedback> NoFeedback = LanguageExt.Seq<TransportCcFeedback>.Empty;

    public static Step<TwccReferenceRecorder, TransportCcFeedback> Handle(TwccReferenceRecorder state, TwccInput input) => input switch
    {
        TwccInput.Arrival a => OnArrival(state, a.SequenceNumber, a.At),
        TwccInput.Tick t => OnTick(state, t.At),
        _ => new(state, NoFeedback),
    };

    /// <summary>The extended (64-bit) sequence number of <paramref name="seq"/>: the one nearest the highest seen.</summary>
    public long Unwrap(ushort seq) => Started ? Highest + (short)(ushort)(seq - (ushort)Highest) : (1L << 16) + seq;

    private static Step<TwccReferenceRecorder, TransportCcFeedback> OnArrival(TwccReferenceRecorder s, ushort seq, TimeSpan at)
    {
        var extended = s.Unwrap(seq);
        if (s.ReportedEnd.IsSome && extended < (long)s.ReportedEnd)
            return new(s.Started ? s : s with { Started = true }, NoFeedback); // late: reported lost already
        var next = s with
        {
            Started = true,
            Highest = s.Started ? Math.Max(s.Highest, extended) : extended,
            Lowest = s.Arrivals.IsEmpty ? extended : Math.Min(s.Lowest, extended),
            Arrivals = s.Arrivals.Add((extended, at)),
        };
        next = next.WithinWindow();
        return next.Arrivals.Count >= next.Config.PacketsPerFeedback ? Emit(next, at) : new(next, NoFeedback);
    }

    private static Step<TwccReferenceRecorder, TransportCcFeedback> OnTick(TwccReferenceRecorder s, TimeSpan at) =>
        !s.Arrivals.IsEmpty && at - s.LastFeedbackAt >= s.Config.Interval ? Emit(s, at) : new(s, NoFeedback);

    /// <summary>When to tick next: the interval after the last feedback, or None while nothing waits.</summary>
    public Option<TimeSpan> NextFeedbackAt => Arrivals.IsEmpty ? None : Some(LastFeedbackAt + Config.Interval);

    /// <summary>The first extended sequence number the next feedback covers.</summary>
    private long Start => ReportedEnd.IsSome ? (long)ReportedEnd : Arrivals.IsEmpty ? Highest : Lowest;

    // A forward jump wider than the window: the oldest unreported numbers are given up (neither stored nor reported).
    private TwccReferenceRecorder WithinWindow()
    {
        var floor = Highest - Config.MaxWindow + 1;
        if (Start >= floor) return this;
        var kept = Arrivals.Filter(a => a.Seq >= floor);
        return this with { ReportedEnd = floor, Arrivals = kept, Lowest = kept.IsEmpty ? floor : kept.Min(a => a.Seq) };
    }

    private static Step<TwccReferenceRecorder, TransportCcFeedback> Emit(TwccReferenceRecorder s, TimeSpan at)
    {
        var packets = new List<TransportCcFeedback>();
        var count = s.FeedbackPacketCount;
        var seq = s.Start;
        // In sequence order, the first arrival of each number (OrderBy is stable: among duplicates the first arrival comes first).
        var arrivals = new List<(long Seq, TimeSpan At)>(s.Arrivals.Count);
        foreach (var a in s.Arrivals.OrderBy(a => a.Seq)) if (arrivals.Count == 0 || arrivals[^1].Seq != a.Seq) arrivals.Add(a);
        var index = 0;
        while (seq <= s.Highest)
        {
            var (feedback, next) = BuildOne(s, arrivals, ref index, seq, count);
            packets.Add(feedback);
            count++;
            seq = next;
        }
        var state = s with
        {
            ReportedEnd = s.Highest + 1,
            Arrivals = LanguageExt.Seq<(long, TimeSpan)>.Empty,
            FeedbackPacketCount = count,
            LastFeedbackAt = at,
        };
        return new(state, packets.ToSeq());
    }

    /// <summary>
    /// One feedback packet from <paramref name="first"/> on, as far as it can go: its receive deltas must fit their
    /// symbols (a large delta is a signed 16-bit count of 250 µs, section 3.1.5) and it must stay under the size limit.
    /// The reference time is the first received packet's arrival rounded down to 64 ms, so its delta is small.
    /// </summary>
    private static (TransportCcFeedback Feedback, long Next) BuildOne(TwccReferenceRecorder s, List<(long Seq, TimeSpan At)> arrivals, ref int index, long first, byte count)
    {
        var deltaTick = TransportCcFeedback.DeltaTick.Ticks;
        var unitsPerReference = TransportCcFeedback.ReferenceTick.Ticks / deltaTick; // 256
        var symbols = new List<TwccSymbol>();
        var deltas = new List<int>();
        long? last = null;
        long reference = 0;
        var deltaBytes = 0;
        var seq = first;
        while (seq <= s.Highest && symbols.Count < ushort.MaxValue)
        {
            var symbol = TwccSymbol.NotReceived;
            var delta = 0;
            var size = 0;
            while (index < arrivals.Count && arrivals[index].Seq < seq) index++;
            if (index < arrivals.Count && arrivals[index].Seq == seq)
            {
                var at = arrivals[index].At;
                var units = Math.Max(0, at.Ticks) / deltaTick;
                if (last is null)
                {
                    reference = units / unitsPerReference;
                    last = reference * unitsPerReference;
                }
                var d = units - last.Value;
                if (d is < short.MinValue or > short.MaxValue) break; // does not fit: the next feedback starts here
                delta = (int)d;
                symbol = delta is >= 0 and <= 255 ? TwccSymbol.SmallDelta : TwccSymbol.LargeDelta;
                size = symbol == TwccSymbol.SmallDelta ? 1 : 2;
            }
            // Upper bound of the encoded size: header, deltas, and one chunk per 7 statuses at worst.
            var chunkBytes = 2 * ((symbols.Count + 1 + 6) / 7);
            if (symbols.Count > 0 && 16 + deltaBytes + size + chunkBytes > s.Config.MaxFeedbackBytes) break;
            symbols.Add(symbol);
            if (size > 0)
            {
                deltas.Add(delta);
                deltaBytes += size;
                last += delta;
            }
            seq++;
        }
        var feedback = new TransportCcFeedback(s.SenderSsrc, s.MediaSsrc, (ushort)first, (ushort)symbols.Count,
            (uint)(reference & 0xFFFFFF), count, TransportCcFeedback.EncodeChunks(symbols.ToArray()), deltas.ToSeq());
        return (feedback, seq);
    }
}
