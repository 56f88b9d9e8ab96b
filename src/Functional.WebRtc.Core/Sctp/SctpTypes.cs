using LanguageExt;

namespace Functional.WebRtc.Core.Sctp;

/// <summary>Association states (RFC 9260 4).</summary>
public enum SctpState { Closed, CookieWait, CookieEchoed, Established, ShutdownPending, ShutdownSent, ShutdownReceived, ShutdownAckSent }

/// <summary>How hard the sender tries to deliver a message (RFC 3758 partial reliability, as WebRTC uses it).</summary>
public abstract record SctpReliability
{
    public sealed record Reliable : SctpReliability;
    /// <summary>Give up after the message was retransmitted <paramref name="Count"/> times (0: sent once).</summary>
    public sealed record MaxRetransmits(int Count) : SctpReliability;
    /// <summary>Give up once the message is older than <paramref name="Lifetime"/>.</summary>
    public sealed record MaxLifetime(TimeSpan Lifetime) : SctpReliability;

    public static readonly SctpReliability Default = new Reliable();
}

/// <summary>Association settings. Defaults follow RFC 9260 section 16 and what browsers use over DTLS.</summary>
public sealed record SctpConfig
{
    public ushort LocalPort { get; init; } = 5000;
    public ushort RemotePort { get; init; } = 5000;
    /// <summary>Largest SCTP packet (bytes): the DTLS record payload budget. 1200 keeps the UDP datagram under common MTUs.</summary>
    public int Mtu { get; init; } = 1200;
    /// <summary>
    /// Packetization layer path MTU discovery (RFC 8899): once established, probe (HEARTBEAT + PAD) for packets larger
    /// than <see cref="Mtu"/>, up to <see cref="MaxMtu"/>, and use the largest confirmed size. Off by default: peers that
    /// do not answer large probes are unaffected either way (the size only grows on a confirmed probe).
    /// </summary>
    public bool PathMtuDiscovery { get; init; }
    /// <summary>Largest SCTP packet PLPMTUD tries: one DTLS record carries at most 2^14 bytes of plaintext.</summary>
    public int MaxMtu { get; init; } = 16384;
    /// <summary>How long a PLPMTUD probe may go unanswered (PROBE_TIMER; at least 1 s, RFC 8899 5.1.1).</summary>
    public TimeSpan PmtuProbeTimeout { get; init; } = TimeSpan.FromSeconds(1);
    /// <summary>Largest message sent or reassembled (SDP max-message-size). Larger sends fail with RtcError.Range.</summary>
    public int MaxMessageSize { get; init; } = 256 * 1024;
    /// <summary>Our receive window (a_rwnd), bytes.</summary>
    public uint ReceiveWindow { get; init; } = 1024 * 1024;
    public ushort Streams { get; init; } = 65535;
    public TimeSpan RtoInitial { get; init; } = TimeSpan.FromSeconds(1);
    public TimeSpan RtoMin { get; init; } = TimeSpan.FromMilliseconds(200);
    public TimeSpan RtoMax { get; init; } = TimeSpan.FromSeconds(60);
    public int MaxInitRetransmits { get; init; } = 8;
    /// <summary>Consecutive timeouts (T3, heartbeat, T2) before the association is declared dead (Association.Max.Retrans).</summary>
    public int AssociationMaxRetransmits { get; init; } = 10;
    public TimeSpan DelayedAckTimeout { get; init; } = TimeSpan.FromMilliseconds(200);
    public TimeSpan HeartbeatInterval { get; init; } = TimeSpan.FromSeconds(30);
    public TimeSpan CookieLifetime { get; init; } = TimeSpan.FromSeconds(60);
    /// <summary>Initial congestion window in bytes; 0 = RFC 9260 7.2.1 (min(4*MTU, max(2*MTU, 4380))). Loopback setups may use much more.</summary>
    public int InitialCwnd { get; init; }
    /// <summary>Offer zero checksum (RFC 9653, error detection method DTLS). Used only if the peer offers it too.</summary>
    public bool ZeroChecksum { get; init; }
    /// <summary>When true, delivered bytes keep counting against the receive window until ConsumerReady frees them.</summary>
    public bool ManualConsume { get; init; }

