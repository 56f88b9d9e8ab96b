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

    private readonly Channel<ReadOnlyMemory<byte>> _packets = Channel.CreateBounded<ReadOnlyMemory<byte>>(
        new BoundedChannelOptions(QueueSize) { FullMode = BoundedChannelFullMode.DropOldest, SingleWriter = true });
    private readonly object _statsLock = new();
    private ReceiveStatistics _stats;
    private long _dropped;
    private readonly System.Collections.Generic.HashSet<ushort> _missing = [];
    private const int MaxPendingNacks = 256;

    internal TrackRemote(string id, string streamId, MediaKind kind, string codec, int clockRate, byte payloadType, uint ssrc, string? mid)
    {
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
    /// <summary>Packets dropped because the reader was too slow.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>The next RTP packet (header and payload, unprotected). Throws InvalidStateException once the track ends.</summary>
    public async ValueTask<ReadOnlyMemory<byte>> ReadRtpAsync(CancellationToken cancel = default)
    {
        try { return await _packets.Reader.ReadAsync(cancel).ConfigureAwait(false); }
        catch (ChannelClosedException) { throw new InvalidStateException(new Core.RtcError.InvalidState("the track has ended")); }
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
        var packet = ReadRtpAsync().AsTask().GetAwaiter().GetResult();
        if (packet.Length > buffer.Length) throw new ArgumentException("the buffer is shorter than the packet", nameof(buffer));
        packet.Span.CopyTo(buffer);
        return packet.Length;
    }

    /// <summary>
    /// A packet recovered from the RTX stream (RFC 4588): queued and counted as received only when it repairs a packet still
    /// missing. Anything else is a copy of a packet we have (Chromium probes bandwidth with RTX copies of recent packets, and a
    /// retransmission may cross the original): counting it would make the cumulative loss we report negative (RFC 3550 6.4.1
    /// counts duplicates, but RTX copies are not the source's packets), and readers would get it twice. Jitter is left alone:
    /// a retransmission's transit time says nothing about the network's jitter (RFC 3550 A.8 is about the original stream).
    /// Returns whether the packet was taken.
    /// </summary>
    internal bool PushRepair(ReadOnlyMemory<byte> packet)
    {
        var seq = System.Buffers.Binary.BinaryPrimitives.ReadUInt16BigEndian(packet.Span[2..]);
        lock (_statsLock)
        {
            if (!_missing.Remove(seq)) return false;
            _stats = _stats with { Received = _stats.Received + 1 };
        }
        if (_packets.Reader.Count >= QueueSize) Interlocked.Increment(ref _dropped);
        _packets.Writer.TryWrite(packet);
        return true;
    }

    /// <summary>On the socket's receive loop: accounts the packet and queues it; returns the sequence numbers a gap skipped.</summary>
    internal LanguageExt.Seq<ushort> Push(ReadOnlyMemory<byte> packet, TimeSpan now)
    {
        var span = packet.Span;
        var seq = System.Buffers.Binary.BinaryPrimitives.ReadUInt16BigEndian(span[2..]);
        var ts = System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(span[4..]);
        LanguageExt.Seq<ushort> missing;
        lock (_statsLock)
        {
            (_stats, missing) = _stats.Receive(seq, ts, now, (uint)Math.Max(1, ClockRate));
            _missing.Remove(seq);
            foreach (var m in missing) if (_missing.Count < MaxPendingNacks) _missing.Add(m);
        }
        if (_packets.Reader.Count >= QueueSize) Interlocked.Increment(ref _dropped);
        _packets.Writer.TryWrite(packet);
        return missing;
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

    internal void End() => _packets.Writer.TryComplete();
}

/// <summary>Receives one remote track on a transceiver (W3C RTCRtpReceiver, Pion's RTPReceiver).</summary>
public sealed class RtpReceiver
{
    private readonly Channel<IReadOnlyList<RtcpPacket>> _rtcp = Channel.CreateBounded<IReadOnlyList<RtcpPacket>>(
        new BoundedChannelOptions(64) { FullMode = BoundedChannelFullMode.DropOldest });

    internal RtpReceiver(RtpTransceiver? transceiver, TrackRemote track)
    {
        Transceiver = transceiver;
        Track = track;
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
