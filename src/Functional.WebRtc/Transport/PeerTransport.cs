using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using Functional.WebRtc.Core;
using Functional.WebRtc.Core.DataChannels;
using Functional.WebRtc.Core.Dtls;
using Functional.WebRtc.Core.Ice;
using Functional.WebRtc.Core.PeerConnection;
using Functional.WebRtc.Core.Sctp;
using Functional.WebRtc.Core.Sdp;
using Functional.WebRtc.Core.Srtp;
using Functional.WebRtc.Transport;
using Functional.WebRtc.Transport.Dtls;
using LanguageExt;
using Microsoft.Extensions.Logging;

namespace Functional.WebRtc;

/// <summary>A local ICE candidate as the browser gives it (W3C RTCIceCandidateInit).</summary>
public sealed record IceCandidateInit(string Candidate, string? SdpMid = "0", int? SdpMLineIndex = 0, string? UsernameFragment = null);

/// <summary>
/// The transport half of the shell: UDP sockets, the ICE agent, DTLS (BouncyCastle, on its own thread), SRTP keys and
/// the SCTP/data-channel machine. Everything here runs on the connection's loop except the socket receive loops and the
/// DTLS thread, which only post work to the loop (or hand DTLS records straight to DTLS's queue).
/// </summary>
public sealed partial class PeerConnection
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly List<UdpEndpoint> _sockets = [];
    private readonly Dictionary<IPEndPoint, UdpEndpoint> _socketByAddress = [];
    private volatile IceCandidate[] _localCandidates = [];
    private readonly System.Collections.Generic.HashSet<string> _remoteCandidates = [];
    private readonly ConcurrentDictionary<int, DataChannel> _channelsByHandle = new();
    private readonly ConcurrentQueue<byte[]> _sctpInbox = new();
    private readonly TaskCompletionSource _gatheringComplete = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private IceAgent? _ice;
    private IceCredentials _iceLocal;
    private PeerOutput.TransportParameters? _transport;
    private volatile SelectedRoute? _route;
    private volatile Tuple<UdpEndpoint, IPEndPoint>? _dtlsReturnPathBox;
    private (UdpEndpoint Socket, IPEndPoint Remote)? _dtlsReturnPath
    {
        get => _dtlsReturnPathBox is { } b ? (b.Item1, b.Item2) : null;
        set => _dtlsReturnPathBox = value is { } v ? Tuple.Create(v.Socket, v.Remote) : null;
    }
    private DtlsEndpoint? _dtls;
    private volatile DataChannelMachine _channels;
    private SrtpSession? _srtp;
    private Timer? _timer;
    private TimeSpan? _iceWake, _channelsWake, _armedFor;
    private int _sctpDrainPosted;
    private bool _transportClosed;
    private volatile IceGatheringState _gatheringState = IceGatheringState.New;

    /// <summary>Where application data (DTLS) goes: straight out of a socket, or through the ICE agent for a relay.</summary>
    private sealed record SelectedRoute(UdpEndpoint? Socket, IPEndPoint Remote, IceCandidate Local, IceCandidate RemoteCandidate);

    private sealed record DatagramWork(UdpEndpoint Socket, IPEndPoint From, byte[] Data) : Work;
    private sealed record TickWork : Work { public static readonly TickWork Instance = new(); }
    private sealed record RemoteCandidateWork(IceCandidateInit? Candidate, TaskCompletionSource Reply) : Work;
    private sealed record DtlsStateWork(DtlsTransportState State) : Work;
    private sealed record DtlsConnectedWork(DtlsHandshakeResult Result) : Work;
    private sealed record SctpDrainWork : Work;
    private sealed record RelaySendWork(byte[] Data) : Work;
    private sealed record ChannelWork(DataChannelInput Input, TaskCompletionSource<Seq<DataChannelOutput>>? Reply) : Work;

    // ----- public surface -----

    /// <summary>A local candidate was gathered; null when gathering is complete (W3C onicecandidate).</summary>
    public event Action<IceCandidateInit?>? OnIceCandidate;
    public event Action<IceGatheringState>? OnIceGatheringStateChange;
    /// <summary>The peer opened a data channel (W3C ondatachannel).</summary>
    public event Action<DataChannel>? OnDataChannel;

    public IceGatheringState IceGatheringState => _gatheringState;

    /// <summary>Completes when ICE gathering is complete (Pion's GatheringCompletePromise): LocalDescription then has every candidate.</summary>
    public Task GatheringComplete => _gatheringComplete.Task;

    /// <summary>The candidate pair in use, as "local -> remote" candidate strings; null before ICE selects one.</summary>
    public (string Local, string Remote)? SelectedCandidatePair =>
        _route is { } r ? (r.Local.ToString(), r.RemoteCandidate.ToString()) : null;

    /// <summary>Adds a remote candidate (trickle ICE); null or an empty candidate means end-of-candidates.</summary>
    public async Task AddIceCandidateAsync(IceCandidateInit? candidate)
    {
        if (RemoteDescription is null) throw new InvalidStateException(new RtcError.InvalidState("no remote description"));
        if (candidate is { Candidate.Length: > 0 } && IceCandidateSdp.Parse(candidate.Candidate).IsLeft)
            throw new OperationErrorException(new RtcError.Operation($"cannot parse candidate: {candidate.Candidate}"));
        var reply = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!_inbox.Writer.TryWrite(new RemoteCandidateWork(candidate, reply)))
            throw new InvalidStateException(new RtcError.InvalidState("the connection is closed"));
        await reply.Task.ConfigureAwait(false);
    }

    public void AddIceCandidate(IceCandidateInit? candidate) => AddIceCandidateAsync(candidate).GetAwaiter().GetResult();

    /// <summary>The SRTP session once DTLS has connected (media protection keys for both directions).</summary>
    internal SrtpSession? Srtp => _srtp;

    private TimeSpan Now => _clock.Elapsed;

    // ----- signaling outputs -----

    partial void PerformTransport(PeerOutput output)
    {
        switch (output)
        {
            case PeerOutput.GatherCandidates g:
                StartGathering(g.Local, g.Controlling);
                break;
            case PeerOutput.TransportParameters p:
                ApplyTransportParameters(p);
                break;
            case PeerOutput.IceServersChanged:
                break; // the running ICE agent keeps the servers it gathered with; they are read when gathering starts
            case PeerOutput.Closed:
                CloseTransports();
                break;
        }
    }

    private IceAgentConfig IceConfig(IceCredentials local, bool controlling)
    {
        var stun = Seq<IPEndPoint>.Empty;
        var turn = Seq<TurnServer>.Empty;
        foreach (var server in _configuration.IceServers)
            foreach (var url in server.Urls)
                foreach (var endpoint in IceUrls.Resolve(url))
                {
                    if (url.StartsWith("stun:", StringComparison.OrdinalIgnoreCase)) stun = stun.Add(endpoint);
                    else if (url.StartsWith("turn:", StringComparison.OrdinalIgnoreCase))
                        turn = turn.Add(new TurnServer(endpoint, server.Username ?? "", server.Credential ?? ""));
                }
        return new IceAgentConfig(local.Ufrag, local.Pwd, controlling)
        {
            StunServers = stun,
            TurnServers = turn,
            Policy = _configuration.IceTransportPolicy,
            Lite = Settings.IceLite,
            Timing = Settings.IceTiming,
            Filter = new IceCandidateFilter(IncludeLoopback: true, KeepRedundantServerReflexive: Settings.KeepRedundantServerReflexive),
        };
    }

    private void StartGathering(IceCredentials local, bool controlling)
    {
        if (_transportClosed) return;
        if (_ice is not null)
        {
            if (local != _iceLocal)
            {
                // ICE restart (RFC 8445 9): the agent drops the remote credentials and candidates. As the offerer we
                // wait for the answer's new credentials; as the answerer the remote offer's are re-applied at once.
                _iceLocal = local;
                _localCandidates = [];
                _remoteStale = controlling ? _remoteApplied : null;
                _remoteApplied = null;
                RunIce(new IceInput.Restart(local.Ufrag, local.Pwd));
            }
            return;
        }
        _iceLocal = local;
        var seed = BitConverter.ToUInt64(System.Security.Cryptography.RandomNumberGenerator.GetBytes(8));
        _ice = IceAgent.Create(IceConfig(local, controlling), new Entropy(Settings.Seed ?? seed), Now);
        _timer = new Timer(static self => ((PeerConnection)self!).Post(TickWork.Instance), this, Timeout.Infinite, Timeout.Infinite);
        SetGatheringState(IceGatheringState.Gathering);
        foreach (var address in Settings.IceAddresses)
        {
            UdpEndpoint socket;
            try { socket = new UdpEndpoint(address, OnDatagram); }
            catch (System.Net.Sockets.SocketException e)
            {
                _log.LogWarning(e, "{Id} cannot bind a UDP socket on {Address}", Id, address);
                continue;
            }
            _sockets.Add(socket);
            _socketByAddress[socket.LocalEndPoint] = socket;
            RunIce(new IceInput.AddLocalInterface(Now, socket.LocalEndPoint));
        }
    }

    private void ApplyTransportParameters(PeerOutput.TransportParameters p)
    {
        if (_transportClosed || _ice is null) return;
        _transport = p;
        // After our own restart offer, the old answer's credentials belong to the previous generation: not re-applied
        // while the offer is pending (a peer that answers with the same credentials gets them back once stable).
        var stale = p.Remote == _remoteStale && _state.Signaling == SignalingState.HaveLocalOffer;
        if (p.Remote != _remoteApplied && !stale) ApplyRemoteCredentials(p.Remote, p.IceControlling);
        if (p.Remote != _remoteApplied) { EnsureDtls(); return; }
        foreach (var line in p.RemoteCandidates) AddRemoteCandidate(line);
        if (p.RemoteEndOfCandidates) RunIce(new IceInput.RemoteEndOfCandidates());
        EnsureDtls();
    }

    private IceCredentials? _remoteApplied, _remoteStale, _remoteCandidatesOf;

    /// <summary>
    /// Gives the agent its role and the peer's credentials (roles change only with new credentials, i.e. an ICE restart);
    /// candidates already added for them (an answerer's restart) are replayed.
    /// </summary>
    private void ApplyRemoteCredentials(IceCredentials remote, bool controlling)
    {
        var replay = remote == _remoteCandidatesOf || _remoteCandidatesOf is null ? _remoteCandidates.ToList() : [];
        _remoteCandidates.Clear();
        _remoteCandidatesOf = remote;
        _remoteApplied = remote;
        _remoteStale = null;
        RunIce(new IceInput.SetRole(controlling));
        RunIce(new IceInput.SetRemoteCredentials(remote.Ufrag, remote.Pwd));
        foreach (var line in replay) AddRemoteCandidate(line);
    }

    private void AddRemoteCandidate(string line)
    {
        if (!_remoteCandidates.Add(line)) return;
        IceCandidateSdp.Parse(line).Match(
            c => RunIce(new IceInput.AddRemoteCandidate(c)),
            e => _log.LogDebug("{Id} ignores remote candidate {Line}: {Error}", Id, line, e.Message));
    }

    // ----- the ICE agent -----

    private void RunIce(IceInput input)
    {
        if (_ice is null) return;
        var step = IceAgent.Handle(_ice, input);
        _ice = step.State;
        foreach (var output in step.Outputs) PerformIce(output);
    }

    private void PerformIce(IceOutput output)
    {
        switch (output)
        {
            case IceOutput.Transmit t:
                if (_socketByAddress.TryGetValue(t.From, out var socket)) socket.Send(t.To, t.Data.Span);
                break;
            case IceOutput.WakeAt w:
                _iceWake = w.At;
                Reschedule();
                break;
            case IceOutput.LocalCandidate c:
                _localCandidates = [.. _localCandidates, c.Candidate];
                var init = new IceCandidateInit(c.Candidate.ToString(), FirstMid(), 0, _iceLocal.Ufrag);
                Raise(() => OnIceCandidate?.Invoke(init));
                break;
            case IceOutput.GatheringStateChanged g:
                SetGatheringState(g.State);
                break;
            case IceOutput.GatheringComplete:
                SetGatheringState(IceGatheringState.Complete);
                break;
            case IceOutput.ConnectionStateChanged s:
                Step(new PeerInput.IceStateChanged(s.State));
                if (s.State is IceConnectionState.Connected or IceConnectionState.Completed) StartDtls();
                break;
            case IceOutput.SelectedPairChanged pair:
                var local = pair.Local.Type == IceCandidateType.Relay || pair.Local.Base is null
                    ? null
                    : _socketByAddress.GetValueOrDefault(pair.Local.Base);
                var remote = pair.Remote.EndPoint;
                if (remote is not null) _route = new SelectedRoute(local, remote, pair.Local, pair.Remote);
                _log.LogDebug("{Id} selected pair {Local} -> {Remote}", Id, pair.Local, pair.Remote);
                break;
            case IceOutput.Deliver d:
                OnApplicationDatagram(d.Data.Span);
                break;
        }
    }

    private string FirstMid() =>
        _state.LocalDescription.Bind(d => d.TryUnmarshal().ToOption()).Bind(s => s.Media.Find(m => m.Port != 0))
            .Bind(m => m.AttributeValue("mid")).Map(v => v.ToString()).IfNone("0");

    private void SetGatheringState(IceGatheringState state)
    {
        if (_gatheringState == state) return;
        _gatheringState = state;
        Raise(() => OnIceGatheringStateChange?.Invoke(state));
        if (state == IceGatheringState.Complete)
        {
            Raise(() => OnIceCandidate?.Invoke(null));
            _gatheringComplete.TrySetResult();
        }
    }

    // ----- datagrams (socket receive loops: not the connection's loop) -----

    private void OnDatagram(UdpEndpoint socket, IPEndPoint from, ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty) return;
        switch (PacketDemux.Classify(data[0]))
        {
            case PacketKind.Dtls:
                // The peer's DTLS may start before our ICE agent has selected the pair (the controlled side learns the
                // nomination first): answer on the path its records came in on rather than dropping our flight.
                if (_route is null) _dtlsReturnPath = (socket, from);
                _dtls?.ReceiveDatagram(data);
                break;
            case PacketKind.RtpOrRtcp:
                OnSrtpDatagram(data);
                break;
            default:
                // STUN and TURN ChannelData belong to the ICE agent, on the loop.
                Post(new DatagramWork(socket, from, data.ToArray()));
                break;
        }
    }

    private void OnApplicationDatagram(ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty) return;
        switch (PacketDemux.Classify(data[0]))
        {
            case PacketKind.Dtls: _dtls?.ReceiveDatagram(data); break;
            case PacketKind.RtpOrRtcp: OnSrtpDatagram(data); break;
        }
    }

    /// <summary>SRTP/SRTCP from the peer: unprotected and counted here; tracks are the media layer's (later) business.</summary>
    private void OnSrtpDatagram(ReadOnlySpan<byte> data)
    {
        var srtp = _srtp;
        if (srtp is null || data.Length < 12) return;
        // Unprotected in place in a pooled buffer: nothing downstream keeps it (a track queues its own copy).
        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(data.Length);
        data.CopyTo(buffer);
        var isRtcp = PacketDemux.IsRtcpPacketType(buffer[1]);
        try
        {
            lock (srtp)
            {
                var result = isRtcp ? srtp.UnprotectRtcp(buffer, data.Length, out var n) : srtp.UnprotectRtp(buffer, data.Length, out n);
                if (result != SrtpResult.Ok) { Interlocked.Increment(ref _srtpRejected); return; }
                if (isRtcp) { Interlocked.Increment(ref _rtcpReceived); OnMediaRtcp(buffer.AsMemory(0, n)); return; }
                var ssrc = System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(buffer.AsSpan(8));
                _rtpReceivedBySsrc.AddOrUpdate(ssrc, 1, static (_, c) => c + 1);
                RtpReceived?.Invoke(buffer.AsMemory(0, n));
                OnMediaRtp(buffer.AsMemory(0, n));
            }
        }
        finally { System.Buffers.ArrayPool<byte>.Shared.Return(buffer); }
    }

    /// <summary>
    /// Protects an RTP or RTCP packet in buffer[..length) in place (the buffer needs room for the tag) and sends it on the
    /// selected ICE pair; false when not connected. Thread-safe: any thread may send media.
    /// </summary>
    internal bool SendSrtp(byte[] buffer, int length, bool rtcp)
    {
        var srtp = _srtp;
        var route = _route;
        if (srtp is null || route is null || _transportClosed) return false;
        int n;
        try
        {
            lock (srtp)
            {
                var result = rtcp ? srtp.ProtectRtcp(buffer, length, out n) : srtp.ProtectRtp(buffer, length, out n);
                if (result != SrtpResult.Ok) return false;
            }
        }
        catch (ObjectDisposedException) { return false; }
        if (route.Socket is not null) route.Socket.Send(route.Remote, buffer.AsSpan(0, n));
        else Post(new RelaySendWork(buffer.AsSpan(0, n).ToArray()));
        return true;
    }

    private long _srtpRejected, _rtcpReceived;
    private readonly ConcurrentDictionary<uint, long> _rtpReceivedBySsrc = new();

    /// <summary>RTP packets received and unprotected, per SSRC (what the media layer builds tracks on).</summary>
    public IReadOnlyDictionary<uint, long> RtpPacketsReceived => _rtpReceivedBySsrc;
    internal long SrtpRejected => Interlocked.Read(ref _srtpRejected);
    /// <summary>Raised on the socket's receive loop for each unprotected RTP packet (valid during the call).</summary>
    internal event Action<ReadOnlyMemory<byte>>? RtpReceived;

    // ----- DTLS -----

    private void EnsureDtls()
    {
        var p = _transport;
        if (_dtls is not null || p is null || _transportClosed) return;
        var fingerprints = p.RemoteFingerprints.Choose(f => Core.Dtls.Fingerprint.Parse(f).ToOption()).ToList();
        var certificate = _configuration.Certificates[0].Dtls;
        var dtls = new DtlsEndpoint(p.DtlsClient ? DtlsRole.Client : DtlsRole.Server, certificate, SendDtls, fingerprints, Settings.DtlsOptions);
        dtls.StateChanged += s => Post(new DtlsStateWork(s));
        dtls.Connected += r => Post(new DtlsConnectedWork(r));
        dtls.DataReceived += OnDtlsData;
        _dtls = dtls;
        // The server may start at once (it waits for a ClientHello); the client starts once ICE has a pair.
        if (!p.DtlsClient || _route is not null) StartDtls();
    }

    private bool _dtlsStarted;

    private void StartDtls()
    {
        if (_dtls is null || _dtlsStarted || _transportClosed) return;
        if (_dtls.Role == DtlsRole.Client && _route is null) return;
        _dtlsStarted = true;
        _dtls.Start();
    }

    /// <summary>DTLS's thread sends a record: straight out of the selected socket, or through the ICE agent for a relay.</summary>
    private void SendDtls(ReadOnlySpan<byte> datagram)
    {
        var route = _route;
        if (route is null)
        {
            if (_dtlsReturnPath is var (socket, remote)) socket.Send(remote, datagram);
            return; // otherwise BouncyCastle retransmits once ICE has a pair
        }
        if (route.Socket is not null) route.Socket.Send(route.Remote, datagram);
        else Post(new RelaySendWork(datagram.ToArray()));
    }

    /// <summary>DTLS's thread delivers an SCTP packet: queue it and wake the loop once per batch.</summary>
    private void OnDtlsData(ReadOnlySpan<byte> data)
    {
        // The association owns the packet from now on; an uninitialized array skips zeroing what is copied over at once.
        var packet = GC.AllocateUninitializedArray<byte>(data.Length);
        data.CopyTo(packet);
        _sctpInbox.Enqueue(packet);
        if (Interlocked.Exchange(ref _sctpDrainPosted, 1) == 0) Post(new SctpDrainWork());
    }

    // ----- loop work -----

    private long _transportWork;

    /// <summary>Transport work items this connection's loop has run (datagrams, timer fires, DTLS news): its wake-ups.</summary>
    internal long TransportWork => Interlocked.Read(ref _transportWork);

    partial void HandleTransport(Work work)
    {
        Interlocked.Increment(ref _transportWork);
        switch (work)
        {
            case DatagramWork d when !_transportClosed:
                RunIce(new IceInput.Received(Now, d.Socket.LocalEndPoint, d.From, d.Data));
                break;
            case TickWork when !_transportClosed:
                _armedFor = null; // the one-shot timer has fired
                var now = Now;
                if (_iceWake is { } iw && iw <= now) { _iceWake = null; RunIce(new IceInput.Tick(now)); }
                if (_channelsWake is { } cw && cw <= now) { _channelsWake = null; RunChannels(new DataChannelInput.Tick(now)); }
                Reschedule();
                break;
            case RemoteCandidateWork r:
                if (r.Candidate is null || r.Candidate.Candidate.Length == 0) RunIce(new IceInput.RemoteEndOfCandidates());
                else AddRemoteCandidate(r.Candidate.Candidate.StartsWith("candidate:", StringComparison.Ordinal)
                    ? r.Candidate.Candidate["candidate:".Length..] : r.Candidate.Candidate);
                r.Reply.TrySetResult();
                break;
            case DtlsStateWork s:
                Step(new PeerInput.DtlsStateChanged(s.State));
                // RFC 8261 6: SCTP runs over DTLS; once the peer closes DTLS (close_notify) or it fails, the data channels are closed.
                if (s.State is DtlsTransportState.Closed or DtlsTransportState.Failed) CloseChannels();
                break;
            case DtlsConnectedWork c when !_transportClosed:
                OnDtlsConnected(c.Result);
                break;
            case SctpDrainWork:
                Volatile.Write(ref _sctpDrainPosted, 0);
                var batch = new List<byte[]>();
                while (_sctpInbox.TryDequeue(out var packet)) batch.Add(packet);
                if (batch.Count > 0 && !_transportClosed) RunChannels(new DataChannelInput.ReceivedBatch(Now, batch));
                break;
            case SendDrainWork:
                DrainSends();
                break;
            case StatsWork stats:
                stats.Reply.TrySetResult(CollectStats());
                break;
            case RelaySendWork s when !_transportClosed:
                RunIce(new IceInput.Send(s.Data));
                break;
            case ChannelWork c:
                if (_transportClosed)
                {
                    c.Reply?.TrySetException(new InvalidStateException(new RtcError.InvalidState("the connection is closed")));
                    break;
                }
                DataChannel? sender = null;
                long totalBefore = 0;
                if (c.Input is DataChannelInput.Send sent && _channelsByHandle.TryGetValue(sent.Handle, out sender))
                {
                    totalBefore = sender.BufferedAmount; // with this message, still counted as unsent
                    sender.Sent(sent.Data.Length);
                }
                var outputs = RunChannels(c.Input switch
                {
                    DataChannelInput.Send s => s with { At = Now },
                    DataChannelInput.Create cr => cr with { At = Now },
                    DataChannelInput.Close cl => cl with { At = Now },
                    DataChannelInput.SetBufferedAmountLowThreshold th => th with { At = Now },
                    DataChannelInput.ConsumerReady cr => TakeConsumed(cr),
                    var other => other,
                });
                // W3C 6.2: bufferedAmount grew by the message at Send; a message SCTP puts on the wire at once still takes
                // it from above the threshold to below, which the SCTP machine (that never saw it queued) cannot tell.
                if (sender is not null && totalBefore > sender.BufferedAmountLowThreshold &&
                    sender.BufferedAmount <= sender.BufferedAmountLowThreshold &&
                    !outputs.Exists(o => o is DataChannelOutput.BufferedAmountLow b && b.Handle == sender.Handle))
                    sender.BufferedAmountLow();
                c.Reply?.TrySetResult(outputs);
                break;
        }
    }

    private void OnDtlsConnected(DtlsHandshakeResult result)
    {
        if (result.SrtpProfile != DtlsSrtpProfile.None)
            SrtpSession.FromDtls((ushort)result.SrtpProfile, result.KeyingMaterial, _dtls!.Role == DtlsRole.Client, LibCryptoSrtp.Options()).Match(
                s => _srtp = s,
                e => _log.LogWarning("{Id} cannot make SRTP keys: {Error}", Id, e.Message));
        var p = _transport;
        if (p?.RemoteSctpPort is not null)
            RunChannels(new DataChannelInput.Start(Now, p.DtlsClient, (int)Math.Min(int.MaxValue, p.RemoteMaxMessageSize)));
    }

    // ----- data channels -----

    private Seq<DataChannelOutput> RunChannels(DataChannelInput input)
    {
        var step = DataChannelMachine.Handle(_channels, input);
        _channels = step.State;
        foreach (var output in step.Outputs) PerformChannel(output);
        return step.Outputs;
    }

    private void PerformChannel(DataChannelOutput output)
    {
        switch (output)
        {
            case DataChannelOutput.Transmit t:
                _dtls?.Send(t.Packet);
                break;
            case DataChannelOutput.WakeAt w:
                _channelsWake = w.At;
                Reschedule();
                break;
            case DataChannelOutput.ChannelCreated created:
                _channelsByHandle.TryAdd(created.Channel.Handle, new DataChannel(this, created.Channel));
                break;
            case DataChannelOutput.ChannelOpened o:
                if (!_channelsByHandle.TryGetValue(o.Channel.Handle, out var channel))
                {
                    channel = new DataChannel(this, o.Channel);
                    _channelsByHandle[o.Channel.Handle] = channel;
                    var opened = channel;
                    Raise(() => OnDataChannel?.Invoke(opened));
                }
                channel.Opened(o.Channel);
                break;
            case DataChannelOutput.MessageReceived m:
                if (_channelsByHandle.TryGetValue(m.Handle, out var target)) target.Received(m.IsString, m.Data);
                break;
            case DataChannelOutput.ChannelClosing c:
                if (_channelsByHandle.TryGetValue(c.Handle, out var closing)) closing.Closing();
                break;
            case DataChannelOutput.ChannelClosed c:
                if (_channelsByHandle.TryRemove(c.Handle, out var closed)) closed.Closed();
                break;
            case DataChannelOutput.BufferedAmountLow b:
                // Sends still on their way to this loop count too (W3C bufferedAmount): low only when all of it is.
                if (_channelsByHandle.TryGetValue(b.Handle, out var low) && low.BufferedAmount <= low.BufferedAmountLowThreshold)
                    low.BufferedAmountLow();
                break;
            case DataChannelOutput.Error e:
                if (e.Handle is { } h && _channelsByHandle.TryGetValue(h, out var failed)) failed.Failed(e.Reason);
                else _log.LogDebug("{Id} data channels: {Error}", Id, e.Reason);
                break;
        }
    }

    internal DataChannel ChannelObject(int handle) => _channelsByHandle[handle];
    internal DataChannelMachine Channels => _channels;
    internal bool PostChannel(DataChannelInput input) => _inbox.Writer.TryWrite(new ChannelWork(input, null));
    internal async Task<Seq<DataChannelOutput>> CallChannelAsync(DataChannelInput input)
    {
        var reply = new TaskCompletionSource<Seq<DataChannelOutput>>(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!_inbox.Writer.TryWrite(new ChannelWork(input, reply)))
            throw new InvalidStateException(new RtcError.InvalidState("the connection is closed"));
        return await reply.Task.ConfigureAwait(false);
    }

    /// <summary>The peer's max-message-size once known (RFC 8841: 64 KiB when the SDP says nothing).</summary>
    internal long RemoteMaxMessageSize => _transport?.RemoteMaxMessageSize ?? 65536;

    // ----- timers and close -----

    private void Reschedule()
    {
        if (_timer is null || _transportClosed) return;
        var next = (_iceWake, _channelsWake) switch
        {
            ({ } a, { } b) => a < b ? a : b,
            ({ } a, null) => a,
            (null, { } b) => b,
            _ => (TimeSpan?)null,
        };
        if (next == _armedFor) return; // already armed for it (most datagrams leave the next deadline where it was)
        _armedFor = next;
        var delay = next is { } at ? at - Now : Timeout.InfiniteTimeSpan;
        if (next is not null && delay >= CoalesceFrom)
        {
            // Idle deadlines wait on the process-wide grid timer: one timer fire wakes every connection due in a slot.
            if (_timerArmed) { _timer.Change(Timeout.Infinite, Timeout.Infinite); _timerArmed = false; }
            GridTimer.Schedule(_gridWake ??= () => Post(TickWork.Instance), GridSlot(delay, Stopwatch.GetTimestamp()), ref _gridSlot);
            return;
        }
        if (_gridWake is not null) GridTimer.Cancel(_gridWake, ref _gridSlot);
        if (next is null) { if (_timerArmed) _timer.Change(Timeout.Infinite, Timeout.Infinite); _timerArmed = false; return; }
        _timer.Change(TimerDelay(delay), Timeout.Infinite);
        _timerArmed = true;
    }

    private bool _timerArmed;
    private Action? _gridWake;
    private long _gridSlot;

    /// <summary>
    /// The timer's due time in whole milliseconds, never early: the timer queue counts on a coarse clock (on Linux it
    /// ticks every few milliseconds) and would otherwise fire up to a tick before the deadline, find nothing due and be
    /// re-armed, several wake-ups for one deadline. Short deadlines (ICE pacing, SCTP retransmissions) are rounded up
    /// only; longer ones (consent, keep-alives, heartbeats) are let run a few milliseconds late instead.
    /// </summary>
    internal static long TimerDelay(TimeSpan delay)
    {
        if (delay <= TimeSpan.Zero) return 0;
        if (delay >= CoalesceFrom) delay = Coalesced(delay);
        var ms = (long)Math.Ceiling(delay.TotalMilliseconds);
        return delay < TimeSpan.FromMilliseconds(200) ? ms : ms + CoarseClockSlackMs;
    }

    private const long CoarseClockSlackMs = 5;
    private static readonly TimeSpan CoalesceFrom = TimeSpan.FromSeconds(1);
    private static readonly long CoalesceGrid = Stopwatch.Frequency / 10;
    private static readonly TimeSpan CoarseFrom = TimeSpan.FromSeconds(4);
    private static readonly long CoarseGrid = Stopwatch.Frequency / 2;

    /// <summary>
    /// Idle timers of a second or more (the 1 s wait for a consent answer) are moved up to 100 ms later, and those of 4 s or
    /// more (consent checks every 4-6 s, the 30 s consent expiry, SCTP heartbeats every 30 s) up to 500 ms later (an eighth
    /// of the delay at most), onto grids shared by every connection in the process: idle connections then wake together in
    /// a few bursts a second instead of one by one, and each separate wake-up costs far more (thread-pool workers woken
    /// and spinning before they sleep again) than the little work a consent check does. Per-connection jitter survives at
    /// the grid's resolution.
    /// </summary>
    private static TimeSpan Coalesced(TimeSpan delay)
    {
        var now = Stopwatch.GetTimestamp();
        return TimeSpan.FromSeconds((GridSlot(delay, now) - now) / (double)Stopwatch.Frequency);
    }

    /// <summary>The grid slot (a Stopwatch timestamp) a deadline <paramref name="delay"/> after <paramref name="now"/> waits for: never before it.</summary>
    internal static long GridSlot(TimeSpan delay, long now)
    {
        var due = now + (long)Math.Ceiling(delay.TotalSeconds * Stopwatch.Frequency);
        var grid = delay >= CoarseFrom ? CoarseGrid : CoalesceGrid;
        return (due + grid - 1) / grid * grid;
    }

    private void CloseChannels()
    {
        foreach (var channel in _channelsByHandle.Values.ToList()) channel.Closed();
        _channelsByHandle.Clear();
    }

    private void CloseTransports()
    {
        if (_transportClosed) return;
        _transportClosed = true;
        CloseMedia();
        CloseChannels();
        if (_channels.SctpEstablished)
        {
            var step = DataChannelMachine.Handle(_channels, new DataChannelInput.Shutdown(Now));
            _channels = step.State;
            foreach (var t in step.Outputs.OfType<DataChannelOutput.Transmit>()) _dtls?.Send(t.Packet);
        }
        _dtls?.Close();
        if (_ice is not null) _ice = IceAgent.Handle(_ice, new IceInput.Close()).State;
        _timer?.Dispose();
        _timer = null;
        if (_gridWake is not null) GridTimer.Cancel(_gridWake, ref _gridSlot);
        foreach (var socket in _sockets) socket.Dispose();
        _sockets.Clear();
        _socketByAddress.Clear();
        _srtp?.Dispose();
        _route = null;
        _gatheringComplete.TrySetResult();
    }

    // ----- the local description with candidates -----

    /// <summary>The local description with the candidates gathered so far (and end-of-candidates once complete).</summary>
    private SessionDescription? WithCandidates(SessionDescription? description)
    {
        if (description is null || _localCandidates.Length == 0 && _gatheringState != IceGatheringState.Complete) return description;
        var candidates = _localCandidates;
        var complete = _gatheringState == IceGatheringState.Complete;
        return description.TryUnmarshal().Match(
            sdp => description with
            {
                Sdp = sdp.MapMedia(m =>
                {
                    if (m.Port == 0 || m.HasAttribute("candidate")) return m;
                    var attributes = m.Attributes.AddRange(candidates.Select(c => new SdpAttribute("candidate", c.ToString()["candidate:".Length..])));
                    if (complete) attributes = attributes.Add(new SdpAttribute("end-of-candidates"));
                    return m with { Attributes = attributes };
                }).ToString(),
            },
            _ => description);
    }
}

