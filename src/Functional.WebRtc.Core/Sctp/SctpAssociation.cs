using System.Buffers.Binary;
using System.Security.Cryptography;
using LanguageExt;

namespace Functional.WebRtc.Core.Sctp;

/// <summary>
/// An SCTP association (RFC 9260) for WebRTC over DTLS (RFC 8261), with partial reliability (RFC 3758) and
/// stream reset (RFC 6525), as a reducer: <see cref="Handle"/> takes the association and one input and returns the
/// association and the outputs. All time comes from the inputs and all randomness from the Entropy given at creation,
/// so the same inputs always give the same outputs.
/// <para>
/// For speed on the data path the association keeps mutable buffers (queues, reassembly, SACK bookkeeping) inside:
/// it is a linear value. <see cref="Handle"/> returns the same object updated; after a call, use only the returned
/// state and never an older reference. Everything else about it (deterministic, no I/O, no clock) holds.
/// </para>
/// </summary>
public sealed class SctpAssociation
{
    private const int DataHeader = 16;
    private const int MaxDuplicatesReported = 16;

    private sealed class OutMessage(ushort streamId, uint ppid, ReadOnlyMemory<byte> payload, bool unordered, SctpReliability reliability, TimeSpan createdAt)
    {
        public readonly ushort StreamId = streamId;
        public readonly uint Ppid = ppid;
        public readonly ReadOnlyMemory<byte> Payload = payload;
        public readonly bool Unordered = unordered;
        public readonly SctpReliability Reliability = reliability;
        public readonly TimeSpan CreatedAt = createdAt;
        public int Offset;
        public ushort Ssn;
        public bool Abandoned;
    }

    /// <summary>
    /// Messages waiting to be sent: FIFO per stream, streams served round robin one whole message at a time
    /// (the fragments of one DATA message take consecutive TSNs), so one big transfer does not starve other channels.
    /// </summary>
    private sealed class SendQueue
    {
        private readonly Dictionary<ushort, Queue<OutMessage>> _byStream = new();
        private readonly Queue<ushort> _rotation = new();
        private OutMessage? _current;
        public int Count { get; private set; }

        public void Enqueue(OutMessage m)
        {
            if (!_byStream.TryGetValue(m.StreamId, out var q)) _byStream[m.StreamId] = q = new Queue<OutMessage>();
            if (q.Count == 0) _rotation.Enqueue(m.StreamId);
            q.Enqueue(m);
            Count++;
        }

        /// <summary>The message being sent, or the next one in round-robin order.</summary>
        public OutMessage? Current
        {
            get
            {
                if (_current is not null || _rotation.Count == 0) return _current;
                var sid = _rotation.Dequeue();
                var q = _byStream[sid];
                _current = q.Dequeue();
                if (q.Count > 0) _rotation.Enqueue(sid);
                return _current;
            }
        }

        /// <summary>The current message is fully sent or dropped.</summary>
        public void Done(OutMessage m)
        {
            if (_current != m) return;
            _current = null;
            Count--;
        }

        public bool HasStream(ushort sid) => _current?.StreamId == sid || (_byStream.TryGetValue(sid, out var q) && q.Count > 0);

        public void Clear()
        {
            _byStream.Clear(); _rotation.Clear(); _current = null; Count = 0;
        }
    }

    private sealed class OutChunk(long tsn, OutMessage message, ReadOnlyMemory<byte> payload, byte flags)
    {
        public readonly long Tsn = tsn;
        public readonly OutMessage Message = message;
        public readonly ReadOnlyMemory<byte> Payload = payload;
        public readonly byte Flags = flags;
        public TimeSpan SentAt;
        public int Transmissions;
        public int Misses;
        public bool Acked;      // gap-acked (cumulatively acked chunks leave the queue)
        public bool InFlight;   // counted in the flight size
        public bool Retransmit; // marked for retransmission
        public bool Abandoned;  // PR-SCTP: given up
        public int Size => DataHeader + Payload.Length;
    }

    private readonly record struct Fragment(ushort StreamId, ushort Ssn, uint Ppid, byte Flags, ReadOnlyMemory<byte> Payload)
    {
        public bool Beginning => (Flags & 2) != 0;
        public bool Ending => (Flags & 1) != 0;
        public bool Unordered => (Flags & 4) != 0;
    }

    private sealed class InStream
    {
        public ushort NextSsn;
        public readonly Dictionary<ushort, (uint Ppid, byte[] Payload)> Waiting = new();
    }

    public SctpConfig Config { get; }
    public SctpState State { get; private set; }
    public uint LocalVerificationTag { get; }
    public uint PeerVerificationTag { get; private set; }
    /// <summary>True when both sides offered zero checksum (RFC 9653).</summary>
    public bool ZeroChecksumNegotiated { get; private set; }
    public TimeSpan Rto { get; private set; }
    public long CongestionWindow => _cwnd;
    public long FlightSize => _flight;

    /// <summary>Counters for tests, benchmarks and stats (RTCSctpTransportStats-like).</summary>
    public SctpStats Stats => _stats;
    private SctpStats _stats;

    private readonly byte[] _cookieSecret;
    private readonly uint _localInitialTsn;
    private readonly List<SctpOutput> _out = new();
    private readonly List<SctpChunk> _control = new();
    private bool _terminated;

    // Handshake (T1) and shutdown (T2) timers.
    private SctpChunk? _t1Chunk;
    private TimeSpan? _t1At;
    private int _t1Count;
    private TimeSpan _t1Rto;
    private TimeSpan? _t2At;
    private int _t2Count;

    // Peer features.
    private bool _peerForwardTsn;
    private uint _peerARwnd;
    private int _fastRtxBudget;
    private int _marked; // chunks marked for retransmission (skip the scan when none)

    // Send side (TSNs are unwrapped to 64 bits).
    private long _nextTsn;
    private long _peerCumAck;
    private long _advancedPeerAckPoint;
    private readonly Ring<OutChunk> _sent = new();
    private readonly SendQueue _queue = new();
    private readonly List<OutMessage> _deferred = new();
    private readonly Dictionary<ushort, ushort> _nextSsn = new();
    private readonly Dictionary<ushort, long> _buffered = new();
    private readonly List<ushort> _bufferedDirty = new();
    private long _cwnd, _ssthresh, _partialBytesAcked, _flight;
    private bool _fastRecovery;
    private long _fastRecoveryExit;
    private bool _haveRtt;
    private TimeSpan _srtt, _rttvar;
    private TimeSpan? _t3At;
    private int _errorCount;
    private bool _forwardTsnNeeded;

    // Receive side.
    private long _cumTsn;
    private long _highestTsn;
    private readonly SortedSet<long> _above = new();
    private readonly Dictionary<long, Fragment> _fragments = new();
    private readonly Dictionary<ushort, InStream> _inStreams = new();
    private readonly List<uint> _duplicates = new();
    private long _held;
    private int _dataPacketsSinceSack;
    private bool _sackNow;
    private TimeSpan? _delayedAckAt;

    // Heartbeat.
    private TimeSpan? _heartbeatAt;
    private bool _heartbeatOutstanding;

    // Stream reset (RFC 6525).
    private uint _myRequestSeq;
    private uint _peerExpectedRequestSeq;
    private readonly List<ushort> _resetPending = new();
    private ReConfigParameter.OutgoingSsnResetRequest? _resetInFlight;
    private TimeSpan? _reconfigAt;
    private ReConfigParameter.OutgoingSsnResetRequest? _peerResetDeferred;
    private ReConfigResult _lastResponseResult = ReConfigResult.SuccessNothingToDo;

    private TimeSpan? _lastWake;

    // PLPMTUD (RFC 8899): the packet size in use, grown by confirmed probes.
    private PathMtuDiscovery _pmtu;
    private bool _pmtuStarted;

    private SctpAssociation(SctpConfig config, Entropy entropy)
    {
        Config = config;
        _cookieSecret = new byte[32];
        entropy = entropy.Fill(_cookieSecret);
        uint tag;
        do { (tag, entropy) = entropy.NextUInt32(); } while (tag == 0);
        LocalVerificationTag = tag;
        (_localInitialTsn, _) = entropy.NextUInt32();
        _nextTsn = _localInitialTsn;
        _peerCumAck = _nextTsn - 1;
        _advancedPeerAckPoint = _peerCumAck;
        _myRequestSeq = _localInitialTsn;
        Rto = config.RtoInitial;
        _t1Rto = config.RtoInitial;
        _cwnd = config.InitialCwnd > 0 ? config.InitialCwnd : Math.Min(4 * config.Mtu, Math.Max(2 * config.Mtu, 4380));
        _ssthresh = config.ReceiveWindow;
        _peerARwnd = config.ReceiveWindow;
        _pmtu = PathMtuDiscovery.Create(new PmtuConfig(config.Mtu, config.PathMtuDiscovery ? config.MaxMtu : config.Mtu, config.PmtuProbeTimeout));
    }

