using Functional.WebRtc.Core.Ice;
using Microsoft.Extensions.Logging;

namespace Functional.WebRtc;

/// <summary>A STUN or TURN server (W3C RTCIceServer): "stun:host:port" or "turn:host:port?transport=udp".</summary>
public sealed record IceServer(IReadOnlyList<string> Urls, string? Username = null, string? Credential = null)
{
    public IceServer(string url, string? username = null, string? credential = null) : this([url], username, credential) { }

    public bool Equals(IceServer? other) =>
        other is not null && Urls.SequenceEqual(other.Urls) && Username == other.Username && Credential == other.Credential;
    public override int GetHashCode() => HashCode.Combine(Urls.Count, Username, Credential);
}

/// <summary>
/// How a PeerConnection is made (W3C RTCConfiguration, Pion's webrtc.Configuration). After creation only
/// <see cref="IceServers"/> may change through SetConfiguration.
/// </summary>
public sealed record Configuration
{
    public IReadOnlyList<IceServer> IceServers { get; init; } = [];
    public IceTransportPolicy IceTransportPolicy { get; init; } = IceTransportPolicy.All;
    public BundlePolicy BundlePolicy { get; init; } = BundlePolicy.Balanced;
    public RtcpMuxPolicy RtcpMuxPolicy { get; init; } = RtcpMuxPolicy.Require;
    /// <summary>The DTLS certificates; empty means one ECDSA P-256 certificate is generated.</summary>
    public IReadOnlyList<Certificate> Certificates { get; init; } = [];
    public int IceCandidatePoolSize { get; init; }
    /// <summary>Where the connection logs; silent when null.</summary>
    public ILoggerFactory? LoggerFactory { get; init; }

    public bool Equals(Configuration? other) =>
        other is not null && IceServers.SequenceEqual(other.IceServers) && IceTransportPolicy == other.IceTransportPolicy &&
        BundlePolicy == other.BundlePolicy && RtcpMuxPolicy == other.RtcpMuxPolicy && Certificates.SequenceEqual(other.Certificates) &&
        IceCandidatePoolSize == other.IceCandidatePoolSize && LoggerFactory == other.LoggerFactory;
    public override int GetHashCode() => HashCode.Combine(IceServers.Count, IceTransportPolicy, BundlePolicy, RtcpMuxPolicy, Certificates.Count);
}

/// <summary>Options for CreateOffer (W3C RTCOfferOptions).</summary>
public sealed record OfferOptions(bool IceRestart = false);

/// <summary>Options for CreateAnswer (W3C RTCAnswerOptions; nothing to set yet).</summary>
public sealed record AnswerOptions;
