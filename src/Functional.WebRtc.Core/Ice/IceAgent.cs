using System.Net;
using Functional.WebRtc.Core.Stun;
using LanguageExt;

namespace Functional.WebRtc.Core.Ice;

/// <summary>
/// A full ICE agent (RFC 8445) with trickle (RFC 8838), consent freshness (RFC 7675), server-reflexive gathering and a
/// TURN-over-UDP client (RFC 8656), as a pure reducer: <see cref="Handle"/> takes the state and one input and returns the
/// new state and outputs. Time and randomness come in with the inputs and the state; the same inputs give the same outputs.
/// <para>Driving it from a UDP shell:</para>
/// <list type="number">
/// <item>Create with the local ufrag/pwd, then open one UDP socket per allowed local address and report each with
/// <see cref="IceInput.AddLocalInterface"/> (all in one go: gathering completes on the next Tick once no server
/// transaction is pending).</item>
/// <item>Perform every <see cref="IceOutput.Transmit"/> on the socket bound to its From address. Keep only the latest
/// <see cref="IceOutput.WakeAt"/> and feed <see cref="IceInput.Tick"/> when it is due.</item>
/// <item>Feed <see cref="IceInput.Received"/> with every STUN datagram (first byte 0-3, RFC 7983) and with every datagram
/// that comes from a configured TURN server (ChannelData 64-79 and Data indications): the agent unwraps relayed traffic and
/// hands application data back as <see cref="IceOutput.Deliver"/>. Other direct datagrams (DTLS, SRTP) go to the shell's
/// own demultiplexer; they may also be handed to the agent, which delivers them unchanged.</item>
/// <item>Send application data with <see cref="IceInput.Send"/> (the agent picks the selected pair and wraps for TURN), or
/// directly on the selected pair's socket when it is not relayed.</item>
/// <item>Signal <see cref="IceOutput.LocalCandidate"/> to the peer (trickle) and feed the peer's candidates with
/// <see cref="IceInput.AddRemoteCandidate"/>; resolve mDNS/FQDN candidates first (unresolved ones are ignored).</item>
/// </list>
/// </summary>
public sealed partial record IceAgent
{
    public required IceAgentConfig Config { get; init; }
    public required Entropy Entropy { get; init; }
    public TimeSpan Now { get; init; }
    public required string LocalUfrag { get; init; }
    public required string LocalPwd { get; init; }
    public required Bytes LocalKey { get; init; }
    public string? RemoteUfrag { get; init; }
    public string? RemotePwd { get; init; }
    public Bytes? RemoteKey { get; init; }
    public bool Controlling { get; init; }
    public ulong TieBreaker { get; init; }
    public Seq<IceLocal> Locals { get; init; }
    public Seq<IceCandidate> Remotes { get; init; }
    public Seq<CandidatePair> Pairs { get; init; }
    public HashMap<TransactionId, IceTransaction> Transactions { get; init; }
    public Seq<int> Triggered { get; init; }
    public TimeSpan NextPacedAt { get; init; }
    public int? NominatingPairId { get; init; }
    public TimeSpan? FirstValidAt { get; init; }
    public SelectedPair? Selected { get; init; }
    public IceConnectionState State { get; init; }
    public IceGatheringState GatheringState { get; init; }
    public TimeSpan GatheringStartedAt { get; init; }
    public bool RemoteEndOfCandidates { get; init; }
    public TimeSpan CheckingSince { get; init; }
    public TimeSpan LastActivity { get; init; }
    public TimeSpan LastConsent { get; init; }
    /// <summary>When the oldest of our consent checks still unanswered was sent; null once the selected pair is heard from.</summary>
    public TimeSpan? UnansweredConsentSince { get; init; }
    public TimeSpan NextConsentAt { get; init; }
    public Seq<TurnAllocation> Allocations { get; init; }
    public int NextId { get; init; }
    public int Generation { get; init; }
    /// <summary>The peer's next generation, signaled before our own restart (see <see cref="IceRemoteRestart"/>).</summary>
    public IceRemoteRestart? PendingRemote { get; init; }
    /// <summary>Our local ufrag and key of the generation before the last restart (see <see cref="OnCheckRequest"/>).</summary>
    public string? PreviousLocalUfrag { get; init; }
    public Bytes? PreviousLocalKey { get; init; }
    /// <summary>Peers whose new generation knows us by <see cref="PreviousLocalUfrag"/>: our checks to them carry it.</summary>
    public Seq<IPEndPoint> KnowUsByPrevious { get; init; }

    public static IceAgent Create(IceAgentConfig config, Entropy entropy, TimeSpan at)
    {
        var (tieBreaker, e) = entropy.NextUInt64();
        return new IceAgent
        {
            Config = config,
            Entropy = e,
            Now = at,
            LocalUfrag = config.LocalUfrag,
            LocalPwd = config.LocalPwd,
            LocalKey = StunIntegrity.ShortTermKey(config.LocalPwd),
            Controlling = config.Controlling && !config.Lite,
            TieBreaker = tieBreaker,
            NextPacedAt = at,
            State = IceConnectionState.New,
            GatheringState = IceGatheringState.New,
            NextId = 1,
        };
    }

    /// <summary>The pure step: one input in, the new agent and the outputs out.</summary>
    public static Step<IceAgent, IceOutput> Handle(IceAgent state, IceInput input)
    {
        if (state.State == IceConnectionState.Closed) return Step<IceAgent, IceOutput>.Of(state);
        var r = new Run(state);
        switch (input)
        {
            case IceInput.AddLocalInterface i: r.At(i.At); AddLocalInterface(r, i.SocketAddress); break;
            case IceInput.SetRemoteCredentials c: SetRemoteCredentials(r, c.Ufrag, c.Pwd); break;
            case IceInput.AddRemoteCandidate c when r.S.PendingRemote is { } p:
                r.S = r.S with { PendingRemote = p with { Candidates = p.Candidates.Add(c.Candidate) } };
                break;
            case IceInput.AddRemoteCandidate c: AddRemoteCandidate(r, c.Candidate); break;
            case IceInput.RemoteEndOfCandidates when r.S.PendingRemote is { } p:
                r.S = r.S with { PendingRemote = p with { EndOfCandidates = true } };
                break;
            case IceInput.RemoteEndOfCandidates: r.S = r.S with { RemoteEndOfCandidates = true }; break;
            case IceInput.Received d: r.At(d.At); Received(r, d.Local, d.Remote, d.Data); break;
            case IceInput.Tick t: r.At(t.At); OnTick(r); break;
            case IceInput.Restart x: Restart(r, x.Ufrag, x.Pwd); break;
            case IceInput.SetRole x: SetRole(r, x.Controlling && !r.S.Config.Lite); break;
            case IceInput.Send x: SendApplicationData(r, x.Data); break;
            case IceInput.Close: Close(r); return r.Finish(wake: false);
        }
        return r.Finish(wake: true);
    }

