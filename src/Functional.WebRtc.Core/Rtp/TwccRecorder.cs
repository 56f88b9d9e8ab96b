using LanguageExt;
using static LanguageExt.Prelude;

namespace Functional.WebRtc.Core.Rtp;

/// <summary>
/// When feedback goes out: every <see cref="Interval"/> while packets wait, at once when <see cref="PacketsPerFeedback"/>
/// packets wait; one feedback packet stays under <see cref="MaxFeedbackBytes"/>; at most <see cref="MaxWindow"/> sequence
/// numbers are kept unreported (a larger forward jump gives up the oldest).
/// </summary>
public sealed record TwccRecorderConfig(TimeSpan Interval, int PacketsPerFeedback, int MaxFeedbackBytes, int MaxWindow)
{
    /// <summary>100 ms or 100 packets, 1200-byte feedback, a 16384-packet window (libwebrtc's receiver sends about every 100 ms).</summary>
    public static TwccRecorderConfig Default { get; } = new(TimeSpan.FromMilliseconds(100), 100, 1200, 1 << 14);
}

/// <summary>What the recorder takes: a packet's transport-wide sequence number and arrival time, or the passing of time.</summary>
public abstract record TwccInput
{
    private TwccInput() { }
    public sealed record Arrival(ushort SequenceNumber, TimeSpan At) : TwccInput;
    public sealed record Tick(TimeSpan At) : TwccInput;
}

/// <summary>
/// The receiving side of transport-wide congestion control (draft-holmer-rmcat-transport-wide-cc-extensions-01 section 3):
/// records the arrival time of each transport-wide sequence number and turns what is unreported into feedback packets.
/// Sequence numbers are unwrapped to 64 bits against the highest seen, so wrap-around and reordering are plain order;
/// a packet older than what was already reported is dropped (it was reported lost); duplicates keep their first arrival.
/// <para>
/// This runs once per received RTP packet, so the recorder keeps what is unreported in a ring buffer indexed by the
/// extended sequence number (it grows, by powers of two, up to the window; after warm-up recording an arrival allocates
/// nothing; only building feedback allocates). It is therefore a LINEAR value, like <c>SctpAssociation</c>:
/// <see cref="Handle"/>, <see cref="Record"/> and <see cref="Tick"/> return the same object updated; after a call, use only
/// the returned state and never the one passed in. It stays deterministic: the same inputs give the same feedback.
/// </para>
/// </summary>
public sealed class TwccRecorder
{
    /// <summary>One ring entry: the first arrival time (ticks) and how many arrivals (duplicates included) the number had.</summary>
    private struct Slot
    {
        public long Ticks;
        public int Count;
    }

    private const int InitialCapacity = 1024;
    private static readonly Seq<TransportCcFeedback> NoFeedback = LanguageExt.Seq<TransportCcFeedback>.Empty;

    private Slot[] _ring;           // extended sequence number & (length - 1); Count > 0 exactly for the unreported arrivals
    private bool _hasReportedEnd;
    private long _reportedEnd;
    private int _pending;           // arrivals recorded and not yet reported, duplicates included
    private TwccSymbol[] _symbols;  // scratch for building one feedback packet
    private int[] _deltas;          // scratch for its receive deltas