/// <summary>Reading ICE server URLs (RFC 7064/7065): stun:host[:port], turn:host[:port][?transport=udp].</summary>
internal static class IceUrls
{
    public static IEnumerable<IPEndPoint> Resolve(string url)
    {
        var colon = url.IndexOf(':');
        if (colon < 0) yield break;
        var scheme = url[..colon].ToLowerInvariant();
        if (scheme is not ("stun" or "turn")) yield break;
        var rest = url[(colon + 1)..];
        var query = rest.IndexOf('?');
        if (query >= 0)
        {
            if (rest[query..].Contains("transport=tcp", StringComparison.OrdinalIgnoreCase)) yield break;
            rest = rest[..query];
        }
        var port = 3478;
        string host;
        if (rest.StartsWith('['))
        {
            var end = rest.IndexOf(']');
            if (end < 0) yield break;
            host = rest[1..end];
            if (end + 2 < rest.Length && rest[end + 1] == ':' && int.TryParse(rest[(end + 2)..], out var p6)) port = p6;
        }
        else
        {
            var pc = rest.LastIndexOf(':');
            host = pc >= 0 ? rest[..pc] : rest;
            if (pc >= 0 && !int.TryParse(rest[(pc + 1)..], out port)) yield break;
        }
        // Only literal addresses: resolving names is left to the application (no DNS from inside the stack).
        if (IPAddress.TryParse(host, out var address)) yield return new IPEndPoint(address, port);
    }
}
