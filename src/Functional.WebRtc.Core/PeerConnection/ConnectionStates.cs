using Functional.WebRtc.Core.Dtls;
using Functional.WebRtc.Core.Ice;

namespace Functional.WebRtc;

/// <summary>W3C RTCPeerConnectionState.</summary>
public enum PeerConnectionState { New, Connecting, Connected, Disconnected, Failed, Closed }

public static class ConnectionStates
{
    /// <summary>
    /// The connection state as a pure function of the ICE and DTLS transport states, as Pion's
    /// updateConnectionState computes it: closed wins, then failed, then disconnected, then connected when both
    /// transports are up; connecting while either is on its way; otherwise new.
    /// </summary>
    public static PeerConnectionState Derive(bool isClosed, IceConnectionState ice, DtlsTransportState dtls) =>
        isClosed ? PeerConnectionState.Closed
        : ice == IceConnectionState.Failed || dtls == DtlsTransportState.Failed ? PeerConnectionState.Failed
        : ice == IceConnectionState.Disconnected ? PeerConnectionState.Disconnected
        : (ice is IceConnectionState.Connected or IceConnectionState.Completed) && dtls == DtlsTransportState.Connected ? PeerConnectionState.Connected
        : ice is IceConnectionState.Checking or IceConnectionState.Connected or IceConnectionState.Completed || dtls == DtlsTransportState.Connecting
            ? PeerConnectionState.Connecting
            : PeerConnectionState.New;

    public static string ToText(this PeerConnectionState s) => s.ToString().ToLowerInvariant();
    public static string ToText(this IceConnectionState s) => s.ToString().ToLowerInvariant();
    public static string ToText(this IceGatheringState s) => s.ToString().ToLowerInvariant();
}
