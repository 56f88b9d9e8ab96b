using System.Buffers.Binary;
using LanguageExt;

namespace Functional.WebRtc.Core.Rtp;

/// <summary>Packet status symbols (draft-holmer-rmcat-transport-wide-cc-extensions-01 section 3.1.1).</summary>
public enum TwccSymbol : byte { NotReceived = 0, SmallDelta = 1, LargeDelta = 2, Reserved = 3 }

/// <summary>A packet status chunk: run length (section 3.1.3) or status vector (section 3.1.4).</summary>
public abstract record TwccChunk
{
    private TwccChunk() { }
    public abstract int SymbolCount { get; }
    public abstract TwccSymbol SymbolAt(int i);

    /// <summary>T=0: one symbol repeated RunLength (13 bits) times.</summary>
    public sealed record RunLength(TwccSymbol Symbol, ushort Length) : TwccChunk
    {
        public override int SymbolCount => Length;
        public override TwccSymbol SymbolAt(int i) => Symbol;
    }

    /// <summary>T=1: 14 one-bit symbols (S=0: received or not) or 7 two-bit symbols (S=1).</summary>
    public sealed record StatusVector(bool TwoBitSymbols, Seq<TwccSymbol> Symbols) : TwccChunk
    {
        public override int SymbolCount => TwoBitSymbols ? 7 : 14;
        public override TwccSymbol SymbolAt(int i) => i < Symbols.Count ? Symbols[i] : TwccSymbol.NotReceived;
    }

    internal ushort Encode()
    {
        switch (this)
        {
            case RunLength r: return (ushort)(((int)r.Symbol << 13) | (r.Length & 0x1FFF));
            case StatusVector { TwoBitSymbols: false } v:
            {
                var w = 0x8000;
                for (var i = 0; i < 14; i++) if (v.SymbolAt(i) != TwccSymbol.NotReceived) w |= 1 << (13 - i);
                return (ushort)w;
            }
            case StatusVector v:
            {
                var w = 0xC000;
                for (var i = 0; i < 7; i++) w |= (int)v.SymbolAt(i) << (12 - 2 * i);
                return (ushort)w;
            }
            default: return 0;
        }
    }

    internal static TwccChunk Decode(ushort w)
    {
        if ((w & 0x8000) == 0) return new RunLength((TwccSymbol)((w >> 13) & 3), (ushort)(w & 0x1FFF));
        var two = (w & 0x4000) != 0;
        var symbols = new TwccSymbol[two ? 7 : 14];
        for (var i = 0; i < symbols.Length; i++)
            symbols[i] = two ? (TwccSymbol)((w >> (12 - 2 * i)) & 3) : (TwccSymbol)((w >> (13 - i)) & 1);
        return new StatusVector(two, symbols.ToSeq());
    }
}

/// <summary>The fate of one packet in a feedback: its transport sequence number and arrival time (relative to the reference time base).</summary>
public readonly record struct TwccPacketStatus(ushort SequenceNumber, TwccSymbol Symbol, Option<TimeSpan> Arrival);