    /// <summary>The SCTP packet size in use (PLPMTU): <see cref="SctpConfig.Mtu"/> until a larger probe is confirmed.</summary>
    public int Mtu => _pmtu.Plpmtu;

    /// <summary>The path MTU discovery machine (its phase, confirmed and probed sizes).</summary>
    public PathMtuDiscovery PathMtu => _pmtu;

    /// <summary>A closed association with its tags, initial TSN and cookie secret drawn from <paramref name="entropy"/>.</summary>
    public static SctpAssociation Create(SctpConfig config, Entropy entropy) => new(config, entropy);

    /// <summary>The reducer. <paramref name="association"/> is consumed: keep only the returned state.</summary>
    public static Step<SctpAssociation, SctpOutput> Handle(SctpAssociation association, SctpInput input) => association.Apply(input);

    /// <summary>Bytes of <paramref name="streamId"/> queued and not yet transmitted.</summary>
    public long BufferedAmount(ushort streamId) => _buffered.GetValueOrDefault(streamId);

    /// <summary>Bytes held for reassembly, ordering or (ManualConsume) the consumer.</summary>
    public long ReceiveBufferHeld => _held;

    internal string DebugState() =>
        $"state {State} nextTsn {_nextTsn} peerCum {_peerCumAck} apap {_advancedPeerAckPoint} sent {_sent.Count} queue {_queue.Count} flight {_flight} cwnd {_cwnd} rwnd {_peerARwnd} t3 {_t3At} marked {_marked} | cumTsn {_cumTsn} highest {_highestTsn} above {_above.Count} frags {_fragments.Count} held {_held} streams " +
        string.Join(",", _inStreams.Select(kv => $"{kv.Key}:next {kv.Value.NextSsn} waiting [{string.Join(" ", kv.Value.Waiting.Keys)}]")) +
        " | sent: " + string.Join(" ", Enumerable.Range(0, Math.Min(_sent.Count, 20)).Select(i => _sent[i]).Select(c => $"{c.Tsn}{(c.Acked ? "A" : "")}{(c.Abandoned ? "X" : "")}{(c.Retransmit ? "R" : "")}{(c.InFlight ? "F" : "")}/{c.Message.Ssn}"));

    /// <summary>True when nothing is queued, unacknowledged or waiting for a stream reset.</summary>
    public bool Idle => _queue.Count == 0 && _sent.Count == 0 && _deferred.Count == 0 && _resetInFlight is null && _resetPending.Count == 0;

    private Step<SctpAssociation, SctpOutput> Apply(SctpInput input)
    {
        _out.Clear();
        var at = input.At;
        RunTimers(at);
        switch (input)
        {
            case SctpInput.Associate: OnAssociate(at); break;
            case SctpInput.Received r: OnPacket(at, r.Packet); AfterReceive(at); break;
            case SctpInput.ReceivedBatch b:
                foreach (var p in b.Packets) if (State != SctpState.Closed || !_terminated) OnPacket(at, p);
                AfterReceive(at);
                break;
            case SctpInput.Send s: OnSend(s); break;
            case SctpInput.SendBatch b: foreach (var s in b.Sends) OnSend(s); break;
            case SctpInput.ResetStreams r: OnResetStreams(r.StreamIds); break;
            case SctpInput.Tick: break;
            case SctpInput.Shutdown: OnShutdown(at); break;
            case SctpInput.Abort a: OnAbort(a.Reason); break;
            case SctpInput.ConsumerReady c: OnConsumerReady(c.Bytes); break;
        }
        if (!_pmtuStarted && _peerPads && _dataBytesSent >= PmtuStartBytes && State == SctpState.Established && !_terminated)
        {
            _pmtuStarted = true;
            Pmtu(new PmtuInput.Start(at));
        }
        Flush(at);
        foreach (var sid in _bufferedDirty) _out.Add(new SctpOutput.BufferedAmountChanged(sid, _buffered.GetValueOrDefault(sid)));
        _bufferedDirty.Clear();
        var wake = NextTimer();
        if (wake is { } w && wake != _lastWake) _out.Add(new SctpOutput.WakeAt(w));
        _lastWake = wake;
        return new Step<SctpAssociation, SctpOutput>(this, _out.Count == 0 ? Seq<SctpOutput>.Empty : _out.ToArray().ToSeq());
    }

    // ---------------------------------------------------------------- state changes

    private void SetState(SctpState s)
    {
        if (s == State) return;
        State = s;
        _out.Add(new SctpOutput.StateChanged(s));
    }

    private void Close(RtcError? error)
    {
        _terminated = true;
        _t1At = _t2At = _t3At = _delayedAckAt = _heartbeatAt = _reconfigAt = null;
        _t1Chunk = null;
        _queue.Clear(); _sent.Clear(); _marked = 0; _deferred.Clear(); _control.Clear();
        _fragments.Clear(); _above.Clear();
        _flight = 0;
        foreach (var sid in _buffered.Keys.ToList())
            if (_buffered[sid] != 0) { _buffered[sid] = 0; MarkBuffered(sid); }
        if (error is not null) _out.Add(new SctpOutput.Error(error));
        SetState(SctpState.Closed);
    }

    private void OnAssociate(TimeSpan at)
    {
        if (State != SctpState.Closed || _terminated) { _out.Add(new SctpOutput.Error(new RtcError.InvalidState($"cannot associate in state {State}"))); return; }
        _t1Chunk = new SctpChunk.Init(LocalVerificationTag, Config.ReceiveWindow, Config.Streams, Config.Streams, _localInitialTsn, LocalInitParameters(null));
        _t1Count = 0;
        _t1Rto = Config.RtoInitial;
        _t1At = at + _t1Rto;
        SendAlone(_t1Chunk, 0);
        SetState(SctpState.CookieWait);
    }

    private InitParameters LocalInitParameters(byte[]? cookie) => new(
        cookie, new Arr<byte>([ChunkType.ReConfig, ChunkType.ForwardTsn]), true,
        Config.ZeroChecksum ? InitParameters.EdmidDtls : null,
        Config.PathMtuDiscovery ? new Arr<(ushort, byte[])>([(InitParameters.PaddingType, new byte[4])]) : default);

    /// <summary>
    /// Whether to probe the path with large packets. Some peers do not just drop a probe they cannot take: Chromium's
    /// SCTP over DTLS stops answering altogether after a 16 KiB probe. So we probe only a peer that pads its INIT or
    /// INIT ACK (a Padding parameter, RFC 4820 section 4), as we do with PLPMTUD on: an endpoint that implements PAD and
    /// says so. Any other peer keeps the base packet size, exactly as without PLPMTUD.
    /// </summary>
    private bool _peerPads;

    /// <summary>
    /// Probing starts with bulk data (this many bytes of DATA sent), not at establishment: large packets only pay off
    /// for bulk transfers, and an idle association that never probes never makes its peer grow its receive buffers.
    /// </summary>
    private const long PmtuStartBytes = 64 * 1024;
    private long _dataBytesSent;

    private void OnShutdown(TimeSpan at)
    {
        switch (State)
        {
            case SctpState.Established:
                SetState(SctpState.ShutdownPending);
                break;
            case SctpState.CookieWait or SctpState.CookieEchoed:
                Close(null);
                break;
        }
    }

    private void OnAbort(string reason)
    {
        if (State == SctpState.Closed) { _terminated = true; return; }
        if (State != SctpState.CookieWait)
        {
            var cause = new ErrorCause(ErrorCause.UserInitiatedAbort, System.Text.Encoding.UTF8.GetBytes(reason));
            SendAlone(new SctpChunk.Abort(false, new Arr<ErrorCause>([cause])), PeerVerificationTag);
        }
        Close(null);
    }

    private void OnConsumerReady(int bytes)
    {
        if (!Config.ManualConsume || bytes <= 0) return;
        var before = AdvertisedWindow;
        _held = Math.Max(0, _held - bytes);
        // A window update: tell the peer promptly when the window reopens (RFC 9260 6.2).
        if (before < Config.ReceiveWindow / 2 && AdvertisedWindow >= Config.ReceiveWindow / 2 && State >= SctpState.Established) _sackNow = true;
    }