    /// <summary>Mutable scratch for one step (never escapes Handle, so Handle stays pure).</summary>
    private sealed class Run(IceAgent s)
    {
        public IceAgent S = s;
        public readonly List<IceOutput> Out = new(4);
        public void At(TimeSpan at) { if (at > S.Now) S = S with { Now = at }; }
        public void Emit(IceOutput o) => Out.Add(o);
        public int NewId() { var id = S.NextId; S = S with { NextId = id + 1 }; return id; }
        public TransactionId NewTransactionId()
        {
            var (id, e) = TransactionId.New(S.Entropy);
            S = S with { Entropy = e };
            return id;
        }
        public Step<IceAgent, IceOutput> Finish(bool wake)
        {
            if (wake && NextDeadline(S) is { } at) Out.Add(new IceOutput.WakeAt(at));
            return new Step<IceAgent, IceOutput>(S, Out.ToSeq().Strict());
        }
    }

    // ------------------------------------------------------------------ state helpers

    public CandidatePair? Pair(int id) => Pairs.FirstOrNull(p => p.Id == id);
    public IceLocal? Local(int id) => Locals.FirstOrNull(l => l.Id == id);
    /// <summary>The pair whose remote endpoint and local candidate are those of the selected pair, if it is in the checklist.</summary>
    public bool IsConnected => State is IceConnectionState.Connected or IceConnectionState.Completed;

    private static void SetPair(Run r, CandidatePair p) => r.S = r.S with { Pairs = r.S.Pairs.Map(x => x.Id == p.Id ? p : x) };

    private static void SetState(Run r, IceConnectionState state)
    {
        if (r.S.State == state) return;
        r.S = r.S with { State = state };
        if (state == IceConnectionState.Checking) r.S = r.S with { CheckingSince = r.S.Now };
        r.Emit(new IceOutput.ConnectionStateChanged(state));
    }

    private static void SetGathering(Run r, IceGatheringState state)
    {
        if (r.S.GatheringState == state) return;
        r.S = r.S with { GatheringState = state };
        if (state == IceGatheringState.Gathering) r.S = r.S with { GatheringStartedAt = r.S.Now };
        r.Emit(new IceOutput.GatheringStateChanged(state));
        if (state == IceGatheringState.Complete) r.Emit(new IceOutput.GatheringComplete());
    }

    // ------------------------------------------------------------------ gathering

    private static bool SameFamily(IPEndPoint a, IPEndPoint b) => a.AddressFamily == b.AddressFamily;

    private static void AddLocalInterface(Run r, IPEndPoint socket)
    {
        var cfg = r.S.Config;
        if (!cfg.Filter.Accepts(socket.Address) || r.S.Locals.Exists(l => l.Socket.Equals(socket) && l.Candidate.Type == IceCandidateType.Host)) return;
        SetGathering(r, IceGatheringState.Gathering);
        var index = r.S.Locals.Count(l => l.Candidate.Type == IceCandidateType.Host && SameFamily(l.Socket, socket));
        // Local preference (RFC 8445 5.1.2.1): IPv6 above IPv4, then by the order interfaces were reported.
        var localPref = (socket.AddressFamily == IPAddress.IPv6Any.AddressFamily ? 60000 : 50000) - index * 10;
        var host = new IceCandidate(IceCandidate.ComputeFoundation(IceCandidateType.Host, socket.Address, "", IceTransportProtocol.Udp),
            1, IceTransportProtocol.Udp, IceCandidate.ComputePriority(IceCandidateType.Host, localPref, 1),
            socket.Address.ToString(), socket.Port, IceCandidateType.Host) { Base = socket };
        var advertise = cfg.Policy == IceTransportPolicy.All;
        var local = new IceLocal(r.NewId(), host, socket, localPref, null, advertise);
        r.S = r.S with { Locals = r.S.Locals.Add(local) };
        if (advertise)
        {
            r.Emit(new IceOutput.LocalCandidate(host));
            foreach (var remote in r.S.Remotes) AddPair(r, local, remote);
        }
        if (cfg.Lite) return;
        if (cfg.Policy == IceTransportPolicy.All)
            foreach (var server in cfg.StunServers.Filter(s => SameFamily(s, socket)))
                StartTransaction(r, new IcePurpose.ServerBinding(socket), null, socket, server,
                    StunMessage.Create(StunClass.Request, StunMethod.Binding, r.NewTransactionId()).Encode(fingerprint: true));
        foreach (var turn in cfg.TurnServers.Filter(t => SameFamily(t.Address, socket)))
        {
            var alloc = new TurnAllocation(r.NewId(), socket, turn, TurnAllocationState.Requesting);
            r.S = r.S with { Allocations = r.S.Allocations.Add(alloc) };
            SendTurn(r, alloc, new TurnRequest.Allocate());
        }
    }

    private static bool GatheringPending(IceAgent s) =>
        s.Transactions.Values.Exists(t => t.Purpose is IcePurpose.ServerBinding) ||
        s.Allocations.Exists(a => a.State == TurnAllocationState.Requesting);

    private static void EvaluateGathering(Run r)
    {
        if (r.S.GatheringState != IceGatheringState.Gathering) return;
        var timedOut = r.S.Now >= r.S.GatheringStartedAt + r.S.Config.Timing.GatheringTimeout;
        if (GatheringPending(r.S) && !timedOut) return;
        if (timedOut)
            r.S = r.S with
            {
                Transactions = r.S.Transactions.Filter(t => t.Purpose is not (IcePurpose.ServerBinding or IcePurpose.Turn { Request: TurnRequest.Allocate })),
                Allocations = r.S.Allocations.Map(a => a.State == TurnAllocationState.Requesting ? a with { State = TurnAllocationState.Failed } : a),
            };
        SetGathering(r, IceGatheringState.Complete);
    }

    private static void OnServerBindingResponse(Run r, IcePurpose.ServerBinding p, StunMessage m)
    {
        if (m.Class != StunClass.SuccessResponse) return;
        var mapped = m.Get<StunAttribute.XorMappedAddress>()?.EndPoint ?? m.Get<StunAttribute.MappedAddress>()?.EndPoint;
        if (mapped is null) return;
        AddServerReflexive(r, p.Socket, mapped, "stun");
    }

