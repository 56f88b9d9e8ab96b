using Functional.WebRtc.Core.Ice;
using Functional.WebRtc.Core.Dtls;
using Functional.WebRtc.Core.Signaling;
using LanguageExt;

namespace Functional.WebRtc.Core.PeerConnection;

/// <summary>ICE credentials (RFC 8839 ice-ufrag / ice-pwd).</summary>
public readonly record struct IceCredentials(string Ufrag, string Pwd);

/// <summary>A local track as the signaling layer sees it: ids for msid, its kind.</summary>
public sealed record TrackInfo(string Id, string StreamId, MediaKind Kind);

/// <summary>
/// An RTP transceiver (W3C RTCRtpTransceiver) as data: its mid once associated, what the application wants
/// (Direction), what was negotiated (CurrentDirection), the local track it sends, and its SSRCs; a simulcast sender
/// also has its rid layers (Encodings, the first on Ssrc/RtxSsrc; empty without simulcast).
/// </summary>
public sealed record Transceiver(
    int Index,
    MediaKind Kind,
    Option<string> Mid,
    Direction Direction,
    Option<Direction> CurrentDirection,
    Option<TrackInfo> Sender,
    uint Ssrc,
    uint RtxSsrc,
    bool Stopped,
    bool CreatedByRemote,
    Arr<SendEncoding> Encodings = default)
{
    public bool IsAssociated => Mid.IsSome;
}

/// <summary>What the signaling layer knows of the connection's settings.</summary>
public sealed record PeerConfig(
    BundlePolicy BundlePolicy,
    IceTransportPolicy IceTransportPolicy,
    RtcpMuxPolicy RtcpMuxPolicy,
    Arr<string> Fingerprints,
    Arr<string> IceServers,
    bool AnswerPassive,
    MediaEngine Media,
    int SctpPort = 5000,
    long MaxMessageSize = 262144,
    string Cname = "functional-webrtc")
{
    public static PeerConfig Default(string fingerprint) =>
        new(BundlePolicy.Balanced, IceTransportPolicy.All, RtcpMuxPolicy.Require, Arr.create(fingerprint), Arr<string>.Empty,
            false, MediaEngine.Default);
}

/// <summary>
/// The whole signaling state of a PeerConnection as one immutable value. Every API call and transport report is an
/// input to <see cref="PeerMachine.Handle"/>, which returns the next value of this record and the outputs.
/// </summary>
public sealed record PeerState(
    PeerConfig Config,
    SignalingState Signaling,
    Option<SessionDescription> CurrentLocal,
    Option<SessionDescription> PendingLocal,
    Option<SessionDescription> CurrentRemote,
    Option<SessionDescription> PendingRemote,
    Option<SessionDescription> LastOffer,
    Option<SessionDescription> LastAnswer,
    bool IsClosed,
    IceCredentials LocalIce,
    Option<IceCredentials> RestartIce,
    Arr<Transceiver> Transceivers,
    Arr<Transceiver> StableTransceivers,
    int DataChannels,
    ulong SessionId,
    ulong SessionVersion,
    Entropy Entropy,
    bool NegotiationNeeded,
    IceConnectionState Ice,
    DtlsTransportState Dtls,
    PeerConnectionState Connection)
{
    /// <summary>W3C localDescription: the pending one if any, else the current one.</summary>
    public Option<SessionDescription> LocalDescription => PendingLocal || CurrentLocal;
    /// <summary>W3C remoteDescription: the pending one if any, else the current one.</summary>
    public Option<SessionDescription> RemoteDescription => PendingRemote || CurrentRemote;
}
