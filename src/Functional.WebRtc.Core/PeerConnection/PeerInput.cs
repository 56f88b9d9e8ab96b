using Functional.WebRtc.Core.Ice;
using Functional.WebRtc.Core.Dtls;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Functional.WebRtc.Core.PeerConnection;

/// <summary>
/// Every fact the PeerConnection machine takes: API calls and transport reports. Each case serializes to one JSON
/// object (a line of the event log), so a run can be recorded and replayed exactly.
/// </summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "input")]
[JsonDerivedType(typeof(CreateOffer), "create-offer")]
[JsonDerivedType(typeof(CreateAnswer), "create-answer")]
[JsonDerivedType(typeof(SetLocalDescription), "set-local-description")]
[JsonDerivedType(typeof(SetRemoteDescription), "set-remote-description")]
[JsonDerivedType(typeof(SetConfiguration), "set-configuration")]
[JsonDerivedType(typeof(AddTrack), "add-track")]
[JsonDerivedType(typeof(AddTransceiver), "add-transceiver")]
[JsonDerivedType(typeof(RemoveTrack), "remove-track")]
[JsonDerivedType(typeof(StopTransceiver), "stop-transceiver")]
[JsonDerivedType(typeof(SetDirection), "set-direction")]
[JsonDerivedType(typeof(SetSendEncodings), "set-send-encodings")]
[JsonDerivedType(typeof(CreateDataChannel), "create-data-channel")]
[JsonDerivedType(typeof(IceStateChanged), "ice-state")]
[JsonDerivedType(typeof(DtlsStateChanged), "dtls-state")]
[JsonDerivedType(typeof(Close), "close")]
public abstract record PeerInput
{
    public sealed record CreateOffer(bool IceRestart = false) : PeerInput;
    public sealed record CreateAnswer : PeerInput;
    public sealed record SetLocalDescription(SessionDescription Description) : PeerInput;
    public sealed record SetRemoteDescription(SessionDescription Description) : PeerInput;
    /// <summary>The whole new configuration; only the ICE servers may differ from the current one.</summary>
    public sealed record SetConfiguration(string[] IceServers, string[] Fingerprints, BundlePolicy BundlePolicy,
        IceTransportPolicy IceTransportPolicy, RtcpMuxPolicy RtcpMuxPolicy) : PeerInput
    {
        public bool Equals(SetConfiguration? o) => o is not null && IceServers.SequenceEqual(o.IceServers) &&
            Fingerprints.SequenceEqual(o.Fingerprints) && BundlePolicy == o.BundlePolicy && IceTransportPolicy == o.IceTransportPolicy &&
            RtcpMuxPolicy == o.RtcpMuxPolicy;
        public override int GetHashCode() => HashCode.Combine(IceServers.Length, Fingerprints.Length, BundlePolicy);
    }
    public sealed record AddTrack(string TrackId, string StreamId, MediaKind Kind) : PeerInput;
    /// <summary>W3C addTransceiver: of a kind, or with a track (its id and stream id) to send; always a new transceiver.</summary>
    public sealed record AddTransceiver(MediaKind Kind, Direction Direction, string? TrackId = null, string? StreamId = null) : PeerInput;
    public sealed record RemoveTrack(int TransceiverIndex) : PeerInput;
    public sealed record StopTransceiver(int TransceiverIndex) : PeerInput;
    public sealed record SetDirection(int TransceiverIndex, Direction Direction) : PeerInput;
    /// <summary>The rids of a sender's simulcast layers, in order (W3C sendEncodings, Pion's AddEncoding); none to clear.</summary>
    public sealed record SetSendEncodings(int TransceiverIndex, string[] Rids) : PeerInput
    {
        public bool Equals(SetSendEncodings? o) => o is not null && TransceiverIndex == o.TransceiverIndex && Rids.SequenceEqual(o.Rids);
        public override int GetHashCode() => HashCode.Combine(TransceiverIndex, Rids.Length);
    }
    public sealed record CreateDataChannel(string Label) : PeerInput;
    public sealed record IceStateChanged(IceConnectionState State) : PeerInput;
    public sealed record DtlsStateChanged(DtlsTransportState State) : PeerInput;
    public sealed record Close : PeerInput;

    private static readonly JsonSerializerOptions Json = new() { Converters = { new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower) } };

    public string ToJson() => JsonSerializer.Serialize(this, Json);
    public static PeerInput FromJson(string line) =>
        JsonSerializer.Deserialize<PeerInput>(line, Json) ?? throw new JsonException("empty event-log line");
}