    private static void AddServerReflexive(Run r, IPEndPoint socket, IPEndPoint mapped, string server)
    {
        // RFC 8445 5.1.3: a server-reflexive candidate equal to its base is redundant.
        if (mapped.Equals(socket) && !r.S.Config.Filter.KeepRedundantServerReflexive) return;
        if (r.S.Locals.Exists(l => l.Candidate.Type == IceCandidateType.Srflx && l.Address.Equals(mapped) && l.Socket.Equals(socket))) return;
        var host = r.S.Locals.FirstOrNull(l => l.Socket.Equals(socket) && l.Candidate.Type == IceCandidateType.Host);
        var localPref = host?.LocalPreference ?? 40000;
        var c = new IceCandidate(IceCandidate.ComputeFoundation(IceCandidateType.Srflx, socket.Address, server, IceTransportProtocol.Udp),
            1, IceTransportProtocol.Udp, IceCandidate.ComputePriority(IceCandidateType.Srflx, localPref, 1),
            mapped.Address.ToString(), mapped.Port, IceCandidateType.Srflx, socket.Address.ToString(), socket.Port) { Base = socket };
        // Server-reflexive candidates are not paired: pairs are pruned to their base (RFC 8445 6.1.2.4).
        r.S = r.S with { Locals = r.S.Locals.Add(new IceLocal(r.NewId(), c, socket, localPref, null, false)) };
        r.Emit(new IceOutput.LocalCandidate(c));
    }

    // ------------------------------------------------------------------ remote candidates and pairs

    private static void AddRemoteCandidate(Run r, IceCandidate c)
    {
        if (c.Transport != IceTransportProtocol.Udp || c.Component != 1 || c.EndPoint is not { } ep) return;
        var existing = r.S.Remotes.FirstOrNull(x => ep.Equals(x.EndPoint));
        if (existing is not null)
        {
            // A signaled candidate replaces a peer-reflexive one learned from a check (RFC 8445 7.3.1.3).
            if (existing.Type == IceCandidateType.Prflx && c.Type != IceCandidateType.Prflx)
                r.S = r.S with
                {
                    Remotes = r.S.Remotes.Map(x => ReferenceEquals(x, existing) ? c : x),
                    Pairs = r.S.Pairs.Map(p => p.RemoteEndPoint.Equals(ep) ? p with { Remote = c } : p),
                };
            return;
        }
        r.S = r.S with { Remotes = r.S.Remotes.Add(c) };
        foreach (var local in r.S.Locals.Filter(l => l.Pairable)) AddPair(r, local, c);
    }

    /// <summary>Pair priority, RFC 8445 6.1.2.3: 2^32 MIN(G,D) + 2 MAX(G,D) + (G>D ? 1 : 0).</summary>
    public static ulong PairPriority(bool controlling, uint local, uint remote)
    {
        ulong g = controlling ? local : remote, d = controlling ? remote : local;
        return (Math.Min(g, d) << 32) + 2 * Math.Max(g, d) + (g > d ? 1UL : 0UL);
    }

    private static CandidatePair? AddPair(Run r, IceLocal local, IceCandidate remote)
    {
        if (remote.EndPoint is not { } rep || !SameFamily(local.Address, rep)) return null;
        var existing = r.S.Pairs.FirstOrNull(p => p.LocalId == local.Id && p.RemoteEndPoint.Equals(rep));
        if (existing is not null) return existing;
        if (local.AllocationId is { } aid) EnsurePermission(r, aid, rep);
        var foundation = local.Candidate.Foundation + ":" + remote.Foundation;
        // Trickle (RFC 8838 11): a new pair waits unless a pair of its foundation is already active.
        var active = r.S.Pairs.Exists(p => p.Foundation == foundation && p.State is CandidatePairState.Waiting or CandidatePairState.InProgress);
        var pair = new CandidatePair(r.NewId(), local.Id, remote, rep, PairPriority(r.S.Controlling, local.Candidate.Priority, remote.Priority),
            active ? CandidatePairState.Frozen : CandidatePairState.Waiting, foundation);
        var pairs = r.S.Pairs.Add(pair);
        if (pairs.Count > 100) pairs = pairs.OrderByDescending(p => p.Priority).Take(100).ToSeq().Strict();
        r.S = r.S with { Pairs = pairs };
        return pair;
    }

    private static void SetRole(Run r, bool controlling)
    {
        if (r.S.Controlling == controlling) return;
        var s = r.S with { Controlling = controlling };
        // Checks in flight carry the old role and would only draw 487s: cancel them and redo them as triggered checks.
        var stale = s.Transactions.Values.Filter(t => t.Purpose is IcePurpose.Check c && c.ControllingWhenSent != controlling)
            .Map(t => ((IcePurpose.Check)t.Purpose).PairId).ToSeq().Strict();
        r.S = s with
        {
            Pairs = s.Pairs.Map(p => s.Local(p.LocalId) is { } l ? p with
            {
                Priority = PairPriority(controlling, l.Candidate.Priority, p.Remote.Priority),
                State = stale.Exists(id => id == p.Id) && p.State == CandidatePairState.InProgress ? CandidatePairState.Waiting : p.State,
            } : p),
            Transactions = s.Transactions.Filter(t => !(t.Purpose is IcePurpose.Check c && c.ControllingWhenSent != controlling)),
            Triggered = s.Triggered.Concat(stale.OrderBy(id => id)).ToSeq().Strict(),
            NominatingPairId = null,
        };
    }

    // ------------------------------------------------------------------ sending

    /// <summary>Sends <paramref name="data"/> from a local candidate to a peer: directly, or through the TURN allocation.</summary>
    private static void SendVia(Run r, IceLocal local, IPEndPoint peer, ReadOnlySpan<byte> data)
    {
        if (local.AllocationId is not { } aid)
        {
            r.Emit(new IceOutput.Transmit(local.Socket, peer, new Bytes(data)));
            return;
        }
        var alloc = r.S.Allocations.FirstOrNull(a => a.Id == aid);
        if (alloc is null || alloc.State != TurnAllocationState.Allocated) return;
        byte[] wire;
        if (alloc.Channels.TryGet(peer, out var ch)) wire = ChannelData.Encode(ch, data);
        else
            wire = StunMessage.Create(StunClass.Indication, StunMethod.Send, r.NewTransactionId(),
                new StunAttribute.XorPeerAddress(peer), new StunAttribute.Data(new Bytes(data))).Encode(fingerprint: true);
        r.Emit(new IceOutput.Transmit(alloc.Socket, alloc.Server.Address, new Bytes(wire)));
    }

    private static void StartTransaction(Run r, IcePurpose purpose, IceLocal? via, IPEndPoint from, IPEndPoint to, byte[] message)
    {
        var id = TransactionId.Read(message.AsSpan(8, 12));
        var rto = r.S.Config.Timing.InitialRto;
        var tx = new IceTransaction(id, purpose, via?.Id, from, to, new Bytes(message), 1, r.S.Now + rto, rto);
        r.S = r.S with { Transactions = r.S.Transactions.AddOrUpdate(id, tx) };
        Transmit(r, tx);
    }