    // ---------------------------------------------------------------- sending messages

    private void OnSend(SctpInput.Send s)
    {
        if (_terminated || State is SctpState.ShutdownPending or SctpState.ShutdownSent or SctpState.ShutdownReceived or SctpState.ShutdownAckSent)
        {
            _out.Add(new SctpOutput.Error(new RtcError.InvalidState($"cannot send in state {(_terminated ? SctpState.Closed : State)}")));
            return;
        }
        if (s.Payload.Length == 0) { _out.Add(new SctpOutput.Error(new RtcError.Type("SCTP cannot send an empty message (use the empty-message PPIDs)"))); return; }
        if (s.Payload.Length > Config.MaxMessageSize)
        {
            _out.Add(new SctpOutput.Error(new RtcError.Range($"message of {s.Payload.Length} bytes exceeds the maximum message size {Config.MaxMessageSize}")));
            return;
        }
        var m = new OutMessage(s.StreamId, s.Ppid, s.Payload, !s.Ordered, s.Reliability ?? SctpReliability.Default, s.At);
        if (_resetPending.Contains(s.StreamId) || (_resetInFlight?.Streams.Contains(s.StreamId) ?? false)) _deferred.Add(m);
        else _queue.Enqueue(m);
        _buffered[s.StreamId] = _buffered.GetValueOrDefault(s.StreamId) + s.Payload.Length;
        MarkBuffered(s.StreamId);
    }

    private void MarkBuffered(ushort sid)
    {
        if (!_bufferedDirty.Contains(sid)) _bufferedDirty.Add(sid);
    }

    private void OnResetStreams(Arr<ushort> ids)
    {
        if (State is not (SctpState.Established or SctpState.CookieWait or SctpState.CookieEchoed) || _terminated) return;
        foreach (var id in ids) if (!_resetPending.Contains(id)) _resetPending.Add(id);
    }

    private bool CanSendData => State is SctpState.Established or SctpState.ShutdownPending or SctpState.ShutdownReceived;

    /// <summary>
    /// DATA chunks stay within the base size even when PLPMTUD has found more: a larger packet bundles several of them.
    /// A TSN cannot be split again once sent, so if the path shrinks (a black hole, RFC 8899 4.3) every chunk still
    /// fits the base size it falls back to; the gain of large packets (fewer datagrams, records and system calls) stays.
    /// </summary>
    private int MaxFragment => Config.Mtu - SctpPacket.HeaderLength - DataHeader;

    /// <summary>Sends control chunks, retransmissions and new data, bundled into packets up to the MTU.</summary>
    private void Flush(TimeSpan at)
    {
        if (State == SctpState.Closed) { _control.Clear(); return; }
        var builder = new PacketBuilder(this);

        if (State >= SctpState.Established && (_sackNow || (_dataPacketsSinceSack > 0 && _delayedAckAt is { } d && d <= at)))
        {
            builder.Add(BuildSack());
            _stats = _stats with { SacksSent = _stats.SacksSent + 1 };
            _sackNow = false; _dataPacketsSinceSack = 0; _delayedAckAt = null;
        }
        if (_forwardTsnNeeded && _advancedPeerAckPoint > _peerCumAck && State >= SctpState.Established)
            builder.Add(BuildForwardTsn());
        _forwardTsnNeeded = false;
        TryStartReset(at);
        foreach (var c in _control) builder.Add(c);
        _control.Clear();

        if (CanSendData)
        {
            // Retransmissions first (RFC 9260 6.1 rule C), within the congestion window.
            for (var i = 0; i < _sent.Count && _marked > 0; i++)
            {
                var c = _sent[i];
                if (!c.Retransmit) continue;
                if (ShouldAbandon(c, at)) { Abandon(c.Message); continue; }
                if (_flight > 0 && _flight + c.Size > _cwnd)
                {
                    // Fast retransmit sends one packet regardless of cwnd (RFC 9260 7.2.4 rule 3).
                    if (_fastRtxBudget < c.Size) break;
                    _fastRtxBudget -= c.Size;
                }
                SetRetransmit(c, false); c.InFlight = true; c.Transmissions++; c.SentAt = at;
                _stats = _stats with { Retransmissions = _stats.Retransmissions + 1 };
                _flight += c.Size;
                builder.AddData(c);
            }
            _fastRtxBudget = 0;
            // New data while the congestion window and the peer's window allow (RFC 9260 6.1 rules A and B).
            while (_queue.Current is { } m)
            {
                if (m.Offset == 0 && m.Reliability is SctpReliability.MaxLifetime lt && at - m.CreatedAt >= lt.Lifetime && _peerForwardTsn)
                {
                    _queue.Done(m);
                    DropUnsent(m); _stats = _stats with { MessagesAbandoned = _stats.MessagesAbandoned + 1 };
                    continue;
                }
                var len = Math.Min(MaxFragment, m.Payload.Length - m.Offset);
                var size = DataHeader + len;
                if (_flight > 0 && (_flight >= _cwnd || _flight + size > PeerWindow)) break;
                if (m.Offset == 0 && !m.Unordered)
                {
                    var ssn = _nextSsn.GetValueOrDefault(m.StreamId);
                    m.Ssn = ssn;
                    _nextSsn[m.StreamId] = (ushort)(ssn + 1);
                }
                var flags = SctpChunk.DataFlags(m.Unordered, m.Offset == 0, m.Offset + len == m.Payload.Length, false);
                var chunk = new OutChunk(_nextTsn++, m, m.Payload.Slice(m.Offset, len), flags)
                {
                    InFlight = true, Transmissions = 1, SentAt = at,
                };
                m.Offset += len;
                if (m.Offset == m.Payload.Length) _queue.Done(m);
                _sent.PushBack(chunk);
                _flight += size;
                _buffered[m.StreamId] -= len;
                _dataBytesSent += len;
                MarkBuffered(m.StreamId);
                builder.AddData(chunk);
            }
        }
        builder.Finish();
        if (_sent.Count > 0 && _t3At is null && State >= SctpState.Established) _t3At = at + Rto;
        CheckShutdownProgress(at);
        if (State is SctpState.Established && _heartbeatAt is null) _heartbeatAt = at + Config.HeartbeatInterval + Rto;
    }

    private long PeerWindow => _peerARwnd;

    private void SetRetransmit(OutChunk c, bool value)
    {
        if (c.Retransmit == value) return;
        c.Retransmit = value;
        _marked += value ? 1 : -1;
    }

    private void DropUnsent(OutMessage m)
    {
        m.Abandoned = true;
        var left = m.Payload.Length - m.Offset;
        m.Offset = m.Payload.Length;
        if (left > 0) { _buffered[m.StreamId] -= left; MarkBuffered(m.StreamId); }
    }

    /// <summary>Collects chunks into packets of at most one MTU, written once into exact-size arrays.</summary>
    private struct PacketBuilder(SctpAssociation owner)
    {
        private List<SctpChunk>? _controls;
        private List<OutChunk>? _data;
        private int _size = SctpPacket.HeaderLength;

        public void Add(SctpChunk chunk)
        {
            if (_size + chunk.PaddedLength > owner.Mtu && _size > SctpPacket.HeaderLength) Finish();
            (_controls ??= new List<SctpChunk>(2)).Add(chunk);
            _size += chunk.PaddedLength;
        }

        public void AddData(OutChunk chunk)
        {
            var padded = InitParameters.Pad4(chunk.Size);
            if (_size + padded > owner.Mtu && _size > SctpPacket.HeaderLength) Finish();
            (_data ??= new List<OutChunk>(8)).Add(chunk);
            _size += padded;
        }

        public void Finish()
        {
            if (_size == SctpPacket.HeaderLength) return;
            var bytes = GC.AllocateUninitializedArray<byte>(_size);
            var span = bytes.AsSpan();
            SctpPacket.WriteHeader(span, owner.Config.LocalPort, owner.Config.RemotePort, owner.PeerVerificationTag);
            var o = SctpPacket.HeaderLength;
            if (_controls is not null)
            {
                foreach (var c in _controls) { c.WriteTo(span[o..]); o += c.PaddedLength; }
                _controls.Clear();
            }
            if (_data is not null)
            {
                foreach (var c in _data) o += WriteData(span[o..], c);
                _data.Clear();
            }
            SctpPacket.Seal(span, owner.ZeroChecksumNegotiated);
            owner._out.Add(new SctpOutput.Transmit(bytes));
            owner._stats = owner._stats with { PacketsSent = owner._stats.PacketsSent + 1 };
            _size = SctpPacket.HeaderLength;
        }