    private TwccRecorder(uint senderSsrc, uint mediaSsrc, TwccRecorderConfig config)
    {
        SenderSsrc = senderSsrc;
        MediaSsrc = mediaSsrc;
        Config = config;
        _ring = new Slot[Math.Min(InitialCapacity, (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)Math.Max(1, config.MaxWindow)))];
        _symbols = new TwccSymbol[128];
        _deltas = new int[128];
    }

    public static TwccRecorder Create(uint senderSsrc, uint mediaSsrc, TwccRecorderConfig? config = null) =>
        new(senderSsrc, mediaSsrc, config ?? TwccRecorderConfig.Default);

    /// <summary>Our SSRC in the feedback's sender field.</summary>
    public uint SenderSsrc { get; }
    /// <summary>The media SSRC field (informative: the feedback is transport-wide).</summary>
    public uint MediaSsrc { get; }
    /// <summary>Interval, packet count and size limits.</summary>
    public TwccRecorderConfig Config { get; }
    /// <summary>Whether any packet has arrived.</summary>
    public bool Started { get; private set; }
    /// <summary>The extended sequence number after the last one reported (None before the first feedback).</summary>
    public Option<long> ReportedEnd => _hasReportedEnd ? Some(_reportedEnd) : None;
    /// <summary>The highest extended sequence number seen (meaningful once <see cref="Started"/>).</summary>
    public long Highest { get; private set; }
    /// <summary>The lowest extended sequence number among the unreported arrivals.</summary>
    public long Lowest { get; private set; }
    /// <summary>Arrivals received and not yet reported, duplicates included (a duplicate is dropped when feedback is built).</summary>
    public int Pending => _pending;
    /// <summary>The fb pkt count of the next feedback (8 bits, wraps).</summary>
    public byte FeedbackPacketCount { get; private set; }
    /// <summary>When feedback last went out.</summary>
    public TimeSpan LastFeedbackAt { get; private set; }

    public static Step<TwccRecorder, TransportCcFeedback> Handle(TwccRecorder state, TwccInput input) => input switch
    {
        TwccInput.Arrival a => Record(state, a.SequenceNumber, a.At),
        TwccInput.Tick t => Tick(state, t.At),
        _ => new(state, NoFeedback),
    };

    /// <summary>
    /// The packet path: <see cref="TwccInput.Arrival"/> without the input record. Allocates nothing unless feedback is due
    /// (<see cref="TwccRecorderConfig.PacketsPerFeedback"/> arrivals wait) or the ring must grow.
    /// </summary>
    public static Step<TwccRecorder, TransportCcFeedback> Record(TwccRecorder state, ushort sequenceNumber, TimeSpan at) =>
        state.Arrive(sequenceNumber, at) ? Emit(state, at) : new(state, NoFeedback);

    /// <summary><see cref="TwccInput.Tick"/>: feedback when something waits and the interval since the last one has passed.</summary>
    public static Step<TwccRecorder, TransportCcFeedback> Tick(TwccRecorder state, TimeSpan at) =>
        state._pending > 0 && at - state.LastFeedbackAt >= state.Config.Interval ? Emit(state, at) : new(state, NoFeedback);

    /// <summary>The extended (64-bit) sequence number of <paramref name="seq"/>: the one nearest the highest seen.</summary>
    public long Unwrap(ushort seq) => Started ? Highest + (short)(ushort)(seq - (ushort)Highest) : (1L << 16) + seq;

    /// <summary>When to tick next: the interval after the last feedback, or None while nothing waits.</summary>
    public Option<TimeSpan> NextFeedbackAt => _pending == 0 ? None : Some(LastFeedbackAt + Config.Interval);

    /// <summary>The first extended sequence number the next feedback covers.</summary>
    private long Start => _hasReportedEnd ? _reportedEnd : _pending == 0 ? Highest : Lowest;

    private int Mask => _ring.Length - 1;

    /// <summary>Records one arrival; true when enough arrivals wait for feedback to go out at once.</summary>
    private bool Arrive(ushort seq, TimeSpan at)
    {
        var extended = Unwrap(seq);
        if (_hasReportedEnd && extended < _reportedEnd)
        {
            Started = true; // late: reported lost already
            return false;
        }
        var highest = Started ? Math.Max(Highest, extended) : extended;
        var lowest = _pending == 0 ? extended : Math.Min(Lowest, extended);
        var floor = highest - Config.MaxWindow + 1;
        var start = _hasReportedEnd ? _reportedEnd : lowest;
        if (start >= floor)
        {
            EnsureCapacity(highest - start + 1);
            Started = true;
            Highest = highest;
            Lowest = lowest;
            Store(extended, at);
        }
        else
        {
            // A forward jump wider than the window: the oldest unreported numbers are given up (neither stored nor reported).
            if (_pending > 0) Clear(Start, Math.Min(floor, Highest + 1));
            EnsureCapacity(Config.MaxWindow);
            Started = true;
            Highest = highest;
            _hasReportedEnd = true;
            _reportedEnd = floor;
            if (extended >= floor) Store(extended, at);
            Lowest = _pending == 0 ? floor : FirstStoredFrom(floor);
        }
        return _pending >= Config.PacketsPerFeedback;
    }

    private void Store(long extended, TimeSpan at)
    {
        ref var slot = ref _ring[extended & Mask];
        if (slot.Count == 0) slot.Ticks = at.Ticks; // the first arrival wins
        slot.Count++;
        _pending++;
    }

    /// <summary>Forgets the arrivals in [<paramref name="from"/>, <paramref name="to"/>).</summary>
    private void Clear(long from, long to)
    {
        for (var seq = from; seq < to; seq++)
        {
            ref var slot = ref _ring[seq & Mask];
            _pending -= slot.Count;
            slot.Count = 0;
        }
    }

    private long FirstStoredFrom(long from)
    {
        for (var seq = from; seq <= Highest; seq++) if (_ring[seq & Mask].Count > 0) return seq;
        return from; // not reached while _pending > 0
    }

    /// <summary>Grows the ring (a power of two) to hold <paramref name="span"/> consecutive numbers; the entries move along.</summary>
    private void EnsureCapacity(long span)
    {
        if (span <= _ring.Length) return;
        var grown = new Slot[(int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)span)];
        if (_pending > 0)
        {
            var oldMask = Mask;
            for (var seq = Start; seq <= Highest; seq++) grown[seq & (grown.Length - 1)] = _ring[seq & oldMask];
        }
        _ring = grown;
    }

    private static Step<TwccRecorder, TransportCcFeedback> Emit(TwccRecorder s, TimeSpan at)
    {
        var count = s.FeedbackPacketCount;
        var seq = s.Start;
        TransportCcFeedback? single = null;
        List<TransportCcFeedback>? more = null;
        while (seq <= s.Highest)
        {
            var feedback = s.BuildOne(ref seq, count);
            if (single is null) single = feedback;
            else (more ??= new List<TransportCcFeedback> { single }).Add(feedback);
            count++;
        }
        s._hasReportedEnd = true;
        s._reportedEnd = s.Highest + 1;
        s._pending = 0; // every slot in [Start, Highest] was read and cleared by BuildOne
        s.FeedbackPacketCount = count;
        s.LastFeedbackAt = at;
        var outputs = more is not null ? more.ToSeq() : single is not null ? Seq1(single) : NoFeedback;
        return new(s, outputs);
    }

    /// <summary>
    /// One feedback packet from <paramref name="seq"/> on, as far as it can go (advancing it): its receive deltas must fit their
    /// symbols (a large delta is a signed 16-bit count of 250 µs, section 3.1.5) and it must stay under the size limit.
    /// The reference time is the first received packet's arrival rounded down to 64 ms, so its delta is small.
    /// The slots it covers are cleared as it goes.
    /// </summary>
    private TransportCcFeedback BuildOne(ref long seq, byte count)
    {
        var deltaTick = TransportCcFeedback.DeltaTick.Ticks;
        var unitsPerReference = TransportCcFeedback.ReferenceTick.Ticks / deltaTick; // 256
        var first = seq;
        var symbolCount = 0;
        var deltaCount = 0;
        var started = false;
        long last = 0;
        long reference = 0;
        var deltaBytes = 0;
        var mask = Mask;
        while (seq <= Highest && symbolCount < ushort.MaxValue)
        {
            var symbol = TwccSymbol.NotReceived;
            var delta = 0;
            var size = 0;
            ref var slot = ref _ring[seq & mask];
            if (slot.Count > 0)
            {
                var units = Math.Max(0, slot.Ticks) / deltaTick;
                if (!started)
                {
                    reference = units / unitsPerReference;
                    last = reference * unitsPerReference;
                    started = true;
                }
                var d = units - last;
                if (d is < short.MinValue or > short.MaxValue) break; // does not fit: the next feedback starts here
                delta = (int)d;
                symbol = delta is >= 0 and <= 255 ? TwccSymbol.SmallDelta : TwccSymbol.LargeDelta;
                size = symbol == TwccSymbol.SmallDelta ? 1 : 2;
            }
            // Upper bound of the encoded size: header, deltas, and one chunk per 7 statuses at worst.
            var chunkBytes = 2 * ((symbolCount + 1 + 6) / 7);
            if (symbolCount > 0 && 16 + deltaBytes + size + chunkBytes > Config.MaxFeedbackBytes) break;
            if (symbolCount == _symbols.Length) System.Array.Resize(ref _symbols, Math.Min(_symbols.Length * 2, ushort.MaxValue));
            _symbols[symbolCount++] = symbol;
            if (size > 0)
            {
                if (deltaCount == _deltas.Length) System.Array.Resize(ref _deltas, Math.Min(_deltas.Length * 2, ushort.MaxValue));
                _deltas[deltaCount++] = delta;
                deltaBytes += size;
                last += delta;
            }
            slot.Count = 0;
            seq++;
        }
        return new TransportCcFeedback(SenderSsrc, MediaSsrc, (ushort)first, (ushort)symbolCount,
            (uint)(reference & 0xFFFFFF), count, TransportCcFeedback.EncodeChunks(_symbols.AsSpan(0, symbolCount)), _deltas.AsSpan(0, deltaCount).ToArray().ToSeq());
    }
}