    private static void Transmit(Run r, IceTransaction tx)
    {
        if (tx.LocalId is { } lid)
        {
            if (r.S.Local(lid) is { } local) SendVia(r, local, tx.To, tx.Message.Span);
        }
        else r.Emit(new IceOutput.Transmit(tx.From, tx.To, tx.Message));
    }

    private static void SendApplicationData(Run r, ReadOnlyMemory<byte> data)
    {
        if (r.S.Selected is not { } sel || r.S.State is IceConnectionState.Failed) return;
        SendVia(r, sel.Local, sel.RemoteEndPoint, data.Span);
    }

    // ------------------------------------------------------------------ connectivity checks (RFC 8445 7.2)

    private static byte[] BuildCheck(Run r, IceLocal local, bool useCandidate, Bytes remoteKey, IPEndPoint to)
    {
        var prflxPriority = IceCandidate.ComputePriority(IceCandidateType.Prflx, local.LocalPreference, 1);
        var localUfrag = r.S.PreviousLocalUfrag is { } previous && r.S.KnowUsByPrevious.Exists(e => e.Equals(to)) ? previous : r.S.LocalUfrag;
        var attrs = new List<StunAttribute>(5)
        {
            new StunAttribute.Username(r.S.RemoteUfrag + ":" + localUfrag),
            new StunAttribute.Priority(prflxPriority),
            r.S.Controlling ? new StunAttribute.IceControlling(r.S.TieBreaker) : new StunAttribute.IceControlled(r.S.TieBreaker),
        };
        if (useCandidate) attrs.Add(new StunAttribute.UseCandidate());
        return new StunMessage(StunClass.Request, StunMethod.Binding, r.NewTransactionId(), attrs.ToSeq()).Encode(remoteKey.Span, fingerprint: true);
    }

    private static void SendCheck(Run r, CandidatePair pair, bool useCandidate)
    {
        if (r.S.RemoteKey is not { } key || r.S.Local(pair.LocalId) is not { } local) return;
        var msg = BuildCheck(r, local, useCandidate, key, pair.RemoteEndPoint);
        SetPair(r, pair with { State = pair.State == CandidatePairState.Succeeded ? CandidatePairState.Succeeded : CandidatePairState.InProgress });
        StartTransaction(r, new IcePurpose.Check(pair.Id, useCandidate, r.S.Controlling, key), local, local.Socket, pair.RemoteEndPoint, msg);
        if (r.S.State == IceConnectionState.New) SetState(r, IceConnectionState.Checking);
    }

    /// <summary>Checks run unless lite, without remote credentials, or after consent was lost on a selected pair.</summary>
    private static bool CanCheck(IceAgent s) => !s.Config.Lite && s.RemoteKey is not null && !(s.State == IceConnectionState.Failed && s.Selected is not null);

    /// <summary>One check per Ta: a triggered check first, else the best waiting pair, else unfreeze the best frozen one (RFC 8445 6.1.4.2).</summary>
    private static void PacedCheck(Run r)
    {
        if (!CanCheck(r.S) || r.S.Now < r.S.NextPacedAt) return;
        CandidatePair? next = null;
        var triggered = r.S.Triggered;
        while (next is null && !triggered.IsEmpty)
        {
            var id = triggered.Head;
            triggered = triggered.Tail;
            if (r.S.Pair(id) is { State: CandidatePairState.Waiting } p) next = p;
        }
        r.S = r.S with { Triggered = triggered };
        next ??= BestWith(r.S, CandidatePairState.Waiting) ?? BestWith(r.S, CandidatePairState.Frozen);
        if (next is null) return;
        SendCheck(r, next, false);
        if (r.S.State == IceConnectionState.Failed) SetState(r, IceConnectionState.Checking);
        r.S = r.S with { NextPacedAt = r.S.Now + r.S.Config.Timing.Ta };
    }

    private static CandidatePair? BestWith(IceAgent s, CandidatePairState state)
    {
        CandidatePair? best = null;
        foreach (var p in s.Pairs) if (p.State == state && (best is null || p.Priority > best.Priority)) best = p;
        return best;
    }

    private static bool HasPendingChecks(IceAgent s) =>
        s.Pairs.Exists(p => p.State is CandidatePairState.Waiting or CandidatePairState.Frozen) || !s.Triggered.IsEmpty;

    // ------------------------------------------------------------------ receiving

    private static void Received(Run r, IPEndPoint localSocket, IPEndPoint remote, ReadOnlyMemory<byte> data)
    {
        var span = data.Span;
        var alloc = r.S.Allocations.FirstOrNull(a => a.Socket.Equals(localSocket) && a.Server.Address.Equals(remote));
        if (alloc is not null)
        {
            ReceivedFromTurnServer(r, alloc, data);
            return;
        }
        var host = r.S.Locals.FirstOrNull(l => l.Socket.Equals(localSocket) && l.Candidate.Type == IceCandidateType.Host);
        if (!StunMessage.IsStun(span))
        {
            if (host is not null) r.Emit(new IceOutput.Deliver(localSocket, remote, new Bytes(span)));
            return;
        }
        if (!StunMessage.TryParse(span, out var msg, out _)) return;
        if (msg.Class is StunClass.SuccessResponse or StunClass.ErrorResponse)
        {
            OnResponse(r, host, remote, span, msg);
            return;
        }
        if (host is not null && msg.Class == StunClass.Request && msg.Method == StunMethod.Binding) OnCheckRequest(r, host, remote, span, msg);
    }

    private static void ViaRelay(Run r, TurnAllocation alloc, IPEndPoint peer, ReadOnlySpan<byte> payload)
    {
        if (alloc.LocalId is not { } lid || r.S.Local(lid) is not { } relay) return;
        if (!StunMessage.IsStun(payload))
        {
            r.Emit(new IceOutput.Deliver(relay.Address, peer, new Bytes(payload)));
            return;
        }
        if (!StunMessage.TryParse(payload, out var msg, out _)) return;
        if (msg.Class is StunClass.SuccessResponse or StunClass.ErrorResponse) OnResponse(r, relay, peer, payload, msg);
        else if (msg.Class == StunClass.Request && msg.Method == StunMethod.Binding) OnCheckRequest(r, relay, peer, payload, msg);
    }