        private static int WriteData(Span<byte> d, OutChunk c)
        {
            var m = c.Message;
            d[0] = ChunkType.Data;
            d[1] = c.Flags;
            BinaryPrimitives.WriteUInt16BigEndian(d[2..], (ushort)c.Size);
            BinaryPrimitives.WriteUInt32BigEndian(d[4..], (uint)c.Tsn);
            BinaryPrimitives.WriteUInt16BigEndian(d[8..], m.StreamId);
            BinaryPrimitives.WriteUInt16BigEndian(d[10..], m.Unordered ? (ushort)0 : m.Ssn);
            BinaryPrimitives.WriteUInt32BigEndian(d[12..], m.Ppid);
            c.Payload.Span.CopyTo(d[16..]);
            var padded = InitParameters.Pad4(c.Size);
            d[c.Size..padded].Clear();
            return padded;
        }
    }

    private void SendAlone(SctpChunk chunk, uint tag)
    {
        var bytes = SctpPacket.Write(Config.LocalPort, Config.RemotePort, tag, [chunk], ZeroChecksumNegotiated && chunk is not (SctpChunk.Init or SctpChunk.InitAck or SctpChunk.CookieEcho));
        _out.Add(new SctpOutput.Transmit(bytes));
        _stats = _stats with { PacketsSent = _stats.PacketsSent + 1 };
    }

    // ---------------------------------------------------------------- receiving packets

    private void OnPacket(TimeSpan at, byte[] packet)
    {
        if (!SctpPacket.ChecksumValid(packet, ZeroChecksumNegotiated)) return;
        if (!SctpPacket.TryParse(packet, out var p, out _)) return;
        _stats = _stats with { PacketsReceived = _stats.PacketsReceived + 1 };
        if (p.Chunks.Count == 0) return;
        var first = p.Chunks[0];

        // Verification tag rules (RFC 9260 8.5, 8.5.1).
        switch (first)
        {
            case SctpChunk.Init init:
                if (p.VerificationTag != 0 || p.Chunks.Count != 1) return;
                OnInit(at, init);
                return;
            case SctpChunk.Abort abort:
                if (!TagOk(p.VerificationTag, abort.TagReflected) || State == SctpState.Closed) return;
                Close(new RtcError.Operation("association aborted by the peer" + AbortReason(abort)));
                return;
            case SctpChunk.ShutdownComplete sc:
                if (!TagOk(p.VerificationTag, sc.TagReflected)) return;
                if (State == SctpState.ShutdownAckSent) Close(null);
                return;
            case SctpChunk.ShutdownAck when State is SctpState.Closed or SctpState.CookieWait or SctpState.CookieEchoed:
                // Out of the blue (RFC 9260 8.4 rule 5): answer with SHUTDOWN COMPLETE, T bit set.
                SendAlone(new SctpChunk.ShutdownComplete(true), p.VerificationTag);
                return;
        }
        if (p.VerificationTag != LocalVerificationTag || _terminated) return;
        if (State == SctpState.Closed && first is not SctpChunk.CookieEcho) return;

        var hadData = false;
        foreach (var chunk in p.Chunks)
        {
            if (_terminated && State == SctpState.Closed) return;
            switch (chunk)
            {
                case SctpChunk.Data d: hadData = true; OnData(d); break;
                case SctpChunk.Sack s: OnSack(at, s.CumulativeTsnAck, s.ARwnd, s.GapAckBlocks, s.DuplicateTsns.Count); break;
                case SctpChunk.InitAck ia: OnInitAck(at, ia); break;
                case SctpChunk.CookieEcho ce: OnCookieEcho(at, ce); break;
                case SctpChunk.CookieAck:
                    if (State == SctpState.CookieEchoed) Establish();
                    break;
                case SctpChunk.Heartbeat hb:
                    if (State >= SctpState.Established) _control.Add(new SctpChunk.HeartbeatAck(hb.Info));
                    break;
                case SctpChunk.HeartbeatAck ha: OnHeartbeatAck(at, ha); break;
                case SctpChunk.Shutdown sh: OnShutdownChunk(at, sh); break;
                case SctpChunk.ShutdownAck:
                    if (State is SctpState.ShutdownSent or SctpState.ShutdownAckSent)
                    {
                        SendAlone(new SctpChunk.ShutdownComplete(false), PeerVerificationTag);
                        Close(null);
                    }
                    break;
                case SctpChunk.ForwardTsn f: OnForwardTsn(f); break;
                case SctpChunk.ReConfig rc: OnReConfig(at, rc); break;
                case SctpChunk.Error e when State == SctpState.CookieEchoed && e.Causes.Exists(c => c.Code == ErrorCause.StaleCookie):
                    // RFC 9260 5.2.6: our cookie went stale on the way; start over with a new INIT.
                    _t1Chunk = new SctpChunk.Init(LocalVerificationTag, Config.ReceiveWindow, Config.Streams, Config.Streams, _localInitialTsn, LocalInitParameters(null));
                    _t1At = at + _t1Rto;
                    SendAlone(_t1Chunk, 0);
                    SetState(SctpState.CookieWait);
                    break;
                case SctpChunk.Error e:
                    _out.Add(new SctpOutput.Error(new RtcError.Operation("peer reported SCTP error causes " + string.Join(",", e.Causes.Map(c => c.Code)))));
                    break;
                case SctpChunk.IData:
                    // I-DATA was not negotiated: a protocol violation; report as unrecognized and go on.
                    break;
                case SctpChunk.Unknown u:
                    if (u.Report)
                    {
                        var raw = new byte[u.PaddedLength];
                        u.WriteTo(raw);
                        _control.Add(new SctpChunk.Error(new Arr<ErrorCause>([new ErrorCause(ErrorCause.UnrecognizedChunkType, raw[..u.Length])])));
                    }
                    if (!u.SkipAndContinue) goto done;
                    break;
            }
        }
        done:
        if (hadData) _dataPacketsSinceSack++;
    }

    private bool TagOk(uint tag, bool reflected) => reflected ? tag == PeerVerificationTag && PeerVerificationTag != 0 : tag == LocalVerificationTag;

    private static string AbortReason(SctpChunk.Abort a) =>
        a.Causes.Count == 0 ? "" : ": " + string.Join(", ", a.Causes.Map(c => c.Code == ErrorCause.UserInitiatedAbort
            ? System.Text.Encoding.UTF8.GetString(c.Info) : $"cause {c.Code}"));

    /// <summary>After a packet or a burst: SACK now, or start the delayed-ack timer (RFC 9260 6.2).</summary>
    private void AfterReceive(TimeSpan at)
    {
        if (_peerResetDeferred is { } r && _cumTsn >= Unwrap(r.LastAssignedTsn, _cumTsn)) PerformPeerReset(r);
        if (_dataPacketsSinceSack == 0) return;
        if (_dataPacketsSinceSack >= 2 || State is SctpState.ShutdownSent or SctpState.ShutdownReceived) _sackNow = true;
        else _delayedAckAt ??= at + Config.DelayedAckTimeout;
    }

    private static long Unwrap(uint tsn, long reference) => reference + (int)(tsn - (uint)reference);

    // ---------------------------------------------------------------- handshake

    private void OnInit(TimeSpan at, SctpChunk.Init init)
    {
        if (init.InitiateTag == 0 || _terminated) return;
        // RFC 9260 5.2.1/5.2.2: answer in any pre-shutdown state; we always answer with our one tag and initial TSN,
        // so an INIT collision (both sides associating at once) converges on one association.
        if (State is SctpState.ShutdownAckSent) { SendAlone(new SctpChunk.ShutdownAck(), init.InitiateTag); return; }
        if (State > SctpState.Established) return;
        var cookie = MakeCookie(at, init);
        var ack = new SctpChunk.InitAck(LocalVerificationTag, Config.ReceiveWindow, Config.Streams, Config.Streams, _localInitialTsn, LocalInitParameters(cookie));
        SendAlone(ack, init.InitiateTag);
    }

    private const int CookieBodyLength = 1 + 4 + 4 + 4 + 4 + 2 + 2 + 1 + 8;