    public static readonly SctpConfig Default = new();

    /// <summary>
    /// For fast, clean paths (loopback, LAN): a 1 MiB initial congestion window and a 4 MiB receive window.
    /// Not for the open internet: it skips slow start.
    /// </summary>
    public static readonly SctpConfig HighThroughput = new() { InitialCwnd = 1 << 20, ReceiveWindow = 4u << 20 };
}

/// <summary>Facts given to the association.</summary>
public abstract record SctpInput(TimeSpan At)
{
    /// <summary>Start the four-way handshake (in WebRTC both sides may do this at once).</summary>
    public sealed record Associate(TimeSpan At) : SctpInput(At);
    /// <summary>One SCTP packet (a DTLS application-data record). The array is owned by the association from now on.</summary>
    public sealed record Received(TimeSpan At, byte[] Packet) : SctpInput(At);
    /// <summary>A burst of packets that arrived together ("end of batch" after the last): one SACK covers them all.</summary>
    public sealed record ReceivedBatch(TimeSpan At, IReadOnlyList<byte[]> Packets) : SctpInput(At);
    /// <summary>Send a message. The payload memory must not change afterwards (it is not copied until packetized).</summary>
    public sealed record Send(TimeSpan At, ushort StreamId, uint Ppid, ReadOnlyMemory<byte> Payload, bool Ordered = true, SctpReliability? Reliability = null) : SctpInput(At);
    /// <summary>Several messages at once, in order: one flush for all of them, so they share packets.</summary>
    public sealed record SendBatch(TimeSpan At, IReadOnlyList<Send> Sends) : SctpInput(At);
    /// <summary>Reset outgoing streams (RFC 6525), after their queued data; a data channel closes this way (RFC 8831 6.7).</summary>
    public sealed record ResetStreams(TimeSpan At, Arr<ushort> StreamIds) : SctpInput(At);
    public sealed record Tick(TimeSpan At) : SctpInput(At);
    /// <summary>Graceful shutdown (RFC 9260 9.2) once queued data is acknowledged.</summary>
    public sealed record Shutdown(TimeSpan At) : SctpInput(At);
    public sealed record Abort(TimeSpan At, string Reason) : SctpInput(At);
    /// <summary>The consumer processed delivered bytes (only with SctpConfig.ManualConsume): reopens the receive window.</summary>
    public sealed record ConsumerReady(TimeSpan At, int Bytes) : SctpInput(At);
}

/// <summary>What the association asks of the shell, and news for the layer above.</summary>
public abstract record SctpOutput
{
    /// <summary>Send these bytes as one DTLS application-data record.</summary>
    public sealed record Transmit(byte[] Packet) : SctpOutput;
    /// <summary>Call back with a Tick at this time (the earliest timer); replaces any earlier request.</summary>
    public sealed record WakeAt(TimeSpan At) : SctpOutput;
    /// <summary>A whole reassembled message.</summary>
    public sealed record Delivered(ushort StreamId, uint Ppid, byte[] Payload, bool Unordered) : SctpOutput;
    /// <summary>The peer reset these incoming streams (a data channel closed by the peer).</summary>
    public sealed record StreamsReset(Arr<ushort> StreamIds) : SctpOutput;
    /// <summary>Our outgoing reset of these streams completed; their SSNs start again at 0.</summary>
    public sealed record OutgoingStreamsReset(Arr<ushort> StreamIds) : SctpOutput;
    public sealed record StateChanged(SctpState State) : SctpOutput;
    /// <summary>Bytes of this stream queued by Send and not yet transmitted to the network (W3C bufferedAmount).</summary>
    public sealed record BufferedAmountChanged(ushort StreamId, long BufferedAmount) : SctpOutput;
    public sealed record Error(RtcError Reason) : SctpOutput;
}

/// <summary>Association counters.</summary>
public readonly record struct SctpStats(long PacketsSent, long PacketsReceived, long SacksSent, long Retransmissions, long FastRetransmits, long T3Expiries, long MessagesAbandoned);