    private static void OnResponse(Run r, IceLocal? local, IPEndPoint remote, ReadOnlySpan<byte> raw, StunMessage msg)
    {
        if (!r.S.Transactions.TryGet(msg.TransactionId, out var tx)) return;
        switch (tx.Purpose)
        {
            case IcePurpose.Check c:
                if (!StunIntegrity.CheckMessageIntegrity(raw, c.RemoteKey.Span)) return;
                r.S = r.S with { Transactions = r.S.Transactions.Remove(tx.Id) };
                OnCheckResponse(r, tx, c, local, remote, msg);
                break;
            case IcePurpose.Consent c:
                if (!StunIntegrity.CheckMessageIntegrity(raw, c.RemoteKey.Span)) return;
                r.S = r.S with { Transactions = r.S.Transactions.Remove(tx.Id) };
                if (msg.Class == StunClass.SuccessResponse) ConsentRefreshed(r);
                break;
            case IcePurpose.ServerBinding b:
                if (!remote.Equals(tx.To)) return;
                r.S = r.S with { Transactions = r.S.Transactions.Remove(tx.Id) };
                OnServerBindingResponse(r, b, msg);
                break;
            case IcePurpose.Turn t:
                // A success must carry our long-term integrity; a forged one must not end the transaction.
                if (msg.Class == StunClass.SuccessResponse && r.S.Allocations.FirstOrNull(a => a.Id == t.AllocationId) is { Key: { } key } &&
                    !StunIntegrity.CheckMessageIntegrity(raw, key.Span)) return;
                r.S = r.S with { Transactions = r.S.Transactions.Remove(tx.Id) };
                OnTurnResponse(r, t, raw, msg);
                break;
        }
    }

    /// <summary>RFC 8445 7.3: answer a connectivity check, learn peer-reflexive candidates, trigger checks, accept nomination.</summary>
    private static void OnCheckRequest(Run r, IceLocal local, IPEndPoint remote, ReadOnlySpan<byte> raw, StunMessage req)
    {
        if (!local.Pairable) return;
        var user = req.Get<StunAttribute.Username>()?.Value;
        if (user is null) return;
        var key = r.S.LocalKey;
        if (!user.StartsWith(r.S.LocalUfrag + ":", StringComparison.Ordinal))
        {
            // The peer's new generation still knows us by our previous ufrag: it restarted first and paired its new
            // candidates with our old ones before our answer reached it (Chromium does, and keeps that ufrag for our
            // address afterwards, rejecting checks with our new one). Answer it with the previous key and check it
            // with the ufrag it knows. Requests of the peer's old generation stay unanswered.
            if (r.S.PreviousLocalUfrag is not { } previous || r.S.PreviousLocalKey is not { } previousKey || r.S.RemoteUfrag is null ||
                user != previous + ":" + r.S.RemoteUfrag) return;
            if (!StunIntegrity.CheckMessageIntegrity(raw, previousKey.Span)) return;
            key = previousKey;
            if (!r.S.KnowUsByPrevious.Exists(e => e.Equals(remote))) r.S = r.S with { KnowUsByPrevious = r.S.KnowUsByPrevious.Add(remote) };
        }
        else if (!StunIntegrity.CheckMessageIntegrity(raw, key.Span)) return;
        else if (r.S.KnowUsByPrevious.Exists(e => e.Equals(remote)))
            r.S = r.S with { KnowUsByPrevious = r.S.KnowUsByPrevious.Filter(e => !e.Equals(remote)).ToSeq().Strict() }; // it learned the new one
        if (req.Has<StunAttribute.Fingerprint>() && !StunIntegrity.CheckFingerprint(raw)) return;
        if (!req.UnknownComprehensionRequired.IsEmpty)
        {
            SendError(r, local, remote, req, 420, "Unknown Attribute", new StunAttribute.UnknownAttributes(req.UnknownComprehensionRequired), key);
            return;
        }
        // Role conflict (RFC 8445 7.3.1.1).
        var theirControlling = req.Get<StunAttribute.IceControlling>();
        var theirControlled = req.Get<StunAttribute.IceControlled>();
        if (r.S.Controlling && theirControlling is not null)
        {
            if (r.S.TieBreaker >= theirControlling.TieBreaker) { SendError(r, local, remote, req, 487, "Role Conflict", null, key); return; }
            SetRole(r, false);
        }
        else if (!r.S.Controlling && theirControlled is not null)
        {
            if (r.S.TieBreaker >= theirControlled.TieBreaker) SetRole(r, true);
            else { SendError(r, local, remote, req, 487, "Role Conflict", null, key); return; }
        }
        var response = StunMessage.Create(StunClass.SuccessResponse, StunMethod.Binding, req.TransactionId,
            new StunAttribute.XorMappedAddress(remote)).Encode(key.Span, fingerprint: true);
        SendVia(r, local, remote, response);

        // The remote candidate: known, or peer-reflexive with the PRIORITY of the request (RFC 8445 7.3.1.3).
        var remoteCandidate = r.S.Remotes.FirstOrNull(c => remote.Equals(c.EndPoint));
        if (remoteCandidate is null)
        {
            var priority = req.Get<StunAttribute.Priority>()?.Value ?? 0;
            remoteCandidate = new IceCandidate(IceCandidate.ComputeFoundation(IceCandidateType.Prflx, remote.Address, "remote", IceTransportProtocol.Udp),
                1, IceTransportProtocol.Udp, priority, remote.Address.ToString(), remote.Port, IceCandidateType.Prflx);
            r.S = r.S with { Remotes = r.S.Remotes.Add(remoteCandidate) };
        }
        var pair = AddPair(r, local, remoteCandidate);
        if (pair is null) return;
        // A check from the peer revives a checklist that had failed for want of a working pair.
        if (r.S.State == IceConnectionState.New || (r.S.State == IceConnectionState.Failed && r.S.Selected is null)) SetState(r, IceConnectionState.Checking);
        // A lite agent has no checks of its own: a pair is valid once the full agent's check arrives (RFC 8445 7.3.1.5 / 2.5).
        if (r.S.Config.Lite && !pair.Valid)
        {
            pair = pair with { State = CandidatePairState.Succeeded, Valid = true };
            SetPair(r, pair);
        }
        // Triggered check (RFC 8445 7.3.1.4); an in-progress check is cancelled (no more retransmissions) and redone now.
        if (!r.S.Config.Lite && pair.State == CandidatePairState.InProgress)
        {
            var pid = pair.Id;
            r.S = r.S with
            {
                Transactions = r.S.Transactions.Map(t => t.Purpose is IcePurpose.Check { UseCandidate: false } c && c.PairId == pid && !t.Cancelled ? t with { Cancelled = true } : t),
            };
            if (!r.S.Transactions.Values.Exists(t => t.Purpose is IcePurpose.Check c && c.PairId == pid && !t.Cancelled))
                pair = pair with { State = CandidatePairState.Failed }; // so the branch below makes it Waiting and triggered
        }
        if (!r.S.Config.Lite && pair.State is CandidatePairState.Frozen or CandidatePairState.Waiting or CandidatePairState.Failed)
        {
            if (pair.State != CandidatePairState.Waiting || r.S.Pair(pair.Id)?.State != CandidatePairState.Waiting)
            {
                pair = pair with { State = CandidatePairState.Waiting };
                SetPair(r, pair);
            }
            if (!r.S.Triggered.Exists(id => id == pair.Id)) r.S = r.S with { Triggered = r.S.Triggered.Add(pair.Id) };
        }
        if (IsSelected(r.S, local, remote)) Activity(r);
        // Nomination by the controlling agent (RFC 8445 7.3.1.5).
        if (!r.S.Controlling && req.Has<StunAttribute.UseCandidate>())
        {
            if (pair.Valid) Nominate(r, pair);
            else SetPair(r, pair with { NominateOnSuccess = true });
        }
    }

