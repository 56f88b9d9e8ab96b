using System.Buffers;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Functional.WebRtc.Core.Rtp;
using Functional.WebRtc.Media;

namespace Functional.WebRtc;

/// <summary>
/// An incoming RTP stream (Pion's TrackRemote): one SSRC, mapped to a transceiver by the remote description's a=ssrc or
/// a=msid lines or by the sdes:mid header extension. Packets wait in a bounded queue; when the application reads too
/// slowly the oldest are dropped, so the socket's receive loop never blocks.
/// </summary>
public sealed class TrackRemote
{
    /// <summary>How many packets wait for the reader before the oldest are dropped.</summary>
    public const int QueueSize = 1024;

    /// <summary>
    /// Buffers of queued packets, shared by every track of the process. Not ArrayPool.Shared: there the socket's thread
    /// only rents and the reader's only returns, and beyond a few packets in a queue every rent allocated (its per-core
    /// caches hold 8 arrays). This one keeps up to 4096 arrays per size, only as many as were ever queued at once.
    /// </summary>
    private static readonly ArrayPool<byte> PacketPool = ArrayPool<byte>.Create(maxArrayLength: 4096, maxArraysPerBucket: 4096);

    /// <summary>A queued packet in a buffer rented from <see cref="PacketPool"/>; whoever takes it out returns the buffer.</summary>
    private readonly record struct Queued(byte[] Buffer, int Length);

    // The packets dropped for a slow reader go back to the pool too.
    private readonly Channel<Queued> _packets = Channel.CreateBounded<Queued>(
        new BoundedChannelOptions(QueueSize) { FullMode = BoundedChannelFullMode.DropOldest, SingleWriter = true },
        static dropped => PacketPool.Return(dropped.Buffer));
    private readonly object _statsLock = new();
    private ReceiveStatistics _stats;
    private long _dropped;
    private readonly System.Collections.Generic.HashSet<ushort> _missing = [];
    private const int MaxPendingNacks = 256;

    internal TrackRemote(string id, string streamId, MediaKind kind, string codec, int clockRate, byte payloadType, uint ssrc, string? mid,
        string? rid = null)
    {
        Rid = rid;
        Id = id;
        StreamId = streamId;
        Kind = kind;
        Codec = codec;
        ClockRate = clockRate;
        PayloadType = payloadType;
        Ssrc = ssrc;
        Mid = mid;
    }