    private byte[] MakeCookie(TimeSpan at, SctpChunk.Init init)
    {
        var c = new byte[CookieBodyLength + 32];
        var s = c.AsSpan();
        s[0] = 1;
        BinaryPrimitives.WriteUInt32BigEndian(s[1..], init.InitiateTag);
        BinaryPrimitives.WriteUInt32BigEndian(s[5..], LocalVerificationTag);
        BinaryPrimitives.WriteUInt32BigEndian(s[9..], init.InitialTsn);
        BinaryPrimitives.WriteUInt32BigEndian(s[13..], init.ARwnd);
        BinaryPrimitives.WriteUInt16BigEndian(s[17..], init.OutboundStreams);
        BinaryPrimitives.WriteUInt16BigEndian(s[19..], init.InboundStreams);
        s[21] = (byte)((init.Parameters.ForwardTsnSupported ? 1 : 0) | (init.Parameters.ZeroChecksumEdmid == InitParameters.EdmidDtls ? 2 : 0) |
                       (init.Parameters.Padded ? 4 : 0));
        BinaryPrimitives.WriteInt64BigEndian(s[22..], at.Ticks);
        HMACSHA256.HashData(_cookieSecret, s[..CookieBodyLength], s[CookieBodyLength..]);
        return c;
    }

    private void OnInitAck(TimeSpan at, SctpChunk.InitAck ia)
    {
        if (State != SctpState.CookieWait || ia.InitiateTag == 0) return;
        if (ia.Parameters.StateCookie is not { } cookie)
        {
            Close(new RtcError.Operation("INIT ACK without a state cookie"));
            return;
        }
        AdoptPeer(ia.InitiateTag, ia.InitialTsn, ia.ARwnd, ia.Parameters.ForwardTsnSupported, ia.Parameters.ZeroChecksumEdmid == InitParameters.EdmidDtls,
            ia.Parameters.Padded);
        _t1Chunk = new SctpChunk.CookieEcho(cookie);
        _t1Count = 0;
        _t1At = at + _t1Rto;
        SendAlone(_t1Chunk, PeerVerificationTag);
        SetState(SctpState.CookieEchoed);
    }

    private void AdoptPeer(uint tag, uint initialTsn, uint rwnd, bool forwardTsn, bool zeroChecksum, bool pads)
    {
        _peerPads = pads;
        PeerVerificationTag = tag;
        _cumTsn = (long)initialTsn + (1L << 32) - 1; // unwrapped, kept positive
        _highestTsn = _cumTsn;
        _peerExpectedRequestSeq = initialTsn;
        _peerARwnd = rwnd;
        _ssthresh = Math.Max(rwnd, 4 * Mtu);
        _peerForwardTsn = forwardTsn;
        ZeroChecksumNegotiated = zeroChecksum && Config.ZeroChecksum;
    }

    private void OnCookieEcho(TimeSpan at, SctpChunk.CookieEcho ce)
    {
        var c = ce.Cookie.AsSpan();
        if (c.Length != CookieBodyLength + 32 || c[0] != 1) return;
        Span<byte> mac = stackalloc byte[32];
        HMACSHA256.HashData(_cookieSecret, c[..CookieBodyLength], mac);
        if (!CryptographicOperations.FixedTimeEquals(mac, c[CookieBodyLength..])) return;
        var peerTag = BinaryPrimitives.ReadUInt32BigEndian(c[1..]);
        var localTag = BinaryPrimitives.ReadUInt32BigEndian(c[5..]);
        if (localTag != LocalVerificationTag) return;
        var born = TimeSpan.FromTicks(BinaryPrimitives.ReadInt64BigEndian(c[22..]));
        if (State == SctpState.Established && peerTag == PeerVerificationTag)
        {
            // Case D on an existing association: our COOKIE ACK was lost; the cookie is authentic, its age does not matter.
            _control.Add(new SctpChunk.CookieAck());
            return;
        }
        if (at - born > Config.CookieLifetime)
        {
            var staleness = new byte[4];
            BinaryPrimitives.WriteUInt32BigEndian(staleness, (uint)Math.Min(uint.MaxValue, (at - born - Config.CookieLifetime).Ticks / 10));
            SendAlone(new SctpChunk.Error(new Arr<ErrorCause>([new ErrorCause(ErrorCause.StaleCookie, staleness)])), peerTag);
            return;
        }
        switch (State)
        {
            case SctpState.Closed or SctpState.CookieWait or SctpState.CookieEchoed:
                // RFC 9260 5.2.4 cases B and D: our tag matches; take the peer's parameters from the cookie.
                if (State == SctpState.Closed || PeerVerificationTag != peerTag)
                    AdoptPeer(peerTag, BinaryPrimitives.ReadUInt32BigEndian(c[9..]), BinaryPrimitives.ReadUInt32BigEndian(c[13..]),
                        (c[21] & 1) != 0, (c[21] & 2) != 0, (c[21] & 4) != 0);
                _control.Add(new SctpChunk.CookieAck());
                Establish();
                break;
            case SctpState.Established when peerTag == PeerVerificationTag:
                // Case D again: our COOKIE ACK was lost.
                _control.Add(new SctpChunk.CookieAck());
                break;
            // Case A (peer restart) is not supported over DTLS: ignored.
        }
    }

    private void Establish()
    {
        _t1At = null; _t1Chunk = null;
        SetState(SctpState.Established);
    }

    // ---------------------------------------------------------------- receiving data

    private uint AdvertisedWindow => (uint)Math.Max(0, Config.ReceiveWindow - _held);

    private void OnData(SctpChunk.Data d)
    {
        if (State is SctpState.Closed or SctpState.CookieWait or SctpState.CookieEchoed) return;
        var tsn = Unwrap(d.Tsn, _cumTsn);
        if (d.Payload.Length == 0) { _sackNow = true; return; }
        if (tsn <= _cumTsn || _above.Contains(tsn))
        {
            if (_duplicates.Count < MaxDuplicatesReported) _duplicates.Add(d.Tsn);
            _sackNow = true;
            return;
        }
        // A TSN no gap ack block could report (RFC 9260 3.3.4: 16-bit offsets from the cumulative TSN) is beyond what a
        // sender that respects our window has outstanding: drop it (it is resent) rather than hold it for a hostile peer.
        if (tsn - _cumTsn > ushort.MaxValue) { _sackNow = true; return; }
        // Receive window (RFC 9260 6.2): drop what does not fit, unless it fills a hole below what we have; even a hole
        // filler only up to twice the window, so a peer that ignores our window cannot make us hold without bound.
        var held = _held + d.Payload.Length;
        if (held > Config.ReceiveWindow && (tsn > _highestTsn || held > 2L * Config.ReceiveWindow)) { _sackNow = true; return; }
        var outOfOrder = tsn != _cumTsn + 1;
        var belowHighest = tsn < _highestTsn;
        if (!outOfOrder)
        {
            _cumTsn = tsn;
            while (_above.Count > 0 && _above.Min == _cumTsn + 1) { _cumTsn++; _above.Remove(_cumTsn); }
        }
        else
        {
            _above.Add(tsn);
            _sackNow = true; // a gap: SACK at once (RFC 9260 6.7)
        }
        if (tsn > _highestTsn) _highestTsn = tsn;

        var flags = (byte)((d.Ending ? 1 : 0) | (d.Beginning ? 2 : 0) | (d.Unordered ? 4 : 0));
        if (d.Beginning && d.Ending)
        {
            Complete(d.StreamId, d.Ssn, d.Ppid, d.Unordered, d.Payload.ToArray());
            return;
        }
        _fragments[tsn] = new Fragment(d.StreamId, d.Ssn, d.Ppid, flags, d.Payload);
        _held += d.Payload.Length;
        if (d.Ending || belowHighest) TryAssemble(tsn);
    }

    /// <summary>Looks for a whole message around <paramref name="tsn"/>: consecutive TSNs from a B to an E fragment.</summary>
    private void TryAssemble(long tsn)
    {
        var f = _fragments[tsn];
        var start = tsn;
        var total = (long)f.Payload.Length;
        var cur = f;
        while (!cur.Beginning)
        {
            if (!_fragments.TryGetValue(start - 1, out var prev) || !SameMessage(prev, f) || prev.Ending) return;
            start--; cur = prev; total += prev.Payload.Length;
        }
        var end = tsn;
        cur = f;
        while (!cur.Ending)
        {
            if (!_fragments.TryGetValue(end + 1, out var next) || !SameMessage(next, f) || next.Beginning) return;
            end++; cur = next; total += next.Payload.Length;
        }
        _held -= total;
        if (total > Config.MaxMessageSize)
        {
            for (var t = start; t <= end; t++) _fragments.Remove(t);
            _out.Add(new SctpOutput.Error(new RtcError.Range($"received message of {total} bytes exceeds the maximum message size {Config.MaxMessageSize}")));
            if (!f.Unordered) Complete(f.StreamId, f.Ssn, f.Ppid, false, null);
            return;
        }
        var message = GC.AllocateUninitializedArray<byte>((int)total);
        var o = 0;
        for (var t = start; t <= end; t++)
        {
            _fragments.Remove(t, out var part);
            part.Payload.Span.CopyTo(message.AsSpan(o));
            o += part.Payload.Length;
        }
        Complete(f.StreamId, f.Ssn, f.Ppid, f.Unordered, message);
    }