    private static void SendError(Run r, IceLocal local, IPEndPoint remote, StunMessage req, int code, string reason, StunAttribute? extra, Bytes key)
    {
        var m = StunMessage.Create(StunClass.ErrorResponse, StunMethod.Binding, req.TransactionId, new StunAttribute.ErrorCode(code, reason));
        if (extra is not null) m = m.With(extra);
        SendVia(r, local, remote, m.Encode(key.Span, fingerprint: true));
    }

    private static bool IsSelected(IceAgent s, IceLocal local, IPEndPoint remote) =>
        s.Selected is { } sel && sel.Local.Id == local.Id && sel.RemoteEndPoint.Equals(remote);

    /// <summary>RFC 8445 7.2.5: process a check's response.</summary>
    private static void OnCheckResponse(Run r, IceTransaction tx, IcePurpose.Check c, IceLocal? local, IPEndPoint remote, StunMessage msg)
    {
        if (r.S.Pair(c.PairId) is not { } pair) return;
        // Non-symmetric addresses fail the check (RFC 8445 7.2.5.2.1).
        if (local is null || local.Id != pair.LocalId || !remote.Equals(pair.RemoteEndPoint))
        {
            SetPair(r, pair with { State = CandidatePairState.Failed });
            return;
        }
        if (msg.Class == StunClass.ErrorResponse)
        {
            var code = msg.Get<StunAttribute.ErrorCode>()?.Code ?? 0;
            if (code == 487)
            {
                // Role conflict (RFC 8445 7.2.5.1): switch role if we still hold the role we sent, and retry as a triggered check.
                if (r.S.Controlling == c.ControllingWhenSent) SetRole(r, !c.ControllingWhenSent);
                var p = r.S.Pair(pair.Id)!;
                SetPair(r, p with { State = CandidatePairState.Waiting });
                r.S = r.S with { Triggered = r.S.Triggered.Add(p.Id) };
            }
            else if (pair.State != CandidatePairState.Succeeded) SetPair(r, pair with { State = CandidatePairState.Failed });
            return;
        }
        var mapped = msg.Get<StunAttribute.XorMappedAddress>()?.EndPoint;
        if (mapped is not null && !r.S.Locals.Exists(l => l.Address.Equals(mapped)) && local.AllocationId is null)
        {
            // A local peer-reflexive candidate (RFC 8445 7.2.5.3.1); it shares its base with the pair's local, which keeps sending.
            var pf = new IceCandidate(IceCandidate.ComputeFoundation(IceCandidateType.Prflx, local.Socket.Address, "", IceTransportProtocol.Udp),
                1, IceTransportProtocol.Udp, IceCandidate.ComputePriority(IceCandidateType.Prflx, local.LocalPreference, 1),
                mapped.Address.ToString(), mapped.Port, IceCandidateType.Prflx) { Base = local.Socket };
            r.S = r.S with { Locals = r.S.Locals.Add(new IceLocal(r.NewId(), pf, local.Socket, local.LocalPreference, null, false)) };
        }
        var valid = pair with { State = CandidatePairState.Succeeded, Valid = true };
        SetPair(r, valid);
        if (r.S.FirstValidAt is null) r.S = r.S with { FirstValidAt = r.S.Now };
        // Unfreeze pairs of the same foundation (RFC 8445 7.2.5.3.3).
        r.S = r.S with { Pairs = r.S.Pairs.Map(p => p.State == CandidatePairState.Frozen && p.Foundation == valid.Foundation ? p with { State = CandidatePairState.Waiting } : p) };
        if (IsSelected(r.S, local, remote)) { Activity(r); ConsentRefreshed(r); }
        if ((c.UseCandidate && r.S.Controlling) || (!r.S.Controlling && valid.NominateOnSuccess)) Nominate(r, valid);
        if (c.UseCandidate && r.S.NominatingPairId == valid.Id) r.S = r.S with { NominatingPairId = null };
    }

    private static void Nominate(Run r, CandidatePair pair)
    {
        var p = pair with { Nominated = true, NominateOnSuccess = false };
        SetPair(r, p);
        Select(r, p);
    }

    private static void Select(Run r, CandidatePair pair)
    {
        if (r.S.Local(pair.LocalId) is not { } local) return;
        var changed = !IsSelected(r.S, local, pair.RemoteEndPoint);
        if (changed)
        {
            r.S = r.S with { Selected = new SelectedPair(local, pair.Remote, pair.RemoteEndPoint) };
            r.Emit(new IceOutput.SelectedPairChanged(local.Candidate, pair.Remote));
            if (local.AllocationId is { } aid) EnsureChannel(r, aid, pair.RemoteEndPoint);
        }
        if (changed || !r.S.IsConnected)
        {
            var (jitter, e) = r.S.Entropy.NextUInt32();
            r.S = r.S with
            {
                Entropy = e, LastActivity = r.S.Now, LastConsent = r.S.Now, UnansweredConsentSince = null,
                NextConsentAt = r.S.Now + ConsentInterval(r.S.Config.Timing, jitter),
            };
        }
        if (r.S.State is not (IceConnectionState.Connected or IceConnectionState.Completed)) SetState(r, IceConnectionState.Connected);
    }

    /// <summary>The consent interval randomized to 0.8..1.2 of its value (RFC 7675 5.1).</summary>
    private static TimeSpan ConsentInterval(IceTiming t, uint random) =>
        TimeSpan.FromTicks((long)(t.ConsentInterval.Ticks * (0.8 + 0.4 * (random / (double)uint.MaxValue))));

    private static void Activity(Run r)
    {
        r.S = r.S with { LastActivity = r.S.Now, UnansweredConsentSince = null };
        if (r.S.State == IceConnectionState.Disconnected) SetState(r, IceConnectionState.Connected);
    }

    private static void ConsentRefreshed(Run r)
    {
        r.S = r.S with { LastConsent = r.S.Now };
        Activity(r);
    }

    // ------------------------------------------------------------------ timers

    private static void OnTick(Run r)
    {
        Retransmit(r);
        UpdateConnectionState(r);
        PacedCheck(r);
        MaybeNominate(r);
        Consent(r);
        TurnTimers(r);
        EvaluateGathering(r);
    }

