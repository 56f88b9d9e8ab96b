using System.Net;
using Functional.WebRtc.Core.Stun;
using LanguageExt;

namespace Functional.WebRtc.Core.Ice;

public enum IceTransportPolicy { All, Relay }
public enum IceConnectionState { New, Checking, Connected, Completed, Disconnected, Failed, Closed }
public enum IceGatheringState { New, Gathering, Complete }
public enum CandidatePairState { Frozen, Waiting, InProgress, Succeeded, Failed }

/// <summary>A TURN server reached over UDP (the shell resolves names; the core sees an address).</summary>
public sealed record TurnServer(IPEndPoint Address, string Username, string Credential);

/// <summary>Timers (RFC 8445 14, RFC 7675, RFC 8656). All are inputs to the pure agent; no clock is read.</summary>
public sealed record IceTiming(
    TimeSpan Ta, TimeSpan InitialRto, TimeSpan MaxRto, int MaxTransmissions,
    TimeSpan ConsentInterval, TimeSpan DisconnectedTimeout, TimeSpan FailedTimeout,
    TimeSpan NominationDelay, TimeSpan GatheringTimeout)
{
    /// <summary>
    /// Ta 50 ms; checks retransmit from 250 ms doubling to 3 s, 7 transmissions; consent checks every 5 s randomized to
    /// 4-6 s (RFC 7675 5.1); disconnected after 5 s of silence once a consent check has gone a second unanswered; failed
    /// after 30 s without consent.
    /// </summary>
    public static readonly IceTiming Default = new(
        TimeSpan.FromMilliseconds(50), TimeSpan.FromMilliseconds(250), TimeSpan.FromSeconds(3), 7,
        TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(30),
        TimeSpan.FromMilliseconds(300), TimeSpan.FromSeconds(8));

    /// <summary>
    /// How long a consent check may go unanswered before the silence counts as a loss (W3C "disconnected": checks to ensure
    /// the pair is still connected failed). Silence alone is not enough: with checks 4-6 s apart on both sides, a quiet
    /// gap of more than 5 s happens on a healthy path.
    /// </summary>
    public TimeSpan ConsentResponseTimeout { get; init; } = TimeSpan.FromSeconds(1);
}

/// <summary>Which reported interfaces become candidates (like Pion's SettingEngine filters).</summary>
public sealed record IceCandidateFilter(bool IncludeLoopback = false, bool IPv4 = true, bool IPv6 = true,
    Func<IPAddress, bool>? Allow = null, bool KeepRedundantServerReflexive = false)
{
    public bool Accepts(IPAddress a) =>
        (IncludeLoopback || !IPAddress.IsLoopback(a)) &&
        (a.AddressFamily == IPAddress.Any.AddressFamily ? IPv4 : IPv6) &&
        (Allow is null || Allow(a));
}

public sealed record IceAgentConfig(string LocalUfrag, string LocalPwd, bool Controlling)
{
    public Seq<IPEndPoint> StunServers { get; init; } = Seq<IPEndPoint>.Empty;
    public Seq<TurnServer> TurnServers { get; init; } = Seq<TurnServer>.Empty;
    public IceTransportPolicy Policy { get; init; } = IceTransportPolicy.All;
    /// <summary>ICE-lite (RFC 8445 2.5): host candidates only, always controlled, answers checks but sends none.</summary>
    public bool Lite { get; init; }
    public IceTiming Timing { get; init; } = IceTiming.Default;
    public IceCandidateFilter Filter { get; init; } = new();
}

/// <summary>Facts the shell reports to the agent.</summary>
public abstract record IceInput
{
    /// <summary>The shell opened a UDP socket bound to this address; the agent makes a host candidate of it.</summary>
    public sealed record AddLocalInterface(TimeSpan At, IPEndPoint SocketAddress) : IceInput;
    public sealed record SetRemoteCredentials(string Ufrag, string Pwd) : IceInput;
    public sealed record AddRemoteCandidate(IceCandidate Candidate) : IceInput;
    public sealed record RemoteEndOfCandidates : IceInput;
    /// <summary>A datagram arrived on the socket bound to <paramref name="Local"/> from <paramref name="Remote"/>: STUN, or TURN ChannelData from a TURN server.</summary>
    public sealed record Received(TimeSpan At, IPEndPoint Local, IPEndPoint Remote, ReadOnlyMemory<byte> Data) : IceInput;
    public sealed record Tick(TimeSpan At) : IceInput;
    /// <summary>ICE restart with new local credentials; the selected pair stays until a new pair is nominated.</summary>
    public sealed record Restart(string Ufrag, string Pwd) : IceInput;
    public sealed record SetRole(bool Controlling) : IceInput;
    /// <summary>Application data (DTLS/SRTP) to send over the selected pair; the agent wraps it for TURN when relayed.</summary>
    public sealed record Send(ReadOnlyMemory<byte> Data) : IceInput;
    public sealed record Close : IceInput;
}

