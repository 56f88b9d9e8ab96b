using Functional.WebRtc.Core.Ice;
using LanguageExt;

namespace Functional.WebRtc.Core.PeerConnection;

/// <summary>What the PeerConnection machine asks the shell to do or tell.</summary>
public abstract record PeerOutput
{
    /// <summary>The API call this input was succeeded; Description is set for CreateOffer/CreateAnswer.</summary>
    public sealed record Completed(SessionDescription? Description = null, int? TransceiverIndex = null) : PeerOutput;
    /// <summary>The API call failed; the state is exactly as it was before it.</summary>
    public sealed record Failed(RtcError Error) : PeerOutput;
    public sealed record SignalingStateChanged(SignalingState State) : PeerOutput;
    public sealed record NegotiationNeeded : PeerOutput;
    public sealed record ConnectionStateChanged(PeerConnectionState State) : PeerOutput;
    public sealed record IceConnectionStateChanged(IceConnectionState State) : PeerOutput;
    /// <summary>The ICE servers changed (SetConfiguration): the ICE agent should use these from now on.</summary>
    public sealed record IceServersChanged(Arr<string> Servers) : PeerOutput;
    /// <summary>
    /// Both descriptions are in place (or changed): the transports should run with these parameters.
    /// Emitted after every successful SetLocal/SetRemote that leaves both sides known.
    /// </summary>
    public sealed record TransportParameters(
        IceCredentials Local, IceCredentials Remote, bool IceControlling, bool RemoteIceLite,
        Arr<string> RemoteFingerprints, bool DtlsClient, int? RemoteSctpPort, long RemoteMaxMessageSize,
        Arr<string> RemoteCandidates, bool RemoteEndOfCandidates) : PeerOutput;
    /// <summary>
    /// A local description was set: gathering should run with these credentials (a change means an ICE restart).
    /// Controlling is the initial ICE role: the side that offered first controls (RFC 8445 6.1.1).
    /// </summary>
    public sealed record GatherCandidates(IceCredentials Local, bool Controlling) : PeerOutput;
    /// <summary>A transport closed everything: the shell releases sockets, timers and threads.</summary>
    public sealed record Closed : PeerOutput;
}