    private static void Retransmit(Run r)
    {
        var now = r.S.Now;
        var due = r.S.Transactions.Values.Filter(t => t.NextAt <= now).OrderBy(t => t.NextAt).ThenBy(t => t.Id.High).ToList();
        var timing = r.S.Config.Timing;
        foreach (var tx in due)
        {
            if (tx.Cancelled)
            {
                // Wait one last RTO for a late response, then forget it without failing anything.
                if (tx.Sent >= timing.MaxTransmissions || tx.NextAt + tx.Rto <= now) r.S = r.S with { Transactions = r.S.Transactions.Remove(tx.Id) };
                else r.S = r.S with { Transactions = r.S.Transactions.SetItem(tx.Id, tx with { Sent = timing.MaxTransmissions, NextAt = now + tx.Rto }) };
                continue;
            }
            if (tx.Sent >= timing.MaxTransmissions)
            {
                r.S = r.S with { Transactions = r.S.Transactions.Remove(tx.Id) };
                TransactionTimedOut(r, tx);
                continue;
            }
            var rto = tx.Rto + tx.Rto > timing.MaxRto ? timing.MaxRto : tx.Rto + tx.Rto;
            var next = tx with { Sent = tx.Sent + 1, Rto = rto, NextAt = now + rto };
            r.S = r.S with { Transactions = r.S.Transactions.SetItem(tx.Id, next) };
            Transmit(r, next);
        }
    }

    private static void TransactionTimedOut(Run r, IceTransaction tx)
    {
        switch (tx.Purpose)
        {
            case IcePurpose.Check c when r.S.Pair(c.PairId) is { } p:
                if (p.State != CandidatePairState.Succeeded) SetPair(r, p with { State = CandidatePairState.Failed });
                if (r.S.NominatingPairId == p.Id) r.S = r.S with { NominatingPairId = null };
                break;
            case IcePurpose.Turn t when t.Request is TurnRequest.Allocate:
                SetAllocation(r, t.AllocationId, a => a with { State = TurnAllocationState.Failed });
                break;
        }
    }

    /// <summary>Regular nomination (RFC 8445 8.1.1): once the best valid pair is known (or a short delay passed), check it again with USE-CANDIDATE.</summary>
    private static void MaybeNominate(Run r)
    {
        var s = r.S;
        if (!s.Controlling || s.Config.Lite || s.RemoteKey is null || s.NominatingPairId is not null) return;
        if (s.Pairs.Exists(p => p.Nominated)) return;
        var best = s.Pairs.Filter(p => p.Valid).OrderByDescending(p => p.Priority).FirstOrDefault();
        if (best is null) return;
        if (!NominateNow(s, best) && s.Now < s.FirstValidAt + s.Config.Timing.NominationDelay) return;
        r.S = r.S with { NominatingPairId = best.Id };
        SendCheck(r, best, useCandidate: true);
    }

    /// <summary>
    /// No better pair is pending and none can come (the remote signaled end-of-candidates, our gathering is complete):
    /// the best valid pair is final, so the nomination delay (kept for late trickled candidates) has nothing to wait for.
    /// </summary>
    private static bool NominateNow(IceAgent s, CandidatePair best) =>
        s.RemoteEndOfCandidates && s.GatheringState == IceGatheringState.Complete &&
        !s.Pairs.Exists(p => p.Priority > best.Priority && p.State is CandidatePairState.Waiting or CandidatePairState.InProgress or CandidatePairState.Frozen);

    private static void Consent(Run r)
    {
        var s = r.S;
        if (s.Selected is not { } sel || s.Config.Lite || s.RemoteKey is not { } key || s.Now < s.NextConsentAt) return;
        if (s.State is IceConnectionState.Failed) return;
        var msg = BuildCheck(r, sel.Local, false, key, sel.RemoteEndPoint);
        StartTransaction(r, new IcePurpose.Consent(key), sel.Local, sel.Local.Socket, sel.RemoteEndPoint, msg);
        var (jitter, e) = r.S.Entropy.NextUInt32();
        r.S = r.S with
        {
            Entropy = e, NextConsentAt = r.S.Now + ConsentInterval(r.S.Config.Timing, jitter),
            UnansweredConsentSince = r.S.UnansweredConsentSince ?? r.S.Now,
        };
    }

    /// <summary>
    /// When a connected agent goes disconnected if nothing is heard: 5 s (DisconnectedTimeout) of silence on the selected
    /// pair, and one of our consent checks unanswered for ConsentResponseTimeout. Silence while no check is out is no
    /// evidence (RFC 7675 checks are 4-6 s apart on each side), so then there is no deadline: the next check sets one.
    /// An agent that sends no checks (lite, or between an ICE restart and the new credentials) goes by silence alone,
    /// a little longer than the peer's longest consent interval.
    /// </summary>
    private static TimeSpan? DisconnectedAt(IceAgent s)
    {
        var t = s.Config.Timing;
        var silence = s.LastActivity + t.DisconnectedTimeout;
        if (s.Config.Lite || s.RemoteKey is null)
        {
            var longest = s.LastActivity + TimeSpan.FromTicks(t.ConsentInterval.Ticks * 6 / 5) + t.ConsentResponseTimeout;
            return silence > longest ? silence : longest;
        }
        if (s.UnansweredConsentSince is not { } sent) return null;
        var unanswered = sent + t.ConsentResponseTimeout;
        return silence > unanswered ? silence : unanswered;
    }

    private static void UpdateConnectionState(Run r)
    {
        var s = r.S;
        var t = s.Config.Timing;
        if (s.Selected is not null && s.State is IceConnectionState.Connected or IceConnectionState.Completed or IceConnectionState.Disconnected)
        {
            // RFC 7675 5.1: consent expires 30 s after the last response.
            if (s.Now - s.LastConsent >= t.FailedTimeout && !s.Config.Lite)
            {
                // Consent lost: stop sending on the pair, checks included (RFC 7675 5.1).
                r.S = r.S with { Transactions = r.S.Transactions.Filter(x => x.Purpose is not (IcePurpose.Consent or IcePurpose.Check)) };
                SetState(r, IceConnectionState.Failed);
                return;
            }
            if (DisconnectedAt(s) is { } disconnectedAt && s.Now >= disconnectedAt) { SetState(r, IceConnectionState.Disconnected); return; }
            if (s.State == IceConnectionState.Connected && s.RemoteEndOfCandidates && s.GatheringState == IceGatheringState.Complete &&
                !HasPendingChecks(s) && !s.Pairs.Exists(p => p.State == CandidatePairState.InProgress))
                SetState(r, IceConnectionState.Completed);
            return;
        }
        if (s.State != IceConnectionState.Checking || s.Selected is not null) return;
        // No pair selected FailedTimeout after checks began: failed (W3C "failed"; Pion uses 25 s, we use the consent timeout).
        if (s.Now - s.CheckingSince >= t.FailedTimeout && !GatheringPending(s))
        {
            r.S = r.S with { Transactions = r.S.Transactions.Filter(x => x.Purpose is not IcePurpose.Check) };
            SetState(r, IceConnectionState.Failed);
            return;
        }
        // Every pair failed (a lossy path can eat all of a check's retransmissions): run another round of checks until then.
        if (!HasPendingChecks(s) && !s.Pairs.IsEmpty && !s.Pairs.Exists(p => p.State is CandidatePairState.InProgress || p.Valid))
            r.S = s with { Pairs = s.Pairs.Map(p => p.State == CandidatePairState.Failed ? p with { State = CandidatePairState.Waiting } : p) };
    }