/// <summary>What the agent asks of the shell, and news.</summary>
public abstract record IceOutput
{
    /// <summary>Send <paramref name="Data"/> from the socket bound to <paramref name="From"/> to <paramref name="To"/>.</summary>
    public sealed record Transmit(IPEndPoint From, IPEndPoint To, Bytes Data) : IceOutput;
    /// <summary>Call back with Tick at (or after) this time. The latest WakeAt replaces earlier ones.</summary>
    public sealed record WakeAt(TimeSpan At) : IceOutput;
    public sealed record LocalCandidate(IceCandidate Candidate) : IceOutput;
    public sealed record GatheringComplete : IceOutput;
    public sealed record GatheringStateChanged(IceGatheringState State) : IceOutput;
    public sealed record ConnectionStateChanged(IceConnectionState State) : IceOutput;
    public sealed record SelectedPairChanged(IceCandidate Local, IceCandidate Remote) : IceOutput;
    /// <summary>Application data that arrived through a TURN relay (unwrapped) or was handed to the agent.</summary>
    public sealed record Deliver(IPEndPoint Local, IPEndPoint Remote, Bytes Data) : IceOutput;
}

/// <summary>A local candidate with where it sends from: host/srflx/prflx send from <see cref="Socket"/>; relay via an allocation.</summary>
public sealed record IceLocal(int Id, IceCandidate Candidate, IPEndPoint Socket, int LocalPreference, int? AllocationId, bool Pairable)
{
    /// <summary>The address peers see for this candidate (host: the socket; relay: the relayed address).</summary>
    public IPEndPoint Address => Candidate.EndPoint!;
}

public sealed record CandidatePair(int Id, int LocalId, IceCandidate Remote, IPEndPoint RemoteEndPoint, ulong Priority,
    CandidatePairState State, string Foundation, bool Valid = false, bool Nominated = false, bool NominateOnSuccess = false);

/// <summary>
/// The peer's ICE restart signaled before ours (an offer with new credentials, RFC 8445 9): its credentials and the
/// candidates (and end-of-candidates) that came with them, applied when our agent restarts.
/// </summary>
public sealed record IceRemoteRestart(string Ufrag, string Pwd, Seq<IceCandidate> Candidates, bool EndOfCandidates);

public sealed record SelectedPair(IceLocal Local, IceCandidate Remote, IPEndPoint RemoteEndPoint);

/// <summary>Why a STUN transaction was sent.</summary>
public abstract record IcePurpose
{
    public sealed record Check(int PairId, bool UseCandidate, bool ControllingWhenSent, Bytes RemoteKey) : IcePurpose;
    public sealed record Consent(Bytes RemoteKey) : IcePurpose;
    public sealed record ServerBinding(IPEndPoint Socket) : IcePurpose;
    public sealed record Turn(int AllocationId, TurnRequest Request) : IcePurpose;
}

public abstract record TurnRequest
{
    public sealed record Allocate : TurnRequest;
    public sealed record Refresh(uint Lifetime) : TurnRequest;
    public sealed record CreatePermission(IPEndPoint Peer) : TurnRequest;
    public sealed record ChannelBind(IPEndPoint Peer, ushort Channel) : TurnRequest;
}

/// <summary>An outstanding STUN transaction, retransmitted by RTO (RFC 8489 6.2.1). Via a local candidate when <see cref="LocalId"/> is set.</summary>
public sealed record IceTransaction(TransactionId Id, IcePurpose Purpose, int? LocalId, IPEndPoint From, IPEndPoint To,
    Bytes Message, int Sent, TimeSpan NextAt, TimeSpan Rto)
{
    /// <summary>Cancelled (RFC 8445 7.3.1.4): not retransmitted and its timeout fails nothing, but a late response still counts.</summary>
    public bool Cancelled { get; init; }
}

public enum TurnAllocationState { Requesting, Allocated, Failed }

/// <summary>A TURN allocation on one host socket (RFC 8656).</summary>
public sealed record TurnAllocation(int Id, IPEndPoint Socket, TurnServer Server, TurnAllocationState State)
{
    public string? Realm { get; init; }
    public string? Nonce { get; init; }
    public Bytes? Key { get; init; }
    public IPEndPoint? Relayed { get; init; }
    public IPEndPoint? Mapped { get; init; }
    public TimeSpan RefreshAt { get; init; }
    public int? LocalId { get; init; }
    /// <summary>Peers with a permission and when it must be refreshed (permissions last 300 s, RFC 8656 9).</summary>
    public HashMap<IPAddress, TimeSpan> Permissions { get; init; }
    public HashMap<IPEndPoint, ushort> Channels { get; init; }
    public HashMap<IPEndPoint, TimeSpan> ChannelRefresh { get; init; }
    public ushort NextChannel { get; init; } = ChannelData.MinChannel;
    public int AuthRetries { get; init; }
}