    private static bool SameMessage(Fragment a, Fragment b) =>
        a.StreamId == b.StreamId && a.Unordered == b.Unordered && (a.Unordered || a.Ssn == b.Ssn);

    /// <summary>A whole message: deliver it, or hold it until its SSN is next on its stream (a null payload is a dropped message).</summary>
    private void Complete(ushort sid, ushort ssn, uint ppid, bool unordered, byte[]? payload)
    {
        if (unordered)
        {
            if (payload is not null) Deliver(sid, ppid, payload, true);
            return;
        }
        if (!_inStreams.TryGetValue(sid, out var s)) _inStreams[sid] = s = new InStream();
        if (ssn == s.NextSsn)
        {
            if (payload is not null) Deliver(sid, ppid, payload, false);
            s.NextSsn++;
            DrainWaiting(sid, s);
        }
        else if ((short)(ssn - s.NextSsn) > 0)
        {
            if (s.Waiting.TryAdd(ssn, (ppid, payload ?? []))) _held += payload?.Length ?? 0;
        }
    }

    private void DrainWaiting(ushort sid, InStream s)
    {
        while (s.Waiting.Remove(s.NextSsn, out var w))
        {
            _held -= w.Payload.Length;
            if (w.Payload.Length > 0) Deliver(sid, w.Ppid, w.Payload, false);
            s.NextSsn++;
        }
    }

    private void Deliver(ushort sid, uint ppid, byte[] payload, bool unordered)
    {
        if (Config.ManualConsume) _held += payload.Length;
        _out.Add(new SctpOutput.Delivered(sid, ppid, payload, unordered));
    }

    private SctpChunk.Sack BuildSack()
    {
        var gaps = Arr<GapAckBlock>.Empty;
        if (_above.Count > 0)
        {
            var list = new List<GapAckBlock>();
            var maxBlocks = (Mtu - SctpPacket.HeaderLength - 16 - 4 * _duplicates.Count) / 4;
            long runStart = -1, runEnd = -1;
            foreach (var t in _above)
            {
                var off = t - _cumTsn;
                if (off > ushort.MaxValue) break;
                if (runStart >= 0 && off == runEnd + 1) { runEnd = off; continue; }
                if (runStart >= 0) list.Add(new GapAckBlock((ushort)runStart, (ushort)runEnd));
                if (list.Count >= maxBlocks) { runStart = -1; break; }
                runStart = runEnd = off;
            }
            if (runStart >= 0 && list.Count < maxBlocks) list.Add(new GapAckBlock((ushort)runStart, (ushort)runEnd));
            gaps = new Arr<GapAckBlock>(list);
        }
        var dups = _duplicates.Count == 0 ? Arr<uint>.Empty : new Arr<uint>(_duplicates);
        _duplicates.Clear();
        return new SctpChunk.Sack((uint)_cumTsn, AdvertisedWindow, gaps, dups);
    }

    private void OnForwardTsn(SctpChunk.ForwardTsn f)
    {
        if (State < SctpState.Established) return;
        _sackNow = true;
        var newCum = Unwrap(f.NewCumulativeTsn, _cumTsn);
        if (newCum > _cumTsn) SkipTo(newCum);
        foreach (var ss in f.Streams)
        {
            if (!_inStreams.TryGetValue(ss.StreamId, out var s)) _inStreams[ss.StreamId] = s = new InStream();
            if ((short)(ss.Ssn - s.NextSsn) < 0) continue;
            // Deliver what is waiting up to the skipped SSN, then move past it (nothing to sort when nothing waits: a
            // FORWARD TSN may name thousands of streams).
            var ready = s.Waiting.Count == 0 ? [] : s.Waiting.Keys.Where(k => (short)(k - s.NextSsn) >= 0 && (short)(ss.Ssn - k) >= 0)
                .OrderBy(k => (ushort)(k - s.NextSsn)).ToList();
            foreach (var k in ready)
            {
                s.Waiting.Remove(k, out var w);
                _held -= w.Payload.Length;
                if (w.Payload.Length > 0) Deliver(ss.StreamId, w.Ppid, w.Payload, false);
            }
            s.NextSsn = (ushort)(ss.Ssn + 1);
            DrainWaiting(ss.StreamId, s);
        }
    }

    private void SkipTo(long newCum)
    {
        // RFC 3758 3.6: drop fragments up to the new cumulative TSN and treat those TSNs as received.
        List<long>? drop = null;
        foreach (var t in _fragments.Keys) if (t <= newCum) (drop ??= new()).Add(t);
        if (drop is not null)
            foreach (var t in drop) { _fragments.Remove(t, out var fr); _held -= fr.Payload.Length; }
        while (_above.Count > 0 && _above.Min <= newCum) _above.Remove(_above.Min);
        _cumTsn = newCum;
        while (_above.Count > 0 && _above.Min == _cumTsn + 1) { _cumTsn++; _above.Remove(_cumTsn); }
        if (newCum > _highestTsn) _highestTsn = newCum;
    }

    // ---------------------------------------------------------------- acknowledgements, retransmission, congestion

    private void OnSack(TimeSpan at, uint cumAckRaw, uint aRwnd, Arr<GapAckBlock> gaps, int duplicates)
    {
        if (State < SctpState.Established) return;
        var cum = Unwrap(cumAckRaw, _peerCumAck);
        if (cum < _peerCumAck) return; // an old SACK (RFC 9260 6.2.1 D i)
        if (cum >= _nextTsn) return;   // acknowledges what we never sent
        var flightBefore = _flight;
        long bytesAcked = 0;
        long highestNewlyAcked = -1;
        var cumAdvanced = cum > _peerCumAck;
        OutChunk? rttSample = null;
        while (_sent.Count > 0 && _sent.First.Tsn <= cum)
        {
            var c = _sent.PopFront();
            SetRetransmit(c, false);
            if (!c.Acked && !c.Abandoned)
            {
                bytesAcked += c.Size;
                highestNewlyAcked = c.Tsn;
                if (c.Transmissions == 1) rttSample = c;
            }
            if (c.InFlight) _flight -= c.Size;
        }
        if (cumAdvanced) _peerCumAck = cum;
        if (cumAdvanced && _pmtu.T3Expiries > 0) Pmtu(new PmtuInput.DataAcknowledged(at));
        if (_advancedPeerAckPoint < _peerCumAck) _advancedPeerAckPoint = _peerCumAck;

        foreach (var g in gaps)
        {
            if (g.Start == 0 || g.End < g.Start) continue;
            for (long t = cum + g.Start; t <= cum + g.End; t++)
            {
                var idx = t - (_peerCumAck + 1);
                if (idx < 0) continue;
                if (idx >= _sent.Count) break;
                var c = _sent[(int)idx];
                if (c.Acked) continue;
                c.Acked = true;
                SetRetransmit(c, false);
                if (!c.Abandoned) { bytesAcked += c.Size; if (c.Tsn > highestNewlyAcked) highestNewlyAcked = c.Tsn; }
                if (c.Transmissions == 1 && (rttSample is null || c.Tsn > rttSample.Tsn)) rttSample = c;
                if (c.InFlight) { _flight -= c.Size; c.InFlight = false; }
            }
        }

        // One RTT sample per SACK from the newest newly acknowledged chunk that was sent only once (Karn; RFC 9260 6.3.1).
        if (rttSample is not null) MeasureRtt(at - rttSample.SentAt);

        // Missing reports and fast retransmit (RFC 9260 7.2.4).
        if (highestNewlyAcked > cum)
        {
            for (var i = 0; i < _sent.Count; i++)
            {
                var c = _sent[i];
                if (c.Tsn >= highestNewlyAcked) break;
                if (c.Acked || c.Abandoned || c.Retransmit) continue;
                if (++c.Misses < 3) continue;
                c.Misses = 0;
                if (ShouldAbandon(c, at)) { Abandon(c.Message); continue; }
                SetRetransmit(c, true);
                if (c.InFlight) { _flight -= c.Size; c.InFlight = false; }
                _fastRtxBudget = Mtu - SctpPacket.HeaderLength;
                _stats = _stats with { FastRetransmits = _stats.FastRetransmits + 1 };
                if (!_fastRecovery)
                {
                    _ssthresh = Math.Max(_cwnd / 2, 4 * Mtu);
                    _cwnd = _ssthresh;
                    _partialBytesAcked = 0;
                    _fastRecovery = true;
                    _fastRecoveryExit = _nextTsn - 1;
                }
            }
        }
        if (_fastRecovery && _peerCumAck >= _fastRecoveryExit) _fastRecovery = false;

        // Congestion window growth (RFC 9260 7.2.1, 7.2.2), only on cumulative progress outside fast recovery.
        if (cumAdvanced && !_fastRecovery && flightBefore + Mtu >= _cwnd)
        {
            if (_cwnd <= _ssthresh)
                // With SACKs coalesced over a burst, count like one SACK per two packets: up to half the bytes acked.
                _cwnd += Math.Min(bytesAcked, Math.Max(Mtu, bytesAcked / 2));
            else
            {
                _partialBytesAcked += bytesAcked;
                if (_partialBytesAcked >= _cwnd) { _partialBytesAcked -= _cwnd; _cwnd += Mtu; }
            }
        }

        // The peer's window less what is still outstanding (RFC 9260 6.2.1).
        _peerARwnd = aRwnd;

        if (cumAdvanced)
        {
            _errorCount = 0;
            _t3At = _sent.Count > 0 ? at + Rto : null;
        }
        else if (_sent.Count == 0) _t3At = null;

        AdvanceAckPoint();
        if (_advancedPeerAckPoint > _peerCumAck) _forwardTsnNeeded = true;
    }