    /// <summary>The earliest time the agent needs a Tick.</summary>
    public static TimeSpan? NextDeadline(IceAgent s)
    {
        if (s.State == IceConnectionState.Closed) return null;
        TimeSpan? best = null;
        void Consider(TimeSpan at) { if (best is null || at < best) best = at; }
        foreach (var tx in s.Transactions.Values) Consider(tx.NextAt);
        if (CanCheck(s) && HasPendingChecks(s)) Consider(s.NextPacedAt > s.Now ? s.NextPacedAt : s.Now);
        if (s.Controlling && CanCheck(s) && s.NominatingPairId is null && s.FirstValidAt is { } fv && !s.Pairs.Exists(p => p.Nominated) && s.Pairs.Exists(p => p.Valid))
        {
            var bestValid = s.Pairs.Filter(p => p.Valid).OrderByDescending(p => p.Priority).First();
            Consider(!NominateNow(s, bestValid) && fv + s.Config.Timing.NominationDelay > s.Now ? fv + s.Config.Timing.NominationDelay : s.Now);
        }
        if (s.Selected is not null && s.State is not IceConnectionState.Failed)
        {
            if (!s.Config.Lite && s.RemoteKey is not null) Consider(s.NextConsentAt);
            if (s.State != IceConnectionState.Disconnected && DisconnectedAt(s) is { } disconnectedAt) Consider(disconnectedAt);
            if (!s.Config.Lite) Consider(s.LastConsent + s.Config.Timing.FailedTimeout);
        }
        // Only while it lies ahead: when it passes with checks still pending, the other deadlines drive the agent.
        if (s.State == IceConnectionState.Checking && s.Selected is null && s.CheckingSince + s.Config.Timing.FailedTimeout > s.Now)
            Consider(s.CheckingSince + s.Config.Timing.FailedTimeout);
        if (s.GatheringState == IceGatheringState.Gathering)
            Consider(GatheringPending(s) ? s.GatheringStartedAt + s.Config.Timing.GatheringTimeout : s.Now);
        foreach (var a in s.Allocations.Filter(a => a.State == TurnAllocationState.Allocated))
        {
            Consider(a.RefreshAt);
            foreach (var p in a.Permissions.Values) Consider(p);
            foreach (var c in a.ChannelRefresh.Values) Consider(c);
        }
        return best;
    }

    // ------------------------------------------------------------------ restart and close

    /// <summary>
    /// The peer's credentials. New ones while this generation has the peer's credentials already mean the peer restarted
    /// ICE (its offer), and our answer restarts too (RFC 8839 4.4.1.1.2): they, and the candidates signaled with them,
    /// wait for our <see cref="IceInput.Restart"/>. Until then checks and consent keep this generation's credentials: a
    /// check carrying the peer's new ufrag with our old one teaches the peer's new generation our old ufrag (Chromium then
    /// keeps that ufrag for our address and rejects the new generation's checks with an unsigned 401).
    /// </summary>
    private static void SetRemoteCredentials(Run r, string ufrag, string pwd)
    {
        if (r.S.RemoteUfrag is { } current && (current != ufrag || r.S.RemotePwd != pwd))
        {
            var kept = r.S.PendingRemote is { } p && p.Ufrag == ufrag && p.Pwd == pwd ? p : new IceRemoteRestart(ufrag, pwd, Seq<IceCandidate>.Empty, false);
            r.S = r.S with { PendingRemote = kept };
            return;
        }
        r.S = r.S with { RemoteUfrag = ufrag, RemotePwd = pwd, RemoteKey = StunIntegrity.ShortTermKey(pwd), PendingRemote = null };
    }

    private static void Restart(Run r, string ufrag, string pwd)
    {
        // RFC 8445 9: new credentials, a new checklist; the selected pair keeps carrying data until a new one is nominated.
        r.S = r.S with
        {
            LocalUfrag = ufrag, LocalPwd = pwd, LocalKey = StunIntegrity.ShortTermKey(pwd),
            PreviousLocalUfrag = r.S.LocalUfrag, PreviousLocalKey = r.S.LocalKey, KnowUsByPrevious = Seq<IPEndPoint>.Empty,
            RemoteUfrag = null, RemotePwd = null, RemoteKey = null,
            Remotes = Seq<IceCandidate>.Empty, Pairs = Seq<CandidatePair>.Empty, Triggered = Seq<int>.Empty,
            Transactions = r.S.Transactions.Filter(t => t.Purpose is not IcePurpose.Check),
            NominatingPairId = null, FirstValidAt = null, RemoteEndOfCandidates = false,
            Generation = r.S.Generation + 1,
        };
        if (r.S.State is IceConnectionState.Failed or IceConnectionState.New) SetState(r, IceConnectionState.Checking);
        if (r.S.State == IceConnectionState.Completed) SetState(r, IceConnectionState.Connected);
        // Gathering restarts: the same candidates are signaled again for the new generation.
        r.S = r.S with { GatheringState = IceGatheringState.New };
        SetGathering(r, IceGatheringState.Gathering);
        foreach (var l in r.S.Locals.Filter(l => l.Pairable || l.Candidate.Type == IceCandidateType.Srflx))
            r.Emit(new IceOutput.LocalCandidate(l.Candidate));
        // The peer restarted first (its offer): its new generation starts now, with ours.
        if (r.S.PendingRemote is { } pending)
        {
            r.S = r.S with { PendingRemote = null };
            SetRemoteCredentials(r, pending.Ufrag, pending.Pwd);
            foreach (var c in pending.Candidates) AddRemoteCandidate(r, c);
            if (pending.EndOfCandidates) r.S = r.S with { RemoteEndOfCandidates = true };
        }
    }

    private static void Close(Run r)
    {
        foreach (var a in r.S.Allocations.Filter(a => a.State == TurnAllocationState.Allocated))
            r.Emit(new IceOutput.Transmit(a.Socket, a.Server.Address, new Bytes(BuildTurn(r, a, new TurnRequest.Refresh(0)))));
        r.S = r.S with { Transactions = HashMap<TransactionId, IceTransaction>.Empty, Triggered = Seq<int>.Empty };
        SetState(r, IceConnectionState.Closed);
    }
}