/// <summary>
/// Transport-wide congestion control feedback (draft-holmer-rmcat-transport-wide-cc-extensions-01 section 3.1), RTPFB FMT 15.
/// <see cref="ReferenceTime"/> is the raw 24-bit field (multiples of 64 ms); <see cref="RecvDeltas"/> are in 250 µs ticks,
/// one per received packet in order (small deltas 0..255, large deltas signed 16-bit).
/// </summary>
public sealed record TransportCcFeedback(
    uint SenderSsrc, uint MediaSsrc, ushort BaseSequenceNumber, ushort PacketStatusCount, uint ReferenceTime,
    byte FeedbackPacketCount, Seq<TwccChunk> Chunks, Seq<int> RecvDeltas) : RtcpPacket
{
    public static readonly TimeSpan DeltaTick = TimeSpan.FromTicks(2500);        // 250 µs
    public static readonly TimeSpan ReferenceTick = TimeSpan.FromMilliseconds(64);

    public override byte PacketType => RtcpPacketType.TransportFeedback;
    public override byte CountField => 15;

    /// <summary>The symbols of the packets this feedback covers (the first <see cref="PacketStatusCount"/>).</summary>
    public IEnumerable<TwccSymbol> Symbols() =>
        Chunks.SelectMany(c => Enumerable.Range(0, c.SymbolCount).Select(c.SymbolAt)).Take(PacketStatusCount);

    private int DeltaBytes => Symbols().Sum(s => s == TwccSymbol.SmallDelta ? 1 : s == TwccSymbol.LargeDelta ? 2 : 0);
    public override int BodyLength => 16 + 2 * Chunks.Count + DeltaBytes;

    internal override RtcError? Validate()
    {
        var symbols = Symbols().ToList();
        if (symbols.Count != PacketStatusCount) return new RtcError.Range("chunks cover fewer packets than the status count");
        var received = symbols.Where(s => s is TwccSymbol.SmallDelta or TwccSymbol.LargeDelta).ToList();
        if (symbols.Contains(TwccSymbol.Reserved)) return new RtcError.Range("reserved TWCC symbol");
        if (received.Count != RecvDeltas.Count) return new RtcError.Range("one receive delta per received packet");
        for (var i = 0; i < received.Count; i++)
        {
            var d = RecvDeltas[i];
            if (received[i] == TwccSymbol.SmallDelta ? d is < 0 or > 255 : d is < short.MinValue or > short.MaxValue)
                return new RtcError.Range("receive delta does not fit its symbol");
        }
        if (Chunks.Exists(c => c is TwccChunk.RunLength r && r.Length > 0x1FFF)) return new RtcError.Range("run length is 13 bits");
        if (ReferenceTime > 0xFFFFFF) return new RtcError.Range("reference time is 24 bits");
        return null;
    }

    internal override void WriteBody(Span<byte> b)
    {
        BinaryPrimitives.WriteUInt32BigEndian(b, SenderSsrc);
        BinaryPrimitives.WriteUInt32BigEndian(b[4..], MediaSsrc);
        BinaryPrimitives.WriteUInt16BigEndian(b[8..], BaseSequenceNumber);
        BinaryPrimitives.WriteUInt16BigEndian(b[10..], PacketStatusCount);
        BinaryPrimitives.WriteUInt32BigEndian(b[12..], (ReferenceTime << 8) | FeedbackPacketCount);
        var o = 16;
        foreach (var c in Chunks) { BinaryPrimitives.WriteUInt16BigEndian(b[o..], c.Encode()); o += 2; }
        var di = 0;
        foreach (var s in Symbols())
        {
            if (s == TwccSymbol.SmallDelta) b[o++] = (byte)RecvDeltas[di++];
            else if (s == TwccSymbol.LargeDelta) { BinaryPrimitives.WriteInt16BigEndian(b[o..], (short)RecvDeltas[di++]); o += 2; }
        }
    }

    internal static Either<RtcError, RtcpPacket> Parse(ReadOnlySpan<byte> b)
    {
        if (b.Length < 16) return Bad("TWCC feedback shorter than 16 octets");
        var count = BinaryPrimitives.ReadUInt16BigEndian(b[10..]);
        var word = BinaryPrimitives.ReadUInt32BigEndian(b[12..]);
        var chunks = new List<TwccChunk>();
        var symbols = new List<TwccSymbol>(count);
        var o = 16;
        while (symbols.Count < count)
        {
            if (o + 2 > b.Length) return Bad("TWCC packet chunks truncated", o);
            var chunk = TwccChunk.Decode(BinaryPrimitives.ReadUInt16BigEndian(b[o..]));
            o += 2;
            if (chunk.SymbolCount == 0) return Bad("TWCC run length of zero", o);
            chunks.Add(chunk);
            for (var i = 0; i < chunk.SymbolCount && symbols.Count < count; i++) symbols.Add(chunk.SymbolAt(i));
        }
        var deltas = new List<int>();
        foreach (var s in symbols)
        {
            switch (s)
            {
                case TwccSymbol.SmallDelta:
                    if (o + 1 > b.Length) return Bad("TWCC receive deltas truncated", o);
                    deltas.Add(b[o++]);
                    break;
                case TwccSymbol.LargeDelta:
                    if (o + 2 > b.Length) return Bad("TWCC receive deltas truncated", o);
                    deltas.Add(BinaryPrimitives.ReadInt16BigEndian(b[o..]));
                    o += 2;
                    break;
                case TwccSymbol.Reserved:
                    return Bad("TWCC reserved packet status symbol", o);
            }
        }
        return new TransportCcFeedback(BinaryPrimitives.ReadUInt32BigEndian(b), BinaryPrimitives.ReadUInt32BigEndian(b[4..]),
            BinaryPrimitives.ReadUInt16BigEndian(b[8..]), count, word >> 8, (byte)word, chunks.ToSeq(), deltas.ToSeq());
    }

    /// <summary>Per-packet results: arrival times are ReferenceTime × 64 ms plus the running sum of deltas.</summary>
    public Seq<TwccPacketStatus> PacketStatuses()
    {
        var result = new List<TwccPacketStatus>(PacketStatusCount);
        var t = ReferenceTick * ReferenceTime;
        var seq = BaseSequenceNumber;
        var di = 0;
        foreach (var s in Symbols())
        {
            if (s is TwccSymbol.SmallDelta or TwccSymbol.LargeDelta && di < RecvDeltas.Count)
            {
                t += DeltaTick * RecvDeltas[di++];
                result.Add(new TwccPacketStatus(seq, s, t));
            }
            else result.Add(new TwccPacketStatus(seq, s, LanguageExt.Prelude.None));
            seq++;
        }
        return result.ToSeq();
    }

    /// <summary>
    /// Builds a feedback for packets <paramref name="baseSequenceNumber"/> onwards, one arrival (or None if lost) each.
    /// The reference time is the first arrival rounded down to 64 ms; deltas are quantized to 250 µs without drift.
    /// Chunks are chosen greedily: long runs as run-length chunks, otherwise one-bit or two-bit status vectors.
    /// </summary>
    public static TransportCcFeedback Build(uint senderSsrc, uint mediaSsrc, byte feedbackPacketCount, ushort baseSequenceNumber, IReadOnlyList<Option<TimeSpan>> arrivals)
    {
        var count = Math.Min(arrivals.Count, ushort.MaxValue);
        var first = arrivals.Take(count).Select(a => a.IfNone(TimeSpan.MaxValue)).DefaultIfEmpty(TimeSpan.Zero).Min();
        if (first == TimeSpan.MaxValue) first = TimeSpan.Zero;
        var refTicks = Math.Max(0, first.Ticks / ReferenceTick.Ticks);
        var reference = (uint)(refTicks & 0xFFFFFF);
        var last = refTicks * ReferenceTick.Ticks / DeltaTick.Ticks; // in 250 µs units
        var symbols = new TwccSymbol[count];
        var deltas = new List<int>();
        for (var i = 0; i < count; i++)
        {
            if (arrivals[i].IsNone) { symbols[i] = TwccSymbol.NotReceived; continue; }
            var at = arrivals[i].IfNone(TimeSpan.Zero);
            var units = at.Ticks / DeltaTick.Ticks;
            var delta = (int)Math.Clamp(units - last, short.MinValue, short.MaxValue);
            last += delta;
            symbols[i] = delta is >= 0 and <= 255 ? TwccSymbol.SmallDelta : TwccSymbol.LargeDelta;
            deltas.Add(delta);
        }
        return new TransportCcFeedback(senderSsrc, mediaSsrc, baseSequenceNumber, (ushort)count, reference, feedbackPacketCount,
            EncodeChunks(symbols), deltas.ToSeq());
    }

    internal static Seq<TwccChunk> EncodeChunks(ReadOnlySpan<TwccSymbol> symbols)
    {
        var chunks = new List<TwccChunk>();
        var i = 0;
        while (i < symbols.Length)
        {
            var run = 1;
            while (i + run < symbols.Length && symbols[i + run] == symbols[i] && run < 0x1FFF) run++;
            var rest = Math.Min(14, symbols.Length - i);
            var oneBitFits = true;
            for (var k = 0; k < rest; k++) oneBitFits &= symbols[i + k] <= TwccSymbol.SmallDelta;
            if (run >= 14 || (run >= 7 && !oneBitFits) || run == symbols.Length - i && run > 1)
            {
                chunks.Add(new TwccChunk.RunLength(symbols[i], (ushort)run));
                i += run;
            }
            else if (oneBitFits)
            {
                chunks.Add(new TwccChunk.StatusVector(false, Padded(symbols.Slice(i, rest), 14)));
                i += rest;
            }
            else
            {
                var n = Math.Min(7, symbols.Length - i);
                chunks.Add(new TwccChunk.StatusVector(true, Padded(symbols.Slice(i, n), 7)));
                i += n;
            }
        }
        return chunks.ToSeq();
    }

    // A status vector always carries 7 or 14 symbols on the wire; unused trailing ones are "not received".
    private static Seq<TwccSymbol> Padded(ReadOnlySpan<TwccSymbol> symbols, int size)
    {
        var a = new TwccSymbol[size];
        symbols.CopyTo(a);
        return a.ToSeq();
    }
}