    private void MeasureRtt(TimeSpan r)
    {
        // RFC 6298 2.2/2.3 with alpha 1/8, beta 1/4.
        if (r < TimeSpan.Zero) return;
        if (!_haveRtt) { _srtt = r; _rttvar = r / 2; _haveRtt = true; }
        else
        {
            _rttvar = 0.75 * _rttvar + 0.25 * (_srtt - r).Duration();
            _srtt = 0.875 * _srtt + 0.125 * r;
        }
        var rto = _srtt + TimeSpan.FromTicks(Math.Max(TimeSpan.FromMilliseconds(1).Ticks, 4 * _rttvar.Ticks));
        Rto = rto < Config.RtoMin ? Config.RtoMin : rto > Config.RtoMax ? Config.RtoMax : rto;
    }

    private bool ShouldAbandon(OutChunk c, TimeSpan at) => _peerForwardTsn && c.Message.Reliability switch
    {
        SctpReliability.MaxRetransmits n => c.Transmissions > n.Count,
        SctpReliability.MaxLifetime l => at - c.Message.CreatedAt >= l.Lifetime,
        _ => false,
    };

    /// <summary>PR-SCTP (RFC 3758 3.5): give up a message: its sent chunks stop counting, its unsent rest is dropped.</summary>
    private void Abandon(OutMessage m)
    {
        if (!m.Abandoned)
        {
            var partlySent = m.Offset > 0 && m.Offset < m.Payload.Length;
            DropUnsent(m);
            _stats = _stats with { MessagesAbandoned = _stats.MessagesAbandoned + 1 };
            if (partlySent)
            {
                // The receiver holds the first fragments and would wait forever for the rest. Give the missing end a TSN
                // that is never sent, only skipped by FORWARD TSN, so the receiver drops the fragments and the SSN.
                _sent.PushBack(new OutChunk(_nextTsn++, m, ReadOnlyMemory<byte>.Empty, SctpChunk.DataFlags(m.Unordered, false, true, false)) { Abandoned = true });
            }
        }
        m.Abandoned = true;
        for (var i = 0; i < _sent.Count; i++)
        {
            var c = _sent[i];
            if (c.Message != m || c.Abandoned) continue;
            c.Abandoned = true; SetRetransmit(c, false);
            if (c.InFlight) { _flight -= c.Size; c.InFlight = false; }
        }
        _queue.Done(m);
        _forwardTsnNeeded = true;
    }

    private void AdvanceAckPoint()
    {
        for (var i = (int)(_advancedPeerAckPoint - _peerCumAck); i < _sent.Count; i++)
        {
            var c = _sent[i];
            if (!c.Abandoned) break;
            _advancedPeerAckPoint = c.Tsn;
        }
    }

    private SctpChunk.ForwardTsn BuildForwardTsn()
    {
        var streams = new Dictionary<ushort, ushort>();
        var order = new List<ushort>();
        for (var i = 0; i < _sent.Count && _sent[i].Tsn <= _advancedPeerAckPoint; i++)
        {
            var m = _sent[i].Message;
            if (m.Unordered || !_sent[i].Abandoned) continue;
            if (!streams.ContainsKey(m.StreamId)) order.Add(m.StreamId);
            streams[m.StreamId] = m.Ssn;
        }
        return new SctpChunk.ForwardTsn((uint)_advancedPeerAckPoint, order.Select(s => new StreamSsn(s, streams[s])).ToArr());
    }

    // ---------------------------------------------------------------- timers

    private TimeSpan? NextTimer()
    {
        TimeSpan? m = null;
        void Min(TimeSpan? t) { if (t is { } v && (m is null || v < m)) m = v; }
        Min(_t1At); Min(_t2At); Min(_t3At); Min(_delayedAckAt); Min(_heartbeatAt); Min(_reconfigAt);
        if (!_terminated) Min(_pmtu.NextTimer);
        return m;
    }

    private void RunTimers(TimeSpan at)
    {
        if (_t1At is { } t1 && t1 <= at) OnT1(at);
        if (_t2At is { } t2 && t2 <= at) OnT2(at);
        if (_t3At is { } t3 && t3 <= at) OnT3(at);
        if (_reconfigAt is { } rc && rc <= at && _resetInFlight is { } req)
        {
            _control.Add(new SctpChunk.ReConfig(new Arr<ReConfigParameter>([req])));
            _reconfigAt = at + Rto;
        }
        if (_heartbeatAt is { } hb && hb <= at) OnHeartbeatTimer(at);
        if (!_terminated && _pmtu.NextTimer is { } pt && pt <= at) Pmtu(new PmtuInput.Tick(at));
        // The delayed-ack timer is looked at in Flush.
        if (_delayedAckAt is { } da && da <= at && _dataPacketsSinceSack == 0) _delayedAckAt = null;
    }

    private void OnT1(TimeSpan at)
    {
        if (_t1Chunk is null || State is not (SctpState.CookieWait or SctpState.CookieEchoed)) { _t1At = null; return; }
        if (++_t1Count > Config.MaxInitRetransmits)
        {
            Close(new RtcError.Operation("SCTP association could not be established (INIT/COOKIE ECHO retransmissions exhausted)"));
            return;
        }
        _t1Rto = _t1Rto * 2 > Config.RtoMax ? Config.RtoMax : _t1Rto * 2;
        _t1At = at + _t1Rto;
        SendAlone(_t1Chunk, _t1Chunk is SctpChunk.Init ? 0 : PeerVerificationTag);
    }

    private void OnT2(TimeSpan at)
    {
        if (++_t2Count > Config.AssociationMaxRetransmits) { Close(new RtcError.Operation("SCTP shutdown timed out")); return; }
        Rto = Rto * 2 > Config.RtoMax ? Config.RtoMax : Rto * 2;
        _t2At = at + Rto;
        if (State == SctpState.ShutdownSent) SendAlone(new SctpChunk.Shutdown((uint)_cumTsn), PeerVerificationTag);
        else if (State == SctpState.ShutdownAckSent) SendAlone(new SctpChunk.ShutdownAck(), PeerVerificationTag);
        else _t2At = null;
    }

    /// <summary>Retransmission timeout (RFC 9260 6.3.3, 7.2.3).</summary>
    private void OnT3(TimeSpan at)
    {
        _t3At = null;
        if (_sent.Count == 0) return;
        if (++_errorCount > Config.AssociationMaxRetransmits)
        {
            SendAlone(new SctpChunk.Abort(false, Arr<ErrorCause>.Empty), PeerVerificationTag);
            Close(new RtcError.Operation("SCTP peer unreachable (retransmissions exhausted)"));
            return;
        }
        _stats = _stats with { T3Expiries = _stats.T3Expiries + 1 };
        Pmtu(new PmtuInput.T3Expired(at));
        _ssthresh = Math.Max(_cwnd / 2, 4 * Mtu);
        _cwnd = Mtu;
        _partialBytesAcked = 0;
        _fastRecovery = false;
        Rto = Rto * 2 > Config.RtoMax ? Config.RtoMax : Rto * 2;
        for (var i = 0; i < _sent.Count; i++)
        {
            var c = _sent[i];
            if (c.Acked || c.Abandoned) continue;
            if (ShouldAbandon(c, at)) { Abandon(c.Message); continue; }
            SetRetransmit(c, true);
            c.Misses = 0;
            if (c.InFlight) { _flight -= c.Size; c.InFlight = false; }
        }
        AdvanceAckPoint();
        if (_advancedPeerAckPoint > _peerCumAck) _forwardTsnNeeded = true;
        _t3At = at + Rto;
    }