    public string Id { get; }
    public string StreamId { get; }
    public MediaKind Kind { get; }
    /// <summary>The MIME type of the codec of the first packet ("video/VP8").</summary>
    public string Codec { get; }
    public int ClockRate { get; }
    public byte PayloadType { get; }
    public uint Ssrc { get; }
    /// <summary>The mid of the transceiver this stream arrived on.</summary>
    public string? Mid { get; }
    /// <summary>
    /// The RTP stream id (RFC 8852) its first packet carried, when the section negotiated the rtp-stream-id header
    /// extension (a simulcast layer, RFC 8853); null otherwise (Pion's RID()).
    /// </summary>
    public string? Rid { get; }
    /// <summary>The SSRC of the RTX stream that repairs this one (RFC 4588), once known (a=ssrc-group:FID or repaired-rtp-stream-id).</summary>
    public uint? RepairSsrc { get => _repairSsrc == 0 ? null : _repairSsrc; internal set => _repairSsrc = value ?? 0; }
    private volatile uint _repairSsrc;
    internal bool Ended => _ended;
    private volatile bool _ended;
    /// <summary>Packets dropped because the reader was too slow.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>
    /// The next RTP packet (header and payload, unprotected), in a new array the caller keeps. Throws
    /// InvalidStateException once the track ends. <see cref="ReadRtpAsync(Memory{byte}, CancellationToken)"/> reads into
    /// the caller's buffer instead and allocates nothing (when waiting, nothing either unless <paramref name="cancel"/> can be
    /// cancelled: the channel then allocates its wait).
    /// </summary>
    public ValueTask<ReadOnlyMemory<byte>> ReadRtpAsync(CancellationToken cancel = default)
    {
        if (_packets.Reader.TryRead(out var queued)) return new ValueTask<ReadOnlyMemory<byte>>(Take(queued));
        return ReadRtpSlowAsync(cancel);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<ReadOnlyMemory<byte>> ReadRtpSlowAsync(CancellationToken cancel) => Take(await NextAsync(cancel).ConfigureAwait(false));

    /// <summary>
    /// Copies the next RTP packet into <paramref name="buffer"/> and returns its length (Pion's Read), allocating nothing
    /// per packet. Throws ArgumentException when the packet is longer than the buffer (the packet is lost) and
    /// InvalidStateException once the track ends.
    /// </summary>
    public ValueTask<int> ReadRtpAsync(Memory<byte> buffer, CancellationToken cancel = default)
    {
        if (_packets.Reader.TryRead(out var queued)) return new ValueTask<int>(CopyOut(queued, buffer.Span));
        return ReadRtpSlowAsync(buffer, cancel);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<int> ReadRtpSlowAsync(Memory<byte> buffer, CancellationToken cancel) =>
        CopyOut(await NextAsync(cancel).ConfigureAwait(false), buffer.Span);

    /// <summary>
    /// Copies the next queued RTP packet into <paramref name="buffer"/> without waiting; false when none is queued.
    /// Throws ArgumentException when the packet is longer than the buffer (the packet is lost).
    /// </summary>
    public bool TryReadRtp(Span<byte> buffer, out int length)
    {
        length = _packets.Reader.TryRead(out var queued) ? CopyOut(queued, buffer) : -1;
        return length >= 0;
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<Queued> NextAsync(CancellationToken cancel)
    {
        try { return await _packets.Reader.ReadAsync(cancel).ConfigureAwait(false); }
        catch (ChannelClosedException) { throw new InvalidStateException(new Core.RtcError.InvalidState("the track has ended")); }
    }

    private static ReadOnlyMemory<byte> Take(Queued queued)
    {
        var packet = queued.Buffer.AsSpan(0, queued.Length).ToArray();
        PacketPool.Return(queued.Buffer);
        return packet;
    }

    private static int CopyOut(Queued queued, Span<byte> destination)
    {
        try
        {
            if (queued.Length > destination.Length) throw new ArgumentException("the buffer is shorter than the packet", nameof(destination));
            queued.Buffer.AsSpan(0, queued.Length).CopyTo(destination);
            return queued.Length;
        }
        finally { PacketPool.Return(queued.Buffer); }
    }

    /// <summary>The next packet parsed.</summary>
    public async ValueTask<RtpPacket> ReadPacketAsync(CancellationToken cancel = default)
    {
        while (true)
        {
            var data = await ReadRtpAsync(cancel).ConfigureAwait(false);
            var parsed = RtpPacket.Parse(data.Span);
            if (parsed.IsRight) return (RtpPacket)parsed;
        }
    }

    /// <summary>Copies the next packet into <paramref name="buffer"/> and returns its length (blocks until one arrives; Pion's Read).</summary>
    public int Read(byte[] buffer)
    {
        var read = ReadRtpAsync(buffer.AsMemory());
        return read.IsCompletedSuccessfully ? read.Result : read.AsTask().GetAwaiter().GetResult();
    }

    /// <summary>
    /// A packet recovered from the RTX stream (RFC 4588): queued and counted as received only when it repairs a packet still
    /// missing. Anything else is a copy of a packet we have (Chromium probes bandwidth with RTX copies of recent packets, and a
    /// retransmission may cross the original): counting it would make the cumulative loss we report negative (RFC 3550 6.4.1
    /// counts duplicates, but RTX copies are not the source's packets), and readers would get it twice. Jitter is left alone:
    /// a retransmission's transit time says nothing about the network's jitter (RFC 3550 A.8 is about the original stream).
    /// Returns whether the packet was taken.
    /// </summary>
    internal bool PushRepair(ReadOnlySpan<byte> span)
    {
        var seq = System.Buffers.Binary.BinaryPrimitives.ReadUInt16BigEndian(span[2..]);
        lock (_statsLock)
        {
            if (!_missing.Remove(seq)) return false;
            _stats = _stats with { Received = _stats.Received + 1 };
        }
        Enqueue(span);
        return true;
    }

    /// <summary>
    /// On the socket's receive loop: accounts the packet and queues a copy of it (in a pooled buffer; the span is not
    /// kept); returns the sequence numbers a gap skipped.
    /// </summary>
    internal LanguageExt.Seq<ushort> Push(ReadOnlySpan<byte> span, TimeSpan now)
    {
        var seq = System.Buffers.Binary.BinaryPrimitives.ReadUInt16BigEndian(span[2..]);
        var ts = System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(span[4..]);
        LanguageExt.Seq<ushort> missing;
        lock (_statsLock)
        {
            (_stats, missing) = _stats.Receive(seq, ts, now, (uint)Math.Max(1, ClockRate));
            _frames.Packet(ts, now);
            _missing.Remove(seq);
            if (!missing.IsEmpty) foreach (var m in missing) if (_missing.Count < MaxPendingNacks) _missing.Add(m);
        }
        Enqueue(span);
        return missing;
    }

    /// <summary>Queues a copy of the packet in a pooled buffer (returned by the reader, or at once when the queue has ended).</summary>
    private void Enqueue(ReadOnlySpan<byte> span)
    {
        if (_packets.Reader.Count >= QueueSize) Interlocked.Increment(ref _dropped);
        var buffer = PacketPool.Rent(span.Length);
        span.CopyTo(buffer);
        if (!_packets.Writer.TryWrite(new Queued(buffer, span.Length))) PacketPool.Return(buffer); // ended
    }

    /// <summary>
    /// The sequence numbers still missing (NACKed once already and not yet repaired), to NACK again; those more than
    /// <see cref="RtpSender.HistorySize"/> behind the newest are given up, as the sender no longer holds them.
    /// </summary>
    internal LanguageExt.Seq<ushort> StillMissing()
    {
        lock (_statsLock)
        {
            var newest = _stats.MaxSeq;
            _missing.RemoveWhere(m => (ushort)(newest - m) >= RtpSender.HistorySize);
            return _missing.Order().ToArray().ToSeq();
        }
    }

    internal void SenderReportReceived(ulong ntp, TimeSpan at)
    {
        lock (_statsLock) _stats = _stats.SenderReportReceived(ntp, at);
    }

    internal ReceptionReport Report(TimeSpan now)
    {
        lock (_statsLock)
        {
            var (report, next) = _stats.Report(Ssrc, now);
            _stats = next;
            return report;
        }
    }

    internal ReceiveStatistics Statistics { get { lock (_statsLock) return _stats; } }

    private readonly FrameRateMeter _frames = new();
    /// <summary>Frames received so far, counted by RTP timestamp (W3C framesReceived; repairs are not new frames).</summary>
    internal long FramesReceived { get { lock (_statsLock) return _frames.Frames; } }
    /// <summary>Frames whose first packet arrived in the second before <paramref name="now"/> (W3C framesPerSecond).</summary>
    internal int FramesPerSecond(TimeSpan now) { lock (_statsLock) return _frames.PerSecond(now); }

    internal void End()
    {
        _ended = true;
        _packets.Writer.TryComplete();
    }
}

/// <summary>Receives one remote track on a transceiver (W3C RTCRtpReceiver, Pion's RTPReceiver).</summary>
public sealed partial class RtpReceiver
{
    private readonly Channel<IReadOnlyList<RtcpPacket>> _rtcp = Channel.CreateBounded<IReadOnlyList<RtcpPacket>>(
        new BoundedChannelOptions(64) { FullMode = BoundedChannelFullMode.DropOldest });

    private readonly PeerConnection? _pc;

    internal RtpReceiver(RtpTransceiver? transceiver, TrackRemote track, PeerConnection? pc = null)
    {
        Transceiver = transceiver;
        Track = track;
        _pc = pc;
    }

    /// <summary>
    /// What this receiver receives with (W3C getParameters): the stream of its track (SSRC, repair SSRC when one is
    /// known, payload type of the first packet, rid), and the negotiated codecs and header extensions of its section.
    /// </summary>
    public RtpReceiveParameters GetParameters()
    {
        var encoding = new RtpEncodingParameters(Track.Ssrc, Track.RepairSsrc, Track.PayloadType, !Track.Ended, Track.Rid);
        if (_pc is null) return new RtpReceiveParameters(LanguageExt.Arr.create(encoding), default, default, new RtcpParameters("", false));
        var state = _pc.Snapshot;
        var (codecs, extensions, reduced) = NegotiatedParameters.For(state, Track.Mid, Track.Kind);
        return new RtpReceiveParameters(LanguageExt.Arr.create(encoding), codecs, extensions, new RtcpParameters(NegotiatedParameters.RemoteCname(state, Track.Ssrc), reduced));
    }

    /// <summary>The transceiver the track arrived on (null when none matched its mid).</summary>
    public RtpTransceiver? Transceiver { get; }
    public TrackRemote Track { get; }

    /// <summary>The next RTCP compound from the remote sender of this track (sender reports, SDES, BYE).</summary>
    public async ValueTask<IReadOnlyList<RtcpPacket>> ReadRtcpAsync(CancellationToken cancel = default)
    {
        try { return await _rtcp.Reader.ReadAsync(cancel).ConfigureAwait(false); }
        catch (ChannelClosedException) { throw new InvalidStateException(new Core.RtcError.InvalidState("the receiver is stopped")); }
    }

    internal void DeliverRtcp(IReadOnlyList<RtcpPacket> packets) => _rtcp.Writer.TryWrite(packets);

    internal void Stop()
    {
        Track.End();
        _rtcp.Writer.TryComplete();
    }
}