    private void OnHeartbeatTimer(TimeSpan at)
    {
        _heartbeatAt = null;
        if (State != SctpState.Established) return;
        if (_heartbeatOutstanding && ++_errorCount > Config.AssociationMaxRetransmits)
        {
            Close(new RtcError.Operation("SCTP peer unreachable (heartbeats unanswered)"));
            return;
        }
        // Heartbeats only on an idle path (RFC 9260 8.3): data in flight probes it already.
        if (_sent.Count == 0)
        {
            var info = new byte[8];
            BinaryPrimitives.WriteInt64BigEndian(info, at.Ticks);
            _control.Add(new SctpChunk.Heartbeat(info));
            _heartbeatOutstanding = true;
        }
        _heartbeatAt = at + Config.HeartbeatInterval + Rto;
    }

    private void OnHeartbeatAck(TimeSpan at, SctpChunk.HeartbeatAck ha)
    {
        if (PathMtuDiscovery.TryReadProbeInfo(ha.Info, out var probe, out _)) { Pmtu(new PmtuInput.ProbeAcked(at, probe)); return; }
        if (ha.Info.Length != 8 || !_heartbeatOutstanding) return;
        _heartbeatOutstanding = false;
        _errorCount = 0;
        MeasureRtt(at - TimeSpan.FromTicks(BinaryPrimitives.ReadInt64BigEndian(ha.Info)));
    }

    // ---------------------------------------------------------------- path MTU discovery

    /// <summary>Runs the PLPMTUD machine; its probes go out as packets of their own (not data: no congestion control, never retransmitted).</summary>
    private void Pmtu(PmtuInput input)
    {
        var step = PathMtuDiscovery.Handle(_pmtu, input);
        _pmtu = step.State;
        foreach (var o in step.Outputs)
        {
            if (o is not PmtuOutput.SendProbe p || State != SctpState.Established || _terminated) continue;
            _out.Add(new SctpOutput.Transmit(PathMtuDiscovery.WriteProbePacket(Config.LocalPort, Config.RemotePort, PeerVerificationTag, p.Id, p.Size, ZeroChecksumNegotiated)));
            _stats = _stats with { PacketsSent = _stats.PacketsSent + 1 };
        }
    }

    // ---------------------------------------------------------------- shutdown

    private void OnShutdownChunk(TimeSpan at, SctpChunk.Shutdown sh)
    {
        switch (State)
        {
            case SctpState.Established or SctpState.ShutdownPending or SctpState.ShutdownReceived:
                OnSack(at, sh.CumulativeTsnAck, _peerARwnd, Arr<GapAckBlock>.Empty, 0);
                SetState(SctpState.ShutdownReceived);
                break;
            case SctpState.ShutdownSent:
                // Both sides shut down at once (RFC 9260 9.2): answer with SHUTDOWN ACK.
                OnSack(at, sh.CumulativeTsnAck, _peerARwnd, Arr<GapAckBlock>.Empty, 0);
                SendAlone(new SctpChunk.ShutdownAck(), PeerVerificationTag);
                SetState(SctpState.ShutdownAckSent);
                _t2Count = 0;
                _t2At = at + Rto;
                break;
        }
    }

    private void CheckShutdownProgress(TimeSpan at)
    {
        if (_queue.Count > 0 || _sent.Count > 0) return;
        if (State == SctpState.ShutdownPending)
        {
            SendAlone(new SctpChunk.Shutdown((uint)_cumTsn), PeerVerificationTag);
            SetState(SctpState.ShutdownSent);
            _t3At = null; _t2Count = 0; _t2At = at + Rto;
        }
        else if (State == SctpState.ShutdownReceived)
        {
            SendAlone(new SctpChunk.ShutdownAck(), PeerVerificationTag);
            SetState(SctpState.ShutdownAckSent);
            _t3At = null; _t2Count = 0; _t2At = at + Rto;
        }
    }

    // ---------------------------------------------------------------- stream reset (RFC 6525)

    private void TryStartReset(TimeSpan at)
    {
        if (_resetInFlight is not null || _resetPending.Count == 0 || State != SctpState.Established) return;
        // Data queued before the reset goes first (RFC 8831 6.7): wait until none of it is unsent.
        foreach (var sid in _resetPending) if (_queue.HasStream(sid)) return;
        var streams = new Arr<ushort>(_resetPending);
        _resetPending.Clear();
        _resetInFlight = new ReConfigParameter.OutgoingSsnResetRequest(_myRequestSeq, _peerExpectedRequestSeq - 1, (uint)(_nextTsn - 1), streams);
        _control.Add(new SctpChunk.ReConfig(new Arr<ReConfigParameter>([_resetInFlight])));
        _reconfigAt = at + Rto;
    }

    private void OnReConfig(TimeSpan at, SctpChunk.ReConfig rc)
    {
        if (State < SctpState.Established) return;
        foreach (var p in rc.Parameters)
        {
            switch (p)
            {
                case ReConfigParameter.OutgoingSsnResetRequest r:
                    if (r.RequestSequence == _peerExpectedRequestSeq)
                    {
                        if (_cumTsn >= Unwrap(r.LastAssignedTsn, _cumTsn)) PerformPeerReset(r);
                        else
                        {
                            // RFC 6525 5.2.2: wait until everything up to the last assigned TSN has arrived.
                            _peerResetDeferred = r;
                            _control.Add(Response(r.RequestSequence, ReConfigResult.InProgress));
                        }
                    }
                    else if (r.RequestSequence == _peerExpectedRequestSeq - 1)
                        _control.Add(Response(r.RequestSequence, _lastResponseResult));
                    else
                        _control.Add(Response(r.RequestSequence, ReConfigResult.ErrorBadSequenceNumber));
                    break;
                case ReConfigParameter.IncomingSsnResetRequest r:
                    _control.Add(Response(r.RequestSequence, ReConfigResult.Denied));
                    break;
                case ReConfigParameter.Response resp when _resetInFlight is { } req && resp.ResponseSequence == req.RequestSequence:
                    if (resp.Result == ReConfigResult.InProgress) break; // the timer asks again
                    _resetInFlight = null;
                    _reconfigAt = null;
                    _myRequestSeq++;
                    if (resp.Result is ReConfigResult.SuccessPerformed or ReConfigResult.SuccessNothingToDo)
                    {
                        foreach (var s in req.Streams) _nextSsn.Remove(s);
                        _out.Add(new SctpOutput.OutgoingStreamsReset(req.Streams));
                    }
                    else _out.Add(new SctpOutput.Error(new RtcError.Operation($"peer refused the stream reset: {resp.Result}")));
                    // Messages sent on these streams during the reset go out now, with SSNs from 0.
                    for (var i = 0; i < _deferred.Count;)
                    {
                        if (req.Streams.Contains(_deferred[i].StreamId) && !_resetPending.Contains(_deferred[i].StreamId))
                        {
                            _queue.Enqueue(_deferred[i]);
                            _deferred.RemoveAt(i);
                        }
                        else i++;
                    }
                    break;
            }
        }
    }

    private static SctpChunk.ReConfig Response(uint seq, ReConfigResult result) =>
        new(new Arr<ReConfigParameter>([new ReConfigParameter.Response(seq, result)]));

    private void PerformPeerReset(ReConfigParameter.OutgoingSsnResetRequest r)
    {
        _peerResetDeferred = null;
        var streams = r.Streams.Count > 0 ? r.Streams : _inStreams.Keys.OrderBy(k => k).ToArr();
        foreach (var sid in streams)
            if (_inStreams.Remove(sid, out var s))
                foreach (var w in s.Waiting.Values) _held -= w.Payload.Length;
        _peerExpectedRequestSeq++;
        _lastResponseResult = ReConfigResult.SuccessPerformed;
        _control.Add(Response(r.RequestSequence, ReConfigResult.SuccessPerformed));
        _out.Add(new SctpOutput.StreamsReset(streams));
    }
}
